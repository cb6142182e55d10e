"""Issue 15 in a real browser: what a person meets on the pages that exist. Screenshots of each changed page go to
SCREENSHOT_DIR when it is set."""
import os
import tempfile

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import SANDBOX_KEY, first_start_credentials
from helpers import (add_connection, change_one_time_password, click_and_wait, open_page, shot, sign_in,
                     submit_and_wait, text_of, until)
from test_profiles_segments import import_finished


def test_pages_a_person_meets(server, browser):
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time, "Your account")
    change_one_time_password(browser, one_time, "a long password of my own")

    # An empty workspace opens on Profiles, with its import form and a plain "no profiles yet".
    submit_and_wait(browser, By.LINK_TEXT, "Outbound", (By.ID, "file"))
    assert browser.current_url.endswith("/t/main/data/profiles")
    assert text_of(browser, By.ID, "empty") == "No profiles yet. Import a CSV file to add them."
    shot(browser, "ux-empty-workspace")

    # A 0-byte file is refused on the same page, with the navigation and the form.
    folder = tempfile.mkdtemp()
    empty = os.path.join(folder, "empty.csv")
    open(empty, "w").close()
    browser.find_element(By.ID, "file").send_keys(empty)
    submit_and_wait(browser, By.XPATH, "//button[text()='Import']", (By.ID, "import-error"))
    assert "empty (0 bytes)" in text_of(browser, By.ID, "import-error")
    assert browser.find_elements(By.LINK_TEXT, "Members")
    shot(browser, "ux-empty-file")

    # A semicolon file from a spreadsheet, with long values and more columns than fit.
    rows = ["profile_id;email;first_name;last_name;city;country;tier;phone;note;company;lifetime_value"]
    rows += [f"{i};person{i}@example.com;Name{i};Surname{i};Köln;DE;gold;+49 221 {i:06d};"
             f"{'a very long note that does not fit in a table cell ' * 4};Company {i};{i * 10}" for i in range(1, 21)]
    rows += ["21;;No;Email;Bonn;DE;silver;;;;5", "22;not-an-address;Bad;Email;Ulm;DE;silver;;;;5"]
    semicolons = os.path.join(folder, "spreadsheet.csv")
    with open(semicolons, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    browser.find_element(By.ID, "file").send_keys(semicolons)
    submit_and_wait(browser, By.XPATH, "//button[text()='Import']", "Import of spreadsheet.csv")
    until(browser, import_finished)
    assert text_of(browser, By.ID, "import-status") == "Imported"
    assert "semicolons" in text_of(browser, By.ID, "import-message")
    assert text_of(browser, By.ID, "without-email").startswith("2 imported profiles have no usable email")
    shot(browser, "ux-import-semicolons")

    submit_and_wait(browser, By.LINK_TEXT, "Back to profiles", (By.ID, "profiles"))
    # The table fits a 1280 px window: nothing scrolls sideways.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert "more attributes are on each profile's page" in text_of(browser, By.ID, "hidden-columns")
    shot(browser, "ux-profiles-list")
    submit_and_wait(browser, By.LINK_TEXT, "1", "Profile 1")
    assert "a very long note that does not fit in a table cell " * 3 in text_of(browser, By.ID, "profile")
    shot(browser, "ux-profile")
    submit_and_wait(browser, By.LINK_TEXT, "Delete this profile…", (By.ID, "delete-profile"))
    shot(browser, "ux-profile-delete")
    submit_and_wait(browser, By.ID, "delete-profile", "The profile was deleted.")

    # The segment editor: a condition added per group, the upper value only for "is between".
    submit_and_wait(browser, By.LINK_TEXT, "Segments", (By.LINK_TEXT, "New segment"))
    submit_and_wait(browser, By.LINK_TEXT, "New segment", (By.ID, "name"))
    browser.find_element(By.ID, "name").send_keys("Big spenders")
    Select(browser.find_element(By.NAME, "g0.c0.attribute")).select_by_value("lifetime_value")
    upper = browser.find_element(By.NAME, "g0.c0.value2")
    assert not upper.is_displayed()
    Select(browser.find_element(By.NAME, "g0.c0.op")).select_by_value("between")
    assert upper.is_displayed()
    browser.find_element(By.NAME, "g0.c0.value").send_keys("50")
    upper.send_keys("150")
    submit_and_wait(browser, By.XPATH, "//button[starts-with(normalize-space(), 'Add condition')]", (By.NAME, "g0.c2.attribute"))
    shot(browser, "ux-segment-editor")
    submit_and_wait(browser, By.XPATH, "//button[text()='Save and refresh']", (By.ID, "member-count"))
    assert text_of(browser, By.ID, "member-count") == "11"
    submit_and_wait(browser, By.ID, "delete-link", (By.ID, "delete-segment"))
    assert "list of 11 members" in text_of(browser, By.TAG_NAME, "main")
    shot(browser, "ux-segment-delete")
    submit_and_wait(browser, By.ID, "delete-segment", "The segment was deleted.")

    # Members: an admin resets a member's password (shown once) and removing asks first.
    submit_and_wait(browser, By.LINK_TEXT, "Members", (By.ID, "email"))
    browser.find_element(By.ID, "email").send_keys("dana@example.com")
    submit_and_wait(browser, By.XPATH, "//button[text()='Add member']", (By.ID, "one-time-password"))
    dana_password = text_of(browser, By.ID, "one-time-password")
    # Dana accepts in her own session, then forgets her password.
    dana = browser
    submit_and_wait(dana, By.XPATH, "//button[normalize-space()='Sign out']", (By.ID, "email"))
    sign_in(dana, server.url, "dana@example.com", dana_password, "Your account")
    change_one_time_password(dana, dana_password, "dana's own long password")
    submit_and_wait(dana, By.LINK_TEXT, "Outbound", (By.ID, "invitations"))
    submit_and_wait(dana, By.XPATH, "//button[starts-with(normalize-space(), 'Accept')]", (By.ID, "main"))
    submit_and_wait(dana, By.XPATH, "//button[normalize-space()='Sign out']", (By.ID, "email"))
    sign_in(browser, server.url, email, "a long password of my own", (By.ID, "main"))
    open_page(browser, server.url + "/t/main/admin/members", (By.ID, "email"))
    shot(browser, "ux-members")
    submit_and_wait(browser, By.XPATH, "//tr[td[contains(., 'dana@example.com')]]//a[starts-with(normalize-space(), 'Reset password')]",
                    (By.ID, "reset-password"))
    shot(browser, "ux-member-reset")
    submit_and_wait(browser, By.ID, "reset-password", (By.ID, "one-time-password"))
    assert "dana@example.com" in text_of(browser, By.CLASS_NAME, "otp")
    shot(browser, "ux-member-reset-done")
    submit_and_wait(browser, By.XPATH, "//tr[td[contains(., 'dana@example.com')]]//a[starts-with(normalize-space(), 'Remove')]",
                    (By.ID, "remove-member"))
    assert "loses access to this workspace at once" in text_of(browser, By.TAG_NAME, "main")
    shot(browser, "ux-member-remove")
    submit_and_wait(browser, By.ID, "remove-member", "The member was removed from this workspace.")

    # Activity: sign-ins and password changes are there, and the filters narrow them.
    open_page(browser, server.url + "/t/main/admin/activity", (By.ID, "activity-filter"))
    Select(browser.find_element(By.ID, "kind")).select_by_value("signin.succeeded")
    Select(browser.find_element(By.ID, "person")).select_by_value(email)
    submit_and_wait(browser, By.XPATH, "//button[text()='Show']", "Show all")
    kinds = {cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "main table tbody tr td:nth-child(3)")}
    assert kinds == {"signin.succeeded"}, kinds
    shot(browser, "ux-activity-filtered")

    # Connections list: each connection's host.
    host = f"127.0.0.1:{server.sandbox_port}"
    add_connection(browser, server.url, host, SANDBOX_KEY, "Sandbox account")
    open_page(browser, server.url + "/t/main/admin/connections", (By.LINK_TEXT, "Sandbox account"))
    assert text_of(browser, By.CSS_SELECTOR, "td.host") == host
    shot(browser, "ux-connections")
