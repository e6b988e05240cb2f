from __future__ import annotations

from typing import Any

import pytest

from sendscope.emulator import EmulatorState, apply_fixture
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.seeds import FixtureError


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState.create()


def fixture(**extra: Any) -> dict[str, Any]:
    return {"domain": "fabrikam.onmicrosoft.com", **extra}


def test_fixture_builds_users_groups_and_apps(state: EmulatorState) -> None:
    tid = apply_fixture(
        state,
        fixture(
            users=[
                {"userPrincipalName": "a"},
                {"userPrincipalName": "b", "mailbox": "none"},
                {"userPrincipalName": "shared", "mailbox": "SharedMailbox"},
            ],
            groups=[
                {"displayName": "Inner", "kind": "mailEnabledSecurity", "members": ["a"]},
                {"displayName": "Outer", "kind": "security", "members": ["Inner", "b"]},
            ],
            apps=[
                {
                    "displayName": "Mailer",
                    "roles": ["Mail.Send"],
                    "exchangeRoles": ["full_access_as_app"],
                }
            ],
        ),
    )
    directory = Directory(state.store)
    a = directory.user(tid, "a@fabrikam.onmicrosoft.com")
    b = directory.user(tid, "b@fabrikam.onmicrosoft.com")
    shared = directory.user(tid, "shared@fabrikam.onmicrosoft.com")
    assert a and b and shared
    assert directory.mailbox(tid, a["id"]) is not None
    assert directory.mailbox(tid, b["id"]) is None
    assert directory.mailbox(tid, shared["id"]).recipient_type_details == "SharedMailbox"  # type: ignore[union-attr]
    assert shared["account_enabled"] == 0  # shared mailboxes' accounts cannot sign in
    outer = state.store.one("SELECT id FROM groups WHERE display_name = 'Outer'")
    members = {m for m, _ in directory.transitive_members(tid, outer["id"])}
    assert a["id"] in members and b["id"] in members
    inner = state.store.one("SELECT id FROM groups WHERE display_name = 'Inner'")
    assert (
        directory.recipient(tid, inner["id"])["recipient_type_details"]
        == "MailUniversalSecurityGroup"
    )


def test_nested_group_cycles_do_not_loop(state: EmulatorState) -> None:
    tid = apply_fixture(
        state,
        fixture(
            users=[{"userPrincipalName": "a"}],
            groups=[
                {"displayName": "G1", "members": ["a"]},
                {"displayName": "G2", "members": ["G1"]},
            ],
        ),
    )
    directory = Directory(state.store)
    g1 = state.store.one("SELECT id FROM groups WHERE display_name = 'G1'")["id"]
    g2 = state.store.one("SELECT id FROM groups WHERE display_name = 'G2'")["id"]
    directory.add_member(tid, g1, g2, "group")  # G1 -> G2 -> G1
    assert len(directory.transitive_members(tid, g1)) == 2  # a and G2, once each


def test_bulk_users_make_100000_mailboxes(state: EmulatorState) -> None:
    tid = apply_fixture(state, fixture(bulkUsers={"count": 100_000}))
    assert state.store.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = ?", (tid,)) == 100_000
    assert (
        state.store.scalar(
            "SELECT COUNT(*) FROM recipients WHERE tenant_id = ? "
            "AND recipient_type_details = 'UserMailbox'",
            (tid,),
        )
        == 100_000
    )
    assert Directory(state.store).user(tid, "user100000@fabrikam.onmicrosoft.com") is not None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"domain": ""}, "fixture field 'domain' must be a non-empty string"),
        (fixture(id="nope"), "fixture field 'id' 'nope' must be a tenant GUID"),
        (fixture(users="a"), "fixture field 'users' must be a list of objects"),
        (
            fixture(users=[{"userPrincipalName": "a", "mailbox": "Room"}]),
            "mailbox 'Room' is not one of",
        ),
        (
            fixture(groups=[{"displayName": "G", "members": ["ghost"]}]),
            "member 'ghost' is not a user or group",
        ),
        (fixture(groups=[{"displayName": "G", "kind": "dynamic"}]), "kind 'dynamic' is not one of"),
        (
            fixture(apps=[{"displayName": "X", "roles": ["Mail.Sendd"]}]),
            "app X: 'Mail.Sendd' is not an application permission of Microsoft Graph",
        ),
        (
            fixture(apps=[{"displayName": "X", "directoryRoles": ["Boss"]}]),
            "unknown directory role 'Boss'",
        ),
        (fixture(bulkUsers={"count": "many"}), "fixture field 'bulkUsers' must be an object"),
        (fixture(bulkUsers={"count": 0}), "bulkUsers.count 0 must be between 1 and 1000000"),
    ],
)
def test_bad_fixture_is_named_and_leaves_nothing(
    state: EmulatorState, bad: dict[str, Any], message: str
) -> None:
    with pytest.raises(FixtureError, match=message):
        apply_fixture(state, bad)
    assert state.store.scalar("SELECT COUNT(*) FROM tenants") == 0
    assert state.store.scalar("SELECT COUNT(*) FROM users") == 0


def test_duplicate_domain_is_refused(state: EmulatorState) -> None:
    apply_fixture(state, fixture())
    with pytest.raises(FixtureError, match="exists already"):
        apply_fixture(state, fixture())
