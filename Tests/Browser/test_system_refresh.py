"""An administrator sets a daily system refresh on Admin > System, sees the next refresh in the workspace's time
zone, presses Refresh now, and sees that segments were refreshed and the export on System refresh was queued; the
engine inside `outbound serve` then delivers it to the sandbox's list."""
import json
import os
import subprocess
import urllib.request

from selenium.webdriver.common.by import By

from conftest import OUTBOUND, SANDBOX_KEY, first_start_credentials
from helpers import change_one_time_password, sign_in, shot, submit_and_wait, text_of, until


def list_emails(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__sandbox/lists/1/contacts", timeout=30) as response:
        return sorted(contact["email"] for contact in json.loads(response.read())["contacts"])


def prepare_workspace(server):
    """Profiles, a segment, a connection to the sandbox and an export on System refresh, made with the CLI beside the
    running server as an operator would. Four profiles arrive after the segment's last refresh: only a refresh makes
    them members."""
    host = f"127.0.0.1:{server.sandbox_port}"

    def cli(*args, stdin=None):
        done = subprocess.run([OUTBOUND, *args, "--data-dir", server.data_dir], input=stdin, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    def import_profiles(name, rows):
        path = os.path.join(server.data_dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("profile_id,email,country\n" + "".join(f"{row}\n" for row in rows))
        cli("profiles", "import", "--tenant", "main", path)

    email, _ = first_start_credentials(server)
    import_profiles("first.csv", ["p1,person1@example.com,DE", "p6,elsewhere@example.com,FR"])
    cli("segments", "create", "--tenant", "main", "--name", "In Germany", "--condition", "country:equals:DE")
    import_profiles("later.csv", [f"p{i},person{i}@example.com,DE" for i in range(2, 6)])
    cli("connections", "add", "--tenant", "main", "--name", "Sandbox", "--host", host, "--export-user", email,
        "--i-agree", "--allow-destination-host", host, stdin=SANDBOX_KEY + "\n")
    cli("exports", "create", "--tenant", "main", "--name", "Newsletter", "--connection", "Sandbox", "--list", "1",
        "--segment", "In Germany", "--email", "email")


def test_admin_sets_a_daily_refresh_and_presses_refresh_now(server, browser):
    prepare_workspace(server)
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time, "Your account")
    change_one_time_password(browser, one_time, "a long password of my own")

    submit_and_wait(browser, By.LINK_TEXT, "Outbound", (By.LINK_TEXT, "System"))
    submit_and_wait(browser, By.LINK_TEXT, "System", (By.ID, "save-schedule"))
    assert "No refresh is scheduled." in text_of(browser, By.ID, "next-refresh")
    assert "No system refresh has run yet." in text_of(browser, By.ID, "last-refresh")

    # A mistake first: the error stands beside its field and what was typed stays.
    browser.find_element(By.ID, "frequency-daily").click()
    browser.find_element(By.ID, "time1").send_keys("6.30")
    time_zone = browser.find_element(By.ID, "timeZone")
    time_zone.clear()
    time_zone.send_keys("Europe/Berlin")
    submit_and_wait(browser, By.ID, "save-schedule", (By.ID, "time1-error"))
    assert "Enter a 24-hour time like 06:30." in text_of(browser, By.ID, "time1-error")
    assert browser.find_element(By.ID, "time1").get_attribute("value") == "6.30"

    time1 = browser.find_element(By.ID, "time1")
    time1.clear()
    time1.send_keys("06:30")
    submit_and_wait(browser, By.ID, "save-schedule", (By.ID, "notice"))
    assert "The schedule was saved." in text_of(browser, By.ID, "notice")
    next_refresh = text_of(browser, By.ID, "next-refresh")
    assert "06:30 Europe/Berlin" in next_refresh and "UTC" in next_refresh, next_refresh
    assert browser.find_element(By.ID, "frequency-daily").is_selected()
    shot(browser, "system-saved")

    submit_and_wait(browser, By.ID, "refresh-now", "The system refresh ran.")
    last = text_of(browser, By.ID, "last-refresh")
    assert "Refreshed 1 segment; queued 1 export." in last, last
    assert text_of(browser, By.ID, "next-refresh") == next_refresh  # Refresh now leaves the schedule alone
    shot(browser, "system-refreshed")

    # The engine in `outbound serve` sends what the refresh queued: the segment's five members, not the one in FR.
    until(browser, lambda _: len(list_emails(server.sandbox_port)) == 5)
    assert list_emails(server.sandbox_port) == [f"person{i}@example.com" for i in range(1, 6)]

    submit_and_wait(browser, By.LINK_TEXT, "Activity", (By.TAG_NAME, "table"))
    activity = text_of(browser, By.TAG_NAME, "table")
    assert "Refresh now: Refreshed 1 segment; queued 1 export." in activity
    assert "Set the system refresh to Daily at 06:30 (Europe/Berlin)" in activity
