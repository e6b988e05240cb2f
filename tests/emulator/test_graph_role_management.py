"""Graph /roleManagement/directory in the emulator: directory roles and the ``wids`` claim."""

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
    app_with_roles,
    assert_graph_error,
    claims,
    headers_with,
    token_for,
)

ASSIGNMENTS = f"{GRAPH}/roleManagement/directory/roleAssignments"
DEFINITIONS = f"{GRAPH}/roleManagement/directory/roleDefinitions"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True))


@pytest.fixture
def robot(state: EmulatorState, tenant: Tenant) -> tuple[str, str]:
    """(appId, service principal id) of an app with no directory role."""
    return app_with_roles(state, tenant.id, "Mailbox Robot", [])


def _assign(client: TestClient, admin: dict[str, str], principal_id: str, role: str) -> Any:
    return client.post(
        ASSIGNMENTS,
        headers=admin,
        json={
            "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
            "roleDefinitionId": role,
            "principalId": principal_id,
            "directoryScopeId": "/",
        },
    )


@pytest.mark.parametrize("role", [EXCHANGE_ADMIN, GLOBAL_ADMIN, GLOBAL_READER])
def test_assigned_role_appears_in_the_next_token(
    client: TestClient,
    admin: dict[str, str],
    robot: tuple[str, str],
    state: EmulatorState,
    tenant: Tenant,
    role: str,
) -> None:
    app_id, sp_id = robot
    assert "wids" not in claims(token_for(state, tenant.id, app_id, resource="exchange"))
    response = _assign(client, admin, sp_id, role)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "@odata.context": "https://testserver/v1.0/$metadata#roleManagement/directory/"
        "roleAssignments/$entity",
        "id": created["id"],
        "principalId": sp_id,
        "directoryScopeId": "/",
        "roleDefinitionId": role,
    }
    assert claims(token_for(state, tenant.id, app_id, resource="exchange"))["wids"] == [role]
    assert client.delete(f"{ASSIGNMENTS}/{created['id']}", headers=admin).status_code == 204
    assert "wids" not in claims(token_for(state, tenant.id, app_id, resource="exchange"))


def test_duplicate_assignment(
    client: TestClient, admin: dict[str, str], robot: tuple[str, str]
) -> None:
    assert _assign(client, admin, robot[1], EXCHANGE_ADMIN).status_code == 201
    assert_graph_error(
        _assign(client, admin, robot[1], EXCHANGE_ADMIN),
        400,
        "RoleAssignmentExists",
        "The Role assignment already exists.",
    )


