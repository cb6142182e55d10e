"""Fixtures for browser tests: a real `outbound serve` on a free loopback port, and headless Chromium."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTBOUND = os.environ.get("OUTBOUND_BIN", os.path.join(ROOT, ".build", "debug", "outbound"))
SANDBOX = os.environ.get("SANDBOX_BIN", os.path.join(ROOT, ".build", "debug", "activecampaign-sandbox"))
SANDBOX_KEY = "browser-test-key-4821"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir, port, process, log_path):
        self.data_dir, self.port, self.process, self.log_path = data_dir, port, process, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.sandbox_port = None
        self.extra_args = []   # more `serve` options (a test's pace, say)
        self.starts = 0

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def start(self):
        self.starts += 1
        log = open(self.log_path, "a")
        self.process = subprocess.Popen([OUTBOUND, "serve", "--port", str(self.port), "--data-dir", self.data_dir,
                                         "--allow-destination-host", f"127.0.0.1:{self.sandbox_port}", *self.extra_args],
                                        stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir)
        deadline = time.time() + 120   # a bound for a broken start, not a pace
        while time.time() < deadline:
            try:
                # Serving, and the start-up message (with a first start's password) printed after the bind.
                if urllib.request.urlopen(self.url + "/healthz", timeout=1).status == 200 and \
                        self.log().count(self.url + "/login") >= self.starts:
                    return
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("outbound serve did not start:\n" + self.log())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def cli(self, *args):
        """Runs an `outbound` command on this server's data folder, as an operator would beside it."""
        return subprocess.run([OUTBOUND, *args, "--data-dir", self.data_dir], capture_output=True, text=True)


def start_sandbox(*extra):
    """Starts the sandbox executable on a free loopback port; returns the process and its port."""
    process = subprocess.Popen([SANDBOX, "--port", "0", "--api-key", SANDBOX_KEY, "--list", "1:Newsletter", *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    match = re.search(r":(\d+)\s*$", line)
    if not match:
        process.kill()
        raise RuntimeError("sandbox did not start: " + line)
    return process, int(match.group(1))


@pytest.fixture
def sandbox():
    """The ActiveCampaign sandbox executable on a free loopback port."""
    process, port = start_sandbox()
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def serve_args():
    """More `outbound serve` options; a test module overrides this fixture (and `sandbox`) to pace its runs."""
    return []


@pytest.fixture
def server(sandbox, serve_args):
    data_dir = tempfile.mkdtemp(prefix="outbound-browser-")
    srv = Server(data_dir, free_port(), None, os.path.join(data_dir, "serve.log"))
    srv.sandbox_port = sandbox
    srv.extra_args = serve_args
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def first_start_credentials(srv):
    text = srv.log()
    email = re.search(r"Email:\s+(\S+)", text).group(1)
    password = re.search(r"One-time password:\s+(\S+)", text).group(1)
    return email, password


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    # No implicit wait: every step waits explicitly for the condition it needs (helpers.py).
    yield driver
    driver.quit()
