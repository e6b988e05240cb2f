"""The audit against the emulator, through the real clients: the demo tenant's acceptance,
permissions checked up front, paging and request counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from sendscope.audit import run_audit
from sendscope.emulator import EmulatorState, apply_fixture, seed_state
from sendscope.emulator.seeds.tenants import ADMIN_APP, demo_fixture
from sendscope.errors import PermissionMissing
from sendscope.policy.findings import AuditResult, Severity
from sendscope.snapshot import read_snapshot_with_stats
from tests.conftest import _SIGNING_KEY
from tests.emulator.audit_helpers import Bridge, admin_session
from tests.unit.test_mailer_support import graph_error, on

DOMAIN = "contoso.onmicrosoft.com"
LEAST_PRIVILEGED: dict[str, Any] = {
    "displayName": "Audit reader",
    "roles": [
        "Application.Read.All",
        "RoleManagement.Read.Directory",
        "User.Read.All",
        "GroupMember.Read.All",
    ],
    "exchangeRoles": ["Exchange.ManageAsApp"],
    "directoryRoles": ["Global Reader"],
}
WEAK: dict[str, Any] = {
    "displayName": "Weak admin",
    "roles": ["User.Read.All"],
    "exchangeRoles": [],
}


def demo_state(*extra_apps: dict[str, Any], users: int = 0) -> EmulatorState:
    state = EmulatorState.create(signing_key=_SIGNING_KEY)
    fixture = demo_fixture()
    fixture["apps"] = [*fixture["apps"], *extra_apps]
    fixture["users"] = [
        *fixture["users"],
        *({"userPrincipalName": f"bulk{i:04d}"} for i in range(users)),
    ]
    apply_fixture(state, fixture)
    return state


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    state = EmulatorState.create(signing_key=_SIGNING_KEY)
    seed_state(state, "demo")
    yield Bridge(state)
    state.close()


def audited(bridge: Bridge, name: str | None = None) -> AuditResult:
    with admin_session(bridge, name=name, domain=DOMAIN) as session:
        return run_audit(session)


def findings_of(result: AuditResult, app_name: str) -> dict[str, Any]:
    return {f.rule: f for f in result.findings if f.app_name == app_name}


def restrict_timesheet_mailer(bridge: Bridge, members: list[str]) -> str:
    """What ``sendscope restrict`` does, through the admin's Exchange client."""
    with admin_session(bridge) as session:
        exchange = session.exchange
        exchange.new_distribution_group(
            name="Timesheet senders",
            alias="timesheet-senders",
            display_name=None,
            primary_smtp_address=f"timesheet-senders@{DOMAIN}",
            members=[f"{m}@{DOMAIN}" for m in members],
        )
        app_id = next(a.app_id for a in run_audit(session).apps if a.name == "Timesheet Mailer")
        exchange.new_application_access_policy(
            app_id=app_id,
            scope=f"timesheet-senders@{DOMAIN}",
            access_right="RestrictAccess",
            description=None,
        )
        return app_id


def test_demo_before_restrict_timesheet_mailer_is_high_with_every_mailbox(
    bridge: Bridge,
) -> None:
    result = audited(bridge)
    mailer = next(a for a in result.apps if a.name == "Timesheet Mailer")
    assert result.mailbox_count == 49  # 48 user mailboxes and the shared info@
    assert [(p.permission, p.reach, p.total) for p in mailer.permissions] == [("Mail.Send", 49, 49)]
    high = findings_of(result, "Timesheet Mailer")["unrestricted-send"]
    assert high.severity is Severity.HIGH
    assert high.title == "Can send as all 49 mailboxes"
    assert result.tenant_domain == DOMAIN


def test_demo_after_restrict_timesheet_mailer_is_info_with_the_groups_members(
    bridge: Bridge,
) -> None:
    restrict_timesheet_mailer(bridge, ["noreply", "hr"])
    result = audited(bridge)
    mailer = next(a for a in result.apps if a.name == "Timesheet Mailer")
    permission = mailer.permissions[0]
    assert (permission.reach, permission.mailboxes) == (2, (f"hr@{DOMAIN}", f"noreply@{DOMAIN}"))
    found = findings_of(result, "Timesheet Mailer")
    assert set(found) == {"restricted-app"}
    assert found["restricted-app"].severity is Severity.INFO
    assert mailer.policies == ('RestrictAccess on "Timesheet senders"',)


