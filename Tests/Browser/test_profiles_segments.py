"""An admin imports a CSV of profiles in the browser, browses them, and builds a segment with the rule editor."""
import os
import subprocess
import sys
import tempfile

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ROOT, first_start_credentials
from helpers import change_one_time_password, click_and_wait, shot, sign_in, wait_for


def test_import_browse_and_segment(server, browser):
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time)
    change_one_time_password(browser, one_time, "a long password of my own")

    csv_path = os.path.join(tempfile.mkdtemp(), "profiles.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "make_profiles.py"), "500", "--seed", "3",
                    "--out", csv_path], check=True, capture_output=True)

    browser.get(server.url + "/t/main/data/profiles")
    browser.find_element(By.ID, "file").send_keys(csv_path)
    browser.find_element(By.XPATH, "//button[text()='Import']").click()
    wait_for(browser, "Import of profiles.csv")
    # The job page refreshes itself until the import ends.
    WebDriverWait(browser, 30).until(lambda d: 'http-equiv="refresh"' not in d.page_source)
    shot(browser, "import-done")
    assert browser.find_element(By.ID, "import-status").text == "Imported", browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.ID, "rows-imported").text == "500"

    browser.find_element(By.LINK_TEXT, "Back to profiles").click()
    assert browser.find_element(By.ID, "profile-count").text == "500"
    browser.find_element(By.ID, "q").send_keys("Kraków")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Search']"), "Kraków")
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert rows and all("Kraków" in row.text for row in rows[-5:])

    browser.find_element(By.LINK_TEXT, "Segments").click()
    browser.find_element(By.LINK_TEXT, "New segment").click()
    browser.find_element(By.ID, "name").send_keys("Polish gold")
    Select(browser.find_element(By.NAME, "g0.c0.attribute")).select_by_value("country")
    Select(browser.find_element(By.NAME, "g0.c0.op")).select_by_value("equals")
    browser.find_element(By.NAME, "g0.c0.value").send_keys("PL")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Preview member count']"), "profiles match these rules now")
    # The editor added a blank condition under the first one: narrow the segment with it.
    Select(browser.find_element(By.NAME, "g0.c1.attribute")).select_by_value("tier")
    Select(browser.find_element(By.NAME, "g0.c1.op")).select_by_value("inList")
    browser.find_element(By.NAME, "g0.c1.value").send_keys("gold, platinum")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Preview member count']"), "profiles match these rules now")
    preview = browser.find_element(By.ID, "preview").text
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Save and refresh']"), "The segment was saved and refreshed")
    count = browser.find_element(By.ID, "member-count").text
    assert preview.startswith(count + " profiles")
    shot(browser, "segment-saved")

    browser.find_element(By.LINK_TEXT, "Segments").click()
    row = browser.find_element(By.XPATH, "//tr[td/a[text()='Polish gold']]").text
    assert count in row
