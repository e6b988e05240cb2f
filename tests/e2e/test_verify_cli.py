"""``sendscope verify`` through the real CLI against a real HTTPS emulator (demo tenant).

- With the propagation delay: "not effective yet" before it, "effective" after it, and
  verify changes nothing itself (policies, groups, propagation log the same).
- A second, wider RestrictAccess policy, and a ``*`` policy: misconfigured, naming it.
- Without an admin identity (``--no-admin``): only the effective rung.
- One run that waits through propagation, with a clock that moves the emulator's clock
  (as ``sendscope demo`` will): not effective yet, then effective, in one call.
- No secret value appears in any output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from sendscope.admin import AdminOptions, AdminSession, resolve_admin
from sendscope.cli.demo import EmulatorTime
from sendscope.connection import ConnectionOptions
from sendscope.emulator import ThreadedEmulator
from sendscope.mail import Mailer
from sendscope.verify import (
    AddressState,
    Outcome,
    RoundReport,
    plan_verification,
    run_verification,
)

pytestmark = pytest.mark.server

DOMAIN = "contoso.onmicrosoft.com"
NOREPLY, CEO = f"noreply@{DOMAIN}", f"ceo@{DOMAIN}"


class Run:
    """Runs ``sendscope`` in a fresh interpreter against one emulator; keeps all output."""

    def __init__(self, emu: ThreadedEmulator) -> None:
        self.emu = emu
        self.outputs: list[str] = []

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "sendscope", *args],
            capture_output=True,
            text=True,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        self.outputs.append(done.stdout + done.stderr)
        return done

    @property
    def app(self) -> str:
        return str(self.emu.info["tenants"][0]["apps"][0]["client_id"])

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENDSCOPE_")}
        env.update(
            SENDSCOPE_EMULATOR=str(self.emu.data_dir),
            SENDSCOPE_DATA_DIR=str(self.emu.data_dir),
            SENDSCOPE_CONFIG_DIR=str(self.emu.data_dir),
            COLUMNS="100",
        )
        return env

    def verify(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self("verify", "--allowed", NOREPLY, "--denied", CEO, "--timeout", "0", *extra)

    def secrets(self) -> list[str]:
        tenant = self.emu.info["tenants"][0]
        return [str(a["client_secret"]) for a in [*tenant["apps"], tenant["admin"]]]

    def assert_no_secret(self) -> None:
        everything = "\n".join(self.outputs)
        for secret in self.secrets():
            assert secret not in everything
        assert "eyJ" not in everything  # nothing shaped like a token either


@pytest.fixture
def restricted() -> Iterator[Run]:
    """A demo tenant where "Timesheet Mailer" was just restricted to senders@ (noreply@)."""
    with ThreadedEmulator(seed="demo") as emu:
        run = Run(emu)
        done = run(
            "restrict",
            "--app",
            run.app,
            "--group",
            f"senders@{DOMAIN}",
            "--create-group",
            "--member",
            NOREPLY,
            "--yes",
        )
        assert done.returncode == 0, done.stderr
        yield run
        run.assert_no_secret()


def _unchanged(emu: ThreadedEmulator) -> tuple[Any, ...]:
    store = emu.state.store
    return tuple(
        store.scalar(f"SELECT COUNT(*) FROM {table}")
        for table in ("application_access_policies", "access_policy_changes", "group_members")
    )


def _states(doc: dict[str, Any]) -> dict[str, str]:
    return {a["address"]: a["state"] for a in doc["addresses"]}


def test_not_effective_yet_then_effective(restricted: Run) -> None:
    before = _unchanged(restricted.emu)
    early = restricted.verify("--json")
    assert early.returncode == 3, early.stderr
    doc = json.loads(early.stdout)
    assert doc["schema_version"] == 1 and doc["outcome"] == "not_effective"
    assert _states(doc) == {NOREPLY: "effective", CEO: "not_effective_yet"}
    ceo = doc["addresses"][1]
    assert ceo["tested"]["verdict"] == "Denied"
    assert ceo["effective"]["last_send"]["status"] == 202
    assert "error: Not effective yet by a single check (--timeout 0)" in early.stderr

    restricted.emu.state.clock.advance(61 * 60)  # past the 60m propagation delay
    late = restricted.verify("--json")
    assert late.returncode == 0, late.stderr
    doc = json.loads(late.stdout)
    assert doc["outcome"] == "effective"
    refused = doc["addresses"][1]["effective"]["last_send"]
    assert (refused["status"], refused["code"], refused["error"]) == (
        403,
        "ErrorAccessDenied",
        "AccessPolicyDenied",
    )
    assert _unchanged(restricted.emu) == before  # verify changed nothing itself
    subjects = restricted.emu.state.store.all(
        "SELECT subject, recipients FROM outbox WHERE subject LIKE 'sendscope verification %'"
    )
    assert subjects and all(NOREPLY in str(row["recipients"]) for row in subjects)


def test_text_output(restricted: Run) -> None:
    done = restricted.verify()
    assert done.returncode == 3
    assert "round 1 (" in done.stdout  # not a terminal: plain lines, one per round
    assert f"{CEO} not effective yet" in " ".join(done.stdout.split())  # wrapped at 80
    assert "Configured: held — 1 access policy names app" in done.stdout
    assert "Not effective yet: Exchange's test already says Denied, but a send as it was" in (
        " ".join(done.stdout.split())
    )


def _admin(emu: ThreadedEmulator) -> AdminSession:
    return AdminSession(resolve_admin(AdminOptions(emulator=emu.data_dir), env={}))


def _second_policy(run: Run, app_id: str, group: str) -> None:
    """A second group holding ceo@ and a RestrictAccess policy on it, for ``app_id``."""
    with _admin(run.emu) as admin:
        admin.exchange.new_distribution_group(
            name=group,
            alias=group,
            display_name=group.title(),
            primary_smtp_address=f"{group}@{DOMAIN}",
            members=[CEO, NOREPLY],
        )
        admin.exchange.new_application_access_policy(
            app_id=app_id,
            scope=f"{group}@{DOMAIN}",
            access_right="RestrictAccess",
            description="wider",
        )


@pytest.mark.parametrize(("policy_app", "group"), [("app", "wider"), ("*", "everyone")])
def test_a_policy_that_lets_ceo_through_is_misconfigured(
    restricted: Run, policy_app: str, group: str
) -> None:
    restricted.emu.state.clock.advance(61 * 60)
    _second_policy(restricted, restricted.app if policy_app == "app" else "*", group)
    done = restricted.verify("--json")
    assert done.returncode == 3, done.stderr
    doc = json.loads(done.stdout)
    assert doc["outcome"] == "misconfigured"
    ceo = doc["addresses"][1]
    assert ceo["state"] == "misconfigured" and ceo["tested"]["verdict"] == "Granted"
    deciding = ceo["tested"]["deciding_policy"]
    assert deciding["label"] == f'RestrictAccess on "{group.title()}"'
    assert deciding["app_ids"] == [restricted.app if policy_app == "app" else "*"]
    assert f'RestrictAccess on "{group.title()}"' in ceo["sentence"]
    assert f"error: Misconfigured ({CEO}): waiting will not fix it" in done.stderr


def test_without_admin_only_effective(restricted: Run) -> None:
    restricted.emu.state.clock.advance(61 * 60)
    done = restricted.verify("--no-admin", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["admin_checked"] is False
    assert doc["configured"]["state"] == "not_checked"
    assert {a["tested"]["state"] for a in doc["addresses"]} == {"not_checked"}
    assert "Configured and tested were not checked: no admin identity was used." in doc["summary"]


def test_to_a_denied_address_is_refused_before_sending(restricted: Run) -> None:
    done = restricted.verify("--to", CEO)
    assert done.returncode == 2
    assert f"error: --to {CEO} is a --denied address" in done.stderr
    assert not restricted.emu.state.store.all(
        "SELECT id FROM outbox WHERE subject LIKE 'sendscope verification %'"
    )


def test_app_other_than_the_sender_is_refused(restricted: Run) -> None:
    admin_app = str(restricted.emu.info["tenants"][0]["admin"]["client_id"])
    done = restricted.verify("--app", admin_app)
    assert done.returncode == 2
    assert f"error: --app {admin_app} is not the app whose credentials send" in done.stderr


def test_one_run_waits_through_propagation(
    restricted: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("SENDSCOPE_"):
            monkeypatch.delenv(name)  # the emulator's identities, not the developer's
    plan = plan_verification(
        allowed=[NOREPLY], denied=[CEO], timeout="3h", interval="15m", run_id="demo0001"
    )
    rounds: list[RoundReport] = []
    options = ConnectionOptions(emulator=restricted.emu.data_dir)
    with Mailer.connect(options) as app, _admin(restricted.emu) as admin:
        report = run_verification(
            plan,
            app,
            admin,
            clock=EmulatorTime(restricted.emu.state.clock, pause=0),
            observer=rounds.append,
        )
    assert report.outcome is Outcome.EFFECTIVE
    assert rounds[0].addresses[1].state is AddressState.NOT_EFFECTIVE_YET
    assert report.rounds == 5  # 0, 15, 30, 45 min: not yet; 60 min: refused
    assert [r.next_try is None for r in rounds] == [False] * 4 + [True]


def test_ctrl_c_is_exit_130_never_a_verdict(restricted: Run) -> None:
    """Interrupted while it waits for the next round: 130 and "aborted", not 0 ("held")."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sendscope", "verify", "--allowed", NOREPLY, "--denied", CEO],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=restricted.env(),
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # the first round is over: verify now sleeps 5 minutes
        if line.startswith("round 1 ("):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "aborted" in err
    assert "Effective:" not in out
