"""`outbound demo` as a newcomer meets it: a fresh data folder, the printed sign-in details, each role's pages, an
export run whose contacts arrive on the demo page, then a restart that finds everything as it was."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from conftest import OUTBOUND, free_port
from helpers import element, open_page, shot, sign_in, submit_and_wait, text_of, until, wait_for

DATA_PAGES = ["data/exports", "data/profiles", "data/segments", "demo/activecampaign"]
ADMIN_PAGES = ["admin/connections", "admin/members", "admin/system", "admin/activity"]


class Demo:
    """One `outbound demo` process on a data folder; started again on the same folder to restart it."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port, self.sandbox_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = None

    def start(self, name):
        self.log_path = os.path.join(self.data_dir, f"{name}.log")
        log = open(self.log_path, "w")
        self.process = subprocess.Popen([OUTBOUND, "demo", "--data-dir", os.path.join(self.data_dir, "demo"),
                                         "--port", str(self.port), "--sandbox-port", str(self.sandbox_port)],
                                        stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir)
        deadline = time.time() + 180   # a bound for a broken start, not a pace
        while time.time() < deadline and self.process.poll() is None:
            try:
                if urllib.request.urlopen(self.url + "/healthz", timeout=1).status == 200 and "Outbound demo:" in self.log():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("outbound demo did not start:\n" + self.log())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def accounts(self):
        """The sign-in details the demo printed: {role: (email, password)}."""
        found = re.findall(r"^\s+(\w+)\s+(\S+@demo\.example)\s+password: (\S+)$", self.log(), re.M)
        return {role: (email, password) for role, email, password in found}


@pytest.fixture
def demo():
    data_dir = tempfile.mkdtemp(prefix="outbound-demo-")
    running = Demo(data_dir)
    yield running
    if running.process and running.process.poll() is None:
        running.process.kill()
    shutil.rmtree(data_dir, ignore_errors=True)


def page(demo, path):
    return f"{demo.url}/t/demo/{path}"


def sign_out(browser):
    submit_and_wait(browser, By.CSS_SELECTOR, "form[action='/logout'] button", (By.ID, "email"))


def list_counts(browser, demo, list_id):
    open_page(browser, page(demo, "demo/activecampaign"), (By.ID, f"list-{list_id}"))
    return (text_of(browser, By.CSS_SELECTOR, f"#list-{list_id} .active-count"),
            text_of(browser, By.CSS_SELECTOR, "#contact-total"))


