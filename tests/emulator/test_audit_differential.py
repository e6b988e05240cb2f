"""The audit's path (reader + ``evaluate_audit``) held against the emulator's Exchange and Graph.

Random tenants are built through the emulator's public APIs, as an admin would: user
mailboxes (fixture), shared mailboxes (``New-Mailbox -Shared``), nested mail-enabled security
groups holding both, apps with or without ``Mail.Send``, and Restrict/Deny/``*`` policies.
The audit then reads the tenant with the real clients. For every (app, mailbox) pair:

- its access-policy verdict equals ``Test-ApplicationAccessPolicy``;
- its "can send" answer (the app's ``Mail.Send`` reach in the ``AuditResult``) equals what
  Graph's ``sendMail`` does once the propagation delays have passed.

The emulator and sendscope share no evaluation code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sendscope.audit import run_audit
from sendscope.emulator import EmulatorState, apply_fixture
from sendscope.emulator.core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
)
from sendscope.emulator.identity.claims import issue_app_token
from sendscope.emulator.seeds.fixtures import load_credentials
from sendscope.emulator.seeds.tenants import ADMIN_APP
from sendscope.policy.audit_reach import tenant_view
from sendscope.policy.findings import AuditResult
from sendscope.snapshot import read_snapshot
from tests.conftest import _SIGNING_KEY, bearer
from tests.emulator.audit_helpers import Bridge, admin_session, tenant_id
from tests.emulator.exchange_helpers import one, run

DOMAIN = "contoso.onmicrosoft.com"
USERS = 3
SHARED = 2
APPS = 3
ALL = -1  # the app index standing for "*"
HOUR = 3600.0
MAILBOXES = [f"u{i}" for i in range(USERS)] + [f"s{i}" for i in range(SHARED)]

Member = tuple[str, int]  # ("u", user), ("s", shared mailbox) or ("g", group)
Policy = tuple[int, str, Member]


@dataclass(frozen=True)
class Scenario:
    grants: list[bool]  # does app i hold Mail.Send (else Mail.Read)?
    groups: list[list[Member]]
    policies: list[Policy]


def _member(groups: int) -> st.SearchStrategy[Member]:
    choices = [
        st.tuples(st.just("u"), st.integers(0, USERS - 1)),
        st.tuples(st.just("s"), st.integers(0, SHARED - 1)),
    ]
    if groups:
        choices.append(st.tuples(st.just("g"), st.integers(0, groups - 1)))
    return st.one_of(*choices)


def _scope(groups: int) -> st.SearchStrategy[Member]:
    # A scope is a security principal: a user mailbox or a mail-enabled security group.
    users = st.tuples(st.just("u"), st.integers(0, USERS - 1))
    if not groups:
        return users
    return st.one_of(users, st.tuples(st.just("g"), st.integers(0, groups - 1)))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    grants = draw(st.lists(st.booleans(), min_size=APPS, max_size=APPS))
    count = draw(st.integers(0, 4))
    groups = [draw(st.lists(_member(k), max_size=4, unique=True)) for k in range(count)]
    right = st.sampled_from(["RestrictAccess", "DenyAccess"])
    policy = st.tuples(st.integers(ALL, APPS - 1), right, _scope(count))
    policies = draw(st.lists(policy, max_size=5, unique_by=lambda p: (p[0], p[2])))
    return Scenario(grants, groups, policies)


class Built:
    """A tenant built in the emulator, driven over the wire."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge, self.state, self.client = bridge, bridge.state, bridge.client
        tid = tenant_id(self.state)
        creds = load_credentials(self.state, tid)
        admin = next(c for c in creds if c.kind == "admin")
        self.admin = issue_app_token(
            self.state, tid, admin.client_id, EXCHANGE_APP_ID, EXCHANGE_RESOURCE
        )
        apps = sorted((c for c in creds if c.kind == "app"), key=lambda c: c.name)
        self.app_ids = [c.client_id for c in apps]
        self.graph = [
            issue_app_token(self.state, tid, c.client_id, GRAPH_APP_ID, GRAPH_RESOURCE)
            for c in apps
        ]

    def cmdlet(self, name: str, **params: Any) -> Any:
        response = run(self.client, self.admin, name, **params)
        assert response.status_code in (200, 204), response.text
        return response

    def ref(self, member: Member) -> str:
        kind, index = member
        return f"G{index}" if kind == "g" else f"{kind}{index}@{DOMAIN}"

    def build(self, scenario: Scenario) -> None:
        for index in range(SHARED):
            self.cmdlet("New-Mailbox", Shared=True, Name=f"s{index}")
        for index, members in enumerate(scenario.groups):
            self.cmdlet(
                "New-DistributionGroup",
                Name=f"G{index}",
                Type="Security",
                Members=[self.ref(m) for m in members],
            )
        for app, right, scope in scenario.policies:
            app_id = "*" if app == ALL else self.app_ids[app]
            self.cmdlet(
                "New-ApplicationAccessPolicy",
                AppId=app_id,
                PolicyScopeGroupId=self.ref(scope),
                AccessRight=right,
            )

    def tested(self) -> dict[tuple[int, str], str]:
        return {
            (a, m): one(
                run(
                    self.client,
                    self.admin,
                    "Test-ApplicationAccessPolicy",
                    Identity=f"{m}@{DOMAIN}",
                    AppId=self.app_ids[a],
                )
            )["AccessCheckResult"]
            for a in range(APPS)
            for m in MAILBOXES
        }

    def sent(self) -> dict[tuple[int, str], bool]:
        return {(a, m): self._send(a, m) for a in range(APPS) for m in MAILBOXES}

    def _send(self, app: int, mailbox: str) -> bool:
        response = self.client.post(
            f"/v1.0/users/{mailbox}@{DOMAIN}/sendMail",
            headers=bearer(self.graph[app]),
            json={
                "message": {
                    "subject": "Differential",
                    "body": {"content": "x"},
                    "toRecipients": [{"emailAddress": {"address": f"u0@{DOMAIN}"}}],
                }
            },
        )
        assert response.status_code in (202, 403), response.text
        return response.status_code == 202


