"""A first administrator signs in with the printed one-time password, chooses their own, and adds a member."""
import re

from selenium.webdriver.common.by import By

from conftest import first_start_credentials
from helpers import shot, sign_in, submit_and_wait, text_of


def test_first_admin_signs_in_changes_password_and_adds_a_member(server, browser):
    email, one_time = first_start_credentials(server)

    sign_in(browser, server.url, email, "not the password", (By.ID, "login-error"))
    assert "Email or password is incorrect." in text_of(browser, By.ID, "login-error")

    sign_in(browser, server.url, email, one_time, "Your account")
    assert browser.current_url.endswith("/account")
    assert "one-time password" in browser.page_source
    shot(browser, "account-forced-change")

    browser.find_element(By.ID, "current").send_keys(one_time)
    browser.find_element(By.ID, "new").send_keys("short")
    browser.find_element(By.ID, "confirm").send_keys("short")
    submit_and_wait(browser, By.CSS_SELECTOR, "form[action='/account/password'] button", (By.ID, "new-error"))
    assert "Use at least 12 characters." in text_of(browser, By.ID, "new-error")

    browser.find_element(By.ID, "current").send_keys(one_time)
    browser.find_element(By.ID, "new").send_keys("a long password of my own")
    browser.find_element(By.ID, "confirm").send_keys("a long password of my own")
    submit_and_wait(browser, By.CSS_SELECTOR, "form[action='/account/password'] button", "Your password was changed.")

    # An empty workspace opens on Profiles, with the import form (issue 15).
    submit_and_wait(browser, By.LINK_TEXT, "Outbound", (By.ID, "file"))
    assert browser.current_url.endswith("/t/main/data/profiles")
    assert "No profiles yet" in text_of(browser, By.TAG_NAME, "main")
    submit_and_wait(browser, By.LINK_TEXT, "Members", (By.ID, "email"))
    assert browser.current_url.endswith("/t/main/admin/members")

    browser.find_element(By.ID, "email").send_keys("o'brien+dana@example.com")
    browser.find_element(By.CSS_SELECTOR, "#role option[value=contributor]").click()
    submit_and_wait(browser, By.XPATH, "//button[text()='Add member']", (By.ID, "one-time-password"))
    otp = text_of(browser, By.ID, "one-time-password")
    assert re.fullmatch(r"[A-Za-z0-9]{7}-[A-Za-z0-9]{7}-[A-Za-z0-9]{7}", otp)
    assert browser.find_elements(By.XPATH, "//td[contains(., \"o'brien+dana@example.com\")]")
    shot(browser, "members-added")

    submit_and_wait(browser, By.LINK_TEXT, "Activity", (By.TAG_NAME, "table"))
    assert "Invited o'brien+dana@example.com as Contributor" in text_of(browser, By.TAG_NAME, "table")

    submit_and_wait(browser, By.XPATH, "//button[text()='Sign out']", "Sign in to Outbound")
    assert browser.current_url.endswith("/login")
    assert one_time not in server.log().split("One-time password:")[-1][40:]
