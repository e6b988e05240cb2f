"""The synthetic tenant of the audit benchmark, at a small size: it has the promised shape,
and paging at scale (Graph $skiptoken, the admin API's nextLink) gives every object once."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.app_access import ALL_APPS, DENY_ACCESS, RESTRICT_ACCESS
from sendscope.emulator.core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    Directory,
)
from sendscope.emulator.exchange.models.access_policies import POLICY_SPACE, policy_cost
from sendscope.emulator.identity.claims import issue_app_token
from sendscope.emulator.seeds import FixtureError, apply_fixture
from sendscope.emulator.seeds.fixtures import load_credentials
from sendscope.emulator.seeds.synthetic import APP_PROFILES, SyntheticSpec, generate
from sendscope.emulator.seeds.tenants import synthetic_fixture
from tests.conftest import bearer

DOMAIN = "synthetic.onmicrosoft.com"
SIZES = {"mailboxes": 500, "groups": 60, "apps": 30, "policies": 36, "seed": 11}
MAILBOX_PERMISSIONS = {
    role for _, graph, exchange in APP_PROFILES for role in (*graph, *exchange)
} - {"User.Read.All", "Application.ReadWrite.All", "Exchange.ManageAsApp"}


@pytest.fixture
def synthetic(state: EmulatorState) -> str:
    fixture = synthetic_fixture()
    fixture["synthetic"] = SIZES
    return apply_fixture(state, fixture)


def rows(state: EmulatorState, sql: str, *args: Any) -> list[Any]:
    return state.store.all(sql, args)


def tokens(state: EmulatorState, tenant_id: str) -> tuple[str, str]:
    admin = next(c for c in load_credentials(state, tenant_id) if c.kind == "admin")
    graph = issue_app_token(state, tenant_id, admin.client_id, GRAPH_APP_ID, GRAPH_RESOURCE)
    exchange = issue_app_token(
        state, tenant_id, admin.client_id, EXCHANGE_APP_ID, EXCHANGE_RESOURCE
    )
    return graph, exchange


def depth_of(group: str, children: dict[str, list[str]]) -> int:
    return 1 + max((depth_of(c, children) for c in children.get(group, [])), default=0)


# -- shape -----------------------------------------------------------------------------------


def test_the_mailboxes_are_user_and_shared_mailboxes_with_some_users_without_one(
    state: EmulatorState, synthetic: str
) -> None:
    kinds = dict(
        rows(
            state,
            "SELECT recipient_type_details, COUNT(*) FROM recipients WHERE tenant_id = ? "
            "GROUP BY 1",
            synthetic,
        )
    )
    users = state.store.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = ?", (synthetic,))
    disabled = state.store.scalar(
        "SELECT COUNT(*) FROM users u JOIN recipients r ON r.object_id = u.id "
        "WHERE u.tenant_id = ? AND r.recipient_type_details = 'SharedMailbox' "
        "AND u.account_enabled = 0",
        (synthetic,),
    )

    assert kinds["UserMailbox"] + kinds["SharedMailbox"] == 500
    assert kinds["SharedMailbox"] == 15 == disabled  # 3 %, each with a disabled user
    assert kinds["MailUniversalSecurityGroup"] == 60
    assert users == 500 + 5  # and 1 % more users without an Exchange licence


def test_groups_are_mail_enabled_security_groups_nested_five_deep_without_cycles(
    state: EmulatorState, synthetic: str
) -> None:
    edges = rows(
        state,
        "SELECT group_id, member_id FROM group_members WHERE tenant_id = ? "
        "AND member_type = 'group'",
        synthetic,
    )
    children: dict[str, list[str]] = {}
    for parent, child in edges:
        children.setdefault(parent, []).append(child)
    nested = {child for _, child in edges}
    roots = [g for (g,) in rows(state, "SELECT id FROM groups WHERE tenant_id = ?", synthetic)]
    roots = [g for g in roots if g not in nested]
    flags = rows(
        state,
        "SELECT DISTINCT mail_enabled, security_enabled FROM groups WHERE tenant_id = ?",
        synthetic,
    )

    assert max(depth_of(root, children) for root in roots) == 5
    assert len(nested) == len(edges)  # a forest: every nested group has one parent
    assert [tuple(f) for f in flags] == [(1, 1)]


def test_every_synthetic_app_holds_a_mailbox_permission(
    state: EmulatorState, synthetic: str
) -> None:
    directory = Directory(state.store)
    graph = directory.service_principal_by_app_id(synthetic, GRAPH_APP_ID)
    exchange = directory.service_principal_by_app_id(synthetic, EXCHANGE_APP_ID)
    assert graph is not None and exchange is not None
    apps = rows(
        state,
        "SELECT id, props FROM service_principals WHERE tenant_id = ? AND display_name "
        "LIKE 'LOB App %'",
        synthetic,
    )

    held = {
        sp: {
            *directory.granted_roles(synthetic, sp, graph["id"]),
            *directory.granted_roles(synthetic, sp, exchange["id"]),
        }
        for sp, _ in apps
    }

    assert len(apps) == 30
    assert all(roles & MAILBOX_PERMISSIONS for roles in held.values())
    kinds = Counter(json.loads(props)["servicePrincipalType"] for _, props in apps)
    assert kinds["ManagedIdentity"] == 1  # app 25 of 30


def test_policies_resolve_to_security_principals_and_fit_the_policy_space(
    state: EmulatorState, synthetic: str
) -> None:
    policies = rows(
        state,
        "SELECT p.app_id, p.access_right, p.description, r.recipient_type_details "
        "FROM application_access_policies p LEFT JOIN recipients r "
        "ON r.tenant_id = p.tenant_id AND r.object_id = p.scope_id WHERE p.tenant_id = ?",
        synthetic,
    )
    apps = {
        a
        for (a,) in rows(
            state, "SELECT app_id FROM service_principals WHERE tenant_id = ?", synthetic
        )
    }

    assert len(policies) == 36
    assert {p[3] for p in policies} <= {"MailUniversalSecurityGroup", "UserMailbox"}
    assert [p[1] for p in policies if p[0] == ALL_APPS] == [DENY_ACCESS]
    assert sum(1 for p in policies if p[0] not in apps and p[0] != ALL_APPS) == 3
    assert {p[1] for p in policies} == {DENY_ACCESS, RESTRICT_ACCESS}
    assert sum(policy_cost(p[2]) for p in policies) <= POLICY_SPACE


def test_the_same_seed_gives_the_same_tenant_and_another_seed_another() -> None:
    spec = SyntheticSpec(mailboxes=200, groups=20, apps=10, policies=12, seed=3)

    assert generate(spec) == generate(spec)
    other = SyntheticSpec(mailboxes=200, groups=20, apps=10, policies=12, seed=4)
    assert generate(spec) != generate(other)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        (
            {"mailboxes": "many"},
            "'synthetic' takes whole numbers for apps, depth, groups, mailboxes, policies, "
            "seed, sharedPercent",
        ),
        ({"colour": 3}, "; not colour"),
        ({"mailboxes": 5}, "synthetic.mailboxes 5 must be 10 to 1000000"),
        ({"depth": 6}, "synthetic.depth 6 must be 1 to 5"),
        ({"groups": 7}, "synthetic.groups 7 must be at least 2 per level of depth (10)"),
        (
            {"apps": 20, "policies": 19},
            "synthetic.policies 19 must be between synthetic.apps (20) and apps + groups (3020)",
        ),
    ],
)
def test_a_malformed_synthetic_section_is_refused_naming_the_field(
    state: EmulatorState, sizes: dict[str, Any], message: str
) -> None:
    fixture = {"domain": "bad.onmicrosoft.com", "synthetic": sizes}

    with pytest.raises(FixtureError) as refused:
        apply_fixture(state, fixture)

    assert message in str(refused.value)
    assert state.tenant("bad.onmicrosoft.com") is None


# -- paging at scale ---------------------------------------------------------------------------


def exchange_pages(
    client: TestClient, token: str, cmdlet: str, parameters: dict[str, Any], *, size: int
) -> list[list[dict[str, Any]]]:
    """Every page, re-POSTing the body to each nextLink as the module's clients do."""
    body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}
    headers = {**bearer(token), "Prefer": f"odata.maxpagesize={size}"}
    url: str | None = f"/adminapi/beta/{DOMAIN}/InvokeCommand?$select=ExternalDirectoryObjectId"
    pages = []
    while url is not None:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json()["value"])
        url = response.json().get("@odata.nextLink")
    return pages


