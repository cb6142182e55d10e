"""Data > Exports in a real browser: an admin shares a connection with contributors; a contributor creates an export
of a segment choosing the list from the picker, previews it, runs it, watches the live progress reach Successful,
downloads the invalid rows as CSV and finds the contacts on the sandbox's list; a viewer sees the export read-only;
the contributor removes it. The sandbox and the engine run 50 times faster than ActiveCampaign's limits."""
import json
import os
import subprocess
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from conftest import OUTBOUND, SANDBOX_KEY, first_start_credentials, start_sandbox
from helpers import add_connection, change_one_time_password, element, open_page, shot, sign_in, submit_and_wait, text_of, until

CONTRIBUTOR = ("bo@example.com", "contributor password 1")
VIEWER = ("vi@example.com", "viewer password 12345")
PROFILES = """profile_id,email,first_name,last_name,country
p1,ana@example.com,Ana,Alpha,DE
p2,bo@example.org,Bo,Beta,DE
p3,cy@example.com,Cy,Gamma,DE
p4,di@example.com,Di,Delta,DE
p5,"=HYPERLINK(""http://x"")",Evil,Formula,DE
p6,,No,Email,DE
p7,fr@example.com,Fr,Other,FR
"""
VALID = {"ana@example.com", "bo@example.org", "cy@example.com", "di@example.com"}


@pytest.fixture
def sandbox():
    """This module's sandbox: ActiveCampaign's limits and times divided by 50, a second list, and imports that
    report "not ready" for 2 s, so a run lasts long enough to be watched."""
    process, port = start_sandbox("--time-scale", "50", "--list", "2:Customers", "--import-info-delay", "100")
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def serve_args():
    return ["--pace-scale", "50"]


