"""An admin adds an ActiveCampaign connection against the sandbox, sees it Connected, edits it, and removes it."""
from selenium.webdriver.common.by import By

from conftest import SANDBOX_KEY, first_start_credentials
from helpers import change_one_time_password, open_page, shot, sign_in, submit_and_wait, text_of


def step(driver, label, marker):
    """Presses one of the form's step buttons and waits for the page that answers it."""
    return submit_and_wait(driver, By.XPATH, f"//button[normalize-space()='{label}']", marker)


def test_admin_adds_edits_and_removes_a_connection(server, browser):
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time, "Your account")
    change_one_time_password(browser, one_time, "a long password of my own")

    open_page(browser, server.url + "/t/main/admin/connections", "No connections yet.")
    submit_and_wait(browser, By.LINK_TEXT, "Add connection", (By.LINK_TEXT, "ActiveCampaign"))
    submit_and_wait(browser, By.LINK_TEXT, "ActiveCampaign", "Add an ActiveCampaign connection")

    browser.find_element(By.ID, "name").send_keys("Newsletter account")
    browser.find_element(By.ID, "apiKey").send_keys("a-wrong-key")
    browser.find_element(By.ID, "apiHost").send_keys(f"http://127.0.0.1:{server.sandbox_port}/api/3/")
    step(browser, "Connect", (By.ID, "apiKey-error"))
    assert "did not accept this API key" in text_of(browser, By.ID, "apiKey-error")

    browser.find_element(By.ID, "apiKey").send_keys(SANDBOX_KEY)
    step(browser, "Connect", (By.ID, "connected-as"))
    assert "Connected to ActiveCampaign as" in text_of(browser, By.ID, "connected-as")
    assert browser.find_element(By.ID, "apiKey").get_attribute("value") == ""
    assert SANDBOX_KEY not in browser.page_source
    assert browser.find_element(By.ID, "apiHost").get_attribute("value") == f"http://127.0.0.1:{server.sandbox_port}/api/3/"

    step(browser, "Add yourself as export user", "You are the export user")
    browser.find_element(By.ID, "consent").click()
    shot(browser, "connection-ready")
    step(browser, "Save", "The connection was saved.")
    row = text_of(browser, By.XPATH, "//tr[td/a[text()='Newsletter account']]")
    assert "Connected" in row and "admin@outbound.local" in row
    shot(browser, "connections-list")

    submit_and_wait(browser, By.LINK_TEXT, "Newsletter account", "Stored key ends in")
    name = browser.find_element(By.ID, "name")
    name.clear()
    name.send_keys("Main newsletter")
    browser.find_element(By.XPATH, "//input[@name='usableBy' and @value='contributors']").click()
    step(browser, "Save", "Your changes were saved.")
    step(browser, "Connect / verify again", "ActiveCampaign accepted the stored key.")
    open_page(browser, server.url + "/t/main/admin/connections", (By.LINK_TEXT, "Main newsletter"))
    assert "Administrators and contributors" in text_of(browser, By.XPATH, "//tr[td/a[text()='Main newsletter']]")

    submit_and_wait(browser, By.LINK_TEXT, "Main newsletter", (By.LINK_TEXT, "Remove this connection"))
    submit_and_wait(browser, By.LINK_TEXT, "Remove this connection", "Remove Main newsletter?")
    assert "Contacts already sent stay in ActiveCampaign." in browser.page_source
    submit_and_wait(browser, By.XPATH, "//button[text()='Remove connection']",
                    "The connection and its stored API key were removed.")
    assert "No connections yet." in browser.page_source
    assert SANDBOX_KEY not in server.log()
