"""``sendscope test-policy`` against a real HTTPS emulator: Exchange's verdicts with the
evaluator's reasons, unknown addresses, disagreements (exit 3), bad input (exit 2, no
request), and never a secret or token in what it prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sendscope.admin import AdminOptions, connect_admin
from sendscope.clients.exchange import ExchangeAdminClient

from .admin_helpers import run_admin, run_admin_process
from .connect_helpers import (
    Emulator,
    Network,
    TokenSpy,
    assert_no_secret,
    no_network,
    start_emulator,
    token_spy,
)

pytestmark = pytest.mark.server

__all__ = ["no_network", "token_spy"]  # fixtures, imported for pytest

DOMAIN = "contoso.onmicrosoft.com"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The demo tenant with Timesheet Mailer restricted to "Mail Senders" (noreply, and the
    nested group "Night Shift" holding staff01)."""
    for emu in start_emulator():
        with connect_admin(AdminOptions(emulator=emu.data_dir)) as admin:
            exchange = admin.exchange
            exchange.new_distribution_group(
                name="Night Shift",
                alias="nightshift",
                display_name=None,
                primary_smtp_address=None,
                members=[f"staff01@{DOMAIN}"],
            )
            exchange.new_distribution_group(
                name="Mail Senders",
                alias="mailsenders",
                display_name=None,
                primary_smtp_address=None,
                members=[f"noreply@{DOMAIN}", "nightshift"],
            )
            exchange.new_application_access_policy(
                app_id=emu.app["client_id"],
                scope="mailsenders",
                access_right="RestrictAccess",
                description="sendscope test",
            )
        yield emu


@pytest.fixture
def args(emulator: Emulator, tmp_path: Path) -> list[str]:
    return ["test-policy", "--emulator", str(emulator.data_dir), "--app", emulator.app["client_id"]]


def _env(tmp_path: Path) -> dict[str, str]:
    return {"SENDSCOPE_DATA_DIR": str(tmp_path / "data")}


def test_granted_denied_nested_and_unknown_in_a_real_process(
    emulator: Emulator, args: list[str], tmp_path: Path
) -> None:
    addresses = [f"noreply@{DOMAIN}", f"ceo@{DOMAIN}", f"staff01@{DOMAIN}", f"nobody@{DOMAIN}"]
    outcome = run_admin_process([*args, *addresses], _env(tmp_path))
    assert outcome.code == 0, outcome.stderr
    text = " ".join(outcome.stdout.split())
    app = emulator.app["client_id"]
    assert (
        f'noreply@{DOMAIN} Granted Granted: RestrictAccess on "Mail Senders" applies to app '
        f"{app} and noreply@{DOMAIN} is a direct member of Mail Senders."
    ) in text
    assert f"ceo@{DOMAIN} Denied Denied: ceo@{DOMAIN} is outside every RestrictAccess" in text
    assert f"staff01@{DOMAIN} is in Mail Senders through Night Shift." in text
    assert (
        f"nobody@{DOMAIN} not found not found: The operation couldn't be performed because "
        f"object 'nobody@{DOMAIN}' couldn't be found"
    ) in text
    assert "2 granted, 1 denied, 1 not found (4 tested; 1 access policy names the app)" in text
    assert outcome.stderr == ""
    assert_no_secret(outcome.output, emulator.secrets)


def test_json_is_one_schema_v1_document(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    args: list[str],
    tmp_path: Path,
    token_spy: TokenSpy,
) -> None:
    outcome = run_admin(
        monkeypatch, [*args, f"ceo@{DOMAIN}", f"NOREPLY@{DOMAIN}", "--json"], _env(tmp_path)
    )
    assert outcome.code == 0, outcome.output
    doc = outcome.json()
    assert doc["schema_version"] == 1
    assert doc["tenant"] == emulator.tenant_id
    assert doc["app_id"] == emulator.app["client_id"]
    assert doc["policies_for_app"] == 1
    assert [(r["address"], r["server"], r["evaluator"], r["agrees"]) for r in doc["results"]] == [
        (f"ceo@{DOMAIN}", "Denied", "Denied", True),
        (f"NOREPLY@{DOMAIN}", "Granted", "Granted", True),
    ]
    assert doc["results"][0]["reason"].startswith("Denied: ")
    assert doc["results"][1]["mailbox_id"]
    assert doc["summary"] == {
        "tested": 2,
        "granted": 1,
        "denied": 1,
        "not_found": 0,
        "disagreements": 0,
    }
    assert token_spy.values
    for value in [*emulator.secrets, *token_spy.values]:
        assert value not in outcome.output
    assert_no_secret(outcome.output, emulator.secrets)


