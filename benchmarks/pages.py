#!/usr/bin/env python3
"""Page benchmark (a benchmark, not a test): signed-in pages against the static file, on a release build.

Starts `outbound serve` (engine included) on a data dir prepared with the CLI (1,000,000 profiles from
`shared/tools/make_profiles.py 1000000 --seed 1`, three segments, a connection to the sandbox, an export, and
100,000 activity events written straight into the database: no command makes events in bulk), signs in as the
workspace's administrator, and runs `wrk` on each page and on `/app.css` in the same run and server. The data dir is
kept in `.build-bench/pages` and reused (preparing it takes minutes); delete it to prepare again.
Prints a Markdown section for BENCHMARKS.md. Needs `wrk` (Debian's package).
"""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from engine import Sandbox, free_port
from profiles import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("OUTBOUND_RELEASE_BIN", os.path.join(ROOT, ".build", "release", "outbound"))
MAKE = os.path.join(ROOT, "..", "shared", "tools", "make_profiles.py")
WORK = os.environ.get("BENCH_PAGES_DIR", os.path.join(ROOT, ".build-bench", "pages"))
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
EMAIL, PASSWORD = "ana@acme.test", "a long enough password"
PAGES = [
    ("Admin > Connections", "/t/acme/admin/connections"),
    ("Admin > Members", "/t/acme/admin/members"),
    ("Admin > Activity (100,000 events)", "/t/acme/admin/activity"),
    ("Data > Profiles (1,000,000 profiles)", "/t/acme/data/profiles"),
    ("Data > Segments", "/t/acme/data/segments"),
    ("Data > Exports", "/t/acme/data/exports"),
]
PROFILED = [PAGES[1], PAGES[3]]  # Admin > Members (the example) and Data > Profiles


def cli(data, *args, stdin=None, **variables):
    env = dict(os.environ, OUTBOUND_DATA_DIR=data, **variables)
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, check=True, env=env).stdout