def graph_pages(client: TestClient, token: str, url: str) -> list[list[dict[str, Any]]]:
    pages = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url, headers=bearer(token))
        assert response.status_code == 200, response.text
        pages.append(response.json()["value"])
        next_url = response.json().get("@odata.nextLink")
    return pages


def ids(pages: list[list[dict[str, Any]]], key: str) -> list[str]:
    return [item[key] for page in pages for item in page]


@pytest.mark.parametrize(
    ("cmdlet", "types"),
    [
        ("Get-Mailbox", ("UserMailbox", "SharedMailbox")),
        ("Get-Recipient", ("UserMailbox", "SharedMailbox", "MailUniversalSecurityGroup")),
        ("Get-DistributionGroup", ("MailUniversalSecurityGroup",)),
    ],
)
def test_unlimited_listings_page_every_recipient_exactly_once(
    client: TestClient, state: EmulatorState, synthetic: str, cmdlet: str, types: tuple[str, ...]
) -> None:
    _, token = tokens(state, synthetic)
    expected = [
        oid
        for (oid,) in rows(
            state,
            "SELECT object_id FROM recipients WHERE tenant_id = ? AND recipient_type_details "
            f"IN ({', '.join('?' for _ in types)}) ORDER BY seq",
            synthetic,
            *types,
        )
    ]

    size = 16 if cmdlet == "Get-DistributionGroup" else 64

    pages = exchange_pages(client, token, cmdlet, {"ResultSize": "Unlimited"}, size=size)

    assert ids(pages, "ExternalDirectoryObjectId") == expected
    assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
    assert len(pages) == -(-len(expected) // size) > 1


def test_a_paged_listing_continues_the_same_by_re_post_or_bodiless_get(
    client: TestClient, state: EmulatorState, synthetic: str
) -> None:
    _, token = tokens(state, synthetic)
    body = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "Unlimited"}}}
    headers = {**bearer(token), "Prefer": "odata.maxpagesize=300"}
    first = client.post(f"/adminapi/beta/{DOMAIN}/InvokeCommand", json=body, headers=headers)
    link = first.json()["@odata.nextLink"]

    by_get = client.get(link, headers=headers).json()
    by_post = client.post(link, json=body, headers=headers).json()

    guids = [m["Guid"] for m in by_get["value"]]
    assert guids == [m["Guid"] for m in by_post["value"]]
    assert len(guids) == 500 - 300
    assert not set(guids) & {m["Guid"] for m in first.json()["value"]}
    assert "@odata.nextLink" not in by_get


