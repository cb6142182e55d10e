"""Key rotation end to end with `outbound serve` running: a connection's key is sealed, `outbound keys rotate` runs
beside the server, the server still opens the key without a restart, the old key is retired, and after a restart
everything opens again."""
from selenium.webdriver.common.by import By

from conftest import SANDBOX_KEY, first_start_credentials
from helpers import add_connection, change_one_time_password, open_page, sign_in, submit_and_wait


def verify_again(browser, server):
    open_page(browser, server.url + "/t/main/admin/connections", (By.LINK_TEXT, "Rotated"))
    submit_and_wait(browser, By.LINK_TEXT, "Rotated", "Stored key ends in")
    submit_and_wait(browser, By.XPATH, "//button[normalize-space()='Connect / verify again']",
                    "ActiveCampaign accepted the stored key.")


def test_rotation_while_serving_then_retire_and_restart(server, browser):
    email, one_time = first_start_credentials(server)
    sign_in(browser, server.url, email, one_time, "Your account")
    change_one_time_password(browser, one_time, "a long password of my own")
    add_connection(browser, server.url, f"127.0.0.1:{server.sandbox_port}", SANDBOX_KEY, "Rotated")
    assert "k1  sealing    seals 1 value(s)" in server.cli("keys", "status").stdout

    rotated = server.cli("keys", "rotate")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "Sealing key is now k2. Re-sealed 1 value(s)." in rotated.stdout

    verify_again(browser, server)   # the running server opens the value sealed with k2, without a restart

    assert server.cli("keys", "retire", "--id", "k2").returncode != 0
    retired = server.cli("keys", "retire", "--id", "k1")
    assert retired.returncode == 0, retired.stdout + retired.stderr
    status = server.cli("keys", "status").stdout
    assert "k1  retired" in status and "k2  sealing    seals 1 value(s)" in status

    server.stop()
    server.start()
    verify_again(browser, server)   # sessions live in the database, so the browser is still signed in
    doctor = server.cli("doctor")
    assert doctor.returncode == 0 and "Opened 1 sealed value(s)." in doctor.stdout
    assert SANDBOX_KEY not in server.log()
