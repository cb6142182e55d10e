"""Browser helpers. Every step waits for a condition (the next page replacing this one, an element, a text), never
for time, and elements are found again after every navigation, so a slow machine only makes a test slower."""
import os

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

SHOTS = os.environ.get("SCREENSHOT_DIR")
# Generous: a bound only a broken page reaches, never a pace the test relies on.
WAIT = 60


def shot(driver, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def _wait(driver, timeout=WAIT):
    # An element read while its page is being replaced is stale ("Node with given id does not belong to the
    # document"): try again on the page that replaced it.
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, WebDriverException))


def wait_for(driver, text, timeout=WAIT):
    """Waits until the page's source contains `text`."""
    _wait(driver, timeout).until(lambda d: text in d.page_source)


def element(driver, by, value, timeout=WAIT):
    """Waits for an element on the current page and returns it."""
    return _wait(driver, timeout).until(expected_conditions.presence_of_element_located((by, value)))


def text_of(driver, by, value, timeout=WAIT):
    """Reads an element's text, finding it again if the page is replaced while it is read."""
    return _wait(driver, timeout).until(lambda d: d.find_element(by, value).text or " ").strip()


def _gone(page):
    """True once `page` (an element of the old page) is no longer in the document. Chromium reports a node of a page
    being replaced either as stale or as "Node with given id does not belong to the document"; both mean gone
    (selenium's own `staleness_of` only knows the first, which failed a stress run)."""

    def check(_):
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise

    return check


def _replaced(driver, page, marker, timeout):
    """Waits until `page` (the old <html>) is gone, the new page has loaded, and shows `marker`."""
    WebDriverWait(driver, timeout).until(_gone(page))
    _wait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")
    if isinstance(marker, tuple):
        return element(driver, *marker, timeout=timeout)
    wait_for(driver, marker, timeout)


def submit_and_wait(driver, by, value, marker, timeout=WAIT):
    """Clicks the element at (by, value), waits for the next page to replace this one, then for `marker` on it:
    a (By, value) locator of the next page's marker element, or a text."""
    page = driver.find_element(By.TAG_NAME, "html")
    element(driver, by, value).click()
    return _replaced(driver, page, marker, timeout)


def click_and_wait(driver, found, marker, timeout=WAIT):
    """Clicks an element already found on this page, then waits as `submit_and_wait` does."""
    page = driver.find_element(By.TAG_NAME, "html")
    found.click()
    return _replaced(driver, page, marker, timeout)


def open_page(driver, url, marker):
    """Loads `url` and waits for its marker (a locator or a text)."""
    driver.get(url)
    if isinstance(marker, tuple):
        return element(driver, *marker)
    wait_for(driver, marker)


def sign_in(driver, url, email, password, marker):
    """Signs in and waits for `marker` on the page that follows (a sign-in hashes for about half a second)."""
    open_page(driver, url + "/login", (By.ID, "email"))
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    submit_and_wait(driver, By.CSS_SELECTOR, "form[action='/login'] button[type=submit]", marker)


def change_one_time_password(driver, one_time, new_password):
    wait_for(driver, "Your account")
    driver.find_element(By.ID, "current").send_keys(one_time)
    driver.find_element(By.ID, "new").send_keys(new_password)
    driver.find_element(By.ID, "confirm").send_keys(new_password)
    submit_and_wait(driver, By.CSS_SELECTOR, "form[action='/account/password'] button", "Your password was changed.")


def until(driver, condition, timeout=WAIT):
    """Waits for any condition on the driver (a function of it), riding out pages being replaced."""
    return _wait(driver, timeout).until(condition)


def add_connection(driver, url, host, key, name, contributors=False):
    """An administrator adds an ActiveCampaign connection: Connect, Add yourself as export user, consent, Save;
    with `contributors`, contributors may use it too."""
    open_page(driver, url + "/t/main/admin/connections/new?type=activecampaign", (By.ID, "apiHost"))
    driver.find_element(By.ID, "name").send_keys(name)
    if contributors:
        driver.find_element(By.XPATH, "//input[@name='usableBy' and @value='contributors']").click()
    driver.find_element(By.ID, "apiKey").send_keys(key)
    driver.find_element(By.ID, "apiHost").send_keys(host)
    submit_and_wait(driver, By.XPATH, "//button[normalize-space()='Connect']", (By.ID, "connected-as"))
    submit_and_wait(driver, By.XPATH, "//button[normalize-space()='Add yourself as export user']", "You are the export user")
    driver.find_element(By.ID, "consent").click()
    submit_and_wait(driver, By.XPATH, "//button[normalize-space()='Save']", "The connection was saved.")
