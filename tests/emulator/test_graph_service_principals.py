"""Graph /servicePrincipals in the emulator, with their app role assignments."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import EXCHANGE_APP_ID, GRAPH_APP_ID, Directory
from tests.conftest import Tenant, bearer
from tests.emulator.graph_app_helpers import (
    FULL_ACCESS_AS_APP,
    GRAPH,
    MAIL_SEND,
    NOT_FOUND,
    assert_graph_error,
    headers_with,
)

DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True))


@pytest.fixture
def graph_sp(state: EmulatorState, tenant: Tenant) -> dict[str, Any]:
    row = Directory(state.store).service_principal_by_app_id(tenant.id, GRAPH_APP_ID)
    assert row is not None
    return dict(row)


@pytest.fixture
def new_app(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        f"{GRAPH}/applications",
        json={"displayName": "Ticket Bot", "identifierUris": ["api://ticket-bot"]},
        headers=admin,
    )
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def new_sp(client: TestClient, admin: dict[str, str], new_app: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        f"{GRAPH}/servicePrincipals", json={"appId": new_app["appId"]}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _grant(
    client: TestClient,
    admin: dict[str, str],
    resource: dict[str, Any],
    principal_id: str,
    role: str,
) -> Any:
    return client.post(
        f"{GRAPH}/servicePrincipals/{resource['id']}/appRoleAssignedTo",
        headers=admin,
        json={"principalId": principal_id, "resourceId": resource["id"], "appRoleId": role},
    )


# -- create --------------------------------------------------------------------------------


def test_create_for_a_registered_app(
    new_sp: dict[str, Any], new_app: dict[str, Any], tenant: Tenant
) -> None:
    assert new_sp["@odata.context"].endswith("$metadata#servicePrincipals/$entity")
    assert new_sp["appId"] == new_app["appId"]
    assert new_sp["displayName"] == new_sp["appDisplayName"] == "Ticket Bot"
    assert new_sp["servicePrincipalNames"] == [new_app["appId"], "api://ticket-bot"]
    assert new_sp["accountEnabled"] is True
    assert new_sp["servicePrincipalType"] == "Application"
    assert new_sp["appOwnerOrganizationId"] == tenant.id
    assert new_sp["appRoles"] == [] and new_sp["tags"] == []


def test_create_can_start_disabled_with_tags(
    client: TestClient, admin: dict[str, str], new_app: dict[str, Any]
) -> None:
    response = client.post(
        f"{GRAPH}/servicePrincipals",
        headers=admin,
        json={
            "appId": new_app["appId"],
            "accountEnabled": False,
            "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        },
    )
    body = response.json()
    assert (body["accountEnabled"], body["tags"]) == (
        False,
        ["WindowsAzureActiveDirectoryIntegratedApp"],
    )


def test_create_refuses_an_unregistered_app(client: TestClient, admin: dict[str, str]) -> None:
    missing = str(uuid.uuid4())
    response = client.post(f"{GRAPH}/servicePrincipals", json={"appId": missing}, headers=admin)
    assert_graph_error(
        response,
        400,
        "Request_BadRequest",
        f"The appId '{missing}' of the service principal does not reference a "
        "valid application object.",
    )


def test_create_refuses_a_second_principal(
    client: TestClient, admin: dict[str, str], new_sp: dict[str, Any]
) -> None:
    response = client.post(
        f"{GRAPH}/servicePrincipals", json={"appId": new_sp["appId"]}, headers=admin
    )
    assert_graph_error(
        response,
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "The service principal cannot be created, updated, or restored because "
        f"the service principal name {new_sp['appId']} is already in use.",
    )


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {},
            "Request_BadRequest",
            "A value is required for property 'appId' of resource 'ServicePrincipal'.",
        ),
        (
            {"appId": "not-a-guid"},
            "BadRequest",
            "Cannot convert the literal 'not-a-guid' to the expected type 'Edm.Guid'.",
        ),
        (
            {"appId": str(uuid.UUID(int=1)), "colour": "red"},
            "Request_BadRequest",
            "Invalid property 'colour'.",
        ),
        (
            {"appId": str(uuid.UUID(int=1)), "accountEnabled": "no"},
            "BadRequest",
            "Cannot convert the literal 'no' to the expected type 'Edm.Boolean'.",
        ),
    ],
)
def test_create_refuses_bad_bodies(
    client: TestClient, admin: dict[str, str], body: dict[str, Any], code: str, message: str
) -> None:
    response = client.post(f"{GRAPH}/servicePrincipals", json=body, headers=admin)
    assert_graph_error(response, 400, code, message)


def test_create_needs_a_write_permission(
    client: TestClient, token: Callable[..., str], new_app: dict[str, Any]
) -> None:
    response = client.post(
        f"{GRAPH}/servicePrincipals",
        json={"appId": new_app["appId"]},
        headers=bearer(token("Timesheet Mailer")),
    )
    assert_graph_error(response, 403, *DENIED)


# -- read ----------------------------------------------------------------------------------


def test_microsoft_resource_principals_exist_with_their_roles(
    client: TestClient, admin: dict[str, str]
) -> None:
    url = f"{GRAPH}/servicePrincipals(appId='{GRAPH_APP_ID}')?$select=id,appId,displayName,appRoles"
    graph = client.get(url, headers=admin).json()
    assert graph["@odata.context"].endswith(
        "$metadata#servicePrincipals(id,appId,displayName,appRoles)/$entity"
    )
    assert set(graph) == {"@odata.context", "id", "appId", "displayName", "appRoles"}
    roles = {role["value"]: role for role in graph["appRoles"]}
    assert roles["Mail.Send"]["id"] == MAIL_SEND
    assert roles["Mail.Send"]["allowedMemberTypes"] == ["Application"]
    assert len(roles) > 300
    full = client.get(f"{GRAPH}/servicePrincipals/{graph['id']}", headers=admin).json()
    assert "https://graph.microsoft.com" in full["servicePrincipalNames"]
    assert full["signInAudience"] == "AzureADMultipleOrgs"
    exchange = client.get(
        f"{GRAPH}/servicePrincipals(appId='{EXCHANGE_APP_ID}')", headers=admin
    ).json()
    assert exchange["displayName"] == "Office 365 Exchange Online"
    assert {r["value"]: r["id"] for r in exchange["appRoles"]} == {
        "full_access_as_app": FULL_ACCESS_AS_APP,
        "Exchange.ManageAsApp": "dc50a0fb-09a3-484d-be87-e023b12c6440",
    }
    assert "https://outlook.office365.com" in exchange["servicePrincipalNames"]


def test_list_filters(client: TestClient, admin: dict[str, str], new_sp: dict[str, Any]) -> None:
    def ids(query: str) -> list[str]:
        response = client.get(
            f"{GRAPH}/servicePrincipals?$filter={query}&$select=id", headers=admin
        )
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["value"]]

    assert ids(f"appId eq '{new_sp['appId']}'") == [new_sp["id"]]
    assert ids("displayName eq 'TICKET BOT'") == [new_sp["id"]]
    assert len(ids("servicePrincipalType eq 'Application'")) == 5
    assert ids("accountEnabled eq false") == []
    client.patch(
        f"{GRAPH}/servicePrincipals/{new_sp['id']}", json={"accountEnabled": False}, headers=admin
    )
    assert ids("accountEnabled eq false") == [new_sp["id"]]


def test_list_pages(client: TestClient, admin: dict[str, str]) -> None:
    url: str | None = f"{GRAPH}/servicePrincipals?$top=2&$select=displayName"
    names: list[str] = []
    while url:
        body = client.get(url, headers=admin).json()
        names += [item["displayName"] for item in body["value"]]
        url = body.get("@odata.nextLink")
    assert names == [
        "Microsoft Graph",
        "Office 365 Exchange Online",
        "Timesheet Mailer",
        "sendscope admin",
    ]


def test_list_refuses_unsupported_filters(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"{GRAPH}/servicePrincipals?$filter=tags eq 'x'", headers=admin)
    assert_graph_error(
        response,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'tags' "
        "of resource 'ServicePrincipal'.",
    )


def test_get_unknown_principal(client: TestClient, admin: dict[str, str]) -> None:
    missing = str(uuid.uuid4())
    for url in (
        f"{GRAPH}/servicePrincipals/{missing}",
        f"{GRAPH}/servicePrincipals(appId='{missing}')",
    ):
        assert_graph_error(
            client.get(url, headers=admin),
            404,
            "Request_ResourceNotFound",
            NOT_FOUND.format(missing),
        )


def test_reads_need_a_read_permission(
    client: TestClient,
    token: Callable[..., str],
    state: EmulatorState,
    tenant: Tenant,
    graph_sp: dict[str, Any],
) -> None:
    mailer = bearer(token("Timesheet Mailer"))
    for url in (
        f"{GRAPH}/servicePrincipals",
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}",
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
    ):
        assert_graph_error(client.get(url, headers=mailer), 403, *DENIED)
    reader = headers_with(state, tenant.id, "Auditor", "Application.Read.All")
    assert (
        client.get(
            f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", headers=reader
        ).status_code
        == 200
    )


# -- update and delete ---------------------------------------------------------------------


def test_patch_disables_renames_and_tags(
    client: TestClient, admin: dict[str, str], new_sp: dict[str, Any], state: EmulatorState
) -> None:
    response = client.patch(
        f"{GRAPH}/servicePrincipals(appId='{new_sp['appId']}')",
        headers=admin,
        json={"accountEnabled": False, "displayName": "Ticket Bot (off)", "tags": ["HideApp"]},
    )
    assert response.status_code == 204
    after = client.get(f"{GRAPH}/servicePrincipals/{new_sp['id']}", headers=admin).json()
    assert (after["accountEnabled"], after["displayName"], after["tags"]) == (
        False,
        "Ticket Bot (off)",
        ["HideApp"],
    )
    enabled = state.store.scalar(
        "SELECT account_enabled FROM service_principals WHERE id = ?", (new_sp["id"],)
    )
    assert enabled == 0


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"accountEnabled": "no"},
            "BadRequest",
            "Cannot convert the literal 'no' to the expected type 'Edm.Boolean'.",
        ),
        (
            {"tags": "x"},
            "BadRequest",
            "Property tags in payload has a value that does not match schema.",
        ),
        (
            {"appRoles": []},
            "Request_BadRequest",
            "Property 'appRoles' is read-only and cannot be set.",
        ),
        ({"colour": "red"}, "Request_BadRequest", "Invalid property 'colour'."),
        (
            {"displayName": None},
            "Request_BadRequest",
            "A value is required for property 'displayName' of resource 'ServicePrincipal'.",
        ),
    ],
)
def test_patch_refuses_bad_values(
    client: TestClient,
    admin: dict[str, str],
    new_sp: dict[str, Any],
    body: dict[str, Any],
    code: str,
    message: str,
) -> None:
    response = client.patch(f"{GRAPH}/servicePrincipals/{new_sp['id']}", json=body, headers=admin)
    assert_graph_error(response, 400, code, message)


def test_patch_and_delete_need_a_write_permission(
    client: TestClient, state: EmulatorState, tenant: Tenant, new_sp: dict[str, Any]
) -> None:
    reader = headers_with(state, tenant.id, "Auditor", "Application.Read.All")
    url = f"{GRAPH}/servicePrincipals/{new_sp['id']}"
    assert_graph_error(client.patch(url, json={"tags": []}, headers=reader), 403, *DENIED)
    assert_graph_error(client.delete(url, headers=reader), 403, *DENIED)


def test_patch_and_delete_unknown_principal(client: TestClient, admin: dict[str, str]) -> None:
    missing = str(uuid.uuid4())
    url = f"{GRAPH}/servicePrincipals/{missing}"
    for response in (
        client.patch(url, json={"tags": []}, headers=admin),
        client.delete(url, headers=admin),
    ):
        assert_graph_error(response, 404, "Request_ResourceNotFound", NOT_FOUND.format(missing))


def test_delete_takes_grants_and_roles_along(
    client: TestClient,
    admin: dict[str, str],
    new_sp: dict[str, Any],
    graph_sp: dict[str, Any],
    state: EmulatorState,
) -> None:
    assert _grant(client, admin, graph_sp, new_sp["id"], MAIL_SEND).status_code == 201
    role = client.post(
        f"{GRAPH}/roleManagement/directory/roleAssignments",
        headers=admin,
        json={
            "roleDefinitionId": "29232cdf-9323-42fd-ade2-1d097af3e4de",
            "principalId": new_sp["id"],
            "directoryScopeId": "/",
        },
    )
    assert role.status_code == 201
    assert (
        client.delete(f"{GRAPH}/servicePrincipals/{new_sp['id']}", headers=admin).status_code == 204
    )
    assert client.get(f"{GRAPH}/servicePrincipals/{new_sp['id']}", headers=admin).status_code == 404
    for table in ("app_role_assignments", "directory_role_assignments"):
        count = state.store.scalar(
            f"SELECT COUNT(*) FROM {table} WHERE principal_id = ?", (new_sp["id"],)
        )
        assert count == 0, table
    app = client.get(f"{GRAPH}/applications(appId='{new_sp['appId']}')", headers=admin)
    assert app.status_code == 200