def operator(server, *args, password=None):
    """An `outbound` command beside the server, as an operator would run it (a password goes on stdin)."""
    done = subprocess.run([OUTBOUND, *args, "--data-dir", server.data_dir], input=password and password + "\n",
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sign_out(driver):
    submit_and_wait(driver, By.XPATH, "//button[normalize-space()='Sign out']", (By.ID, "email"))


def download(driver, url):
    """Fetches `url` with the browser's session, as the browser's download would."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Type"), response.read().decode("utf-8")


def list_members(server, list_id):
    request = urllib.request.Request(f"http://127.0.0.1:{server.sandbox_port}/__sandbox/lists/{list_id}/contacts",
                                     headers={"Api-Token": SANDBOX_KEY})
    with urllib.request.urlopen(request, timeout=30) as response:
        return {c["email"]: c["status"] for c in json.load(response)["contacts"]}


def test_a_contributor_exports_a_segment_and_a_viewer_sees_it_read_only(server, browser, tmp_path):
    # The workspace's data and people, set up by an operator.
    csv = tmp_path / "profiles.csv"
    csv.write_text(PROFILES)
    operator(server, "profiles", "import", "--tenant", "main", str(csv))
    operator(server, "segments", "create", "--tenant", "main", "--name", "Germany", "--condition", "country:equals:DE")
    operator(server, "user", "create", "--email", CONTRIBUTOR[0], "--tenant", "main", "--role", "contributor",
             password=CONTRIBUTOR[1])
    operator(server, "user", "create", "--email", VIEWER[0], "--tenant", "main", "--role", "viewer", password=VIEWER[1])

    # The admin adds a connection that contributors may use.
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time, "Your account")
    change_one_time_password(browser, one_time, "a long password of my own")
    add_connection(browser, server.url, f"127.0.0.1:{server.sandbox_port}", SANDBOX_KEY, "Marketing account", contributors=True)
    assert "Administrators and contributors" in text_of(browser, By.XPATH, "//tr[td/a[text()='Marketing account']]")
    sign_out(browser)

    # The contributor creates an export, choosing the list from the picker (read through the connection).
    sign_in(browser, server.url, *CONTRIBUTOR, (By.LINK_TEXT, "Exports"))
    open_page(browser, server.url + "/t/main/data/exports", (By.ID, "empty"))
    assert "You have one." in text_of(browser, By.ID, "empty")
    submit_and_wait(browser, By.ID, "add-destination", (By.ID, "listId"))
    assert "Marketing account" in element(browser, By.CSS_SELECTOR, "#connection option[selected]").text
    browser.find_element(By.ID, "name").send_keys("Newsletter DE")
    browser.find_element(By.XPATH, "//select[@id='listId']/option[normalize-space()='Customers (id 2)']").click()
    browser.find_element(By.XPATH, "//label[contains(., 'Germany')]/input[@type='checkbox']").click()
    assert browser.find_element(By.CSS_SELECTOR, "#email option[selected]").text == "email"
    browser.find_element(By.CSS_SELECTOR, "#addField option[value='firstName']").click()
    submit_and_wait(browser, By.XPATH, "//button[normalize-space()='Add attribute']", (By.ID, "firstName"))
    browser.find_element(By.XPATH, "//select[@id='firstName']/option[normalize-space()='first_name']").click()
    shot(browser, "export-form")
    submit_and_wait(browser, By.ID, "save", (By.ID, "when-it-runs"))
    assert "The export was saved." in text_of(browser, By.ID, "notice")
    assert "Saving did not run it." in text_of(browser, By.ID, "when-it-runs")
    assert "Sends to the list Customers." in text_of(browser, By.ID, "list-name")

    # Preview: a dry run that sends nothing.
    submit_and_wait(browser, By.ID, "preview", (By.ID, "preview-counts"))
    assert text_of(browser, By.ID, "count-members") == "6"
    assert text_of(browser, By.ID, "count-valid") == "4"
    assert text_of(browser, By.ID, "count-invalid") == "2"
    assert text_of(browser, By.ID, "count-send") == "4"
    assert "ana@example.com Ana" in text_of(browser, By.ID, "preview-contacts")
    assert "takes about" in text_of(browser, By.ID, "duration")
    shot(browser, "export-preview")
    assert list_members(server, 2) == {}

    # Run now, and watch the progress update in place (the page is never reloaded) until Successful.
    submit_and_wait(browser, By.ID, "run-now", (By.ID, "run-status"))
    assert element(browser, By.ID, "run-progress").get_attribute("data-active") == "true"
    page = browser.find_element(By.TAG_NAME, "html")
    until(browser, lambda d: d.find_element(By.ID, "run-status").text == "Successful")
    assert page.is_enabled()  # the same document: the script updated it
    assert "4 of 4 contacts to send accepted" in text_of(browser, By.ID, "run-progress-text")
    assert not browser.find_element(By.ID, "cancel-run").is_displayed()
    # Its timings, counts and rows arrive in place too, still without a reload.
    until(browser, lambda d: d.find_elements(By.ID, "invalid-rows"))
    assert page.is_enabled()
    assert "No email address" in text_of(browser, By.ID, "invalid-rows")
    assert "Not yet" not in text_of(browser, By.ID, "run-facts")
    shot(browser, "export-run")
    content_type, rows = download(browser, element(browser, By.ID, "invalid-csv").get_attribute("href"))
    assert content_type.startswith("text/csv")
    assert rows.splitlines() == ["profile_id,email,reason", "p5,\"'=HYPERLINK(\"\"http://x\"\")\",Not a valid email address",
                                 "p6,,No email address"]
    assert list_members(server, 2) == {e: 1 for e in VALID}
    sign_out(browser)

    # A viewer sees the export and its runs, and can change nothing.
    sign_in(browser, server.url, *VIEWER, (By.LINK_TEXT, "Exports"))
    open_page(browser, server.url + "/t/main/data/exports", (By.ID, "exports"))
    row = text_of(browser, By.XPATH, "//tr[td/a[text()='Newsletter DE']]")
    assert "Successful" in row and "View" in row
    assert not browser.find_elements(By.ID, "add-destination")
    assert not browser.find_elements(By.XPATH, "//button[normalize-space()='Run']")
    assert not browser.find_elements(By.LINK_TEXT, "Remove")
    submit_and_wait(browser, By.LINK_TEXT, "Newsletter DE", (By.ID, "read-only"))
    assert "viewers cannot change exports" in text_of(browser, By.ID, "read-only")
    assert not browser.find_element(By.ID, "name").is_enabled()
    assert not browser.find_elements(By.ID, "save")
    shot(browser, "export-viewer")
    sign_out(browser)

    # The contributor removes it: what was sent stays in ActiveCampaign.
    sign_in(browser, server.url, *CONTRIBUTOR, (By.LINK_TEXT, "Exports"))
    open_page(browser, server.url + "/t/main/data/exports", (By.ID, "exports"))
    submit_and_wait(browser, By.LINK_TEXT, "Remove", (By.ID, "remove-export"))
    assert "Contacts already sent stay in ActiveCampaign" in browser.page_source
    submit_and_wait(browser, By.ID, "remove-export", (By.ID, "empty"))
    assert "The export was removed." in text_of(browser, By.ID, "notice")
    assert list_members(server, 2) == {e: 1 for e in VALID}
    assert SANDBOX_KEY not in server.log()
