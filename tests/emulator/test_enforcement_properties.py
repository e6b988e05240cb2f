"""Property tests: random users, nested groups, apps and Restrict/Deny/* policies, built
through InvokeCommand. Test-ApplicationAccessPolicy agrees with an independent transcription
of the documented rule at once; Graph's sendMail agrees with it once the delays have passed,
and before that answers per the configuration that has propagated."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState, apply_fixture, create_app
from sendscope.emulator.core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
)
from sendscope.emulator.identity.claims import issue_app_token
from sendscope.emulator.seeds.fixtures import load_credentials
from sendscope.emulator.seeds.tenants import ADMIN_APP
from tests.conftest import _SIGNING_KEY
from tests.emulator.exchange_helpers import graph_verdict, one, run

DOMAIN = "contoso.onmicrosoft.com"
USERS = 5
APPS = 3
ALL = -1  # the app index standing for "*"
HOUR = 3600.0
BYPASS = {"BypassSecurityGroupManagerCheck": True}

Member = tuple[str, int]  # ("u", user index) or ("g", group index)


@dataclass
class Model:
    """The configuration as plain data: policies by number, group-member edges."""

    policies: dict[int, tuple[int, str, Member]] = field(default_factory=dict)
    edges: set[tuple[int, Member]] = field(default_factory=set)

    def copy(self) -> Model:
        return Model(dict(self.policies), set(self.edges))

    def members(self, scope: Member) -> set[Member]:
        if scope[0] == "u":
            return {scope}
        found: set[Member] = set()
        queue = deque([scope[1]])
        while queue:
            group = queue.popleft()
            for g, member in self.edges:
                if g == group and member not in found:
                    found.add(member)
                    if member[0] == "g":
                        queue.append(member[1])
        return found

    def verdict(self, app: int, user: int) -> str:
        """m365-domain.md §1.3, transcribed independently of the emulator."""
        mine = [p for p in self.policies.values() if p[0] in (app, ALL)]
        inside = [p for p in mine if ("u", user) in self.members(p[2])]
        if any(p[1] == "DenyAccess" for p in inside):
            return "Denied"
        if any(p[1] == "RestrictAccess" for p in inside):
            return "Granted"
        return "Denied" if any(p[1] == "RestrictAccess" for p in mine) else "Granted"

    def verdicts(self) -> dict[tuple[int, int], str]:
        return {(a, u): self.verdict(a, u) for a in range(APPS) for u in range(USERS)}


# -- strategies --------------------------------------------------------------------------------


def _member(groups: int) -> st.SearchStrategy[Member]:
    users = st.tuples(st.just("u"), st.integers(0, USERS - 1))
    if groups == 0:
        return users
    return st.one_of(users, st.tuples(st.just("g"), st.integers(0, groups - 1)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[list[Member]], list[Any], list[Any]]:
    group_count = draw(st.integers(0, 4))
    groups = [draw(st.lists(_member(k), max_size=4, unique=True)) for k in range(group_count)]
    scope = _member(group_count)
    policy = st.tuples(
        st.integers(ALL, APPS - 1), st.sampled_from(["RestrictAccess", "DenyAccess"]), scope
    )
    policies = draw(st.lists(policy, max_size=4))
    changes: list[st.SearchStrategy[Any]] = [
        st.tuples(st.just("policy+"), policy),
        st.tuples(st.just("policy-"), st.integers(0, 7)),
    ]
    if group_count:
        edge = st.tuples(st.integers(0, group_count - 1), _member(group_count))
        changes += [st.tuples(st.just("member+"), edge), st.tuples(st.just("member-"), edge)]
    mutations = draw(st.lists(st.one_of(*changes), max_size=5))
    return groups, policies, mutations


# -- the tenant, driven over the wire -----------------------------------------------------------


class Tenant:
    def __init__(self, state: EmulatorState, client: TestClient) -> None:
        self.state, self.client = state, client
        tenant_id = state.store.scalar("SELECT id FROM tenants")
        creds = load_credentials(state, tenant_id)
        admin = next(c for c in creds if c.kind == "admin")
        self.admin = issue_app_token(
            state, tenant_id, admin.client_id, EXCHANGE_APP_ID, EXCHANGE_RESOURCE
        )
        apps = sorted((c for c in creds if c.kind == "app"), key=lambda c: c.name)
        self.app_ids = [c.client_id for c in apps]
        self.graph = [
            issue_app_token(state, tenant_id, c.client_id, GRAPH_APP_ID, GRAPH_RESOURCE)
            for c in apps
        ]
        self.identities: dict[int, str] = {}
        self.model = Model()
        self.next_policy = 0
        self.removed_policies: set[int] = set()
        self.removed_edges: set[tuple[int, Member]] = set()

    def ref(self, member: Member) -> str:
        return f"u{member[1]}@{DOMAIN}" if member[0] == "u" else f"G{member[1]}"

    def cmdlet(self, name: str, **params: Any) -> Any:
        response = run(self.client, self.admin, name, **params)
        assert response.status_code in (200, 204), response.text
        return response

    def create_group(self, index: int, members: list[Member]) -> None:
        self.cmdlet(
            "New-DistributionGroup",
            Name=f"G{index}",
            Type="Security",
            Members=[self.ref(m) for m in members],
        )
        self.model.edges |= {(index, m) for m in members}

    def add_policy(self, app: int, right: str, scope: Member) -> None:
        app_id = "*" if app == ALL else self.app_ids[app]
        if any((p[0], p[2]) == (app, scope) for p in self.model.policies.values()):
            return  # Exchange keeps one policy per app and scope
        response = self.cmdlet(
            "New-ApplicationAccessPolicy",
            AppId=app_id,
            PolicyScopeGroupId=self.ref(scope),
            AccessRight=right,
        )
        self.identities[self.next_policy] = one(response)["Identity"]
        self.model.policies[self.next_policy] = (app, right, scope)
        self.next_policy += 1

    def apply(self, change: tuple[str, Any]) -> None:
        kind, data = change
        if kind == "policy+":
            self.add_policy(*data)
        elif kind == "policy-" and self.model.policies:
            number = sorted(self.model.policies)[data % len(self.model.policies)]
            self.cmdlet("Remove-ApplicationAccessPolicy", Identity=self.identities[number])
            del self.model.policies[number]
            self.removed_policies.add(number)
        elif kind in ("member+", "member-"):
            self.change_member(kind, *data)

    def change_member(self, kind: str, group: int, member: Member) -> None:
        present = (group, member) in self.model.edges
        if member == ("g", group) or present == (kind == "member+"):
            return  # what Exchange would refuse; the property is about valid changes
        name = (
            "Add-DistributionGroupMember"
            if kind == "member+"
            else ("Remove-DistributionGroupMember")
        )
        self.cmdlet(name, Identity=f"G{group}", Member=self.ref(member), **BYPASS)
        if kind == "member+":
            self.model.edges.add((group, member))
        else:
            self.model.edges.discard((group, member))
            self.removed_edges.add((group, member))

    def tested(self) -> dict[tuple[int, int], str]:
        return {
            (a, u): one(
                run(
                    self.client,
                    self.admin,
                    "Test-ApplicationAccessPolicy",
                    Identity=f"u{u}@{DOMAIN}",
                    AppId=self.app_ids[a],
                )
            )["AccessCheckResult"]
            for a in range(APPS)
            for u in range(USERS)
        }

    def enforced(self) -> dict[tuple[int, int], str]:
        return {
            (a, u): graph_verdict(self.client, self.graph[a], f"u{u}@{DOMAIN}")
            for a in range(APPS)
            for u in range(USERS)
        }


@contextmanager
def tenant() -> Iterator[Tenant]:
    state = EmulatorState.create(signing_key=_SIGNING_KEY)
    apply_fixture(
        state,
        {
            "domain": DOMAIN,
            "users": [{"userPrincipalName": f"u{i}"} for i in range(USERS)],
            "apps": [
                ADMIN_APP,
                *({"displayName": f"App{i}", "roles": ["Mail.Send"]} for i in range(APPS)),
            ],
        },
    )
    try:
        with TestClient(create_app(state), base_url="https://testserver") as client:
            yield Tenant(state, client)
    finally:
        state.close()


def _removals_only(before: Model, t: Tenant) -> Model:
    """What Graph sees once only the removals have arrived: the old configuration without
    everything the changes removed — even what they added back, as additions are still on
    their way."""
    return Model(
        {n: p for n, p in before.policies.items() if n not in t.removed_policies},
        before.edges - t.removed_edges,
    )


@given(scenarios())
def test_graph_agrees_with_test_after_the_delays(
    scenario: tuple[list[list[Member]], list[Any], list[Any]],
) -> None:
    groups, policies, mutations = scenario
    with tenant() as t:
        for index, members in enumerate(groups):
            t.create_group(index, members)
        for policy in policies:
            t.add_policy(*policy)
        old = t.model.copy()
        assert t.tested() == old.verdicts()
        assert set(t.enforced().values()) == {"Granted"}  # nothing has propagated yet
        t.state.clock.advance(HOUR)
        assert t.enforced() == t.tested() == old.verdicts()

        for change in mutations:
            t.apply(change)
        assert t.tested() == t.model.verdicts()
        assert t.enforced() == old.verdicts()  # Graph still answers per the old configuration
        t.state.clock.advance(HOUR / 2)  # removals have arrived, additions not yet
        assert t.enforced() == _removals_only(old, t).verdicts()
        t.state.clock.advance(HOUR / 2)
        assert t.enforced() == t.tested() == t.model.verdicts()
