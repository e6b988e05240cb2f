"""``sendscope policies list|remove`` against a real HTTPS emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sendscope.admin import AdminOptions, connect_admin

from .admin_helpers import run_admin, run_admin_process
from .connect_helpers import Emulator, Network, assert_no_secret, no_network, start_emulator

pytestmark = pytest.mark.server

__all__ = ["no_network"]

DOMAIN = "contoso.onmicrosoft.com"
OTHER_APP = "0badc0de-0000-4000-8000-000000000001"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh demo tenant with two policies: RestrictAccess for Timesheet Mailer on
    noreply@, and DenyAccess for another app on ceo@."""
    for emu in start_emulator():
        with connect_admin(AdminOptions(emulator=emu.data_dir)) as admin:
            admin.exchange.new_application_access_policy(
                app_id=emu.app["client_id"],
                scope=f"noreply@{DOMAIN}",
                access_right="RestrictAccess",
                description="only noreply",
            )
            admin.exchange.new_application_access_policy(
                app_id=OTHER_APP, scope=f"ceo@{DOMAIN}", access_right="DenyAccess", description=None
            )
        yield emu


def _env(tmp_path: Path) -> dict[str, str]:
    return {"SENDSCOPE_DATA_DIR": str(tmp_path / "data")}


def _base(emulator: Emulator, *args: str) -> list[str]:
    return ["policies", *args, "--emulator", str(emulator.data_dir)]


def test_list_shows_every_policy(emulator: Emulator, tmp_path: Path) -> None:
    outcome = run_admin_process(_base(emulator, "list"), _env(tmp_path))
    assert outcome.code == 0, outcome.stderr
    text = " ".join(outcome.stdout.split())
    assert f"{emulator.app['client_id']} RestrictAccess" in text
    assert f"{OTHER_APP} DenyAccess" in text
    assert "2 policies." in text
    assert_no_secret(outcome.output, emulator.secrets)


def test_list_for_one_app_as_json(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path
) -> None:
    args = [*_base(emulator, "list"), "--app", emulator.app["client_id"].upper(), "--json"]
    outcome = run_admin(monkeypatch, args, _env(tmp_path))
    assert outcome.code == 0, outcome.output
    doc = outcome.json()
    assert doc["schema_version"] == 1
    assert doc["app_id"] == emulator.app["client_id"]
    (policy,) = doc["policies"]
    assert policy["access_right"] == "RestrictAccess"
    assert policy["description"] == "only noreply"
    assert policy["is_valid"] is True
    assert policy["identity"].endswith(policy["scope_object_id"])
    assert_no_secret(outcome.output, emulator.secrets)


def test_remove_with_yes_removes_it(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path
) -> None:
    listed = run_admin(monkeypatch, [*_base(emulator, "list"), "--json"], _env(tmp_path)).json()
    identity = listed["policies"][1]["identity"]
    args = [*_base(emulator, "remove", identity.upper()), "--yes", "--json"]
    outcome = run_admin(monkeypatch, args, _env(tmp_path))
    assert outcome.code == 0, outcome.output
    assert outcome.json()["removed"]["identity"] == identity
    after = run_admin(monkeypatch, [*_base(emulator, "list"), "--json"], _env(tmp_path)).json()
    assert [p["identity"] for p in after["policies"]] == [listed["policies"][0]["identity"]]


def test_remove_without_yes_and_without_a_terminal_exits_2_writing_nothing(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: Network
) -> None:
    outcome = run_admin(monkeypatch, _base(emulator, "remove", "anything"), _env(tmp_path))
    assert outcome.code == 2
    assert "there is no terminal to ask: pass --yes. Nothing was changed." in " ".join(
        outcome.stderr.split()
    )
    assert no_network.attempts == []


def test_remove_of_an_unknown_identity_exits_2(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path
) -> None:
    args = [*_base(emulator, "remove", "nope"), "--yes"]
    outcome = run_admin(monkeypatch, args, _env(tmp_path))
    assert outcome.code == 2
    assert "error: there is no access policy with Identity 'nope'" in outcome.stderr
    with connect_admin(AdminOptions(emulator=emulator.data_dir)) as admin:
        assert len(admin.exchange.get_application_access_policies()) == 2


def test_list_app_filter_must_be_a_guid(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path, no_network: Network
) -> None:
    outcome = run_admin(monkeypatch, [*_base(emulator, "list"), "--app", "x"], _env(tmp_path))
    assert outcome.code == 2
    assert "error: --app 'x' is not a client ID" in outcome.stderr
    assert no_network.attempts == []


@pytest.mark.parametrize(("answer", "code", "left"), [("n\n", 2, 2), ("y\n", 0, 1)])
def test_remove_in_a_terminal_says_what_changes_and_asks(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    tmp_path: Path,
    answer: str,
    code: int,
    left: int,
) -> None:
    from sendscope.cli import policies

    monkeypatch.setattr(policies, "_interactive", lambda: True)
    listed = run_admin(monkeypatch, [*_base(emulator, "list"), "--json"], _env(tmp_path)).json()
    identity = listed["policies"][0]["identity"]
    outcome = run_admin(monkeypatch, _base(emulator, "remove", identity), _env(tmp_path), answer)
    assert outcome.code == code, outcome.output
    text = " ".join(outcome.stderr.split())
    assert (
        f'Removing RestrictAccess on "No Reply" for app {emulator.app["client_id"]}: '
        "the app may then reach mailboxes outside this scope again"
    ) in text
    assert "Remove it? [y/N]" in text
    with connect_admin(AdminOptions(emulator=emulator.data_dir)) as admin:
        assert len(admin.exchange.get_application_access_policies()) == left