def test_users_can_hold_roles(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> None:
    user = Directory(state.store).user(tenant.id, f"it@{tenant.domain}")
    assert user is not None
    assert _assign(client, admin, user["id"], GLOBAL_READER).status_code == 201
    assert Directory(state.store).directory_roles(tenant.id, user["id"]) == [GLOBAL_READER]


@pytest.mark.parametrize(
    ("change", "status", "code", "message"),
    [
        (
            {"roleDefinitionId": str(uuid.UUID(int=9))},
            404,
            "Request_ResourceNotFound",
            NOT_FOUND.format(uuid.UUID(int=9)),
        ),
        (
            {"principalId": str(uuid.UUID(int=8))},
            404,
            "Request_ResourceNotFound",
            NOT_FOUND.format(uuid.UUID(int=8)),
        ),
        (
            {"roleDefinitionId": None},
            400,
            "Request_BadRequest",
            "A value is required for property 'roleDefinitionId' of resource "
            "'UnifiedRoleAssignment'.",
        ),
        (
            {"directoryScopeId": ""},
            400,
            "Request_BadRequest",
            "A value is required for property 'directoryScopeId' of resource "
            "'UnifiedRoleAssignment'.",
        ),
        (
            {"directoryScopeId": "/administrativeUnits/5"},
            400,
            "Request_BadRequest",
            "The emulator supports only directoryScopeId '/'.",
        ),
        (
            {"principalId": "robot"},
            400,
            "BadRequest",
            "Cannot convert the literal 'robot' to the expected type 'Edm.Guid'.",
        ),
    ],
)
def test_create_refuses_bad_bodies(
    client: TestClient,
    admin: dict[str, str],
    robot: tuple[str, str],
    change: dict[str, Any],
    status: int,
    code: str,
    message: str,
) -> None:
    body = {
        "roleDefinitionId": EXCHANGE_ADMIN,
        "principalId": robot[1],
        "directoryScopeId": "/",
        **change,
    }
    assert_graph_error(client.post(ASSIGNMENTS, json=body, headers=admin), status, code, message)


def test_list_filters_and_pages(
    client: TestClient,
    admin: dict[str, str],
    robot: tuple[str, str],
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    created = _assign(client, admin, robot[1], GLOBAL_READER).json()
    mine = client.get(f"{ASSIGNMENTS}?$filter=principalId eq '{robot[1]}'", headers=admin).json()
    assert mine["@odata.context"].endswith("$metadata#roleManagement/directory/roleAssignments")
    assert [item["id"] for item in mine["value"]] == [created["id"]]
    admins = client.get(
        f"{ASSIGNMENTS}?$filter=roleDefinitionId eq '{GLOBAL_ADMIN}'", headers=admin
    ).json()["value"]
    admin_user = Directory(state.store).user(tenant.id, f"admin@{tenant.domain}")
    assert admin_user is not None
    assert [item["principalId"] for item in admins] == [admin_user["id"]]
    url: str | None = f"{ASSIGNMENTS}?$top=1&$select=roleDefinitionId"
    roles: list[str] = []
    while url:
        body = client.get(url, headers=admin).json()
        roles += [item["roleDefinitionId"] for item in body["value"]]
        url = body.get("@odata.nextLink")
    assert roles == [GLOBAL_ADMIN, EXCHANGE_ADMIN, GLOBAL_READER]


def test_list_refuses_unsupported_filters(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"{ASSIGNMENTS}?$filter=appScopeId eq '/'", headers=admin)
    assert_graph_error(
        response,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property "
        "'appScopeId' of resource 'UnifiedRoleAssignment'.",
    )


def test_get_one_and_unknown(
    client: TestClient, admin: dict[str, str], robot: tuple[str, str]
) -> None:
    created = _assign(client, admin, robot[1], EXCHANGE_ADMIN).json()
    one = client.get(f"{ASSIGNMENTS}/{created['id']}?$select=principalId", headers=admin).json()
    assert one == {
        "@odata.context": "https://testserver/v1.0/$metadata#roleManagement/directory/"
        "roleAssignments(principalId)/$entity",
        "id": created["id"],
        "principalId": robot[1],
    }
    for response in (
        client.get(f"{ASSIGNMENTS}/nope", headers=admin),
        client.delete(f"{ASSIGNMENTS}/nope", headers=admin),
    ):
        assert_graph_error(response, 404, "Request_ResourceNotFound", NOT_FOUND.format("nope"))


def test_permissions(
    client: TestClient,
    state: EmulatorState,
    tenant: Tenant,
    token: Callable[..., str],
    robot: tuple[str, str],
    admin: dict[str, str],
) -> None:
    reader = headers_with(state, tenant.id, "Role Reader", "RoleManagement.Read.Directory")
    assert client.get(ASSIGNMENTS, headers=reader).status_code == 200
    assert client.get(DEFINITIONS, headers=reader).status_code == 200
    assert_graph_error(_assign(client, reader, robot[1], GLOBAL_ADMIN), 403, *DENIED)
    created = _assign(client, admin, robot[1], GLOBAL_READER).json()
    assert_graph_error(
        client.delete(f"{ASSIGNMENTS}/{created['id']}", headers=reader), 403, *DENIED
    )
    mailer = bearer(token("Timesheet Mailer"))
    for url in (ASSIGNMENTS, DEFINITIONS, f"{DEFINITIONS}/{GLOBAL_ADMIN}"):
        assert_graph_error(client.get(url, headers=mailer), 403, *DENIED)


def test_role_definitions(client: TestClient, admin: dict[str, str]) -> None:
    body = client.get(DEFINITIONS, headers=admin).json()
    assert body["@odata.context"].endswith("$metadata#roleManagement/directory/roleDefinitions")
    by_id = {item["id"]: item for item in body["value"]}
    assert by_id[GLOBAL_ADMIN]["displayName"] == "Global Administrator"
    assert by_id[EXCHANGE_ADMIN] == {
        "id": EXCHANGE_ADMIN,
        "description": "Can manage all aspects of the Exchange product.",
        "displayName": "Exchange Administrator",
        "isBuiltIn": True,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "templateId": EXCHANGE_ADMIN,
        "version": "1",
        "rolePermissions": [],
    }
    assert by_id[GLOBAL_READER]["templateId"] == GLOBAL_READER
    selected = client.get(f"{DEFINITIONS}?$select=displayName", headers=admin).json()
    assert {"id": GLOBAL_READER, "displayName": "Global Reader"} in selected["value"]
    one = client.get(f"{DEFINITIONS}/{GLOBAL_READER}", headers=admin).json()
    assert one["displayName"] == "Global Reader"
    assert one["@odata.context"].endswith("roleDefinitions/$entity")
    missing = str(uuid.uuid4())
    assert_graph_error(
        client.get(f"{DEFINITIONS}/{missing}", headers=admin),
        404,
        "Request_ResourceNotFound",
        NOT_FOUND.format(missing),
    )
