"""The export engine process killed with SIGKILL at random moments, twenty times, during a 20,000-contact export to
the sandbox executable (the first kills while it prepares): the run resumes from its last confirmed batch each
time, and in the end the list holds exactly the valid contacts. Any kill moment must give the same result, so the
outcome does not depend on timing.

Here rather than in the Swift suite: pytest runs it alone, so its kills land while the engine works, whatever
else the machine is doing."""
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

from conftest import OUTBOUND, SANDBOX

KILLS = 20


def inspect(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


def write_profiles(path, count):
    """Every 97th profile has a malformed email and every 101st none; returns the valid emails."""
    valid = set()
    with open(path, "w", encoding="utf-8") as f:
        f.write("profile_id,email,first_name,country\n")
        for index in range(1, count + 1):
            if index % 97 == 0:
                email = f"broken{index}@@example.com"
            elif index % 101 == 0:
                email = ""
            else:
                email = f"person{index}@example.com"
                valid.add(email)
            f.write(f"p{index},{email},Name{index},DE\n")
    return valid


def run_row(db_path):
    db = sqlite3.connect(db_path, timeout=30)
    try:
        row = db.execute("SELECT state, claims, accepted, reason, phase, batchesConfirmed FROM exportRun WHERE id = 1").fetchone()
        return row or ("queued", 0, 0, None, "prepare", 0)
    finally:
        db.close()


def until(condition, seconds, step=0.02):
    deadline = time.time() + seconds   # a bound for a broken run, not a pace
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_killed_twenty_times_the_export_still_delivers_everyone_once():
    directory = tempfile.mkdtemp(prefix="outbound-crash-")
    sandbox = subprocess.Popen([SANDBOX, "--port", "0", "--api-key", "crash-key", "--time-scale", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = int(re.search(r":(\d+)\s*$", sandbox.stdout.readline()).group(1))
    host = f"127.0.0.1:{port}"
    env = dict(os.environ, OUTBOUND_DATA_DIR=directory + "/data", OUTBOUND_ALLOW_DESTINATION_HOST=host)
    env = {k: v for k, v in env.items() if not k.startswith("OUTBOUND_") or k in ("OUTBOUND_DATA_DIR", "OUTBOUND_ALLOW_DESTINATION_HOST")}
    engines = []
    try:
        def cli(*args, stdin=None):
            done = subprocess.run([OUTBOUND, *args], input=stdin, capture_output=True, text=True, env=env)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        valid = write_profiles(directory + "/profiles.csv", 20_000)
        cli("tenant", "create", "--slug", "acme", "--name", "Acme")
        cli("user", "create", "--email", "ana@acme.test", "--tenant", "acme", "--role", "admin", stdin="a long enough password\n")
        cli("profiles", "import", "--tenant", "acme", directory + "/profiles.csv")
        cli("segments", "create", "--tenant", "acme", "--name", "All", "--condition", "country:isNotEmpty")
        cli("connections", "add", "--tenant", "acme", "--name", "Sandbox", "--host", host, "--export-user", "ana@acme.test",
            "--i-agree", stdin="crash-key\n")
        cli("exports", "create", "--tenant", "acme", "--name", "News", "--connection", "Sandbox", "--list", "1",
            "--segment", "All", "--email", "email", "--first-name", "first_name")
        cli("exports", "run", "--tenant", "acme", "--export", "News")
        db_path = directory + "/data/outbound.sqlite"

        # Paced at twice ActiveCampaign's rates the run needs over 20 s of requests; each engine works at most
        # half a second after taking the run up before it is killed.
        engine_args = [OUTBOUND, "engine", "--pace-scale", "2", "--lease-seconds", "1", "--log-level", "error"]
        seed = random.randrange(1 << 30)
        print(f"kill moments from random seed {seed}")
        moments = random.Random(seed)
        confirmed_at_kill = []
        for kill in range(KILLS):
            claims = run_row(db_path)[1]
            log = open(f"{directory}/engine-{kill}.log", "w")
            engine = subprocess.Popen(engine_args, stdout=log, stderr=subprocess.STDOUT, env=env)
            engines.append(engine)
            assert until(lambda: run_row(db_path)[1] > claims, 60), "the engine did not take the run up"
            if kill < 3:
                # The first kills land while it prepares (the freeze starts over) or just after.
                time.sleep(moments.uniform(0, 0.2))
            else:
                # Killed while sending (the frozen contacts and planned batches are the checkpoints it resumes from).
                assert until(lambda: run_row(db_path)[4] == "send", 60), "the engine did not finish preparing"
                time.sleep(moments.uniform(0, 0.5))
            engine.send_signal(signal.SIGKILL)
            engine.wait()
            row = run_row(db_path)
            assert row[0] == "running", f"the run ended after {kill + 1} kills: make it larger"
            confirmed_at_kill.append(row[5])

        # A last engine finishes the run, then stops cleanly on SIGTERM.
        log = open(f"{directory}/engine-last.log", "w")
        last = subprocess.Popen(engine_args, stdout=log, stderr=subprocess.STDOUT, env=env)
        engines.append(last)
        assert until(lambda: run_row(db_path)[0] not in ("queued", "running"), 600, step=0.25)
        last.send_signal(signal.SIGTERM)
        assert last.wait(timeout=60) == 0

        state, claims, accepted, reason, _, _ = run_row(db_path)
        # Work got done between kills: resumed runs went on from their checkpoints.
        assert confirmed_at_kill[-1] > confirmed_at_kill[0]
        assert (state, reason) == ("succeeded", None)
        assert accepted == len(valid)
        assert claims == KILLS + 1
        # The list holds exactly the valid contacts, each once.
        contacts = inspect(port, "/__sandbox/lists/1/contacts?key=crash-key")["contacts"]
        assert len(contacts) == len(valid)
        assert {c["email"] for c in contacts} == valid
        assert all(c["status"] == 1 for c in contacts)
        # No batch whose ActiveCampaign batch id was recorded was posted again (no faults were injected).
        db = sqlite3.connect(db_path)
        assert db.execute("SELECT COUNT(*) FROM runBatch WHERE runId = 1 AND posts > 1").fetchone()[0] == 0
        db.close()
        # At most what was in flight at each kill was sent twice (a kill while it prepares also sends again the few
        # batches that attempt had sent beside its freeze: the freeze starts over).
        received = inspect(port, "/__sandbox/received?key=crash-key")["contacts"]
        assert len(valid) <= received <= len(valid) + 250 * KILLS
    finally:
        for engine in engines:
            if engine.poll() is None:
                engine.kill()
        sandbox.terminate()
        sandbox.wait(timeout=10)
