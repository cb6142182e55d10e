#!/usr/bin/env python3
"""Request-rate benchmark of the ActiveCampaign sandbox (a benchmark, not a test).

Starts `activecampaign-sandbox` with its limits lifted (--time-scale 1000, --requests-per-second 1000000) and
measures, with and without --discard, for a fixed number of requests over 8 keep-alive connections:
  - GET /api/3/users/me (the cheapest authenticated call)
  - POST /api/3/import/bulk_import with 250 realistic contacts from shared/tools/make_profiles.py
Prints a Markdown section; `scripts/bench` writes it into BENCHMARKS.md.
"""
import csv
import http.client
import io
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SANDBOX_BIN", os.path.join(ROOT, ".build", "debug", "activecampaign-sandbox"))
PROFILES = os.path.join(ROOT, "..", "shared", "tools", "make_profiles.py")
KEY = "bench-key"
VALID = re.compile(r'^[^@\s,".][^@\s,"]*(?<!\.)@[^@\s,".-][^@\s,"]*\.[A-Za-z]{2,}$')
CONNECTIONS = 8


def start(extra):
    proc = subprocess.Popen([BIN, "--port", "0", "--api-key", KEY, "--time-scale", "1000",
                             "--requests-per-second", "1000000", "--import-rate", "1000000"] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    port = int(re.search(r":(\d+)$", line.strip()).group(1))
    return proc, port


def batches():
    rows = subprocess.run([sys.executable, PROFILES, "2500", "--seed", "7"], capture_output=True, text=True, check=True).stdout
    contacts = []
    for row in csv.DictReader(io.StringIO(rows)):
        email = row["email"].strip()
        # The sandbox refuses a whole batch with one bad email, as ActiveCampaign does; keep the valid ones.
        if not VALID.match(email) or ".." in email:
            continue
        contacts.append({"email": email, "first_name": row["first_name"], "last_name": row["last_name"],
                         "phone": row["phone"], "subscribe": [{"listid": 1}], "exclude_automations": True})
    return [json.dumps({"contacts": contacts[i:i + 250], "exclude_automations": True}).encode()
            for i in range(0, len(contacts) - 249, 250)]


def hammer(port, method, path, bodies, total):
    done = [0]
    errors = [0]
    lock = threading.Lock()

    def worker(index):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        n = 0
        while True:
            with lock:
                if done[0] >= total:
                    break
                done[0] += 1
            body = bodies[n % len(bodies)] if bodies else None
            n += 1
            conn.request(method, path, body=body, headers={"Api-Token": KEY, "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - started), errors[0]


def main():
    payloads = batches()
    lines = ["## ActiveCampaign sandbox request rate", "",
             f"`benchmarks/sandbox_rate.py`: {CONNECTIONS} keep-alive connections from Python on the same 2-core machine "
             f"(the client shares the CPU), debug build, limits lifted. Bulk imports carry 250 contacts from "
             f"`make_profiles.py 2500 --seed 7` (about {len(payloads[0]) // 1000} kB each).", "",
             "| mode | call | requests | requests/s | contacts/s | non-200 |", "|---|---|---|---|---|---|"]
    for label, extra in (("keeping contacts", []), ("--discard", ["--discard"])):
        proc, port = start(extra)
        try:
            rate, errors = hammer(port, "GET", "/api/3/users/me", None, 4000)
            lines.append(f"| {label} | GET users/me | 4000 | {rate:,.0f} | – | {errors} |")
            rate, errors = hammer(port, "POST", "/api/3/import/bulk_import", payloads, 200)
            lines.append(f"| {label} | POST bulk_import ×250 | 200 | {rate:,.1f} | {rate * 250:,.0f} | {errors} |")
        finally:
            proc.terminate()
            proc.wait()
    lines += ["", "ActiveCampaign itself allows 5 requests/s and 100 bulk imports/min per account (at most 25,000 "
              "contacts/min), and Outbound's engine sends at most 4 requests/s to one account by default, so the "
              "sandbox answers far faster than any export can ask at the real limits.", ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