def test_a_newcomer_walks_through_the_demo_and_a_restart_keeps_it(demo, browser):
    demo.start("first")
    log = demo.log()
    assert "First start: creating the demo workspace" in log
    assert re.search(r"Generated 100,000 profiles \((\d+) with an invalid email, (\d+) sharing one\)", log)
    accounts = demo.accounts()
    assert set(accounts) == {"admin", "contributor", "viewer"}

    # The administrator sees every page, the sandbox connection among them, and nothing sent yet.
    sign_in(browser, demo.url, *accounts["admin"], (By.ID, "exports"))
    assert "VIP customers" in text_of(browser, By.ID, "exports") and "Newsletter" in text_of(browser, By.ID, "exports")
    for path in DATA_PAGES + ADMIN_PAGES:
        open_page(browser, page(demo, path), (By.TAG_NAME, "h1"))
        assert "Not allowed" not in browser.page_source and "Page not found" not in browser.page_source, path
    open_page(browser, page(demo, "admin/connections"), "ActiveCampaign (sandbox)")
    open_page(browser, page(demo, "data/profiles"), (By.ID, "profile-count"))
    assert text_of(browser, By.ID, "profile-count") == "100,000"
    open_page(browser, page(demo, "data/segments"), "VIP customers")
    assert "Newsletter subscribers" in browser.page_source and "Germany" in browser.page_source
    open_page(browser, page(demo, "admin/system"), (By.TAG_NAME, "h1"))
    assert "Daily" in browser.find_element(By.ID, "main").text
    assert list_counts(browser, demo, 3) == ("0", "0 contacts in the account.")
    # The pages behind the lists: an export's settings and its preview, a segment's editor, one profile, the
    # account page and Forget a person.
    open_page(browser, page(demo, "data/exports"), (By.ID, "exports"))
    submit_and_wait(browser, By.LINK_TEXT, "VIP customers", (By.ID, "preview"))
    submit_and_wait(browser, By.ID, "preview", (By.ID, "count-send"))
    assert int(text_of(browser, By.ID, "count-send").replace(",", "")) > 0
    open_page(browser, page(demo, "data/segments"), "VIP customers")
    submit_and_wait(browser, By.LINK_TEXT, "VIP customers", (By.TAG_NAME, "h1"))
    assert text_of(browser, By.TAG_NAME, "h1") == "Segment VIP customers"
    open_page(browser, page(demo, "data/profiles"), (By.ID, "profiles"))
    submit_and_wait(browser, By.CSS_SELECTOR, "#profiles tbody a", (By.TAG_NAME, "h1"))
    assert text_of(browser, By.TAG_NAME, "h1").startswith("Profile")
    open_page(browser, f"{demo.url}/account", (By.TAG_NAME, "h1"))
    open_page(browser, page(demo, "data/profiles/forget"), (By.ID, "forget"))
    assert "outside Outbound" in browser.page_source or "stay in ActiveCampaign" in browser.page_source
    for path in ("data/profiles/forget", "admin/system"):
        open_page(browser, page(demo, path), (By.TAG_NAME, "h1"))
        assert "Not allowed" not in browser.page_source and "Page not found" not in browser.page_source, path
    shot(browser, "demo-before")
    sign_out(browser)

    # The viewer reads every data page but may not administer or run.
    sign_in(browser, demo.url, *accounts["viewer"], (By.ID, "exports"))
    for path in DATA_PAGES:
        open_page(browser, page(demo, path), (By.TAG_NAME, "h1"))
        assert "Not allowed" not in browser.page_source, path
    open_page(browser, page(demo, "admin/members"), "Not allowed")
    open_page(browser, page(demo, "data/exports"), (By.ID, "exports"))
    submit_and_wait(browser, By.LINK_TEXT, "VIP customers", (By.TAG_NAME, "h1"))
    assert not browser.find_elements(By.ID, "run-now")
    sign_out(browser)

    # The contributor runs the small export on the shared sandbox connection and sees the contacts arrive.
    sign_in(browser, demo.url, *accounts["contributor"], (By.ID, "exports"))
    for path in DATA_PAGES:
        open_page(browser, page(demo, path), (By.TAG_NAME, "h1"))
        assert "Not allowed" not in browser.page_source, path
    open_page(browser, page(demo, "admin/connections"), "Not allowed")
    open_page(browser, page(demo, "data/exports"), (By.ID, "exports"))
    submit_and_wait(browser, By.LINK_TEXT, "VIP customers", (By.ID, "run-now"))
    submit_and_wait(browser, By.ID, "run-now", (By.ID, "run-status"))
    until(browser, lambda d: d.find_element(By.ID, "run-status").text == "Successful")
    progress = text_of(browser, By.ID, "run-progress-text")
    accepted = re.search(r"([\d,]+) of \1 contacts to send accepted", progress)
    assert accepted, progress
    run_url = browser.current_url
    shot(browser, "demo-run")
    submit_and_wait(browser, By.LINK_TEXT, "ActiveCampaign (demo)", (By.ID, "list-3"))
    until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#list-3 .active-count").text == accepted.group(1))
    assert "Completed" in text_of(browser, By.ID, "imports")
    sent = list_counts(browser, demo, 3)
    assert sent[0] == accepted.group(1)
    assert "No contact on this list yet." in text_of(browser, By.ID, "list-2")
    shot(browser, "demo-received")

    # Restart: the same people, the run, and ActiveCampaign's contacts are all still there; nothing is seeded again.
    demo.stop()
    first_accounts = accounts
    demo.start("second")
    assert "First start" not in demo.log()
    assert demo.accounts() == first_accounts
    browser.delete_all_cookies()
    sign_in(browser, demo.url, *accounts["contributor"], (By.ID, "exports"))
    assert "Successful" in text_of(browser, By.ID, "exports")
    open_page(browser, run_url, (By.ID, "run-status"))
    assert text_of(browser, By.ID, "run-status") == "Successful"
    assert list_counts(browser, demo, 3) == sent
    open_page(browser, page(demo, "data/profiles"), (By.ID, "profile-count"))
    assert text_of(browser, By.ID, "profile-count") == "100,000"
    demo.stop()
