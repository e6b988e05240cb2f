"""Graph /users on the wire: lists, paging, $select/$filter/$top, CRUD, permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.core.roles import GLOBAL_ADMINISTRATOR
from tests.conftest import Tenant, bearer
from tests.emulator.directory_helpers import app_token, assert_error, delegated_token

DEFAULT = {
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
}
DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True))


def new_user(nick: str = "newbie", **extra: Any) -> dict[str, Any]:
    return {
        "accountEnabled": True,
        "displayName": "New Bie",
        "mailNickname": nick,
        "userPrincipalName": f"{nick}@contoso.onmicrosoft.com",
        "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"},
        **extra,
    }


def user_count(state: EmulatorState, tenant: Tenant) -> int:
    return int(state.store.scalar("SELECT COUNT(*) FROM users WHERE tenant_id = ?", (tenant.id,)))


# -- list ------------------------------------------------------------------------------


def test_list_returns_the_default_properties(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/v1.0/users", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == "https://testserver/v1.0/$metadata#users"
    assert "@odata.nextLink" not in body
    assert all(set(user) == DEFAULT for user in body["value"])
    ceo = next(u for u in body["value"] if u["userPrincipalName"].startswith("ceo@"))
    assert ceo["displayName"] == "Chief Executive"
    assert ceo["mail"] == "ceo@contoso.onmicrosoft.com"
    assert response.headers["request-id"]


def test_select_returns_only_what_was_named(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(
        "/v1.0/users?$select=displayName,accountEnabled,usageLocation", headers=admin
    )
    body = response.json()
    assert body["@odata.context"].endswith(
        "$metadata#users(displayName,accountEnabled,usageLocation)"
    )
    assert all(set(u) == {"displayName", "accountEnabled", "usageLocation"} for u in body["value"])
    shared = next(u for u in body["value"] if u["displayName"] == "Contoso Info")
    assert shared["accountEnabled"] is False


def test_select_of_an_unknown_property_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get("/v1.0/users?$select=displayName,shoeSize", headers=admin)
    assert_error(
        response,
        400,
        "BadRequest",
        "Parsing OData Select and Expand failed: Could not find a property named "
        "'shoeSize' on type 'microsoft.graph.user'.",
    )


@pytest.mark.parametrize("top", ["1000", "0"])
def test_top_outside_1_to_999_is_refused(
    client: TestClient, admin: dict[str, str], top: str
) -> None:
    response = client.get(f"/v1.0/users?$top={top}", headers=admin)
    assert_error(
        response,
        400,
        "Request_UnsupportedQuery",
        f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.",
    )


def test_paging_walks_every_user_once(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    url: str | None = "/v1.0/users?$top=7&$select=id"
    seen: list[str] = []
    pages = 0
    while url:
        body = client.get(url, headers=admin).json()
        assert len(body["value"]) <= 7
        seen += [u["id"] for u in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert "$top=7" in url and "$select=id" in url and "$skiptoken=" in url
    assert len(seen) == len(set(seen)) == user_count(state, tenant)
    assert pages == -(-len(seen) // 7)


def test_skip_and_bad_skiptoken_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    assert_error(
        client.get("/v1.0/users?$skip=5", headers=admin),
        400,
        "Request_BadRequest",
        "'$skip' is not supported by the service.",
    )
    assert_error(
        client.get("/v1.0/users?$skiptoken=garbage!", headers=admin),
        400,
        "Request_BadRequest",
        "Invalid Skip Token",
    )


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("userPrincipalName eq 'CEO@contoso.onmicrosoft.com'", ["ceo@contoso.onmicrosoft.com"]),
        ("mail eq 'hr@contoso.onmicrosoft.com'", ["hr@contoso.onmicrosoft.com"]),
        ("accountEnabled eq false", ["info@contoso.onmicrosoft.com"]),
    ],
)
def test_filter_eq(
    client: TestClient, admin: dict[str, str], clause: str, expected: list[str]
) -> None:
    body = client.get("/v1.0/users", params={"$filter": clause}, headers=admin).json()
    assert [u["userPrincipalName"] for u in body["value"]] == expected


def test_filter_by_id(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    row = Directory(state.store).user(tenant.id, "cfo@contoso.onmicrosoft.com")
    assert row is not None
    body = client.get(
        "/v1.0/users", params={"$filter": f"id eq '{row['id'].upper()}'"}, headers=admin
    ).json()
    assert [u["id"] for u in body["value"]] == [row["id"]]


def test_filter_on_other_properties_is_unsupported(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get(
        "/v1.0/users", params={"$filter": "displayName eq 'Payroll'"}, headers=admin
    )
    assert_error(
        response,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'displayName' "
        "of resource 'User'.",
    )


def test_filter_with_a_mistyped_literal_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get(
        "/v1.0/users", params={"$filter": "accountEnabled eq 'true'"}, headers=admin
    )
    assert_error(
        response,
        400,
        "BadRequest",
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'.",
    )


def test_count_needs_consistency_level(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    total = user_count(state, tenant)
    eventual = {**admin, "ConsistencyLevel": "eventual"}
    first = client.get("/v1.0/users?$count=true&$top=5", headers=eventual).json()
    assert first["@odata.count"] == total
    second = client.get(first["@odata.nextLink"], headers=eventual).json()
    assert "@odata.count" not in second
    assert "@odata.count" not in client.get("/v1.0/users?$count=true", headers=admin).json()
    counted = client.get("/v1.0/users/$count", headers=eventual)
    assert (counted.status_code, counted.text) == (200, str(total))
    assert counted.headers["content-type"].startswith("text/plain")
    assert_error(
        client.get("/v1.0/users/$count", headers=admin),
        400,
        "Request_BadRequest",
        "$count is not currently supported.",
    )


# -- permissions -----------------------------------------------------------------------


def test_an_app_without_directory_permissions_is_denied(
    client: TestClient, token: Callable[..., str]
) -> None:
    headers = bearer(token("Timesheet Mailer"))
    assert_error(client.get("/v1.0/users", headers=headers), 403, *DENIED)
    assert_error(client.post("/v1.0/users", json=new_user(), headers=headers), 403, *DENIED)


@pytest.mark.parametrize("role", ["User.Read.All", "Directory.Read.All"])
def test_read_permissions_read_but_do_not_write(
    client: TestClient, state: EmulatorState, tenant: Tenant, role: str
) -> None:
    headers = bearer(app_token(state, tenant.id, [role]))
    assert client.get("/v1.0/users/ceo@contoso.onmicrosoft.com", headers=headers).status_code == 200
    assert_error(client.post("/v1.0/users", json=new_user(), headers=headers), 403, *DENIED)
    assert_error(
        client.patch(
            "/v1.0/users/ceo@contoso.onmicrosoft.com", json={"jobTitle": "x"}, headers=headers
        ),
        403,
        *DENIED,
    )
    assert_error(
        client.delete("/v1.0/users/ceo@contoso.onmicrosoft.com", headers=headers), 403, *DENIED
    )


def test_directory_readwrite_may_create(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    headers = bearer(app_token(state, tenant.id, ["Directory.ReadWrite.All"]))
    assert client.post("/v1.0/users", json=new_user(), headers=headers).status_code == 201


def test_delegated_scopes_are_checked_the_same_way(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    admin_user = Directory(state.store).user(tenant.id, "admin@contoso.onmicrosoft.com")
    assert admin_user is not None
    reader = delegated_token(state, tenant.id, admin_user["id"], "openid User.Read.All")
    assert client.get("/v1.0/users", headers=bearer(reader)).status_code == 200
    assert_error(client.post("/v1.0/users", json=new_user(), headers=bearer(reader)), 403, *DENIED)
    basic = delegated_token(state, tenant.id, admin_user["id"], "User.Read Mail.Send")
    assert_error(client.get("/v1.0/users", headers=bearer(basic)), 403, *DENIED)


def test_no_token_is_401(client: TestClient) -> None:
    assert_error(
        client.get("/v1.0/users"), 401, "InvalidAuthenticationToken", "Access token is empty."
    )


# -- one user --------------------------------------------------------------------------


def test_get_by_upn_and_by_id(client: TestClient, admin: dict[str, str]) -> None:
    by_upn = client.get("/v1.0/users/payroll@contoso.onmicrosoft.com", headers=admin)
    assert by_upn.status_code == 200
    assert by_upn.json()["@odata.context"] == "https://testserver/v1.0/$metadata#users/$entity"
    assert set(by_upn.json()) == DEFAULT | {"@odata.context"}
    by_id = client.get(f"/v1.0/users/{by_upn.json()['id']}", headers=admin).json()
    assert by_id["userPrincipalName"] == "payroll@contoso.onmicrosoft.com"


def test_get_with_select(client: TestClient, admin: dict[str, str]) -> None:
    body = client.get(
        "/v1.0/users/payroll@contoso.onmicrosoft.com?$select=id,mailNickname,"
        "securityIdentifier,proxyAddresses",
        headers=admin,
    ).json()
    assert body["@odata.context"].endswith(
        "$metadata#users(id,mailNickname,securityIdentifier,proxyAddresses)/$entity"
    )
    assert body["mailNickname"] == "payroll"
    assert body["securityIdentifier"].startswith("S-1-12-1-")
    assert body["proxyAddresses"] == ["SMTP:payroll@contoso.onmicrosoft.com"]


@pytest.mark.parametrize(
    "ref", ["nobody@contoso.onmicrosoft.com", "8d7c9b4e-0000-4000-8000-000000000000", "not-a-guid"]
)
def test_get_unknown_user_is_404(client: TestClient, admin: dict[str, str], ref: str) -> None:
    assert_error(
        client.get(f"/v1.0/users/{ref}", headers=admin),
        404,
        "Request_ResourceNotFound",
        f"Resource '{ref}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


# -- create ----------------------------------------------------------------------------


def test_create_user_answers_201_and_provisions_a_mailbox(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    response = client.post(
        "/v1.0/users", json=new_user(usageLocation="nl", jobTitle="Clerk"), headers=admin
    )
    assert response.status_code == 201
    body = response.json()
    assert body["@odata.context"] == "https://testserver/v1.0/$metadata#users/$entity"
    assert set(body) == DEFAULT | {"@odata.context"}
    assert (body["userPrincipalName"], body["jobTitle"]) == (
        "newbie@contoso.onmicrosoft.com",
        "Clerk",
    )
    assert body["id"] in response.headers["Location"]
    mailbox = Directory(state.store).mailbox(tenant.id, body["id"])
    assert mailbox is not None and mailbox.recipient_type_details == "UserMailbox"
    assert mailbox.primary_smtp == "newbie@contoso.onmicrosoft.com"
    stored = client.get(
        f"/v1.0/users/{body['id']}?$select=usageLocation,accountEnabled", headers=admin
    ).json()
    assert (stored["usageLocation"], stored["accountEnabled"]) == ("NL", True)


def test_the_password_is_not_kept(
    client: TestClient, admin: dict[str, str], state: EmulatorState
) -> None:
    client.post("/v1.0/users", json=new_user(), headers=admin)
    dump = "\n".join(state.store._conn.iterdump())
    assert "xWwvJ]6NMw+bWH-d" not in dump


@pytest.mark.parametrize(
    "missing",
    ["accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"],
)
def test_create_requires_each_property(
    client: TestClient, admin: dict[str, str], missing: str
) -> None:
    body = new_user()
    del body[missing]
    assert_error(
        client.post("/v1.0/users", json=body, headers=admin),
        400,
        "Request_BadRequest",
        f"A value is required for property '{missing}' of resource 'User'.",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"userPrincipalName": "newbie@example.com"},
            "The domain portion of the userPrincipalName property is invalid. You must use one of "
            "the verified domain names in your organization.",
        ),
        (
            {"userPrincipalName": "new bie@contoso.onmicrosoft.com"},
            "Property userPrincipalName is invalid.",
        ),
        ({"userPrincipalName": "newbie"}, "Property userPrincipalName is invalid."),
        (
            {"userPrincipalName": "CEO@contoso.onmicrosoft.com"},
            "Another object with the same value for property userPrincipalName already exists.",
        ),
        (
            {"userPrincipalName": "allstaff@contoso.onmicrosoft.com"},
            "Another object with the same value for property proxyAddresses already exists.",
        ),
        (
            {"passwordProfile": {"password": "password"}},
            "The specified password does not comply with password complexity requirements. "
            "Please provide a different password.",
        ),
        (
            {"passwordProfile": {"forceChangePasswordNextSignIn": True}},
            "The specified password does not comply with password complexity requirements. "
            "Please provide a different password.",
        ),
        (
            {"accountEnabled": "yes"},
            "Invalid value specified for property 'accountEnabled' of resource 'User'.",
        ),
        (
            {"mailNickname": "new bie"},
            "Invalid value specified for property 'mailNickname' of resource 'User'.",
        ),
        (
            {"displayName": ""},
            "Invalid value specified for property 'displayName' of resource 'User'.",
        ),
        (
            {"usageLocation": "Netherlands"},
            "Invalid value specified for property 'usageLocation' of resource 'User'.",
        ),
        (
            {"businessPhones": "+1 555"},
            "Invalid value specified for property 'businessPhones' of resource 'User'.",
        ),
    ],
)
def test_create_rejects_what_entra_rejects(
    client: TestClient,
    admin: dict[str, str],
    state: EmulatorState,
    tenant: Tenant,
    change: dict[str, Any],
    message: str,
) -> None:
    before = user_count(state, tenant)
    response = client.post("/v1.0/users", json={**new_user(), **change}, headers=admin)
    assert_error(response, 400, "Request_BadRequest", message)
    assert user_count(state, tenant) == before


def test_create_on_an_extra_domain(
    client: TestClient, state: EmulatorState, tenant: Tenant, admin: dict[str, str]
) -> None:
    directory = Directory(state.store)
    props = directory.tenant_props(tenant.id)
    directory.set_tenant_props(tenant.id, {**props, "domains": [*props["domains"], "contoso.com"]})
    body = new_user(userPrincipalName="ann@Contoso.com")
    assert client.post("/v1.0/users", json=body, headers=admin).status_code == 201


def test_unknown_property_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/v1.0/users", json=new_user(shoeSize=44), headers=admin)
    assert_error(
        response,
        400,
        "BadRequest",
        "Property 'shoeSize' does not exist on type 'microsoft.graph.user'. Make sure to "
        "only use property names that are defined by the type or mark the type as open type.",
    )


def test_sdk_annotations_are_accepted(client: TestClient, admin: dict[str, str]) -> None:
    body = {"@odata.type": "#microsoft.graph.user", **new_user()}
    assert client.post("/v1.0/users", json=body, headers=admin).status_code == 201


def test_without_auto_mailbox_a_new_user_has_none(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    state.store.execute("UPDATE tenants SET auto_mailbox = 0 WHERE id = ?", (tenant.id,))
    body = client.post("/v1.0/users", json=new_user(), headers=admin).json()
    assert body["mail"] is None
    assert Directory(state.store).recipient(tenant.id, body["id"]) is None


# -- update and delete -----------------------------------------------------------------


def test_patch_changes_the_named_properties(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    url = "/v1.0/users/payroll@contoso.onmicrosoft.com"
    response = client.patch(
        url,
        json={
            "displayName": "Payroll Team",
            "jobTitle": "Pay",
            "accountEnabled": False,
            "usageLocation": "fr",
        },
        headers=admin,
    )
    assert (response.status_code, response.content) == (204, b"")
    body = client.get(
        f"{url}?$select=id,displayName,jobTitle,accountEnabled,usageLocation,mail", headers=admin
    ).json()
    assert (
        body["displayName"],
        body["jobTitle"],
        body["accountEnabled"],
        body["usageLocation"],
    ) == ("Payroll Team", "Pay", False, "FR")
    recipient = Directory(state.store).recipient(tenant.id, body["id"])
    assert recipient is not None and recipient["display_name"] == "Payroll Team"


def test_patch_upn_is_checked(client: TestClient, admin: dict[str, str]) -> None:
    url = "/v1.0/users/payroll@contoso.onmicrosoft.com"
    assert_error(
        client.patch(url, json={"userPrincipalName": "hr@contoso.onmicrosoft.com"}, headers=admin),
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
    )
    assert (
        client.patch(
            url, json={"userPrincipalName": "pay@contoso.onmicrosoft.com"}, headers=admin
        ).status_code
        == 204
    )
    assert client.get("/v1.0/users/pay@contoso.onmicrosoft.com", headers=admin).status_code == 200
    assert_error(
        client.patch("/v1.0/users/nobody@contoso.onmicrosoft.com", json={}, headers=admin),
        404,
        "Request_ResourceNotFound",
        "Resource 'nobody@contoso.onmicrosoft.com' does not exist or one of its queried "
        "reference-property objects are not present.",
    )


def test_patch_refuses_bad_json(client: TestClient, admin: dict[str, str]) -> None:
    response = client.patch(
        "/v1.0/users/payroll@contoso.onmicrosoft.com",
        content=b"{nope",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


def test_delete_takes_everything_of_the_user_with_it(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    directory = Directory(state.store)
    user = directory.user(tenant.id, "cfo@contoso.onmicrosoft.com")
    assert user is not None
    uid = user["id"]
    directory.assign_directory_role(tenant.id, uid, GLOBAL_ADMINISTRATOR, now=state.clock.now())
    state.store.execute(
        "INSERT INTO user_licenses (tenant_id, user_id, sku_id) VALUES (?, ?, ?)",
        (tenant.id, uid, "05e9a617-0261-4cee-bb44-138d3ef5d965"),
    )
    response = client.delete(f"/v1.0/users/{uid}", headers=admin)
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"/v1.0/users/{uid}", headers=admin).status_code == 404
    for table, column in [
        ("recipients", "object_id"),
        ("group_members", "member_id"),
        ("user_licenses", "user_id"),
        ("directory_role_assignments", "principal_id"),
    ]:
        assert not state.store.scalar(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (uid,)), (
            table
        )
    assert_error(
        client.delete(f"/v1.0/users/{uid}", headers=admin),
        404,
        "Request_ResourceNotFound",
        f"Resource '{uid}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def test_member_of_lists_the_users_groups(client: TestClient, admin: dict[str, str]) -> None:
    body = client.get("/v1.0/users/cfo@contoso.onmicrosoft.com/memberOf", headers=admin).json()
    assert body["@odata.context"].endswith("$metadata#directoryObjects")
    assert sorted(g["displayName"] for g in body["value"]) == ["All Staff", "Finance"]
    assert {g["@odata.type"] for g in body["value"]} == {"#microsoft.graph.group"}
    first = client.get(
        "/v1.0/users/cfo@contoso.onmicrosoft.com/memberOf?$top=1&$select=displayName", headers=admin
    ).json()
    assert first["value"] == [{"@odata.type": "#microsoft.graph.group", "displayName": "Finance"}]
    rest = client.get(first["@odata.nextLink"], headers=admin).json()
    assert [g["displayName"] for g in rest["value"]] == ["All Staff"]
    assert "@odata.nextLink" not in rest


# -- a large tenant --------------------------------------------------------------------


@pytest.fixture
def large(state: EmulatorState, tenant: Tenant) -> int:
    created = Directory(state.store).bulk_create_users(
        tenant.id,
        ((f"bulk{i:06d}@contoso.onmicrosoft.com", f"Bulk {i:06d}") for i in range(100_000)),
        now=state.clock.now(),
    )
    assert created == 100_000
    return user_count(state, tenant)


def test_first_pages_of_a_100k_tenant(
    client: TestClient, admin: dict[str, str], large: int
) -> None:
    url = "/v1.0/users?$top=999"
    seen: set[str] = set()
    for _ in range(3):
        body = client.get(url, headers=admin).json()
        assert len(body["value"]) == 999
        seen |= {u["id"] for u in body["value"]}
        url = body["@odata.nextLink"]
    assert len(seen) == 3 * 999
    found = client.get(
        "/v1.0/users",
        params={"$filter": "userPrincipalName eq 'bulk099999@contoso.onmicrosoft.com'"},
        headers=admin,
    ).json()
    assert [u["displayName"] for u in found["value"]] == ["Bulk 099999"]


def test_paging_reaches_the_last_page_of_a_100k_tenant(
    client: TestClient, admin: dict[str, str], large: int
) -> None:
    url: str | None = "/v1.0/users?$top=999&$select=id"
    total, last = 0, {}
    while url:
        last = client.get(url, headers=admin).json()
        total += len(last["value"])
        url = last.get("@odata.nextLink")
    assert total == large
    assert len(last["value"]) == (large % 999 or 999)
