"""Graph app role assignments in the emulator: appRoleAssignedTo and appRoleAssignments."""

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
    MAIL_READ,
    MAIL_SEND,
    NOT_FOUND,
    assert_graph_error,
    claims,
    headers_with,
    token_for,
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


# -- appRoleAssignedTo ---------------------------------------------------------------------


def test_assigned_to_lists_who_holds_the_resource_roles(
    client: TestClient,
    admin: dict[str, str],
    graph_sp: dict[str, Any],
    tenant: Tenant,
    state: EmulatorState,
) -> None:
    body = client.get(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", headers=admin
    ).json()
    assert body["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{graph_sp['id']}')/appRoleAssignedTo"
    )
    mailer = Directory(state.store).service_principal_by_app_id(
        tenant.id, tenant.apps["Timesheet Mailer"].client_id
    )
    assert mailer is not None
    [held] = [item for item in body["value"] if item["principalId"] == mailer["id"]]
    assert held == {
        "id": held["id"],
        "deletedDateTime": None,
        "appRoleId": MAIL_SEND,
        "createdDateTime": held["createdDateTime"],
        "principalDisplayName": "Timesheet Mailer",
        "principalId": mailer["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": graph_sp["id"],
    }
    one = client.get(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo/{held['id']}", headers=admin
    ).json()
    assert one["appRoleId"] == MAIL_SEND and one["@odata.context"].endswith("/$entity")


def test_assigned_to_pages_through_thousands(
    client: TestClient,
    admin: dict[str, str],
    graph_sp: dict[str, Any],
    tenant: Tenant,
    state: EmulatorState,
) -> None:
    directory, now = Directory(state.store), state.clock.now()
    with state.store.tx():
        for i in range(2500):
            sp_id = directory.create_service_principal(
                tenant.id, str(uuid.uuid4()), f"App {i}", now=now
            )
            directory.assign_app_role(tenant.id, sp_id, graph_sp["id"], MAIL_READ, now=now)
    url: str | None = f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo?$top=999"
    seen: list[str] = []
    pages = 0
    while url:
        body = client.get(url, headers=admin).json()
        seen += [item["id"] for item in body["value"]]
        url, pages = body.get("@odata.nextLink"), pages + 1
    total = state.store.scalar(
        "SELECT COUNT(*) FROM app_role_assignments WHERE resource_id = ?", (graph_sp["id"],)
    )
    assert len(seen) == len(set(seen)) == total > 2500
    assert pages == 3
    first = client.get(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", headers=admin
    ).json()
    assert len(first["value"]) == 100 and "$skiptoken=" in first["@odata.nextLink"]


def test_grant_and_revoke_change_the_next_token(
    client: TestClient,
    admin: dict[str, str],
    graph_sp: dict[str, Any],
    new_sp: dict[str, Any],
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    assert "roles" not in claims(token_for(state, tenant.id, new_sp["appId"]))
    response = _grant(client, admin, graph_sp, new_sp["id"], MAIL_READ)
    assert response.status_code == 201, response.text
    granted = response.json()
    assert granted["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{graph_sp['id']}')/appRoleAssignedTo/$entity"
    )
    assert (granted["principalDisplayName"], granted["resourceDisplayName"]) == (
        "Ticket Bot",
        "Microsoft Graph",
    )
    assert (granted["principalId"], granted["appRoleId"]) == (new_sp["id"], MAIL_READ)
    assert claims(token_for(state, tenant.id, new_sp["appId"]))["roles"] == ["Mail.Read"]
    url = f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo/{granted['id']}"
    assert client.delete(url, headers=admin).status_code == 204
    assert "roles" not in claims(token_for(state, tenant.id, new_sp["appId"]))
    assert_graph_error(
        client.delete(url, headers=admin),
        404,
        "Request_ResourceNotFound",
        NOT_FOUND.format(granted["id"]),
    )


def test_grant_refuses_a_duplicate(
    client: TestClient, admin: dict[str, str], graph_sp: dict[str, Any], new_sp: dict[str, Any]
) -> None:
    assert _grant(client, admin, graph_sp, new_sp["id"], MAIL_SEND).status_code == 201
    assert_graph_error(
        _grant(client, admin, graph_sp, new_sp["id"], MAIL_SEND),
        400,
        "Request_BadRequest",
        "Permission being assigned already exists on the object",
    )


def test_grant_refuses_an_unknown_role(
    client: TestClient, admin: dict[str, str], graph_sp: dict[str, Any], new_sp: dict[str, Any]
) -> None:
    # The delegated Mail.Send scope id is not an app role (m365-domain.md §4.4).
    response = _grant(client, admin, graph_sp, new_sp["id"], "e383f46e-2787-4529-855e-0e479a3ffac0")
    assert_graph_error(
        response,
        400,
        "Request_BadRequest",
        f"Permission being assigned was not found on application '{GRAPH_APP_ID}'.",
    )


def test_grant_refuses_a_resource_other_than_the_path(
    client: TestClient, admin: dict[str, str], graph_sp: dict[str, Any], new_sp: dict[str, Any]
) -> None:
    response = client.post(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
        headers=admin,
        json={"principalId": new_sp["id"], "resourceId": new_sp["id"], "appRoleId": MAIL_SEND},
    )
    assert_graph_error(response, 400, "Request_BadRequest", "Not a valid reference update.")


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"principalId": None}, 400, "Request_BadRequest", "One or more properties are invalid."),
        (
            {"appRoleId": "mail-send"},
            400,
            "BadRequest",
            "Cannot convert the literal 'mail-send' to the expected type 'Edm.Guid'.",
        ),
        (
            {"principalId": str(uuid.UUID(int=7))},
            404,
            "Request_ResourceNotFound",
            NOT_FOUND.format(uuid.UUID(int=7)),
        ),
    ],
)
def test_grant_refuses_bad_bodies(
    client: TestClient,
    admin: dict[str, str],
    graph_sp: dict[str, Any],
    new_sp: dict[str, Any],
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
) -> None:
    full = {"principalId": new_sp["id"], "resourceId": graph_sp["id"], "appRoleId": MAIL_SEND}
    response = client.post(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
        headers=admin,
        json={**full, **body},
    )
    assert_graph_error(response, status, code, message)


