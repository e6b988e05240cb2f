"""The whole procedure admins follow by hand, through the real ``sendscope`` command against a
real HTTPS emulator: restrict "Timesheet Mailer" to a group holding noreply@, test the policy
(at once: noreply Granted, ceo Denied), and prove it with sends — both still go through before
the propagation delay; after it, ceo@ is refused with the access-policy error and noreply@
still sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from sendscope.emulator import ThreadedEmulator

pytestmark = pytest.mark.server

DOMAIN = "contoso.onmicrosoft.com"


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(seed="demo") as server:
        yield server


def sendscope(emu: ThreadedEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDSCOPE_")}
    env.update(
        SENDSCOPE_EMULATOR=str(emu.data_dir),
        SENDSCOPE_DATA_DIR=str(emu.data_dir),
        SENDSCOPE_CONFIG_DIR=str(emu.data_dir),
    )
    return subprocess.run(
        [sys.executable, "-m", "sendscope", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def send_as(emu: ThreadedEmulator, mailbox: str) -> subprocess.CompletedProcess[str]:
    return sendscope(
        emu,
        "send",
        "--from",
        f"{mailbox}@{DOMAIN}",
        "--to",
        f"hr@{DOMAIN}",
        "--subject",
        f"proof from {mailbox}",
        "--body",
        "test",
    )


def test_restrict_test_and_prove(emulator: ThreadedEmulator) -> None:
    mailer = emulator.info["tenants"][0]["apps"][0]
    assert mailer["name"] == "Timesheet Mailer"
    app = mailer["client_id"]

    restricted = sendscope(
        emulator,
        "restrict",
        "--app",
        app,
        "--group",
        f"senders@{DOMAIN}",
        "--create-group",
        "--member",
        f"noreply@{DOMAIN}",
        "--yes",
        "--json",
    )
    assert restricted.returncode == 0, restricted.stderr
    tested = sendscope(
        emulator, "test-policy", "--app", app, f"noreply@{DOMAIN}", f"ceo@{DOMAIN}", "--json"
    )
    assert tested.returncode == 0, tested.stderr
    rows = json.loads(tested.stdout)["results"]
    verdicts = {r["address"]: r["server"] for r in rows}
    assert all(r["agrees"] for r in rows)  # sendscope's evaluator says the same
    assert verdicts == {f"noreply@{DOMAIN}": "Granted", f"ceo@{DOMAIN}": "Denied"}

    # Before the propagation delay Graph still lets both through: the trap admins fall into.
    assert send_as(emulator, "ceo").returncode == 0
    assert send_as(emulator, "noreply").returncode == 0

    emulator.state.clock.advance(61 * 60)
    refused = send_as(emulator, "ceo")
    assert refused.returncode == 5
    assert "Application Access Policy keeps app" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert send_as(emulator, "noreply").returncode == 0

    everything = restricted.stdout + restricted.stderr + tested.stdout + refused.stderr
    for secret in (mailer["client_secret"], emulator.info["tenants"][0]["admin"]["client_secret"]):
        assert secret not in everything
