import os

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SHOTS = os.environ.get("SCREENSHOT_DIR")


def shot(driver, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait_for(driver, text, timeout=15):
    """Clicks return before the next page arrives (a sign-in hashes for about half a second): wait for it."""
    WebDriverWait(driver, timeout).until(lambda d: text in d.page_source)


def sign_in(driver, url, email, password):
    driver.get(url + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()


def change_one_time_password(driver, one_time, new_password):
    wait_for(driver, "Your account")
    driver.find_element(By.ID, "current").send_keys(one_time)
    driver.find_element(By.ID, "new").send_keys(new_password)
    driver.find_element(By.ID, "confirm").send_keys(new_password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/account/password'] button").click()
    wait_for(driver, "Your password was changed.")


def click_and_wait(driver, element, text, timeout=15):
    """Clicks and waits for the next page to replace this one, then for `text` on it (which the old page may have had)."""
    from selenium.webdriver.support import expected_conditions
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, timeout).until(expected_conditions.staleness_of(page))
    wait_for(driver, text, timeout)
