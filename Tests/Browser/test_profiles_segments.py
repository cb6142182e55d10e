"""An admin imports a CSV of profiles in the browser, browses them, and builds a segment with the rule editor."""
import os
import subprocess
import sys
import tempfile

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ROOT, first_start_credentials
from helpers import change_one_time_password, open_page, shot, sign_in, submit_and_wait, text_of, until


def import_finished(driver):
    """The job page refreshes itself while the import runs; a fully loaded page without the refresh is the end."""
    return (driver.execute_script("return document.readyState") == "complete"
            and 'http-equiv="refresh"' not in driver.page_source
            and driver.find_elements(By.ID, "import-status"))


def test_import_browse_and_segment(server, browser):
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time, "Your account")
    change_one_time_password(browser, one_time, "a long password of my own")

    csv_path = os.path.join(tempfile.mkdtemp(), "profiles.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "make_profiles.py"), "500", "--seed", "3",
                    "--out", csv_path], check=True, capture_output=True)

    open_page(browser, server.url + "/t/main/data/profiles", (By.ID, "file"))
    browser.find_element(By.ID, "file").send_keys(csv_path)
    submit_and_wait(browser, By.XPATH, "//button[text()='Import']", "Import of profiles.csv")
    until(browser, import_finished)
    shot(browser, "import-done")
    assert text_of(browser, By.ID, "import-status") == "Imported", text_of(browser, By.TAG_NAME, "main")
    assert text_of(browser, By.ID, "rows-imported") == "500"

    submit_and_wait(browser, By.LINK_TEXT, "Back to profiles", (By.ID, "profile-count"))
    assert text_of(browser, By.ID, "profile-count") == "500"
    browser.find_element(By.ID, "q").send_keys("Kraków")
    submit_and_wait(browser, By.XPATH, "//button[text()='Search']", "Kraków")
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")]
    assert rows and all("Kraków" in row for row in rows[-5:])

    # A value with a space: the GET form sends it as "Smith,+Jr.", which must be read back as a space.
    search = browser.find_element(By.ID, "q")
    search.clear()
    search.send_keys("Smith, Jr.")
    submit_and_wait(browser, By.XPATH, "//button[text()='Search']", (By.ID, "q"))
    assert browser.find_element(By.ID, "q").get_attribute("value") == "Smith, Jr."
    rows = [row.text for row in browser.find_elements(By.XPATH, "(//main//table)[last()]/tbody/tr")]
    assert rows and all("Smith, Jr." in row for row in rows), rows

    submit_and_wait(browser, By.LINK_TEXT, "Segments", (By.LINK_TEXT, "New segment"))
    submit_and_wait(browser, By.LINK_TEXT, "New segment", (By.ID, "name"))
    browser.find_element(By.ID, "name").send_keys("Polish gold")
    Select(browser.find_element(By.NAME, "g0.c0.attribute")).select_by_value("country")
    Select(browser.find_element(By.NAME, "g0.c0.op")).select_by_value("equals")
    browser.find_element(By.NAME, "g0.c0.value").send_keys("PL")
    submit_and_wait(browser, By.XPATH, "//button[text()='Preview member count']", (By.ID, "preview"))
    # The editor added a blank condition under the first one: narrow the segment with it.
    Select(browser.find_element(By.NAME, "g0.c1.attribute")).select_by_value("tier")
    Select(browser.find_element(By.NAME, "g0.c1.op")).select_by_value("inList")
    browser.find_element(By.NAME, "g0.c1.value").send_keys("gold, platinum")
    submit_and_wait(browser, By.XPATH, "//button[text()='Preview member count']", (By.ID, "preview"))
    preview = text_of(browser, By.ID, "preview")
    submit_and_wait(browser, By.XPATH, "//button[text()='Save and refresh']", (By.ID, "member-count"))
    assert "The segment was saved and refreshed" in browser.page_source
    count = text_of(browser, By.ID, "member-count")
    assert preview.startswith(count + " profiles")
    shot(browser, "segment-saved")

    submit_and_wait(browser, By.LINK_TEXT, "Segments", (By.LINK_TEXT, "Polish gold"))
    row = text_of(browser, By.XPATH, "//tr[td/a[text()='Polish gold']]")
    assert count in row
