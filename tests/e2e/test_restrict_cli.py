"""``sendscope restrict`` end to end: the real CLI against a ThreadedEmulator on the demo
tenant, as the emulator's admin app (``--emulator DIR``).

Each test uses its own group address so they share one emulator; writes are counted through
the emulator's own state (access policies, recipients) and the admin client.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sendscope.admin import AdminOptions, connect_admin
from sendscope.cli.restrict import restrict
from sendscope.emulator import EmulatorState, ThreadedEmulator, seed_state
from tests.e2e.connect_helpers import assert_no_secret
from tests.emulator.exchange_helpers import mail_app

DOMAIN = "contoso.onmicrosoft.com"
NO_SUCH_APP = "5b1c7e2a-0f3d-4a6b-9c8e-1d2f3a4b5c6d"


def addr(local: str) -> str:
    return f"{local}@{DOMAIN}"


@dataclass
class Tenant:
    server: ThreadedEmulator
    mailer: str
    calendar: str
    secrets: list[str]

    @property
    def data_dir(self) -> Path:
        return Path(self.server.data_dir)

    def policies(self) -> list[dict[str, object]]:
        with connect_admin(AdminOptions(emulator=self.data_dir)) as session:
            return session.exchange.get_application_access_policies()

    def verdict(self, mailbox: str, app_id: str) -> str:
        with connect_admin(AdminOptions(emulator=self.data_dir)) as session:
            row = session.exchange.test_application_access_policy(identity=mailbox, app_id=app_id)
        return str(row["AccessCheckResult"])

    def recipients(self) -> int:
        return int(self.server.state.store.scalar("SELECT COUNT(*) FROM recipients"))


@pytest.fixture(scope="module")
def tenant() -> Iterator[Tenant]:
    state = EmulatorState.create()
    seed_state(state, "demo")
    tid = str(state.store.scalar("SELECT id FROM tenants"))
    calendar, _ = mail_app(state, tid, "Shift Sync", "Mail.Send", "Calendars.ReadWrite")
    with ThreadedEmulator(state=state) as server:
        info = server.info["tenants"][0]
        secrets = [info["admin"]["client_secret"], *(a["client_secret"] for a in info["apps"])]
        mailer = next(a["client_id"] for a in info["apps"] if a["name"] == "Timesheet Mailer")
        yield Tenant(server, mailer, calendar, secrets)


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        return " ".join(self.err.split())


def run(monkeypatch: pytest.MonkeyPatch, tenant: Tenant, *args: str) -> Run:
    """``sendscope restrict ARGS --emulator DIR`` through the real ``main``, in-process."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("restrict")(restrict)

    @app.callback()
    def root() -> None:
        """test root"""

    cli_app = importlib.import_module("sendscope.cli.app")
    monkeypatch.setattr(cli_app, "app", app)
    argv = ["sendscope", "restrict", *args, "--emulator", str(tenant.data_dir)]
    monkeypatch.setattr(sys, "argv", argv)
    for name in [k for k in os.environ if k.startswith("SENDSCOPE_")]:
        monkeypatch.delenv(name)
    with CliRunner().isolation(env={"COLUMNS": "80"}) as (out, err, _):
        try:
            cli_app.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        sys.stdout.flush()
        sys.stderr.flush()
        done = Run(code, out.getvalue().decode(), err.getvalue().decode())
    assert_no_secret(done.out + done.err, tenant.secrets)
    return done


