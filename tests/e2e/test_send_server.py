"""``sendscope send`` as a real process against a real HTTPS emulator (ThreadedEmulator):
a secret from emulator.json, a certificate, refusals, the upload-session path; and no
secret or private key in anything printed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sendscope.emulator.server import ThreadedEmulator
from tests.cert_helpers import make_certificate, register_certificate
from tests.unit.test_mailer_support import addr, credential, mail_state, secrets, tenant_id

pytestmark = pytest.mark.server

FROM = addr("noreply")


@dataclass
class Server:
    emulator: ThreadedEmulator
    forbidden: list[str]

    def run(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        clean = {
            k: v for k, v in __import__("os").environ.items() if not k.startswith("SENDSCOPE_")
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "sendscope",
                "send",
                "--emulator",
                str(self.emulator.data_dir),
                *args,
            ],
            capture_output=True,
            text=True,
            env={**clean, **(env or {})},
            input=input,
            timeout=60,
            check=False,
        )
        for secret in self.forbidden:
            assert secret not in done.stdout + done.stderr
        return done

    def outbox(self) -> list[dict[str, object]]:
        return [dict(r) for r in self.emulator.state.store.all("SELECT * FROM outbox")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = mail_state()
    certificate = make_certificate("Timesheet Mailer")
    register_certificate(state, tenant_id(state), credential(state).client_id, certificate)
    with ThreadedEmulator(state=state) as emulator:
        yield Server(emulator, [*secrets(state), certificate.key_pem.decode().splitlines()[1]])


def said(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join(done.stderr.split())


def test_send_with_the_emulators_secret(server: Server) -> None:
    before = len(server.outbox())
    done = server.run(
        "--from",
        FROM,
        "--to",
        addr("ceo"),
        "--subject",
        "Over HTTPS",
        input="Sent through a real socket.\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"Accepted: Microsoft 365 took the message from {FROM} to 1 recipient (202 Accepted"
    )
    assert done.stderr == ""
    rows = server.outbox()[before:]
    assert [(r["mailbox"], r["subject"]) for r in rows] == [(FROM, "Over HTTPS")]


def test_send_with_a_certificate(server: Server, tmp_path: Path) -> None:
    certificate = make_certificate("Timesheet Mailer")
    pem = tmp_path / "mailer.pem"
    pem.write_bytes(certificate.cert_pem + certificate.key_pem)
    done = server.run(
        "--from",
        FROM,
        "--to",
        addr("ceo"),
        "--subject",
        "Signed",
        "--body",
        "b",
        "--certificate",
        str(pem),
        "--client-id",
        credential(server.emulator.state).client_id,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["schema_version"], doc["accepted"], doc["from"]) == (1, True, FROM)
    assert server.outbox()[-1]["subject"] == "Signed"


def test_mailbox_without_exchange(server: Server) -> None:
    done = server.run(
        "--from", addr("contractor"), "--to", addr("ceo"), "--subject", "s", "--body", "b"
    )
    assert done.returncode == 5
    assert said(done).startswith(
        f"error: {addr('contractor')} exists in tenant "
        f"{tenant_id(server.emulator.state)} but has no Exchange Online "
        "mailbox"
    )
    assert done.stdout == ""


def test_app_without_mail_send(server: Server) -> None:
    reader = credential(server.emulator.state, "Mail Reader")
    done = server.run(
        "--from",
        FROM,
        "--to",
        addr("ceo"),
        "--subject",
        "s",
        "--body",
        "b",
        "--client-id",
        reader.client_id,
        env={"SENDSCOPE_CLIENT_SECRET": reader.client_secret},
    )
    assert done.returncode == 5
    assert said(done).startswith(
        f"error: Sending as {FROM} was refused: app {reader.client_id} "
        "does not hold the Mail.Send application permission"
    )


def test_upload_session_over_https(server: Server, tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(bytes(range(256)) * 20_000)  # 5,120,000 bytes
    big = credential(server.emulator.state, "Big Mailer")
    done = server.run(
        "--from",
        FROM,
        "--to",
        addr("ceo"),
        "--subject",
        "Scan",
        "--body",
        "b",
        "--attach",
        str(scan),
        "--allow-upload-session",
        "--client-id",
        big.client_id,
        env={"SENDSCOPE_CLIENT_SECRET": big.client_secret},
    )
    assert done.returncode == 0, done.stderr
    message = json.loads(str(server.outbox()[-1]["message"]))
    assert [a["name"] for a in message["attachments"]] == ["scan.pdf"]


def test_help_is_light() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sendscope.cli.send\n"
            "print(sorted(m for m in ('sendscope.mail', 'sendscope.clients.graph') "
            "if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"
    shown = subprocess.run(
        [sys.executable, "-m", "sendscope", "send", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0
    for option in (
        "--from",
        "--to",
        "--cc",
        "--bcc",
        "--reply-to",
        "--subject",
        "--body-file",
        "--html",
        "--attach",
        "--no-save-to-sent",
        "--allow-upload-session",
        "--json",
        "--emulator",
        "--client-secret-file",
    ):
        assert option in shown.stdout