def test_the_admin_apps_own_power_is_a_real_high_finding(bridge: Bridge) -> None:
    result = audited(bridge)
    lift = findings_of(result, "sendscope admin")["can-lift-restriction"]
    assert lift.severity is Severity.HIGH
    assert "Exchange.ManageAsApp with the Exchange Administrator role" in lift.detail
    assert "Application.ReadWrite.All" in lift.permissions


def test_the_least_privileged_set_is_enough() -> None:
    state = demo_state(LEAST_PRIVILEGED)
    try:
        result = audited(Bridge(state), name="Audit reader")
        assert result.mailbox_count == 49
    finally:
        state.close()


def test_missing_permissions_are_named_up_front_and_nothing_is_read() -> None:
    state = demo_state(WEAK)
    bridge = Bridge(state)
    try:
        with pytest.raises(PermissionMissing) as caught:
            audited(bridge, name="Weak admin")
    finally:
        state.close()
    message = caught.value.message
    for name in ("Application.Read.All", "RoleManagement.Read.Directory", "GroupMember.Read.All"):
        assert f"{name} (to read" in message
    assert "Exchange.ManageAsApp (to read mailboxes" in message
    assert "Global Reader directory role" in message
    assert "User.Read.All (" not in message
    assert caught.value.exit_code == 5
    assert [r for r in bridge.seen if "/v1.0/" in r.url.path or "/adminapi/" in r.url.path] == []


def test_a_refusal_halfway_is_reported_as_a_missing_permission(bridge: Bridge) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        return graph_error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the "
            "operation.", request,
        )  # fmt: skip

    bridge.faults.append(on("/appRoleAssignedTo", refuse))
    with pytest.raises(PermissionMissing) as caught:
        audited(bridge)
    assert caught.value.message.startswith("the audit could not read appRoleAssignedTo: ")
    assert "Insufficient privileges" in caught.value.message


def test_requests_are_the_pages_read_at_the_largest_page_sizes() -> None:
    state = demo_state(users=1000)  # 1,049 mailboxes: two pages in Graph and in Exchange
    bridge = Bridge(state)
    try:
        result = audited(bridge)
    finally:
        state.close()
    stats = result.stats
    assert result.mailbox_count == 1049
    assert (stats["pages.users"], stats["pages.mailboxes"]) == (2, 2)
    pages = sum(v for k, v in stats.items() if k.startswith("pages."))
    assert stats["requests"] == pages
    api = [r for r in bridge.seen if "/v1.0/" in r.url.path or "/adminapi/" in r.url.path]
    assert len(api) == stats["requests"]
    graph_lists = [r for r in api if "/v1.0/" in r.url.path and "$top" in str(r.url)]
    assert graph_lists and all(r.url.params["$top"] == "999" for r in graph_lists)
    exchange = [r for r in api if "/adminapi/" in r.url.path]
    assert exchange and all(r.headers["Prefer"] == "odata.maxpagesize=1000" for r in exchange)


def test_progress_is_reported_per_collection(bridge: Bridge) -> None:
    seen: list[tuple[str, int]] = []
    with admin_session(bridge, domain=DOMAIN) as session:
        run_audit(session, progress=lambda name, count: seen.append((name, count)))
    assert ("mailboxes", 49) in seen
    assert {name for name, _ in seen} >= {"servicePrincipals", "appRoleAssignedTo", "users"}
    # Problem 13: the grants of both resources add up under one name, never going back.
    grants = [count for name, count in seen if name == "appRoleAssignedTo"]
    assert len(grants) >= 2
    assert grants == sorted(grants)
    assert grants[-1] == result_grants(bridge)


def result_grants(bridge: Bridge) -> int:
    with admin_session(bridge, domain=DOMAIN) as session:
        return read_snapshot_with_stats(session)[1]["items.appRoleAssignedTo"]


def test_admin_fixture_still_holds_what_the_audit_reads() -> None:
    # The emulator's admin app is what `--emulator` audits with: it must pass the check.
    assert {"Application.ReadWrite.All", "RoleManagement.ReadWrite.Directory"} <= set(
        ADMIN_APP["roles"]
    )