def test_all_mailboxes_tests_every_user_and_shared_mailbox(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, args: list[str], tmp_path: Path
) -> None:
    outcome = run_admin(monkeypatch, [*args, "--all-mailboxes", "--json"], _env(tmp_path))
    assert outcome.code == 0, outcome.output
    doc = outcome.json()
    granted = {r["address"] for r in doc["results"] if r["server"] == "Granted"}
    assert granted == {f"noreply@{DOMAIN}", f"staff01@{DOMAIN}"}
    assert f"info@{DOMAIN}" in {r["address"] for r in doc["results"]}  # the shared mailbox
    with connect_admin(AdminOptions(emulator=emulator.data_dir)) as admin:
        mailboxes = {m["PrimarySmtpAddress"] for m in admin.exchange.get_mailboxes()}
    assert {r["address"] for r in doc["results"]} == mailboxes
    assert doc["summary"]["tested"] == len(mailboxes) > 40
    assert doc["summary"]["disagreements"] == 0


def test_a_disagreement_is_said_loudly_and_exits_3(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, args: list[str], tmp_path: Path
) -> None:
    def always_granted(self: ExchangeAdminClient, *, identity: str, app_id: str) -> dict[str, Any]:
        return {"AppId": app_id, "Mailbox": identity, "AccessCheckResult": "Granted"}

    monkeypatch.setattr(ExchangeAdminClient, "test_application_access_policy", always_granted)
    outcome = run_admin(monkeypatch, [*args, f"ceo@{DOMAIN}", f"noreply@{DOMAIN}"], _env(tmp_path))
    assert outcome.code == 3
    text = " ".join(outcome.output.split())
    assert "≠ sendscope says Denied:" in text
    assert "DISAGREEMENT:" in text
    assert (
        "error: sendscope's evaluator and Exchange's Test-ApplicationAccessPolicy DISAGREE on 1 "
        f"of 2 mailboxes (ceo@{DOMAIN})."
    ) in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--app", "not-a-guid", "a@contoso.com"], "--app 'not-a-guid' is not a client ID"),
        (
            ["--app", "11111111-2222-3333-4444-555555555555", "ceo"],
            "address 'ceo' is not an email address",
        ),
        (["--app", "11111111-2222-3333-4444-555555555555"], "no mailbox to test"),
        (
            ["--app", "11111111-2222-3333-4444-555555555555", "--all-mailboxes", "a@contoso.com"],
            "give addresses or --all-mailboxes, not both",
        ),
    ],
)
def test_malformed_input_exits_2_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    no_network: Network,
    tmp_path: Path,
    extra: list[str],
    message: str,
) -> None:
    outcome = run_admin(
        monkeypatch, ["test-policy", "--emulator", str(emulator.data_dir), *extra], _env(tmp_path)
    )
    assert outcome.code == 2, outcome.output
    assert f"error: {message}" in " ".join(outcome.stderr.split())
    assert no_network.attempts == []


def test_an_admin_without_exchange_rights_is_told_the_role(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, args: list[str], tmp_path: Path
) -> None:
    env = {**_env(tmp_path), "SENDSCOPE_ADMIN_CLIENT_SECRET": emulator.app["client_secret"]}
    outcome = run_admin(
        monkeypatch, [*args, "--admin-client-id", emulator.app["client_id"], f"ceo@{DOMAIN}"], env
    )
    assert outcome.code == 5
    text = " ".join(outcome.stderr.split())
    assert (
        "error: The admin identity lacks the Exchange role for Get-ApplicationAccessPolicy." in text
    )
    assert "Exchange.ManageAsApp" in text
    assert_no_secret(outcome.output, emulator.secrets)