def test_graph_users_page_every_user_exactly_once(
    client: TestClient, state: EmulatorState, synthetic: str
) -> None:
    token, _ = tokens(state, synthetic)
    expected = {u for (u,) in rows(state, "SELECT id FROM users WHERE tenant_id = ?", synthetic)}

    pages = graph_pages(client, token, "/v1.0/users?$top=37&$select=id,userPrincipalName")
    found = ids(pages, "id")

    assert len(found) == len(expected) == 505
    assert set(found) == expected
    assert all(set(item) == {"id", "userPrincipalName"} for page in pages for item in page)


def test_transitive_members_of_a_root_group_page_every_member_exactly_once(
    client: TestClient, state: EmulatorState, synthetic: str
) -> None:
    token, _ = tokens(state, synthetic)
    directory = Directory(state.store)
    sizes = {
        g: len(directory.transitive_members(synthetic, g))
        for (g,) in rows(state, "SELECT id FROM groups WHERE tenant_id = ?", synthetic)
    }
    biggest = max(sizes, key=lambda g: sizes[g])
    expected = {m for m, _ in directory.transitive_members(synthetic, biggest)}

    pages = graph_pages(
        client, token, f"/v1.0/groups/{biggest}/transitiveMembers?$top=29&$select=id"
    )
    found = ids(pages, "id")

    assert len(found) == len(expected) == sizes[biggest] > 29 * 3
    assert set(found) == expected
    assert {item["@odata.type"] for page in pages for item in page} == {
        "#microsoft.graph.user",
        "#microsoft.graph.group",
    }


@pytest.mark.parametrize("seed", range(8))
def test_the_smallest_synthetic_tenant_is_built(state: EmulatorState, seed: int) -> None:
    # Below 200 mailboxes there is no group of hundreds to draw (once "empty range" in a 400).
    fixture = synthetic_fixture()
    fixture["synthetic"] = {"mailboxes": 10, "groups": 10, "apps": 10, "policies": 10, "seed": seed}
    tenant_id = apply_fixture(state, fixture)
    assert len(rows(state, "SELECT 1 FROM users WHERE tenant_id = ?", tenant_id)) >= 10
