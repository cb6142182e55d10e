"""Screenshots of Outbound's main pages for the README, taken from headless Chromium on a throwaway demo.

Starts `outbound demo` on free loopback ports with a temporary data folder, signs in as the demo's administrator in a
1280x900 window, walks the pages through the app's own links, runs the small export (VIP customers) and waits until
its run page says Successful, and writes one PNG per page to docs/screenshots/ (one line printed per file). The demo,
the browser and the temporary folder are removed at the end, also when a step fails (exit status 1, naming the step).
Run it through `scripts/screenshots`, which finds the binary and the Python environment.
"""
import argparse
import base64
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Browser"))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from helpers import click_and_wait, element, open_page, sign_in, submit_and_wait, text_of, until  # noqa: E402

SLUG = "demo"   # the demo's workspace, /t/demo
START_BOUND = 300   # seconds: a bound only a broken start reaches (the first start generates the profiles)
RUN_BOUND = 300     # seconds: the same for the export run
# The run page's statuses once a run stops moving (Queued and Processing are the others); the live page updates it.
ENDED = ("Successful", "Completed with errors", "Failed", "Canceled", "Skipped", "Needs confirmation")


class StepFailed(Exception):
    pass


class Demo:
    """`outbound demo` on a temporary data folder and two free loopback ports."""

    def __init__(self, binary, profiles):
        self.binary, self.profiles = binary, profiles
        self.folder = tempfile.mkdtemp(prefix="outbound-screenshots-")
        self.data_dir = os.path.join(self.folder, "demo")
        self.log_path = os.path.join(self.folder, "demo.log")
        self.process = None
        self.url = None

    def start(self):
        port, sandbox_port = free_port(), free_port()
        while sandbox_port == port:
            sandbox_port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        # Only the options given here: an OUTBOUND_* variable of the caller's shell must not move the demo elsewhere.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OUTBOUND_")}
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [self.binary, "demo", "--data-dir", self.data_dir, "--host", "127.0.0.1", "--port", str(port),
                 "--sandbox-port", str(sandbox_port), "--profiles", str(self.profiles)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
        deadline = time.time() + START_BOUND
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise StepFailed(f"outbound demo exited with status {self.process.returncode}:\n"
                                 f"{self.log() or '(it printed nothing)'}")
            try:
                if "Outbound demo:" in self.log() and \
                        urllib.request.urlopen(self.url + "/healthz", timeout=1).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise StepFailed(f"outbound demo did not start within {START_BOUND} s:\n{self.log()}")

    def admin(self):
        """The administrator's email and password, from demo-accounts.json in the data folder."""
        with open(os.path.join(self.data_dir, "demo-accounts.json"), encoding="utf-8") as f:
            accounts = json.load(f)
        for account in accounts:
            if account.get("role") == "admin":
                return account["email"], account["password"]
        raise StepFailed("demo-accounts.json names no admin")

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium:
        options.binary_location = chromium
    driver_path = shutil.which("chromedriver")
    service = Service(driver_path) if driver_path else Service()
    driver = webdriver.Chrome(service=service, options=options)
    # The page area itself 1280x900 (the window's own frame would take some of --window-size).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    return driver


def shown(path):
    """`path` relative to the working directory when it is inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def nav(driver, label, marker):
    """Follows the link `label` in the Admin/Data navigation and waits for `marker` on the next page."""
    link = element(driver, By.XPATH, f"//nav[@class='areas']//a[normalize-space()='{label}']")
    click_and_wait(driver, link, marker)


def check_page(driver, name):
    """Refuses to save a sign-in page or an error page as a screenshot of a real one."""
    if driver.find_elements(By.CSS_SELECTOR, "form[action='/login']"):
        raise StepFailed(f"{name}: the browser shows the sign-in page ({driver.current_url})")
    if driver.find_elements(By.XPATH, "//p[contains(., 'Go to the start page') and starts-with(normalize-space(), 'Error ')]"):
        raise StepFailed(f"{name}: the browser shows an error page: {text_of(driver, By.TAG_NAME, 'h1')} "
                         f"({driver.current_url})")


def main():
    parser = argparse.ArgumentParser(description="Screenshots of Outbound's main pages from headless Chromium.")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"), help="where the PNGs go")
    parser.add_argument("--profiles", type=int, default=20000, help="profiles the demo generates (default 20000)")
    parser.add_argument("--full-page", action="store_true", help="whole pages instead of the first 1280x900")
    parser.add_argument("--binary", default=os.environ.get("OUTBOUND_BIN", os.path.join(ROOT, ".build", "debug", "outbound")))
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"screenshots: {args.binary} is missing; build it with `swift build`")
    os.makedirs(args.out, exist_ok=True)

    # SIGTERM (and SIGHUP) end the script as Ctrl-C does, through the cleanup below.
    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    started = time.time()
    demo = Demo(args.binary, args.profiles)
    driver = None
    step = "start outbound demo"
    written = []

    def save(name, down_to=None):
        """Writes the page as <out>/<name>.png: the first 1280x900, or down to the element at the XPath `down_to`
        (a long page whose point is further down keeps its header in the picture; at most 1600 high)."""
        check_page(driver, name)
        path = os.path.join(args.out, name + ".png")
        if args.full_page or down_to:
            capture = {"format": "png", "captureBeyondViewport": True}
            if down_to and not args.full_page:
                bottom = driver.execute_script("return arguments[0].getBoundingClientRect().bottom + window.scrollY",
                                               element(driver, By.XPATH, down_to))
                capture["clip"] = {"x": 0, "y": 0, "width": 1280, "height": min(1600, max(900, math.ceil(bottom) + 1)),
                                   "scale": 1}
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", capture)
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        elif not driver.save_screenshot(path):
            raise StepFailed(f"could not write {path}")
        written.append(path)
        print(f"{shown(path)}  {os.path.getsize(path) // 1024} KiB  {driver.current_url}", flush=True)

    try:
        demo.start()
        step = "read the administrator's password"
        email, password = demo.admin()
        step = "start Chromium"
        driver = start_browser()
        step = "sign in"
        sign_in(driver, demo.url, email, password, (By.TAG_NAME, "h1"))
        element(driver, By.CSS_SELECTOR, "nav.areas")
        save("start")

        step = "Data > Profiles"
        nav(driver, "Profiles", (By.ID, "profile-count"))
        save("profiles", down_to="(//table[@id='profiles']//tbody/tr)[8]")

        step = "Data > Segments"
        nav(driver, "Segments", "VIP customers")
        save("segments")
        step = "the segment VIP customers"
        click_and_wait(driver, element(driver, By.LINK_TEXT, "VIP customers"), (By.TAG_NAME, "h1"))
        save("segment")

        step = "the export VIP customers"
        nav(driver, "Exports", (By.ID, "exports"))
        click_and_wait(driver, element(driver, By.LINK_TEXT, "VIP customers"), (By.ID, "run-now"))
        save("export")
        export_url = driver.current_url
        step = "Preview of VIP customers"
        submit_and_wait(driver, By.ID, "preview", (By.ID, "preview-contacts"))
        save("preview")

        step = "run VIP customers"
        open_page(driver, export_url, (By.ID, "run-now"))
        submit_and_wait(driver, By.ID, "run-now", (By.ID, "run-status"))
        until(driver, lambda d: d.find_element(By.ID, "run-status").text in ENDED, RUN_BOUND)
        status = text_of(driver, By.ID, "run-status")
        if status != "Successful":
            raise StepFailed(f"the run ended {status!r}: {text_of(driver, By.ID, 'run-progress')}")
        driver.refresh()   # the finished page as the server renders it, with counts and history
        until(driver, lambda d: d.find_element(By.ID, "run-status").text == "Successful"
              and d.find_element(By.ID, "run-history").is_displayed())
        save("run")

        step = "Data > Exports"
        nav(driver, "Exports", (By.ID, "exports"))
        until(driver, lambda d: "Successful" in d.find_element(By.ID, "exports").text)
        save("exports")

        step = "Data > ActiveCampaign (demo)"
        nav(driver, "ActiveCampaign (demo)", (By.ID, "contact-total"))
        until(driver, lambda d: not d.find_element(By.ID, "contact-total").text.startswith("0 "))
        save("demo-activecampaign", down_to="(//*[@id='list-3']//tbody/tr)[5]")

        step = "Admin > Connections"
        nav(driver, "Connections", "ActiveCampaign (sandbox)")
        save("connections")
        step = "Admin > System"
        nav(driver, "System", (By.ID, "main"))
        save("system")
        step = "Admin > Activity"
        nav(driver, "Activity", (By.TAG_NAME, "table"))
        save("activity")
    except KeyboardInterrupt as interrupt:
        print(f"screenshots: stopped ({interrupt or 'interrupted'}) during: {step}", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - every failure ends the same way: say which step, clean up, exit 1
        where = ""
        if driver is not None:
            try:
                where = f" (browser at {driver.current_url})"
            except Exception:  # noqa: BLE001
                pass
        message = str(error).strip() or type(error).__name__
        print(f"screenshots: failed during: {step}{where}\n  {type(error).__name__}: {message}", file=sys.stderr)
        if not isinstance(error, StepFailed) and demo.log():
            print("  last lines of the demo's log:\n    " + "\n    ".join(demo.log().splitlines()[-15:]),
                  file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        demo.stop()
    print(f"{len(written)} screenshots in {shown(args.out)} ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
