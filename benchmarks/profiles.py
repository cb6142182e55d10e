#!/usr/bin/env python3
"""Profiles benchmark (a benchmark, not a test): the goals of the profiles issue on this machine.

With the file from `shared/tools/make_profiles.py 1000000 --seed 1`:
  1. `sqlite3 .import` of the file into a fresh database (the yardstick), and `outbound profiles import` (release
     build) of the same file in the same run: wall time and peak memory; the import again with a quarter of the
     file, to show memory does not grow with the file;
  2. segment refreshes over the million (`outbound segments create`, which refreshes at once);
  3. a web upload of the file to a running `outbound serve`, imported as a job, while a second client requests a
     signed-in page in a loop: the page's latency percentiles during the import.
Prints a Markdown section for BENCHMARKS.md.
"""
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("OUTBOUND_RELEASE_BIN", os.path.join(ROOT, ".build", "release", "outbound"))
MAKE = os.path.join(ROOT, "..", "shared", "tools", "make_profiles.py")
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def timed(cmd, **kw):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {out.stdout}\n{out.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1)) / 1024
    return seconds, rss, out.stdout


def outbound(data_dir, *args, stdin=None):
    return subprocess.run([BIN, *args, "--data-dir", data_dir], input=stdin, capture_output=True, text=True, check=True).stdout


class Client:
    """A signed-in browser, with http.client and a cookie jar of one session."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]
        conn.close()
        return response.status, response.headers, data.decode("utf-8", "replace")

    def sign_in(self, email, password):
        _, _, html = self.request("GET", "/login")
        token = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode({"email": email, "password": password, "_csrf": token})
        status, _, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, status


def upload(client, path, token):
    """Streams the file as a multipart upload, as a browser does."""
    boundary = "----outboundbench"
    # The CSRF token is the form's first part, as the page's form sends it (never in the URL).
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"profiles.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head) + os.path.getsize(path) + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=600)
    conn.putrequest("POST", "/t/acme/data/profiles/import")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(size))
    conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in client.cookies.items()))
    conn.endheaders()
    conn.send(head)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            conn.send(chunk)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    return response.status, response.getheader("Location")


def main():
    work = tempfile.mkdtemp(prefix="outbound-bench-")
    csv_path = os.path.join(work, "profiles.csv")
    subprocess.run([sys.executable, MAKE, str(ROWS), "--seed", "1", "--out", csv_path], check=True, capture_output=True)
    quarter = os.path.join(work, "quarter.csv")
    with open(csv_path, "rb") as src, open(quarter, "wb") as dst:
        for index, line in enumerate(src):
            if index > ROWS // 4:
                break
            dst.write(line)
    size_mb = os.path.getsize(csv_path) / 1e6

    sqlite_s, sqlite_rss, _ = timed(["sqlite3", os.path.join(work, "yardstick.db"), f".import --csv {csv_path} profiles"])

    data = os.path.join(work, "cli")
    outbound(data, "tenant", "create", "--slug", "acme", "--name", "Acme")
    import_s, import_rss, import_out = timed([BIN, "profiles", "import", "--data-dir", data, "--tenant", "acme", csv_path])
    small = os.path.join(work, "cli-quarter")
    outbound(small, "tenant", "create", "--slug", "acme", "--name", "Acme")
    quarter_s, quarter_rss, _ = timed([BIN, "profiles", "import", "--data-dir", small, "--tenant", "acme", quarter])

    refreshes = []
    for name, conditions in (("Germany, gold or platinum", ["country:equals:DE", "tier:inList:gold,platinum"]),
                             ("Subscribers worth over 500", ["is_subscriber:equals:true", "lifetime_value:greaterThan:500"]),
                             ("Everyone with an email", ["email:isNotEmpty"])):
        args = ["segments", "create", "--tenant", "acme", "--name", name]
        for condition in conditions:
            args += ["--condition", condition]
        out = outbound(data, *args)
        members, seconds = re.search(r": (\d+) members \(refreshed in ([\d.]+) s\)", out).groups()
        refreshes.append((name, int(members), float(seconds)))
    out = outbound(data, "segments", "refresh", "--tenant", "acme")
    again = {m.group(1): float(m.group(3)) for m in re.finditer(r"^(.*): (\d+) members in ([\d.]+) s\.$", out, re.M)}

    # The web path: upload to a running server while another client loads a signed-in page.
    web = os.path.join(work, "web")
    outbound(web, "tenant", "create", "--slug", "acme", "--name", "Acme")
    outbound(web, "user", "create", "--email", "bench@example.com", "--tenant", "acme", "--role", "admin",
             stdin="a long benchmark password\n")
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([BIN, "serve", "--data-dir", web, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        uploader, reader = Client(port), Client(port)
        uploader.sign_in("bench@example.com", "a long benchmark password")
        reader.sign_in("bench@example.com", "a long benchmark password")
        _, _, account = uploader.request("GET", "/account")
        token = re.search(r'name="_csrf" value="([^"]+)"', account).group(1)
        latencies, done = [], threading.Event()

        def load_page():
            while not done.is_set():
                started = time.perf_counter()
                status, _, _ = reader.request("GET", "/t/acme/data/segments")
                latencies.append((time.perf_counter() - started) * 1000)
                assert status == 200, status
                time.sleep(0.02)

        thread = threading.Thread(target=load_page)
        thread.start()
        started = time.perf_counter()
        status, location = upload(uploader, csv_path, token)
        assert status == 303, status
        uploaded = time.perf_counter() - started
        while True:
            _, _, page = uploader.request("GET", location)
            if 'http-equiv="refresh"' not in page:
                break
            time.sleep(0.25)
        web_s = time.perf_counter() - started
        done.set()
        thread.join()
        imported = re.search(r'id="rows-imported">([\d,]+)<', page).group(1)
    finally:
        server.terminate()
        server.wait()

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    lines = [
        "## Profiles and segments", "",
        f"`benchmarks/profiles.py` with `make_profiles.py {ROWS} --seed 1` ({size_mb:.0f} MB, {ROWS:,} rows, 11 columns), "
        "release build, one run on this machine.", "",
        "| what | time | peak memory | goal |", "|---|---|---|---|",
        f"| `sqlite3 .import` of the file (yardstick) | {sqlite_s:.1f} s | {sqlite_rss:.0f} MiB | |",
        f"| `outbound profiles import` of the file | {import_s:.1f} s ({import_s / sqlite_s:.1f}× sqlite3) | {import_rss:.0f} MiB | ≤ 3× sqlite3 and ≤ 20 s |",
        f"| the same import of a quarter of the file | {quarter_s:.1f} s | {quarter_rss:.0f} MiB | memory flat in the file's size |",
    ]
    for name, members, seconds in refreshes:
        lines.append(f"| create + refresh “{name}” ({members:,} members) | {seconds:.2f} s | | ≤ 3 s |")
    for name, seconds in again.items():
        lines.append(f"| refresh again “{name}” (new generation, old one cleared) | {seconds:.2f} s | | ≤ 3 s |")
    lines += [
        f"| web upload and import job of the file ({imported} rows) | {web_s:.1f} s (upload {uploaded:.1f} s) | | |",
        f"| signed-in page (`/t/acme/data/segments`) during that import: {len(latencies)} requests | "
        f"p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms | | p99 < 100 ms |",
        "", f"CLI import output: `{import_out.strip().splitlines()[0]}`", "",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
