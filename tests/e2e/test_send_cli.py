"""``sendscope send`` as a user runs it, in-process: the root command's ``main()`` (exit
codes from exceptions, "error: <sentence>" on stderr), option resolution from
``--emulator DIR``, and the in-process emulator behind the HTTP transport.

Every test greps everything printed (and logged) for the app secrets of emulator.json.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
import stamina
import typer
from click.testing import CliRunner

from sendscope.cli import send as send_command
from sendscope.emulator import EmulatorState
from tests.unit.test_mailer_support import (
    RAOP,
    Bridge,
    addr,
    connect_through,
    credential,
    graph_error,
    mail_state,
    on,
    raising,
    secrets,
    tenant_id,
    write_emulator_json,
)

root = importlib.import_module("sendscope.cli.app")  # the module; the package exports the app
FROM = addr("noreply")
CLEAN_ENV: dict[str, str | None] = dict.fromkeys(
    (
        "SENDSCOPE_CLOUD",
        "SENDSCOPE_EMULATOR",
        "SENDSCOPE_TENANT",
        "SENDSCOPE_CLIENT_ID",
        "SENDSCOPE_CLIENT_SECRET",
        "SENDSCOPE_CERTIFICATE",
        "SENDSCOPE_CERTIFICATE_PASSWORD",
        "SENDSCOPE_PROFILE",
    )
)


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        """stderr with rich's line wrapping undone."""
        return " ".join(self.err.split())


@dataclass
class Cli:
    bridge: Bridge
    directory: Path
    caplog: pytest.LogCaptureFixture

    @property
    def state(self) -> EmulatorState:
        return self.bridge.state

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Ran:
        argv = ["send", "--emulator", str(self.directory), *args]
        with CliRunner().isolation(input=input, env={**CLEAN_ENV, **(env or {})}) as (out, err, _):
            code = _main(argv)
        ran = Ran(code, out.getvalue().decode(), err.getvalue().decode())
        everything = ran.out + ran.err + self.caplog.text
        for secret in secrets(self.state):
            assert secret not in everything
        return ran


