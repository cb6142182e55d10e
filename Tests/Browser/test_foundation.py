"""A first administrator signs in with the printed one-time password, chooses their own, and adds a member."""
import os
import re

from selenium.webdriver.common.by import By

from conftest import first_start_credentials
from helpers import shot, sign_in, wait_for

def test_first_admin_signs_in_changes_password_and_adds_a_member(server, browser):
    email, one_time = first_start_credentials(server)

    sign_in(browser, server.url, email, "not the password")
    wait_for(browser, "login-error")
    assert "Email or password is incorrect." in browser.find_element(By.ID, "login-error").text

    sign_in(browser, server.url, email, one_time)
    wait_for(browser, "Your account")
    assert browser.current_url.endswith("/account")
    assert "one-time password" in browser.page_source
    shot(browser, "account-forced-change")

    browser.find_element(By.ID, "current").send_keys(one_time)
    browser.find_element(By.ID, "new").send_keys("short")
    browser.find_element(By.ID, "confirm").send_keys("short")
    browser.find_element(By.CSS_SELECTOR, "form[action='/account/password'] button").click()
    wait_for(browser, "new-error")
    assert "Use at least 12 characters." in browser.find_element(By.ID, "new-error").text

    browser.find_element(By.ID, "current").send_keys(one_time)
    browser.find_element(By.ID, "new").send_keys("a long password of my own")
    browser.find_element(By.ID, "confirm").send_keys("a long password of my own")
    browser.find_element(By.CSS_SELECTOR, "form[action='/account/password'] button").click()
    wait_for(browser, "Your password was changed.")

    browser.find_element(By.LINK_TEXT, "Outbound").click()
    assert browser.current_url.endswith("/t/main/data/exports")
    browser.find_element(By.LINK_TEXT, "Members").click()
    assert browser.current_url.endswith("/t/main/admin/members")

    browser.find_element(By.ID, "email").send_keys("o'brien+dana@example.com")
    browser.find_element(By.CSS_SELECTOR, "#role option[value=contributor]").click()
    browser.find_element(By.XPATH, "//button[text()='Add member']").click()
    wait_for(browser, "one-time-password")
    otp = browser.find_element(By.ID, "one-time-password").text
    assert re.fullmatch(r"[A-Za-z0-9]{7}-[A-Za-z0-9]{7}-[A-Za-z0-9]{7}", otp)
    assert browser.find_elements(By.XPATH, "//td[contains(., \"o'brien+dana@example.com\")]")
    shot(browser, "members-added")

    browser.find_element(By.LINK_TEXT, "Activity").click()
    assert "Added o'brien+dana@example.com as Contributor" in browser.find_element(By.TAG_NAME, "table").text

    browser.find_element(By.XPATH, "//button[text()='Sign out']").click()
    wait_for(browser, "Sign in to Outbound")
    assert browser.current_url.endswith("/login")
    assert one_time not in server.log().split("One-time password:")[-1][40:]
