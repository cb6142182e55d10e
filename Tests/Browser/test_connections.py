"""An admin adds an ActiveCampaign connection against the sandbox, sees it Connected, edits it, and removes it."""
from selenium.webdriver.common.by import By

from conftest import SANDBOX_KEY, first_start_credentials
from helpers import change_one_time_password, click_and_wait, shot, sign_in, wait_for


def click_step(driver, label):
    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()


def test_admin_adds_edits_and_removes_a_connection(server, browser):
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time)
    change_one_time_password(browser, one_time, "a long password of my own")

    browser.get(server.url + "/t/main/admin/connections")
    assert "No connections yet." in browser.page_source
    browser.find_element(By.LINK_TEXT, "Add connection").click()
    browser.find_element(By.LINK_TEXT, "ActiveCampaign").click()
    wait_for(browser, "Add an ActiveCampaign connection")

    browser.find_element(By.ID, "name").send_keys("Newsletter account")
    browser.find_element(By.ID, "apiKey").send_keys("a-wrong-key")
    browser.find_element(By.ID, "apiHost").send_keys(f"http://127.0.0.1:{server.sandbox_port}/api/3/")
    click_step(browser, "Connect")
    wait_for(browser, "apiKey-error")
    assert "did not accept this API key" in browser.find_element(By.ID, "apiKey-error").text

    browser.find_element(By.ID, "apiKey").send_keys(SANDBOX_KEY)
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Connect']"), "connected-as")
    assert "Connected to ActiveCampaign as" in browser.find_element(By.ID, "connected-as").text
    assert browser.find_element(By.ID, "apiKey").get_attribute("value") == ""
    assert SANDBOX_KEY not in browser.page_source
    assert browser.find_element(By.ID, "apiHost").get_attribute("value") == f"http://127.0.0.1:{server.sandbox_port}/api/3/"

    click_step(browser, "Add yourself as export user")
    wait_for(browser, "You are the export user")
    browser.find_element(By.ID, "consent").click()
    shot(browser, "connection-ready")
    click_step(browser, "Save")
    wait_for(browser, "The connection was saved.")
    row = browser.find_element(By.XPATH, "//tr[td/a[text()='Newsletter account']]").text
    assert "Connected" in row and "admin@outbound.local" in row
    shot(browser, "connections-list")

    browser.find_element(By.LINK_TEXT, "Newsletter account").click()
    wait_for(browser, "Stored key ends in")
    name = browser.find_element(By.ID, "name")
    name.clear()
    name.send_keys("Main newsletter")
    browser.find_element(By.XPATH, "//input[@name='usableBy' and @value='contributors']").click()
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Save']"), "Your changes were saved.")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Connect / verify again']"),
                   "ActiveCampaign accepted the stored key.")
    browser.get(server.url + "/t/main/admin/connections")
    assert "Administrators and contributors" in browser.find_element(By.XPATH, "//tr[td/a[text()='Main newsletter']]").text

    browser.find_element(By.LINK_TEXT, "Main newsletter").click()
    browser.find_element(By.LINK_TEXT, "Remove this connection").click()
    wait_for(browser, "Remove Main newsletter?")
    assert "Contacts already sent stay in ActiveCampaign." in browser.page_source
    browser.find_element(By.XPATH, "//button[text()='Remove connection']").click()
    wait_for(browser, "The connection and its stored API key were removed.")
    assert "No connections yet." in browser.page_source
    assert SANDBOX_KEY not in server.log()