def test_restrict_the_mailer_to_a_new_group_holding_noreply(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    group = addr("timesheet-senders")
    args = ("--app", tenant.mailer, "--group", group, "--create-group", "--member", addr("noreply"))
    first = run(monkeypatch, tenant, *args)
    assert first.code == 0, first.err
    flat = " ".join(first.out.split())
    assert "Effect: Timesheet Mailer goes from 49 mailboxes to 1." in flat
    assert f"{addr('noreply')}: Granted (inside the scope)" in flat
    mine = [p for p in tenant.policies() if p["AppId"] == tenant.mailer]
    assert [(p["AccessRight"], p["ScopeName"]) for p in mine] == [
        ("RestrictAccess", "timesheet-senders")
    ]
    # Test-ApplicationAccessPolicy sees it at once.
    assert tenant.verdict(addr("noreply"), tenant.mailer) == "Granted"
    assert tenant.verdict(addr("ceo"), tenant.mailer) == "Denied"

    recipients = tenant.recipients()
    second = run(monkeypatch, tenant, *args, "--json")
    assert second.code == 0, second.err
    doc = json.loads(second.out)
    assert doc["nothing_to_change"] is True and doc["changed"] is False
    assert [s["status"] for s in doc["steps"]] == ["skipped", "skipped", "skipped"]
    assert all(t["agrees"] for t in doc["tests"])
    assert len(tenant.policies()) == len(mine) and tenant.recipients() == recipients


def _refused(monkeypatch: pytest.MonkeyPatch, tenant: Tenant, *args: str) -> Run:
    policies, recipients = len(tenant.policies()), tenant.recipients()
    done = run(monkeypatch, tenant, *args)
    assert done.code == 2, done.err
    assert len(tenant.policies()) == policies and tenant.recipients() == recipients
    return done


def test_a_distribution_group_is_refused(monkeypatch: pytest.MonkeyPatch, tenant: Tenant) -> None:
    done = _refused(monkeypatch, tenant, "--app", tenant.mailer, "--group", addr("allstaff"))
    assert done.said == (
        f"error: --group {addr('allstaff')}: {addr('allstaff')} is a distribution group, not a "
        "security principal: use a mail-enabled security group. Nothing was written."
    )


def test_a_shared_mailbox_is_refused_as_group(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    done = _refused(
        monkeypatch, tenant, "--app", tenant.mailer, "--group", addr("info"), "--create-group"
    )
    assert done.said.startswith(
        f"error: --group {addr('info')}: {addr('info')} is a shared mailbox"
    )


def test_an_app_without_a_service_principal_is_refused(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    done = _refused(
        monkeypatch, tenant, "--app", NO_SUCH_APP, "--group", addr("x-senders"), "--create-group"
    )
    tenant_id = tenant.server.info["tenants"][0]["id"]
    assert done.said.startswith(
        f"error: app {NO_SUCH_APP} has no service principal in tenant {tenant_id}: it is not "
        "registered there"
    )


def test_an_unknown_member_is_refused(monkeypatch: pytest.MonkeyPatch, tenant: Tenant) -> None:
    done = _refused(
        monkeypatch,
        tenant,
        *("--app", tenant.mailer, "--group", addr("y-senders"), "--create-group"),
        *("--member", addr("nobody")),
    )
    assert done.said.startswith(f"error: --member {addr('nobody')} is not a recipient")


def test_a_non_guid_app_id_is_refused(monkeypatch: pytest.MonkeyPatch, tenant: Tenant) -> None:
    done = _refused(monkeypatch, tenant, "--app", "Timesheet Mailer", "--group", addr("ceo"))
    assert done.said.startswith("error: --app 'Timesheet Mailer' is not an application")


def test_a_calendar_app_needs_yes(monkeypatch: pytest.MonkeyPatch, tenant: Tenant) -> None:
    args = (
        *("--app", tenant.calendar, "--group", addr("sync-senders"), "--create-group"),
        *("--member", addr("noreply")),
    )
    done = _refused(monkeypatch, tenant, *args)
    assert "Calendar sync for everyone outside the group would stop" in " ".join(done.out.split())
    assert done.said.endswith("run again with --yes to go ahead. Nothing was written.")
    agreed = run(monkeypatch, tenant, *args, "--yes")
    assert agreed.code == 0, agreed.err
    assert tenant.verdict(addr("ceo"), tenant.calendar) == "Denied"
    assert tenant.verdict(addr("noreply"), tenant.calendar) == "Granted"


def test_dry_run_and_powershell_write_nothing(
    monkeypatch: pytest.MonkeyPatch, tenant: Tenant
) -> None:
    args = ("--app", tenant.mailer, "--group", addr("dry-senders"), "--create-group")
    policies, recipients = len(tenant.policies()), tenant.recipients()
    dry = run(monkeypatch, tenant, *args, "--member", addr("hr"), "--dry-run")
    script = run(monkeypatch, tenant, *args, "--member", addr("hr"), "--powershell")
    assert dry.code == script.code == 0
    assert "Dry run: nothing was written." in dry.out
    assert f"-PolicyScopeGroupId '{addr('dry-senders')}' -AccessRight RestrictAccess" in script.out
    assert len(tenant.policies()) == policies and tenant.recipients() == recipients


def test_in_a_fresh_process_without_a_terminal(tenant: Tenant) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENDSCOPE_")}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "sendscope", "restrict", "--app", tenant.mailer),
            *("--group", addr("ceo"), "--access-right", "deny", "--json", "--yes"),
            *("--emulator", str(tenant.data_dir)),
        ],
        env={**base, "COLUMNS": "80"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert_no_secret(done.stdout + done.stderr, tenant.secrets)
    doc = json.loads(done.stdout)
    assert doc["access_right"] == "DenyAccess" and doc["changed"] is True
    first = doc["tests"][0]
    assert (first["address"], first["result"]) == (addr("ceo"), "Denied")