def prepare(data):
    """The workspace, once: its marker file says it is complete."""
    marker = os.path.join(WORK, "ready")
    if os.path.exists(marker):
        return
    subprocess.run(["rm", "-rf", WORK], check=True)
    os.makedirs(WORK)
    csv = os.path.join(os.path.dirname(WORK), f"profiles-{ROWS}.csv")
    if not os.path.exists(csv):
        subprocess.run([sys.executable, MAKE, str(ROWS), "--seed", "1", "--out", csv], check=True, capture_output=True)
    cli(data, "tenant", "create", "--slug", "acme", "--name", "Acme")
    cli(data, "user", "create", "--email", EMAIL, "--tenant", "acme", "--role", "admin", stdin=PASSWORD + "\n")
    cli(data, "profiles", "import", "--tenant", "acme", csv)
    for name, condition in (("Germany", "country:equals:DE"), ("Gold", "tier:equals:gold"), ("Everyone with an email", "email:isNotEmpty")):
        cli(data, "segments", "create", "--tenant", "acme", "--name", name, "--condition", condition)
    sandbox = Sandbox()
    try:
        cli(data, "connections", "add", "--tenant", "acme", "--name", "Sandbox", "--host", sandbox.host,
            "--export-user", EMAIL, "--i-agree", stdin="bench-key\n", OUTBOUND_ALLOW_DESTINATION_HOST=sandbox.host)
    finally:
        sandbox.stop()
    cli(data, "exports", "create", "--tenant", "acme", "--name", "News", "--connection", "Sandbox", "--list", "1",
        "--segment", "Everyone with an email", "--email", "email")
    db = sqlite3.connect(os.path.join(data, "outbound.sqlite"))
    with db:
        db.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO activity (tenantId, actorUserId, actorEmail, action, detail, clientAddress, createdAt)
            SELECT (SELECT id FROM tenant WHERE slug = 'acme'), (SELECT id FROM user WHERE email = ?), ?,
                   'segment.refresh', 'Segment ' || i || ' refreshed', '127.0.0.1',
                   strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (? - i) || ' seconds')
            FROM n""", (EVENTS, EMAIL, EMAIL, EVENTS))
    db.close()
    open(marker, "w").close()


def wrk(port, path, cookie):
    """(requests/s, p50 ms, p99 ms) of `wrk --latency`, refusing a run with any non-2xx answer or socket error."""
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "30s", "--latency", "-H", f"Cookie: {cookie}",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{path}: {out}")

    def ms(label):
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, ms("50"), ms("99")


# Buckets of the server's CPU samples: a sample counts in each bucket one of whose frames it passes through.
BUCKETS = [
    ("Mustache rendering (all of it)", ("Mustache",)),
    ("Mirror reflection", ("Mirror", "swift_reflectionMirror", "_getChild")),
    ("dynamic casts and conformance look-ups", ("swift_dynamicCast", "swift_conformsToProtocol")),
    ("GRDB and SQLite", ("GRDB", "sqlite3")),
    ("NIO and Hummingbird's HTTP server", ("NIO", "HummingbirdCore")),
    ("kernel (sockets, scheduling)", ("[kernel.kallsyms]",)),
]


def profile(pid, port, path, cookie):
    """Samples the server with `perf` while `wrk` loads one page: bucket shares and the top functions by self time."""
    data = os.path.join(WORK, "perf.data")
    recorder = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    wrk(port, path, cookie)
    recorder.send_signal(signal.SIGINT)
    recorder.wait()
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True).stdout
    script = subprocess.run(["swift", "demangle", "--simplified"], input=script, capture_output=True, text=True).stdout
    samples = [block.splitlines()[1:] for block in script.split("\n\n") if block.strip()]
    total = len(samples) or 1
    shares = [(name, sum(any(key in frame for frame in frames for key in keys) for frames in samples) / total)
              for name, keys in BUCKETS]
    tops = {}
    for frames in samples:
        if frames:
            symbol = re.sub(r"^\s*[0-9a-f]+ ", "", frames[0]).rsplit(" (", 1)[0]
            symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
            tops[symbol] = tops.get(symbol, 0) + 1
    top = sorted(tops.items(), key=lambda item: -item[1])[:10]
    return total, shares, [(symbol[:110], count / total) for symbol, count in top]


def page_ids(data):
    """(export id, id of its newest run) from the database."""
    db = sqlite3.connect(os.path.join(data, "outbound.sqlite"))
    export_id = db.execute("SELECT id FROM export WHERE name = 'News'").fetchone()[0]
    run = db.execute("SELECT id FROM exportRun WHERE exportId = ? ORDER BY id DESC LIMIT 1", (export_id,)).fetchone()
    db.close()
    return export_id, run[0] if run else None


def run_state(data, run_id):
    db = sqlite3.connect(os.path.join(data, "outbound.sqlite"))
    state, accepted = db.execute("SELECT state, accepted FROM exportRun WHERE id = ?", (run_id,)).fetchone()
    db.close()
    return state, accepted


def twins(client, public, pages):
    """For each page, a static file of the same size in the server's public folder: the yardstick the issue asks
    for (a page is compared with serving the same number of bytes from disk)."""
    result = []
    for index, (name, path) in enumerate(pages):
        status, _, html = client.request("GET", path)
        assert status == 200 and "Sign out" in html, (path, status)
        size = len(html.encode())
        twin = f"/bench-twin-{index}.html"
        with open(os.path.join(public, twin.lstrip("/")), "w") as out:
            out.write("x" * size)
        result.append((name, path, twin, size))
    return result


def measure(port, cookie, pages):
    """wrk on each page and on its static twin, one after the other."""
    return [(name, size, wrk(port, path, cookie), wrk(port, twin, cookie)) for name, path, twin, size in pages]


def table(rows):
    lines = ["| page | size | requests/s | static twin requests/s | × twin | p50 ms | p99 ms | twin p99 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, size, (rate, p50, p99), (twin_rate, _, twin_p99) in rows:
        latency = f"{p50:.2f} | {p99:.2f}" if p99 > 0 else f"none finished in {SECONDS} s | –"
        lines.append(f"| {name} | {size / 1024:.1f} KiB | {rate:,.0f} | {twin_rate:,.0f} | {rate / max(twin_rate, 1):.2f} | {latency} | {twin_p99:.2f} |")
    return lines


def main():
    data = os.path.join(WORK, "data")
    prepare(data)
    public = os.path.join(WORK, "public")
    shutil.rmtree(public, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "Public"), public)
    # The engine runs in the server (as `outbound serve` does by default) against a sandbox that answers at once and
    # without pacing: the heaviest load an export puts on the database.
    sandbox = Sandbox("--discard", "--time-scale", "1000")
    port = free_port()
    env = dict(os.environ, OUTBOUND_DATA_DIR=data, OUTBOUND_ALLOW_DESTINATION_HOST=sandbox.host)
    db = sqlite3.connect(os.path.join(data, "outbound.sqlite"))
    with db:
        db.execute("UPDATE connection SET apiHost = ?", (sandbox.host,))
    db.close()
    # A run an interrupted measurement left active would make the next one "Skipped": cancel it first.
    db = sqlite3.connect(os.path.join(data, "outbound.sqlite"))
    active = [row[0] for row in db.execute("SELECT id FROM exportRun WHERE state IN ('queued', 'running', 'needs_confirmation')")]
    db.close()
    for run_id in active:
        cli(data, "runs", "cancel", "--tenant", "acme", str(run_id))
    # An earlier run for the run page while idle: queued, then canceled (no engine is serving yet).
    cli(data, "exports", "run", "--tenant", "acme", "--export", "News", OUTBOUND_ALLOW_DESTINATION_HOST=sandbox.host)
    export_id, idle_run = page_ids(data)
    cli(data, "runs", "cancel", "--tenant", "acme", str(idle_run))
    log_path = os.path.join(WORK, "server.log")
    log = open(log_path, "w")
    server = subprocess.Popen([BIN, "serve", "--port", str(port), "--public-dir", public, "--pace-scale", "1000"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        client = Client(port)
        for _ in range(100):
            try:
                client.sign_in(EMAIL, PASSWORD)
                break
            except (ConnectionError, OSError):
                time.sleep(0.1)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        idle_pages = twins(client, public, PAGES + [("A run's page", f"/t/acme/data/exports/{export_id}/runs/{idle_run}")])
        wrk(port, "/app.css", cookie)  # warm-up
        idle = measure(port, cookie, idle_pages)
        profiled = [(name, profile(server.pid, port, path, cookie)) for name, path in PROFILED] if shutil.which("perf") else []

        # While a 1,000,000-profile export runs: queue it, wait until the engine works on it, measure, check it still ran.
        cli(data, "exports", "run", "--tenant", "acme", "--export", "News", "--full", OUTBOUND_ALLOW_DESTINATION_HOST=sandbox.host)
        _, busy_run = page_ids(data)
        for _ in range(600):
            if run_state(data, busy_run)[0] == "running":
                break
            time.sleep(0.1)
        busy_pages = twins(client, public, PAGES + [("The running run's page", f"/t/acme/data/exports/{export_id}/runs/{busy_run}")])
        busy = measure(port, cookie, busy_pages)
        state_after, accepted_after = run_state(data, busy_run)
    finally:
        server.terminate()
        server.wait()
        sandbox.stop()
        log.close()
        _, last = page_ids(data)
        if last and run_state(data, last)[0] in ("queued", "running"):
            cli(data, "runs", "cancel", "--tenant", "acme", str(last))  # the export stopped with the server
    locked = sum("database is locked" in line for line in open(log_path))

    lines = ["## Pages", "",
             f"`wrk -t2 -c{CONNECTIONS} -d{SECONDS}s --timeout 30s --latency` against one release `outbound serve` (web app and "
             "engine in one process), signed in as the workspace's administrator. Each page is measured beside a static "
             "file of exactly its size served by the same server, right after it. The workspace: "
             f"{ROWS:,} profiles, three segments, one connection, one export of every profile with an email, "
             f"{EVENTS:,} activity events. Reproduce with `python3 benchmarks/pages.py` (release build; reuses `.build-bench/pages`).",
             "", "### Idle", ""]
    lines += table(idle)
    lines += ["", f"### While the engine exports {ROWS:,} profiles", "",
              f"The export runs in the same process against the sandbox with no pacing (`--pace-scale 1000`, sandbox "
              f"`--time-scale 1000`): the heaviest write load an export makes. The run was `{state_after}` with "
              f"{accepted_after:,} contacts accepted when the measurement ended; the server logged “database is locked” "
              f"{locked} times.", ""]
    lines += table(busy)
    for name, (samples, shares, top) in profiled:
        lines += ["", f"Where the server's CPU goes (idle) on {name} (`perf record -F 499 -g`, {samples:,} samples; a "
                  "sample counts in each group one of whose frames it passes through):", "",
                  "| group | share of samples |", "| --- | ---: |"]
        lines += [f"| {group} | {share:.0%} |" for group, share in shares]
        lines += ["", "| function (self time) | share |", "| --- | ---: |"]
        lines += [f"| `{symbol}` | {share:.1%} |" for symbol, share in top]
    print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
