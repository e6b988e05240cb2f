"""Graph /applications in the emulator: registrations, certificates and secrets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from tests.conftest import Tenant, bearer
from tests.emulator.graph_app_helpers import (
    GRAPH,
    NOT_FOUND,
    assert_graph_error,
    certificate,
    headers_with,
    key_credential,
)

DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
INVALID_KEY = "Invalid certificate: Key value is invalid certificate"


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True))


@pytest.fixture
def created(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        f"{GRAPH}/applications", json={"displayName": "Payroll Sync"}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _get(client: TestClient, admin: dict[str, str], app_id: str, query: str = "") -> Any:
    response = client.get(f"{GRAPH}/applications/{app_id}{query}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


# -- create ------------------------------------------------------------------------------


def test_create_returns_the_new_registration(created: dict[str, Any], tenant: Tenant) -> None:
    assert created["@odata.context"] == "https://testserver/v1.0/$metadata#applications/$entity"
    assert str(uuid.UUID(created["appId"])) == created["appId"]
    assert created["id"] != created["appId"]
    assert created["displayName"] == "Payroll Sync"
    assert created["passwordCredentials"] == [] and created["keyCredentials"] == []
    assert created["signInAudience"] == "AzureADMyOrg"
    assert created["isFallbackPublicClient"] is None
    assert created["requiredResourceAccess"] == []
    assert created["publisherDomain"] == tenant.domain
    assert created["web"]["redirectUris"] == []


def test_create_keeps_required_resource_access(client: TestClient, admin: dict[str, str]) -> None:
    access = [
        {
            "resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": "b633e1c5-b582-4048-a93e-9f11b44c7e96", "type": "Role"}],
        }
    ]
    response = client.post(
        f"{GRAPH}/applications",
        headers=admin,
        json={
            "displayName": "Mailer",
            "requiredResourceAccess": access,
            "@odata.type": "#microsoft.graph.application",
        },
    )
    assert response.status_code == 201
    assert _get(client, admin, response.json()["id"])["requiredResourceAccess"] == access


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (
            {},
            400,
            "Request_BadRequest",
            "A value is required for property 'displayName' of resource 'Application'.",
        ),
        (
            {"displayName": 5},
            400,
            "BadRequest",
            "Cannot convert the literal '5' to the expected type 'Edm.String'.",
        ),
        (
            {"displayName": "x", "colour": "red"},
            400,
            "Request_BadRequest",
            "Invalid property 'colour'.",
        ),
        (
            {"displayName": "x", "appId": "a"},
            400,
            "Request_BadRequest",
            "Property 'appId' is read-only and cannot be set.",
        ),
        (
            {"displayName": "x", "passwordCredentials": [{"secretText": "s"}]},
            400,
            "Request_BadRequest",
            "New password credentials must be generated using service actions.",
        ),
        (
            {"displayName": "x", "tags": "one"},
            400,
            "BadRequest",
            "Property tags in payload has a value that does not match schema.",
        ),
        (
            {"displayName": "x", "requiredResourceAccess": {}},
            400,
            "BadRequest",
            "Property requiredResourceAccess in payload has a value that does not match schema.",
        ),
        (
            {"displayName": "x", "isFallbackPublicClient": "yes"},
            400,
            "BadRequest",
            "Cannot convert the literal 'yes' to the expected type 'Edm.Boolean'.",
        ),
    ],
)
def test_create_refuses_bad_bodies(
    client: TestClient,
    admin: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
) -> None:
    response = client.post(f"{GRAPH}/applications", json=body, headers=admin)
    assert_graph_error(response, status, code, message)


def test_create_needs_a_write_permission(
    client: TestClient, state: EmulatorState, tenant: Tenant, token: Callable[..., str]
) -> None:
    reader = headers_with(state, tenant.id, "Reader", "Application.Read.All")
    for headers in (bearer(token("Timesheet Mailer")), reader):
        response = client.post(f"{GRAPH}/applications", json={"displayName": "x"}, headers=headers)
        assert_graph_error(response, 403, *DENIED)


def test_requests_without_a_token_are_refused(client: TestClient) -> None:
    response = client.get(f"{GRAPH}/applications")
    assert_graph_error(response, 401, "InvalidAuthenticationToken", "Access token is empty.")


# -- list ----------------------------------------------------------------------------------


def test_list_selects_and_filters(
    client: TestClient, admin: dict[str, str], created: dict[str, Any], tenant: Tenant
) -> None:
    response = client.get(f"{GRAPH}/applications?$select=appId,displayName", headers=admin)
    body = response.json()
    assert body["@odata.context"].endswith("$metadata#applications(appId,displayName)")
    names = {item["displayName"] for item in body["value"]}
    assert names == {"Timesheet Mailer", "sendscope admin", "Payroll Sync"}
    assert all(set(item) == {"id", "appId", "displayName"} for item in body["value"])
    by_app_id = client.get(
        f"{GRAPH}/applications?$filter=appId eq '{created['appId']}'", headers=admin
    ).json()["value"]
    assert [item["id"] for item in by_app_id] == [created["id"]]
    by_name = client.get(
        f"{GRAPH}/applications?$filter=displayName eq 'timesheet mailer'", headers=admin
    ).json()["value"]
    assert [item["appId"] for item in by_name] == [tenant.apps["Timesheet Mailer"].client_id]


def test_list_pages_with_next_links(client: TestClient, admin: dict[str, str]) -> None:
    for i in range(5):
        client.post(f"{GRAPH}/applications", json={"displayName": f"App {i}"}, headers=admin)
    seen: list[str] = []
    url: str | None = f"{GRAPH}/applications?$top=2&$select=displayName"
    pages = 0
    while url:
        body = client.get(url, headers=admin).json()
        assert len(body["value"]) <= 2
        seen += [item["displayName"] for item in body["value"]]
        url, pages = body.get("@odata.nextLink"), pages + 1
    assert pages == 4
    assert seen == ["Timesheet Mailer", "sendscope admin", *(f"App {i}" for i in range(5))]


@pytest.mark.parametrize(
    ("query", "status", "code", "message"),
    [
        (
            "$filter=signInAudience eq 'AzureADMyOrg'",
            400,
            "Request_UnsupportedQuery",
            "Unsupported or invalid query filter clause specified for property 'signInAudience' of "
            "resource 'Application'.",
        ),
        (
            "$select=colour",
            400,
            "BadRequest",
            "Parsing OData Select and Expand failed: Could not find a property named 'colour' on "
            "type 'microsoft.graph.application'.",
        ),
        (
            "$top=1000",
            400,
            "Request_UnsupportedQuery",
            "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
        ),
    ],
)
def test_list_refuses_bad_queries(
    client: TestClient, admin: dict[str, str], query: str, status: int, code: str, message: str
) -> None:
    assert_graph_error(
        client.get(f"{GRAPH}/applications?{query}", headers=admin), status, code, message
    )


def test_list_takes_any_read_permission(
    client: TestClient, state: EmulatorState, tenant: Tenant, token: Callable[..., str]
) -> None:
    for permission in ("Application.Read.All", "Directory.Read.All"):
        headers = headers_with(state, tenant.id, permission, permission)
        assert client.get(f"{GRAPH}/applications", headers=headers).status_code == 200
    response = client.get(f"{GRAPH}/applications", headers=bearer(token("Timesheet Mailer")))
    assert_graph_error(response, 403, *DENIED)


# -- get -----------------------------------------------------------------------------------


def test_get_by_id_and_by_app_id(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    by_id = _get(client, admin, created["id"])
    by_app_id = client.get(
        f"{GRAPH}/applications(appId='{created['appId']}')", headers=admin
    ).json()
    assert by_id == by_app_id
    assert by_id["displayName"] == "Payroll Sync"
    selected = _get(client, admin, created["id"], "?$select=appId")
    assert selected == {
        "@odata.context": "https://testserver/v1.0/$metadata#applications(appId)/$entity",
        "id": created["id"],
        "appId": created["appId"],
    }


def test_get_unknown_application(client: TestClient, admin: dict[str, str]) -> None:
    missing = str(uuid.uuid4())
    for url in (f"{GRAPH}/applications/{missing}", f"{GRAPH}/applications(appId='{missing}')"):
        assert_graph_error(
            client.get(url, headers=admin),
            404,
            "Request_ResourceNotFound",
            NOT_FOUND.format(missing),
        )


# -- update --------------------------------------------------------------------------------


def test_patch_changes_what_it_names(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    response = client.patch(
        f"{GRAPH}/applications/{created['id']}",
        headers=admin,
        json={"displayName": "Payroll", "isFallbackPublicClient": True},
    )
    assert response.status_code == 204 and response.content == b""
    after = _get(client, admin, created["id"])
    assert (after["displayName"], after["isFallbackPublicClient"]) == ("Payroll", True)
    assert after["appId"] == created["appId"]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"displayName": ""},
            "Request_BadRequest",
            "A value is required for property 'displayName' of resource 'Application'.",
        ),
        (
            {"isFallbackPublicClient": 1},
            "BadRequest",
            "Cannot convert the literal '1' to the expected type 'Edm.Boolean'.",
        ),
        (
            {"identifierUris": [1]},
            "BadRequest",
            "Property identifierUris in payload has a value that does not match schema.",
        ),
        ({"id": "x"}, "Request_BadRequest", "Property 'id' is read-only and cannot be set."),
    ],
)
def test_patch_refuses_bad_values(
    client: TestClient,
    admin: dict[str, str],
    created: dict[str, Any],
    body: dict[str, Any],
    code: str,
    message: str,
) -> None:
    response = client.patch(f"{GRAPH}/applications/{created['id']}", json=body, headers=admin)
    assert_graph_error(response, 400, code, message)


def test_patch_unknown_application(client: TestClient, admin: dict[str, str]) -> None:
    missing = str(uuid.uuid4())
    response = client.patch(
        f"{GRAPH}/applications/{missing}", json={"displayName": "x"}, headers=admin
    )
    assert_graph_error(response, 404, "Request_ResourceNotFound", NOT_FOUND.format(missing))


def test_patch_with_an_empty_body(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    response = client.patch(f"{GRAPH}/applications/{created['id']}", content=b"", headers=admin)
    assert_graph_error(response, 400, "BadRequest", "Empty Payload, JSON content expected")


# -- delete --------------------------------------------------------------------------------


def test_delete_removes_the_app_its_credentials_and_its_service_principal(
    client: TestClient,
    admin: dict[str, str],
    created: dict[str, Any],
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    _, key = certificate()
    url = f"{GRAPH}/applications/{created['id']}"
    client.patch(url, json={"keyCredentials": [key_credential(key)]}, headers=admin)
    client.post(f"{url}/addPassword", headers=admin)
    sp = client.post(
        f"{GRAPH}/servicePrincipals", json={"appId": created["appId"]}, headers=admin
    ).json()
    graph_sp = Directory(state.store).service_principal_by_app_id(
        tenant.id, "00000003-0000-0000-c000-000000000000"
    )
    assert graph_sp is not None
    client.post(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
        headers=admin,
        json={
            "principalId": sp["id"],
            "resourceId": graph_sp["id"],
            "appRoleId": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
        },
    )
    response = client.delete(f"{GRAPH}/applications/{created['id']}", headers=admin)
    assert response.status_code == 204
    assert client.get(f"{GRAPH}/applications/{created['id']}", headers=admin).status_code == 404
    gone = client.get(f"{GRAPH}/servicePrincipals(appId='{created['appId']}')", headers=admin)
    assert gone.status_code == 404
    for table, column in (
        ("password_credentials", "application_id"),
        ("key_credentials", "application_id"),
        ("app_role_assignments", "principal_id"),
    ):
        ref = sp["id"] if column == "principal_id" else created["id"]
        count = state.store.scalar(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (ref,))
        assert count == 0, table


def test_delete_unknown_application(client: TestClient, admin: dict[str, str]) -> None:
    missing = str(uuid.uuid4())
    response = client.delete(f"{GRAPH}/applications/{missing}", headers=admin)
    assert_graph_error(response, 404, "Request_ResourceNotFound", NOT_FOUND.format(missing))


# -- Application.ReadWrite.OwnedBy ---------------------------------------------------------


def test_owned_by_manages_only_its_own_apps(
    client: TestClient, state: EmulatorState, tenant: Tenant, admin: dict[str, str]
) -> None:
    owner = headers_with(state, tenant.id, "Provisioner", "Application.ReadWrite.OwnedBy")
    mine = client.post(f"{GRAPH}/applications", json={"displayName": "Mine"}, headers=owner)
    assert mine.status_code == 201
    url = f"{GRAPH}/applications/{mine.json()['id']}"
    assert client.patch(url, json={"notes": "ok"}, headers=owner).status_code == 204
    assert client.post(f"{url}/addPassword", headers=owner).status_code == 200
    sp = client.post(
        f"{GRAPH}/servicePrincipals", json={"appId": mine.json()["appId"]}, headers=owner
    )
    assert sp.status_code == 201
    theirs = client.get(
        f"{GRAPH}/applications?$filter=displayName eq 'Timesheet Mailer'", headers=owner
    ).json()["value"][0]
    for response in (
        client.patch(f"{GRAPH}/applications/{theirs['id']}", json={"notes": "x"}, headers=owner),
        client.post(f"{GRAPH}/applications/{theirs['id']}/addPassword", headers=owner),
        client.delete(f"{GRAPH}/applications/{theirs['id']}", headers=owner),
        client.post(f"{GRAPH}/servicePrincipals", json={"appId": theirs["appId"]}, headers=owner),
    ):
        assert_graph_error(response, 403, *DENIED)
    assert client.delete(url, headers=owner).status_code == 204


def test_read_permission_cannot_write(
    client: TestClient, state: EmulatorState, tenant: Tenant, created: dict[str, Any]
) -> None:
    reader = headers_with(state, tenant.id, "Reader", "Application.Read.All")
    url = f"{GRAPH}/applications/{created['id']}"
    for response in (
        client.patch(url, json={"notes": "x"}, headers=reader),
        client.delete(url, headers=reader),
        client.post(f"{url}/addPassword", headers=reader),
        client.post(f"{url}/removePassword", json={"keyId": str(uuid.uuid4())}, headers=reader),
    ):
        assert_graph_error(response, 403, *DENIED)
