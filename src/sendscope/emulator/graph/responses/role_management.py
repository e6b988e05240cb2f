"""Graph roleManagement/directory: handlers and their route table.

learn.microsoft.com/graph/api/rbacapplication-list-roleassignments, -post-roleassignments,
unifiedroleassignment-get, -delete, rbacapplication-list-roledefinitions.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import graph_json, no_content, odata_context, read_json
from ..models.role_management import (
    ROLE_ASSIGNMENT_FILTERS,
    ROLE_ASSIGNMENT_PROPERTIES,
    ROLE_DEFINITION_PROPERTIES,
    ROLE_READ,
    ROLE_WRITE,
    RoleAssignments,
    role_definition,
    role_definitions,
)
from ..odata import ListQuery, project
from .app_common import caller_of, collection_body, entity_body, selected

__all__ = ["ROUTES"]

_ASSIGNMENTS = "roleManagement/directory/roleAssignments"
_DEFINITIONS = "roleManagement/directory/roleDefinitions"
_ASSIGNMENT, _DEFINITION = "UnifiedRoleAssignment", "UnifiedRoleDefinition"


async def list_role_assignments(request: Request) -> Response:
    """List directory role assignments: $filter eq principalId/roleDefinitionId, paging."""
    state, caller = caller_of(request)
    caller.require(ROLE_READ)
    query = ListQuery.parse(
        request,
        resource=_ASSIGNMENT,
        filterable=list(ROLE_ASSIGNMENT_FILTERS),
        selectable=ROLE_ASSIGNMENT_PROPERTIES,
    )
    result = RoleAssignments(state, caller.tenant_id).list(query)
    return graph_json(request, collection_body(request, _ASSIGNMENTS, query.select, result))


async def create_role_assignment(request: Request) -> Response:
    """Assign a built-in directory role tenant-wide (directoryScopeId '/')."""
    state, caller = caller_of(request)
    caller.require(ROLE_WRITE)
    body = await read_json(request)
    created = RoleAssignments(state, caller.tenant_id).create(body)
    return graph_json(request, entity_body(request, _ASSIGNMENTS, created), 201)


async def get_role_assignment(request: Request) -> Response:
    """Get a directory role assignment."""
    state, caller = caller_of(request)
    caller.require(ROLE_READ)
    select = selected(request, _ASSIGNMENT, ROLE_ASSIGNMENT_PROPERTIES)
    item = RoleAssignments(state, caller.tenant_id).get(request.path_params["id"])
    return graph_json(request, entity_body(request, _ASSIGNMENTS, item, select))


async def delete_role_assignment(request: Request) -> Response:
    """Remove a directory role assignment."""
    state, caller = caller_of(request)
    caller.require(ROLE_WRITE)
    RoleAssignments(state, caller.tenant_id).delete(request.path_params["id"])
    return no_content(request)


async def list_role_definitions(request: Request) -> Response:
    """List the built-in directory role definitions."""
    _, caller = caller_of(request)
    caller.require(ROLE_READ)
    select = selected(request, _DEFINITION, ROLE_DEFINITION_PROPERTIES)
    items = [project(item, select) for item in role_definitions()]
    context = odata_context(
        request, f"{_DEFINITIONS}({','.join(select)})" if select else _DEFINITIONS
    )
    return graph_json(request, {"@odata.context": context, "value": items})


async def get_role_definition(request: Request) -> Response:
    """Get a built-in directory role definition by id (= template id)."""
    _, caller = caller_of(request)
    caller.require(ROLE_READ)
    select = selected(request, _DEFINITION, ROLE_DEFINITION_PROPERTIES)
    item = role_definition(request.path_params["id"])
    return graph_json(request, entity_body(request, _DEFINITIONS, item, select))


ROUTES: list[BaseRoute] = [
    Route(f"/v1.0/{_ASSIGNMENTS}", list_role_assignments, methods=["GET"]),
    Route(f"/v1.0/{_ASSIGNMENTS}", create_role_assignment, methods=["POST"]),
    Route(f"/v1.0/{_ASSIGNMENTS}/{{id}}", get_role_assignment, methods=["GET"]),
    Route(f"/v1.0/{_ASSIGNMENTS}/{{id}}", delete_role_assignment, methods=["DELETE"]),
    Route(f"/v1.0/{_DEFINITIONS}", list_role_definitions, methods=["GET"]),
    Route(f"/v1.0/{_DEFINITIONS}/{{id}}", get_role_definition, methods=["GET"]),
]
