"""curl with --cacert does the whole send path by hand: token, sendMail, the outbox."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import Emulator

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


def curl(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_curl_gets_a_token_and_sends_mail(emulator: Emulator) -> None:
    status, body = curl(
        "--cacert",
        emulator.ca,
        "-d",
        "grant_type=client_credentials",
        "-d",
        f"client_id={emulator.app['client_id']}",
        "--data-urlencode",
        f"client_secret={emulator.app['client_secret']}",
        "--data-urlencode",
        "scope=https://graph.microsoft.com/.default",
        f"{emulator.url}/{emulator.domain}/oauth2/v2.0/token",
    )
    assert status == 200, body
    token = json.loads(body)["access_token"]
    message = {
        "message": {
            "subject": "sent with curl",
            "toRecipients": [{"emailAddress": {"address": f"it@{emulator.domain}"}}],
        }
    }
    status, body = curl(
        "--cacert",
        emulator.ca,
        "-H",
        f"Authorization: Bearer {token}",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps(message),
        f"{emulator.url}/v1.0/users/ceo@{emulator.domain}/sendMail",
    )
    assert (status, body) == (202, "")
    status, body = curl("--cacert", emulator.ca, f"{emulator.url}/_emulator/outbox?subject=curl")
    assert status == 200
    assert json.loads(body)["messages"][0]["mailbox"] == f"ceo@{emulator.domain}"


def test_curl_without_the_ca_is_refused(emulator: Emulator) -> None:
    done = subprocess.run(
        ["curl", "-sS", f"{emulator.url}/_emulator/health"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 60  # SSL certificate problem: the local CA is not trusted
