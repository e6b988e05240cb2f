"""Graph's mailbox endpoints enforce Application Access Policies as they have propagated:
additions and changes after --propagation-delay, removals after --removal-delay, while
Test-ApplicationAccessPolicy sees every change at once (m365-domain.md §1.6, §1.8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState, create_app, seed_state
from sendscope.emulator.core import propagation
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.core.state import EmulatorSettings
from tests.conftest import Tenant, bearer
from tests.emulator.exchange_helpers import (
    RAOP,
    addr,
    graph_verdict,
    mail_app,
    one,
    run,
    send_as,
)
from tests.emulator.graph_mail_helpers import delegated_token

MINUTE = 60.0
HOUR = 3600.0
BYPASS = {"BypassSecurityGroupManagerCheck": True}
MAILER = "Timesheet Mailer"


@pytest.fixture
def admin(token: Callable[..., str]) -> str:
    return token(admin=True, resource="exchange")


@pytest.fixture
def mailer(token: Callable[..., str]) -> str:
    return token(MAILER)


@pytest.fixture
def mailer_id(tenant: Tenant) -> str:
    return tenant.apps[MAILER].client_id


def _restrict_to_noreply(client: TestClient, admin: str, app_id: str) -> None:
    group = run(
        client,
        admin,
        "New-DistributionGroup",
        Name="Timesheet senders",
        Type="Security",
        PrimarySmtpAddress=addr("timesheet-senders"),
        Members=[addr("noreply")],
    )
    assert group.status_code == 200, group.text
    policy = run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=app_id,
        PolicyScopeGroupId=addr("timesheet-senders"),
        AccessRight="RestrictAccess",
        Description="Restrict Timesheet Mailer to timesheet-senders",
    )
    assert policy.status_code == 200, policy.text


def _test(client: TestClient, admin: str, mailbox: str, app_id: str) -> str:
    record = one(run(client, admin, "Test-ApplicationAccessPolicy", Identity=mailbox, AppId=app_id))
    result: str = record["AccessCheckResult"]
    return result


def test_demo_acceptance_story(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    assert _test(client, admin, addr("noreply"), mailer_id) == "Granted"
    assert _test(client, admin, addr("ceo"), mailer_id) == "Denied"
    assert send_as(client, mailer, addr("ceo")).status_code == 202  # before the delay
    assert send_as(client, mailer, addr("noreply")).status_code == 202
    state.clock.advance(60 * MINUTE)
    refused = send_as(client, mailer, addr("ceo"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ErrorAccessDenied"
    assert refused.json()["error"]["message"] == RAOP
    assert refused.json()["error"]["innerError"]["request-id"]
    assert send_as(client, mailer, addr("noreply")).status_code == 202


def test_addition_reaches_graph_exactly_after_the_delay(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    state.clock.advance(HOUR - 5)
    assert graph_verdict(client, mailer, addr("ceo")) == "Granted"
    state.clock.advance(5)
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"


def test_removal_reaches_graph_after_the_removal_delay(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    state.clock.advance(HOUR)
    [policy] = run(client, admin, "Get-ApplicationAccessPolicy").json()["value"]
    run(client, admin, "Remove-ApplicationAccessPolicy", Identity=policy["Identity"])
    assert _test(client, admin, addr("ceo"), mailer_id) == "Granted"
    state.clock.advance(29 * MINUTE)
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
    state.clock.advance(1 * MINUTE)
    assert graph_verdict(client, mailer, addr("ceo")) == "Granted"


def test_new_scope_member_waits_for_the_propagation_delay(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    state.clock.advance(HOUR)
    run(
        client,
        admin,
        "Add-DistributionGroupMember",
        Identity="Timesheet senders",
        Member="ceo",
        **BYPASS,
    )
    assert _test(client, admin, addr("ceo"), mailer_id) == "Granted"
    state.clock.advance(30 * MINUTE)
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
    state.clock.advance(30 * MINUTE)
    assert graph_verdict(client, mailer, addr("ceo")) == "Granted"


def test_removed_scope_member_keeps_access_for_the_removal_delay(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    state.clock.advance(HOUR)
    run(
        client,
        admin,
        "Remove-DistributionGroupMember",
        Identity="Timesheet senders",
        Member="noreply",
        **BYPASS,
    )
    assert _test(client, admin, addr("noreply"), mailer_id) == "Denied"
    state.clock.advance(29 * MINUTE)
    assert graph_verdict(client, mailer, addr("noreply")) == "Granted"
    state.clock.advance(1 * MINUTE)
    assert graph_verdict(client, mailer, addr("noreply")) == "Denied"


def test_nested_membership_change_propagates(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    run(client, admin, "New-DistributionGroup", Name="Execs", Type="Security")
    run(
        client,
        admin,
        "Add-DistributionGroupMember",
        Identity="Timesheet senders",
        Member="Execs",
        **BYPASS,
    )
    state.clock.advance(HOUR)
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
    run(client, admin, "Add-DistributionGroupMember", Identity="Execs", Member="ceo", **BYPASS)
    assert _test(client, admin, addr("ceo"), mailer_id) == "Granted"
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
    state.clock.advance(HOUR)
    assert graph_verdict(client, mailer, addr("ceo")) == "Granted"


def test_policy_removed_before_it_arrived_never_applies(
    client: TestClient, admin: str, mailer: str, mailer_id: str, state: EmulatorState
) -> None:
    """Created at 0 (due at 60m), removed at 10m (due at 40m): Graph never enforces it."""
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=mailer_id,
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    state.clock.advance(10 * MINUTE)
    [policy] = run(client, admin, "Get-ApplicationAccessPolicy").json()["value"]
    run(client, admin, "Remove-ApplicationAccessPolicy", Identity=policy["Identity"])
    for step in (35, 20, 60):  # 45m, 65m, 125m
        state.clock.advance(step * MINUTE)
        assert graph_verdict(client, mailer, addr("ceo")) == "Granted"


def test_other_apps_are_not_affected(
    client: TestClient, admin: str, mailer_id: str, state: EmulatorState, tenant: Tenant
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    _, other = mail_app(state, tenant.id, "Other mailer")
    state.clock.advance(HOUR)
    assert graph_verdict(client, other, addr("ceo")) == "Granted"


def test_delegated_callers_are_not_subject(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId="04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId="*",
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    state.clock.advance(HOUR)
    user = delegated_token(state, tenant.id, addr("ceo"), ["Mail.Send"])
    assert send_as(client, user, addr("ceo")).status_code == 202


def test_reads_and_folders_are_enforced_too(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    app_id, reader = mail_app(state, tenant.id, "Reader", "Mail.Read")
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=app_id,
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    state.clock.advance(HOUR)
    for path in ("messages", "mailFolders", "mailFolders/inbox", "mailFolders/inbox/messages"):
        refused = client.get(f"/v1.0/users/{addr('ceo')}/{path}", headers=bearer(reader))
        assert refused.status_code == 403, path
        assert refused.json()["error"]["message"] == RAOP
        allowed = client.get(f"/v1.0/users/{addr('cfo')}/{path}", headers=bearer(reader))
        assert allowed.status_code == 200, path


def test_missing_entra_grant_is_the_plain_access_denied(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    app_id, reader = mail_app(state, tenant.id, "Reader", "Mail.Read")
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=app_id,
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    state.clock.advance(HOUR)
    refused = send_as(client, reader, addr("ceo"))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "Access is denied. Check credentials and try again."
    )


def test_star_deny_blocks_the_mailer(
    client: TestClient, admin: str, mailer: str, state: EmulatorState
) -> None:
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId="*",
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    state.clock.advance(HOUR)
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
    assert graph_verdict(client, mailer, addr("cfo")) == "Granted"


# -- settings, reset, restart, cost ---------------------------------------------------------


@pytest.fixture
def quick_state(state: EmulatorState) -> EmulatorState:
    state.settings = replace(state.settings, propagation_delay=5.0, removal_delay=2.0)
    return state


def test_delays_come_from_the_settings(
    quick_state: EmulatorState, admin: str, mailer: str, mailer_id: str
) -> None:
    with TestClient(create_app(quick_state), base_url="https://testserver") as client:
        _restrict_to_noreply(client, admin, mailer_id)
        quick_state.clock.advance(4)
        assert graph_verdict(client, mailer, addr("ceo")) == "Granted"
        quick_state.clock.advance(1)
        assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
        [policy] = run(client, admin, "Get-ApplicationAccessPolicy").json()["value"]
        run(client, admin, "Remove-ApplicationAccessPolicy", Identity=policy["Identity"])
        quick_state.clock.advance(2)
        assert graph_verdict(client, mailer, addr("ceo")) == "Granted"


def test_reset_forgets_enforced_policies(
    client: TestClient, admin: str, mailer_id: str, state: EmulatorState, tenant: Tenant
) -> None:
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=mailer_id,
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    state.clock.advance(HOUR)
    ceo = Directory(state.store).user(tenant.id, addr("ceo"))
    assert ceo is not None
    assert not propagation.graph_access_granted(state, tenant.id, mailer_id, ceo["id"])
    state.store.wipe()
    assert propagation.graph_access_granted(state, tenant.id, mailer_id, ceo["id"])


def test_enforcement_survives_a_restart(tmp_path: Path, state: EmulatorState) -> None:
    settings = EmulatorSettings()
    first = EmulatorState.create(tmp_path, settings, signing_key=state.signing_key)
    seed_state(first, "demo")
    tenant_id = first.store.scalar("SELECT id FROM tenants")
    admin = Directory(first.store)
    ceo = admin.user(tenant_id, addr("ceo"))
    assert ceo is not None
    from sendscope.emulator.core.app_access import PolicyRule

    propagation.record_policy(
        first,
        tenant_id,
        "p1",
        propagation.ADD,
        PolicyRule("*", "DenyAccess", ceo["id"]),
        at=first.clock.timestamp(),
    )
    first.clock.advance(HOUR)
    first.close()
    second = EmulatorState.create(tmp_path, settings, signing_key=state.signing_key)
    try:
        assert not propagation.graph_access_granted(second, tenant_id, "any-app", ceo["id"])
    finally:
        second.close()


def test_tenant_without_policies_costs_no_query(
    state: EmulatorState, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert propagation.graph_access_granted(state, tenant.id, "app", "mailbox")  # loads history

    def no_query(*args: object, **kwargs: object) -> Iterator[object]:
        raise AssertionError("the fast path touched the database")

    monkeypatch.setattr(state.store, "all", no_query)
    monkeypatch.setattr(state.store, "scalar", no_query)
    monkeypatch.setattr(state.store, "one", no_query)
    for _ in range(3):
        assert propagation.graph_access_granted(state, tenant.id, "app", "mailbox")


def test_view_is_rebuilt_only_when_needed(
    client: TestClient,
    admin: str,
    mailer_id: str,
    state: EmulatorState,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _restrict_to_noreply(client, admin, mailer_id)
    builds: list[float] = []
    real_build = propagation.build_view

    def counting(*args: object, **kwargs: object) -> propagation.PropagatedView:
        builds.append(1)
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(propagation, "build_view", counting)
    ceo = Directory(state.store).user(tenant.id, addr("ceo"))
    assert ceo is not None
    for _ in range(5):
        assert propagation.graph_access_granted(state, tenant.id, mailer_id, ceo["id"])
    assert len(builds) == 1
    state.clock.advance(HOUR)  # the pending changes come due
    for _ in range(5):
        assert not propagation.graph_access_granted(state, tenant.id, mailer_id, ceo["id"])
    assert len(builds) == 2


def test_members_from_before_the_log_count_until_their_removal_arrives(
    client: TestClient,
    admin: str,
    mailer: str,
    mailer_id: str,
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    """A group a fixture made (its members never logged) keeps a removed member in Graph's
    view until the removal delay has passed."""
    directory, now = Directory(state.store), state.clock.now()
    gid = directory.create_group(
        tenant.id,
        display_name="Seeded",
        mail_nickname="seeded",
        mail=addr("seeded"),
        mail_enabled=True,
        security_enabled=True,
        now=now,
    )
    directory.add_recipient(
        tenant.id, gid, "MailUniversalSecurityGroup", "seeded", "Seeded", addr("seeded"), now=now
    )
    ceo = directory.user(tenant.id, addr("ceo"))
    assert ceo is not None
    directory.add_member(tenant.id, gid, ceo["id"], "user")
    run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=mailer_id,
        PolicyScopeGroupId="seeded",
        AccessRight="RestrictAccess",
    )
    state.clock.advance(HOUR)
    assert graph_verdict(client, mailer, addr("ceo")) == "Granted"
    assert graph_verdict(client, mailer, addr("cfo")) == "Denied"
    run(client, admin, "Remove-DistributionGroupMember", Identity="seeded", Member="ceo", **BYPASS)
    assert graph_verdict(client, mailer, addr("ceo")) == "Granted"
    state.clock.advance(30 * MINUTE)
    assert graph_verdict(client, mailer, addr("ceo")) == "Denied"