def _main(argv: list[str]) -> int:
    import sys

    saved = sys.argv
    sys.argv = ["sendscope", *argv]
    try:
        root.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = saved
    return 0


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[Cli]:
    caplog.set_level(logging.DEBUG)
    state = mail_state()
    bridge = Bridge(state)
    # The root app as the lead will wire it: ``app.command("send")(send.send)``.
    local = typer.Typer(
        name="sendscope", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
    local.callback()(root.root)
    local.command("send")(send_command.send)
    monkeypatch.setattr(root, "app", local)
    monkeypatch.setattr("sendscope.mail.sync_mailer.connect_app", connect_through(bridge))
    with stamina.set_testing(True, attempts=3):
        yield Cli(bridge, write_emulator_json(state, tmp_path), caplog)
    state.close()


BASIC = ("--from", FROM, "--to", addr("ceo"), "--subject", "Timesheet due")


def test_accepted_line(cli: Cli) -> None:
    ran = cli(*BASIC, "--cc", addr("cfo"), "--body", "Please submit.")
    assert ran.code == 0, ran.err
    assert ran.err == ""
    [line] = ran.out.splitlines()
    assert line.startswith(
        f"Accepted: Microsoft 365 took the message from {FROM} to 2 "
        "recipients (202 Accepted — accepted for delivery, not yet "
        "delivered). request-id "
    )
    assert len(line.rsplit(" ", 1)[1]) == 36
    [row] = cli.bridge.outbox()
    assert (row["mailbox"], row["subject"]) == (FROM, "Timesheet due")


def test_json_document(cli: Cli, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello")
    ran = cli(
        *BASIC,
        "--bcc",
        addr("hr"),
        "--reply-to",
        addr("it"),
        "--body",
        "<b>Hi</b>",
        "--html",
        "--attach",
        str(note),
        "--no-save-to-sent",
        "--json",
    )
    assert ran.code == 0, ran.err
    doc = json.loads(ran.out)
    request_id = doc.pop("request_id")
    assert len(request_id) == 36
    assert doc.pop("size") == len(cli.bridge.graph_requests("sendMail")[0].content)
    assert doc == {
        "schema_version": 1,
        "from": FROM,
        "to": [addr("ceo")],
        "cc": [],
        "bcc": [addr("hr")],
        "reply_to": [addr("it")],
        "subject": "Timesheet due",
        "method": "sendMail",
        "save_to_sent_items": False,
        "attachments": [
            {"name": "note.txt", "size": 5, "content_type": "text/plain", "upload_session": False}
        ],
        "accepted": True,
        "outcome": "accepted",
        "error": None,
    }
    sent = json.loads(cli.bridge.graph_requests("sendMail")[0].content)
    assert sent["message"]["body"] == {"contentType": "HTML", "content": "<b>Hi</b>"}
    assert sent["saveToSentItems"] is False


def test_body_from_stdin_and_file(cli: Cli, tmp_path: Path) -> None:
    assert cli(*BASIC, input="from a pipe\n").code == 0
    body = tmp_path / "body.txt"
    body.write_text("from a file ✓", encoding="utf-8")
    assert cli(*BASIC, "--body-file", str(body)).code == 0
    sent = [
        json.loads(r.content)["message"]["body"]["content"]
        for r in cli.bridge.graph_requests("sendMail")
    ]
    assert sent == ["from a pipe\n", "from a file ✓"]


@pytest.mark.parametrize(
    ("args", "input", "sentence"),
    [
        (
            ("--body", "x", "--body-file", "b.txt"),
            None,
            "error: --body and --body-file exclude each other: give one",
        ),
        (
            (),
            "",
            "error: standard input was empty: pipe the body in, or pass --body '' to send a "
            "message without one",
        ),
        (
            ("--body", "x", "--to", "not-an-address"),
            None,
            "error: --to 'not-an-address' is not an email address: write it like ceo@contoso.com",
        ),
        (
            ("--body", "x", "--attach", "/nonexistent/scan.pdf"),
            None,
            "error: --attach /nonexistent/scan.pdf: cannot read it (No such file or directory)",
        ),
        (
            ("--body-file", "/nonexistent/body.txt"),
            None,
            "error: --body-file /nonexistent/body.txt: cannot read it (No such file or directory)",
        ),
    ],
)
def test_bad_input_exits_2_before_any_request(
    cli: Cli, args: tuple[str, ...], input: str | None, sentence: str
) -> None:
    ran = cli(*BASIC, *args, input=input)
    assert (ran.code, ran.said) == (2, sentence)
    assert ran.out == ""
    assert cli.bridge.seen == []


def test_from_is_checked(cli: Cli) -> None:
    ran = cli("--from", "ceo", "--to", addr("hr"), "--subject", "s", "--body", "b")
    assert (ran.code, ran.said) == (
        2,
        "error: --from 'ceo' is not an email address: write it like ceo@contoso.com",
    )


def test_missing_from_is_a_usage_error(cli: Cli) -> None:
    ran = cli("--to", addr("hr"), "--subject", "s", "--body", "b")
    assert ran.code == 2
    assert "Missing option '--from'" in ran.err


def test_too_large_without_upload_session(cli: Cli, tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%" * 3_500_000)
    ran = cli(*BASIC, "--body", "x", "--attach", str(scan))
    assert ran.code == 2
    assert ran.said.startswith(
        "error: The message is 4.5 MB as one Graph request, over Graph's 4 MB request limit"
    )
    assert (
        "an upload session needs the Mail.ReadWrite application permission, which lets "
        "the app read and change every message in every mailbox it can reach"
    ) in ran.said
    assert cli.bridge.seen == []


def test_upload_session_with_mail_readwrite(cli: Cli, tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%" * 5_000_000)
    big = credential(cli.state, "Big Mailer")
    ran = cli(
        *BASIC,
        "--body",
        "x",
        "--attach",
        str(scan),
        "--allow-upload-session",
        "--json",
        "--client-id",
        big.client_id,
        env={"SENDSCOPE_CLIENT_SECRET": big.client_secret},
    )
    assert ran.code == 0, ran.err
    doc = json.loads(ran.out)
    assert (doc["method"], doc["accepted"]) == ("uploadSession", True)
    assert doc["attachments"][0]["upload_session"] is True
    assert len(cli.bridge.outbox()) == 1
    tokens = [r.url.params["authtoken"] for r in cli.bridge.seen if r.method == "PUT"]
    assert tokens and all(t not in ran.out + ran.err + cli.caplog.text for t in tokens)


# -- refusals: exit code and sentence -----------------------------------------------------


def test_access_policy(cli: Cli) -> None:
    cli.bridge.faults.append(
        on("sendMail", lambda r: graph_error(403, "ErrorAccessDenied", RAOP, r))
    )
    app = credential(cli.state).client_id
    ran = cli("--from", addr("ceo"), "--to", addr("hr"), "--subject", "s", "--body", "b")
    assert ran.code == 5
    assert ran.said.startswith(
        f"error: Sending as {addr('ceo')} was refused by Exchange: an Application Access "
        f"Policy keeps app {app} away from this mailbox. Send as a mailbox inside the policy's "
        f"scope, or ask an admin (sendscope test-policy --app {app} {addr('ceo')} shows which "
        "policy decides)."
    )
    assert ran.out == ""


def test_missing_mail_send(cli: Cli) -> None:
    reader = credential(cli.state, "Mail Reader")
    ran = cli(
        *BASIC,
        "--body",
        "b",
        "--client-id",
        reader.client_id,
        env={"SENDSCOPE_CLIENT_SECRET": reader.client_secret},
    )
    assert ran.code == 5
    assert ran.said.startswith(
        f"error: Sending as {FROM} was refused: app {reader.client_id} does not hold the "
        f"Mail.Send application permission on Microsoft Graph in tenant {tenant_id(cli.state)} "
        "(its token's roles: Mail.Read). Add Mail.Send (Microsoft Graph, Application "
        "permission) to the app registration's API permissions and have an admin grant "
        "consent, then try again."
    )


@pytest.mark.parametrize(
    ("sender", "start"),
    [
        (
            "nobody",
            "error: There is no mailbox {a} in tenant {t}: Graph knows no user by that address.",
        ),
        (
            "contractor",
            "error: {a} exists in tenant {t} but has no Exchange Online mailbox Graph can use",
        ),
    ],
)
def test_mailbox_refusals(cli: Cli, sender: str, start: str) -> None:
    ran = cli("--from", addr(sender), "--to", addr("hr"), "--subject", "s", "--body", "b")
    assert ran.code == 5
    assert ran.said.startswith(start.format(a=addr(sender), t=tenant_id(cli.state)))


@pytest.mark.parametrize(
    ("fault", "code", "start"),
    [
        (
            lambda r: graph_error(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to "
                "submit this request does not have the right to send mail on behalf "
                "of the specified sending account., Cannot submit message.",
                r,
            ),
            5,
            f"error: Exchange refused to submit the message as {FROM}: the message names a From",
        ),
        (
            lambda r: graph_error(
                400, "ErrorInvalidRecipients", "At least one recipient is not valid.", r
            ),
            5,
            f"error: Exchange refused the recipients of the message from {FROM}. Check the --to, "
            "--cc and --bcc addresses; nothing was sent.",
        ),
        (
            lambda r: graph_error(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
                r,
                **{"Retry-After": "1"},
            ),
            6,
            f"error: Not sent: Graph kept throttling requests as {FROM} past sendscope's retry "
            "budget (Graph asked to wait 1 s).",
        ),
        (
            lambda r: graph_error(503, "ServiceUnavailable", "Service Unavailable", r),
            6,
            f"error: The message from {FROM} may or may not have been sent: Graph answered 503 "
            "ServiceUnavailable to the send request. sendscope does not resend;",
        ),
        (
            raising(httpx2.ReadTimeout),
            6,
            f"error: The message from {FROM} may or may not have been sent: the send request was "
            f"written but no answer came (ReadTimeout). sendscope does not resend; look in the "
            f"Sent Items of {FROM} (or ask a recipient) before sending again.",
        ),
        (
            raising(httpx2.ConnectError),
            6,
            "error: Not sent: cannot connect to testserver: ConnectError. Nothing was sent;",
        ),
    ],
)
def test_graph_refusals(cli: Cli, fault: object, code: int, start: str) -> None:
    cli.bridge.faults.append(on("sendMail", fault))  # type: ignore[arg-type]
    ran = cli(*BASIC, "--body", "b")
    assert ran.code == code
    assert ran.said.startswith(start), ran.said


def test_json_on_refusal_and_unknown(cli: Cli) -> None:
    cli.bridge.faults.append(on("sendMail", raising(httpx2.ReadTimeout)))
    ran = cli(*BASIC, "--body", "b", "--json")
    assert ran.code == 6
    doc = json.loads(ran.out)
    assert (doc["accepted"], doc["outcome"], doc["request_id"]) == (False, "unknown", None)
    assert doc["error"]["type"] == "AmbiguousOutcome"
    assert doc["error"]["exit_code"] == 6
    assert doc["error"]["message"].startswith(f"The message from {FROM} may or may not have")
    assert "error: The message from" in ran.said  # and the sentence on stderr too
    cli.bridge.faults.clear()
    ran = cli(
        "--from", addr("contractor"), "--to", addr("hr"), "--subject", "s", "--body", "b", "--json"
    )
    doc = json.loads(ran.out)
    assert (ran.code, doc["outcome"]) == (5, "refused")
    assert (doc["error"]["status"], doc["error"]["code"]) == (404, "MailboxNotEnabledForRESTAPI")


def test_wrong_secret_is_explained_and_never_shown(cli: Cli) -> None:
    app = credential(cli.state)
    ran = cli(
        *BASIC,
        "--body",
        "b",
        "--client-id",
        app.client_id,
        env={"SENDSCOPE_CLIENT_SECRET": "wrong-secret-value~123"},
    )
    assert ran.code == 4
    assert ran.said.startswith("error: ")
    assert "AADSTS7000215" in ran.said  # Entra's refusal, explained by auth/aadsts.py
    assert "wrong-secret-value~123" not in ran.out + ran.err + cli.caplog.text
    assert cli.bridge.graph_requests() == []


def test_no_secret_and_no_terminal_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "none"
    empty.mkdir()
    (empty / "emulator.json").write_text(
        json.dumps(
            {
                "url": "https://testserver",
                "ca_cert": str(empty / "ca.pem"),
                "tenants": [
                    {
                        "id": tenant_id(cli.state),
                        "domain": "contoso.onmicrosoft.com",
                        "admin": None,
                        "apps": [],
                    }
                ],
            }
        )
    )
    cli.directory = empty
    ran = cli(*BASIC, "--body", "b", "--client-id", credential(cli.state).client_id)
    assert ran.code == 2
    assert "no credential given" in ran.said
