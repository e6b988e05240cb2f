"""``sendscope verify``'s command layer: bad input exits 2 before any request, an absent
admin identity means "not checked" (an explicit one that fails does not), the plain round
lines, the live display, the report and the JSON document."""

from __future__ import annotations

import importlib
import io
import json
import sys
from pathlib import Path

import httpx2
import pytest
import typer
from click.testing import CliRunner
from rich.console import Console

from sendscope.admin import AdminOptions
from sendscope.cli import verify as verify_cli
from sendscope.cli.verify_output import VerifyDisplay, document, render_report, round_line
from sendscope.errors import UsageError
from sendscope.verify import RoundReport, VerifyReport, run_verification

from .test_verify_run import CEO, FakeApp, FakeClock, make_plan, restricted


def _root() -> typer.Typer:
    app = typer.Typer(name="sendscope", no_args_is_help=True, add_completion=False)

    @app.callback()
    def root() -> None:
        """sendscope (test root)."""

    app.command("verify")(verify_cli.verify)
    return app


def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> tuple[int, str]:
    """The real entry point, in-process, with no SENDSCOPE_* variable and no network."""
    import os

    for name in list(os.environ):
        if name.startswith("SENDSCOPE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SENDSCOPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SENDSCOPE_CONFIG_DIR", str(tmp_path))

    def refuse(self: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
        raise AssertionError(f"no HTTP request may be made, but {request.url} was")

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", refuse)
    cli_app = importlib.import_module("sendscope.cli.app")
    monkeypatch.setattr(cli_app, "app", _root())
    monkeypatch.setattr(sys, "argv", ["sendscope", "verify", *args])
    with CliRunner().isolation(env={"COLUMNS": "200"}) as (out, err, _):
        try:
            cli_app.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return code, out.getvalue().decode() + err.getvalue().decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: nothing to verify: give the mailboxes the app may send as"),
        (("--allowed", "a@x.com", "--denied", "a@x.com"), "error: a@x.com is given both"),
        (("--denied", "ceo"), "error: --denied 'ceo' is not an email address"),
        (
            ("--allowed", "a@x.com", "--timeout", "5m", "--interval", "10m"),
            "error: --interval 10m is longer than --timeout 5m",
        ),
        (("--allowed", "a@x.com", "--timeout", "later"), "error: --timeout 'later' is not a"),
        (
            ("--allowed", "a@x.com", "--denied", "b@x.com", "--to", "b@x.com"),
            "error: --to b@x.com is a --denied address",
        ),
        (("--allowed", "a@x.com", "--app", "mailer"), "error: --app 'mailer' is not a client ID"),
    ],
)
def test_bad_input_exits_2_before_any_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, output = run(monkeypatch, tmp_path, *args)
    assert code == 2
    assert message in " ".join(output.split())


def test_no_credentials_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, output = run(monkeypatch, tmp_path, "--allowed", "a@x.com", "--tenant", "x.com")
    assert code == 2
    assert "error: no app given: pass --client-id" in output


def test_no_admin_identity_means_not_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENDSCOPE_DATA_DIR", str(tmp_path))  # no `sendscope login` cache
    monkeypatch.delenv("SENDSCOPE_ADMIN_CLIENT_ID", raising=False)
    monkeypatch.delenv("SENDSCOPE_ADMIN_CLIENT_SECRET", raising=False)
    options = AdminOptions(tenant="contoso.onmicrosoft.com")
    assert verify_cli._admin(options, explicit=False) is None
    with pytest.raises(UsageError) as caught:
        verify_cli._admin(options, explicit=True)
    assert caught.value.message.startswith("no admin identity: run `sendscope login` first")


def _rounds() -> tuple[list[RoundReport], VerifyReport]:
    clock = FakeClock()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 600)
    rounds: list[RoundReport] = []
    report = run_verification(make_plan(), app, restricted(), clock=clock, observer=rounds.append)
    return rounds, report


def test_round_line() -> None:
    rounds, _ = _rounds()
    assert round_line(rounds[0]) == (
        "round 1 (0s): noreply@contoso.com effective; ceo@contoso.com not effective yet "
        "— next try at 5m"
    )
    assert round_line(rounds[-1]).endswith("ceo@contoso.com effective")


def test_plain_display_prints_one_line_per_round() -> None:
    clock = FakeClock()
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    plan = make_plan()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 600)
    with VerifyDisplay(console, plan, "app-1", live=False) as display:
        run_verification(plan, app, restricted(), clock=clock, observer=display)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == (
        "Verifying app app-1 (run run12345): 1 allowed, 1 denied, every 5m for up to 3h; "
        "mails to noreply@contoso.com."
    )
    assert [line.split(" (")[0] for line in lines[1:]] == ["round 1", "round 2", "round 3"]


def test_live_display_on_a_terminal() -> None:
    clock = FakeClock()
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None, force_terminal=True)
    plan = make_plan()
    app = FakeApp(clock, blocked={CEO}, effective_at=clock.t + 600)
    with VerifyDisplay(console, plan, "app-1", live=True) as display:
        run_verification(plan, app, restricted(), clock=clock, observer=display)
    text = buffer.getvalue()
    assert "round 1 · next try in 5m" in text
    assert "refused: policy (403)" in text
    assert "round 1 (" not in text  # no plain lines on a terminal


def test_report_and_document() -> None:
    _, report = _rounds()
    buffer = io.StringIO()
    render_report(report, Console(file=buffer, width=100, color_system=None))
    text = buffer.getvalue()
    assert "Configured: held — 1 access policy names app" in text
    assert "Effective: the restriction holds in Graph — 2 of 2 addresses effective" in text
    doc = document(report, "tenant-1")
    assert json.loads(json.dumps(doc)) == doc
    assert {k: doc[k] for k in ("schema_version", "run_id", "outcome", "exit_code", "rounds")} == {
        "schema_version": 1,
        "run_id": "run12345",
        "outcome": "effective",
        "exit_code": 0,
        "rounds": 3,
    }
    ceo = doc["addresses"][1]
    assert ceo["effective"] == {
        "state": "held",
        "sends": 3,
        "last_send": {
            "result": "access_policy",
            "status": 403,
            "code": "ErrorAccessDenied",
            "error": "AccessPolicyDenied",
            "message": "Graph said: 403 ErrorAccessDenied: Access to OData is disabled: [RAOP] : "
            "Blocked by tenant configured AppOnly AccessPolicy settings. (request-id req-1)",
            "request_id": "req-1",
            "round": 3,
            "at_seconds": 600.0,
        },
    }
    assert ceo["tested"]["verdict"] == "Denied"
    assert ceo["tested"]["outside_policies"][0]["label"] == 'RestrictAccess on "Senders"'
