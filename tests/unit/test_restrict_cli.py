"""``sendscope restrict`` on the command line, through ``main`` (exit codes from exceptions),
with a fake admin session: option handling, --yes without a terminal, --dry-run,
--powershell and --json. tests/e2e/test_restrict_cli.py runs it against the emulator."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import typer
from typer.testing import CliRunner

from sendscope.cli.restrict import restrict
from tests.unit.test_restrict_fakes import CALENDAR, MAILER, FakeSession, addr


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        return " ".join(self.err.split())


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> FakeSession:
    fake = FakeSession()
    admin = importlib.import_module("sendscope.admin")

    @contextmanager
    def connect(options: object, *, prompt: object = None) -> Iterator[FakeSession]:
        yield fake

    monkeypatch.setattr(admin, "connect_admin", connect)
    return fake


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> Run:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("restrict")(restrict)

    @app.callback()
    def root() -> None:
        """test root"""

    cli_app = importlib.import_module("sendscope.cli.app")
    monkeypatch.setattr(cli_app, "app", app)
    monkeypatch.setattr(sys, "argv", ["sendscope", "restrict", *args])
    with CliRunner().isolation(env={"COLUMNS": "80"}) as (out, err, _):
        try:
            cli_app.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        sys.stdout.flush()
        sys.stderr.flush()
        return Run(code, out.getvalue().decode(), err.getvalue().decode())


NEW_GROUP = ("--group", addr("senders"), "--create-group", "--member", addr("noreply"))


def test_restrict_applies_and_a_second_run_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, session: FakeSession
) -> None:
    first = run(monkeypatch, "--app", MAILER, *NEW_GROUP)
    assert first.code == 0, first.err
    assert "Effect: Timesheet Mailer goes from 11 mailboxes to 1." in first.out
    assert len(session.exchange.writes) == 3
    second = run(monkeypatch, "--app", MAILER, *NEW_GROUP)
    assert second.code == 0
    assert "Result: nothing to change:" in second.out
    assert len(session.exchange.writes) == 3


def test_a_non_guid_app_exits_2_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = importlib.import_module("sendscope.admin")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("connected")

    monkeypatch.setattr(admin, "connect_admin", never)
    result = run(monkeypatch, "--app", "Timesheet Mailer", *NEW_GROUP)
    assert result.code == 2
    assert result.said.startswith(
        "error: --app 'Timesheet Mailer' is not an application (client) ID: give the app's GUID"
    )


def test_a_warning_without_yes_and_without_a_terminal_exits_2_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, session: FakeSession
) -> None:
    result = run(monkeypatch, "--app", CALENDAR, *NEW_GROUP)
    assert result.code == 2
    assert result.said == (
        "error: the warning above needs --yes: read it, then run again with --yes to go "
        "ahead. Nothing was written."
    )
    assert "Calendar sync for everyone outside the group would stop" in " ".join(result.out.split())
    assert session.exchange.writes == []
    again = run(monkeypatch, "--app", CALENDAR, *NEW_GROUP, "--yes")
    assert again.code == 0 and len(session.exchange.writes) == 3


def test_dry_run_writes_nothing(monkeypatch: pytest.MonkeyPatch, session: FakeSession) -> None:
    result = run(monkeypatch, "--app", CALENDAR, *NEW_GROUP, "--dry-run")
    assert result.code == 0  # a dry run needs no --yes: it writes nothing
    assert result.out.rstrip().endswith("Dry run: nothing was written.")
    assert session.exchange.writes == []


def test_powershell_prints_the_script_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, session: FakeSession
) -> None:
    result = run(monkeypatch, "--app", MAILER, *NEW_GROUP, "--powershell")
    assert result.code == 0
    assert result.out.splitlines()[2] == "Connect-ExchangeOnline"
    assert "New-ApplicationAccessPolicy -AppId" in result.out
    assert session.exchange.writes == []


def test_json_is_one_document(monkeypatch: pytest.MonkeyPatch, session: FakeSession) -> None:
    result = run(monkeypatch, "--app", MAILER, *NEW_GROUP, "--json", "--description", "ok")
    assert result.code == 0
    doc = json.loads(result.out)
    assert doc["schema_version"] == 1 and doc["mode"] == "apply"
    assert [s["status"] for s in doc["steps"]] == ["done", "done", "done"]
    assert [t["result"] for t in doc["tests"]] == ["Granted", "Denied"]
    assert session.exchange.writes[-1] == (
        "New-ApplicationAccessPolicy",
        MAILER,
        addr("senders"),
        "RestrictAccess",
    )


def test_json_with_powershell_carries_the_script(
    monkeypatch: pytest.MonkeyPatch, session: FakeSession
) -> None:
    result = run(monkeypatch, "--app", MAILER, *NEW_GROUP, "--powershell", "--json")
    doc = json.loads(result.out)
    assert doc["mode"] == "powershell"
    assert doc["powershell"].startswith("# The same change with the ExchangeOnlineManagement")


def test_deny_access_right(monkeypatch: pytest.MonkeyPatch, session: FakeSession) -> None:
    result = run(monkeypatch, "--app", MAILER, "--group", addr("ceo"), "--access-right", "deny")
    assert result.code == 0, result.err
    assert session.exchange.writes == [
        ("New-ApplicationAccessPolicy", MAILER, addr("ceo"), "DenyAccess")
    ]
    assert "Effect: Timesheet Mailer goes from 11 mailboxes to 10." in result.out


def test_a_bad_access_right_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, session: FakeSession
) -> None:
    result = run(monkeypatch, "--app", MAILER, "--group", addr("ceo"), "--access-right", "allow")
    assert result.code == 2
    assert "'allow' is not one of" in result.err
    assert session.exchange.writes == []


def test_a_distribution_group_is_refused(
    monkeypatch: pytest.MonkeyPatch, session: FakeSession
) -> None:
    result = run(monkeypatch, "--app", MAILER, "--group", addr("allstaff"))
    assert result.code == 2
    assert result.said.startswith(
        f"error: --group {addr('allstaff')}: {addr('allstaff')} is a distribution group"
    )
    assert session.exchange.writes == []