def test_grant_needs_assignment_and_read_permissions(
    client: TestClient,
    state: EmulatorState,
    tenant: Tenant,
    graph_sp: dict[str, Any],
    new_sp: dict[str, Any],
) -> None:
    for roles in (("Application.ReadWrite.All",), ("AppRoleAssignment.ReadWrite.All",)):
        headers = headers_with(state, tenant.id, "Granter", *roles)
        assert_graph_error(_grant(client, headers, graph_sp, new_sp["id"], MAIL_SEND), 403, *DENIED)
    both = headers_with(
        state, tenant.id, "Granter", "AppRoleAssignment.ReadWrite.All", "Application.Read.All"
    )
    assert _grant(client, both, graph_sp, new_sp["id"], MAIL_SEND).status_code == 201


def test_revoke_needs_a_write_permission(
    client: TestClient,
    state: EmulatorState,
    tenant: Tenant,
    admin: dict[str, str],
    graph_sp: dict[str, Any],
    new_sp: dict[str, Any],
) -> None:
    granted = _grant(client, admin, graph_sp, new_sp["id"], MAIL_SEND).json()
    reader = headers_with(state, tenant.id, "Auditor", "Application.Read.All")
    url = f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo/{granted['id']}"
    assert_graph_error(client.delete(url, headers=reader), 403, *DENIED)