@contextmanager
def built(scenario: Scenario) -> Iterator[Built]:
    state = EmulatorState.create(signing_key=_SIGNING_KEY)
    apps = [
        {"displayName": f"App{i}", "roles": ["Mail.Send" if send else "Mail.Read"]}
        for i, send in enumerate(scenario.grants)
    ]
    apply_fixture(
        state,
        {
            "domain": DOMAIN,
            "users": [{"userPrincipalName": f"u{i}"} for i in range(USERS)],
            "apps": [ADMIN_APP, *apps],
        },
    )
    try:
        target = Built(Bridge(state))
        target.build(scenario)
        yield target
    finally:
        state.close()


def audit_verdicts(t: Built) -> dict[tuple[int, str], str]:
    """The access-policy verdicts of the audit's evaluator, over what the reader read."""
    with admin_session(t.bridge, domain=DOMAIN) as session:
        view = tenant_view(read_snapshot(session))
    apps = view.app_by_id()
    ids = {m.primary_smtp.split("@")[0]: m.object_id for m in view.snapshot.mailboxes}
    verdicts: dict[tuple[int, str], str] = {}
    for a in range(APPS):
        allowed = apps[t.app_ids[a]].allowed
        for m in MAILBOXES:
            granted = allowed is None or ids[m] in allowed
            verdicts[(a, m)] = "Granted" if granted else "Denied"
    return verdicts


def audit_sends(
    t: Built, result: AuditResult, verdicts: dict[tuple[int, str], str]
) -> dict[tuple[int, str], bool]:
    """Who may send as whom, per the AuditResult: the app holds Mail.Send and its access
    policies leave it the mailbox. Where the result lists the reached mailboxes, the list
    must be exactly those."""
    answers: dict[tuple[int, str], bool] = {}
    for a in range(APPS):
        app = next((x for x in result.apps if x.app_id == t.app_ids[a]), None)
        sends = [p for p in app.permissions if p.permission == "Mail.Send"] if app else []
        granted = [m for m in MAILBOXES if verdicts[(a, m)] == "Granted"]
        for send in sends:
            assert send.reach == len(granted)
            if send.mailboxes:
                assert set(send.mailboxes) == {f"{m}@{DOMAIN}" for m in granted}
        for m in MAILBOXES:
            answers[(a, m)] = bool(sends) and m in granted
    return answers


@given(scenarios())
def test_the_audit_agrees_with_exchange_and_with_graph_after_the_delays(
    scenario: Scenario,
) -> None:
    with built(scenario) as t:
        verdicts = audit_verdicts(t)
        assert verdicts == t.tested()
        with admin_session(t.bridge, domain=DOMAIN) as session:
            result = run_audit(session)
        assert result.mailbox_count == USERS + SHARED
        t.state.clock.advance(2 * HOUR)
        assert audit_sends(t, result, verdicts) == t.sent()


def test_a_shared_mailbox_in_a_nested_scope_is_reached() -> None:
    scenario = Scenario(
        grants=[True, True, False],
        groups=[[("s", 1)], [("g", 0), ("u", 2)]],
        policies=[(0, "RestrictAccess", ("g", 1)), (1, "DenyAccess", ("g", 0))],
    )
    with built(scenario) as t:
        verdicts = audit_verdicts(t)
        with admin_session(t.bridge, domain=DOMAIN) as session:
            result = run_audit(session)
        sends = audit_sends(t, result, verdicts)
        assert [m for m in MAILBOXES if sends[(0, m)]] == ["u2", "s1"]
        assert [m for m in MAILBOXES if sends[(1, m)]] == ["u0", "u1", "u2", "s0"]
        assert not any(sends[(2, m)] for m in MAILBOXES)
        t.state.clock.advance(2 * HOUR)
        assert sends == t.sent()