def test_revoke_through_the_wrong_resource_is_not_found(
    client: TestClient, admin: dict[str, str], graph_sp: dict[str, Any], new_sp: dict[str, Any]
) -> None:
    granted = _grant(client, admin, graph_sp, new_sp["id"], MAIL_SEND).json()
    url = f"{GRAPH}/servicePrincipals/{new_sp['id']}/appRoleAssignedTo/{granted['id']}"
    assert_graph_error(
        client.delete(url, headers=admin),
        404,
        "Request_ResourceNotFound",
        NOT_FOUND.format(granted["id"]),
    )


def test_users_get_the_default_access_role_of_an_app(
    client: TestClient,
    admin: dict[str, str],
    new_sp: dict[str, Any],
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    user = Directory(state.store).user(tenant.id, f"ceo@{tenant.domain}")
    assert user is not None
    response = _grant(client, admin, new_sp, user["id"], "00000000-0000-0000-0000-000000000000")
    assert response.status_code == 201, response.text
    assert (response.json()["principalType"], response.json()["principalDisplayName"]) == (
        "User",
        "Chief Executive",
    )


# -- appRoleAssignments (the principal's view) ---------------------------------------------


def test_assignments_of_a_principal(
    client: TestClient,
    admin: dict[str, str],
    new_sp: dict[str, Any],
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    exchange = Directory(state.store).service_principal_by_app_id(tenant.id, EXCHANGE_APP_ID)
    assert exchange is not None
    url = f"{GRAPH}/servicePrincipals(appId='{new_sp['appId']}')/appRoleAssignments"
    response = client.post(
        url,
        headers=admin,
        json={
            "principalId": new_sp["id"],
            "resourceId": exchange["id"],
            "appRoleId": FULL_ACCESS_AS_APP,
        },
    )
    assert response.status_code == 201, response.text
    granted = response.json()
    assert granted["@odata.context"].endswith(
        f"$metadata#servicePrincipals('{new_sp['id']}')/appRoleAssignments/$entity"
    )
    token = claims(token_for(state, tenant.id, new_sp["appId"], resource="exchange"))
    assert token["roles"] == ["full_access_as_app"]
    listed = client.get(f"{url}?$select=appRoleId,resourceDisplayName", headers=admin).json()
    assert listed["value"] == [
        {
            "id": granted["id"],
            "appRoleId": FULL_ACCESS_AS_APP,
            "resourceDisplayName": "Office 365 Exchange Online",
        }
    ]
    one = client.get(f"{url}/{granted['id']}", headers=admin).json()
    assert one["resourceId"] == exchange["id"]
    assert client.delete(f"{url}/{granted['id']}", headers=admin).status_code == 204
    assert client.get(url, headers=admin).json()["value"] == []


def test_assignments_refuse_another_principal(
    client: TestClient, admin: dict[str, str], new_sp: dict[str, Any], graph_sp: dict[str, Any]
) -> None:
    response = client.post(
        f"{GRAPH}/servicePrincipals/{new_sp['id']}/appRoleAssignments",
        headers=admin,
        json={"principalId": graph_sp["id"], "resourceId": graph_sp["id"], "appRoleId": MAIL_SEND},
    )
    assert_graph_error(response, 400, "Request_BadRequest", "Not a valid reference update.")


def test_assignment_views_of_an_unknown_principal(
    client: TestClient, admin: dict[str, str]
) -> None:
    missing = str(uuid.uuid4())
    for view in ("appRoleAssignments", "appRoleAssignedTo"):
        response = client.get(f"{GRAPH}/servicePrincipals/{missing}/{view}", headers=admin)
        assert_graph_error(response, 404, "Request_ResourceNotFound", NOT_FOUND.format(missing))


def test_assignment_lists_take_no_filter(
    client: TestClient, admin: dict[str, str], graph_sp: dict[str, Any]
) -> None:
    response = client.get(
        f"{GRAPH}/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo?$filter=principalId eq 'x'",
        headers=admin,
    )
    assert_graph_error(
        response,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property "
        "'principalId' of resource 'AppRoleAssignment'.",
    )
