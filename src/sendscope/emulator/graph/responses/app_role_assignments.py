"""Graph app role assignments of a service principal: handlers and their route table.

``/servicePrincipals/{id}/appRoleAssignedTo`` — the principal as resource (who holds its
roles); ``/servicePrincipals/{id}/appRoleAssignments`` — the principal as holder
(learn.microsoft.com/graph/api/serviceprincipal-list-approleassignedto and siblings).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ..http import graph_json, no_content, read_json
from ..models.app_role_assignments import (
    ASSIGNMENT_PROPERTIES,
    ASSIGNMENT_READ,
    AppRoleAssignments,
    authorize_grant,
    authorize_revoke,
)
from ..models.service_principals import ServicePrincipals
from ..odata import ListQuery
from .app_common import addressed, caller_of, collection_body, entity_body, object_ref, selected

__all__ = ["ROUTES"]

_RESOURCE = "AppRoleAssignment"
_ASSIGNED_TO, _ASSIGNMENTS = "appRoleAssignedTo", "appRoleAssignments"


def _fragment(sp_id: str, view: str) -> str:
    return f"servicePrincipals('{sp_id}')/{view}"


async def _list(request: Request, view: str) -> Response:
    state, caller = caller_of(request)
    caller.require(ASSIGNMENT_READ)
    query = ListQuery.parse(
        request, resource=_RESOURCE, filterable=[], selectable=ASSIGNMENT_PROPERTIES
    )
    sp = ServicePrincipals(state, caller.tenant_id).row(object_ref(request))
    model = AppRoleAssignments(state, caller.tenant_id)
    result = (
        model.assigned_to(sp, query) if view == _ASSIGNED_TO else model.assignments_of(sp, query)
    )
    return graph_json(
        request, collection_body(request, _fragment(sp["id"], view), query.select, result)
    )


async def _get(request: Request, view: str) -> Response:
    state, caller = caller_of(request)
    caller.require(ASSIGNMENT_READ)
    select = selected(request, _RESOURCE, ASSIGNMENT_PROPERTIES)
    sp = ServicePrincipals(state, caller.tenant_id).row(object_ref(request))
    item = AppRoleAssignments(state, caller.tenant_id).one(
        sp, request.path_params["assignment_id"], as_resource=view == _ASSIGNED_TO
    )
    return graph_json(request, entity_body(request, _fragment(sp["id"], view), item, select))


async def _grant(request: Request, view: str) -> Response:
    state, caller = caller_of(request)
    authorize_grant(caller)
    sp = ServicePrincipals(state, caller.tenant_id).row(object_ref(request))
    body = await read_json(request)
    model = AppRoleAssignments(state, caller.tenant_id)
    if view == _ASSIGNED_TO:
        item = model.grant(body, caller, resource=sp)
    else:
        item = model.grant(body, caller, principal=sp)
    return graph_json(request, entity_body(request, _fragment(sp["id"], view), item), 201)


async def _revoke(request: Request, view: str) -> Response:
    state, caller = caller_of(request)
    authorize_revoke(caller)
    sp = ServicePrincipals(state, caller.tenant_id).row(object_ref(request))
    AppRoleAssignments(state, caller.tenant_id).revoke(
        sp, request.path_params["assignment_id"], caller, as_resource=view == _ASSIGNED_TO
    )
    return no_content(request)


async def list_assigned_to(request: Request) -> Response:
    """List who holds this resource's app roles, page by page."""
    return await _list(request, _ASSIGNED_TO)


async def get_assigned_to(request: Request) -> Response:
    """Get one app role assignment of this resource."""
    return await _get(request, _ASSIGNED_TO)


async def grant_assigned_to(request: Request) -> Response:
    """Grant one of this resource's app roles to a principal."""
    return await _grant(request, _ASSIGNED_TO)


async def revoke_assigned_to(request: Request) -> Response:
    """Revoke an app role assignment of this resource."""
    return await _revoke(request, _ASSIGNED_TO)


async def list_assignments(request: Request) -> Response:
    """List the app roles this principal holds."""
    return await _list(request, _ASSIGNMENTS)


async def get_assignment(request: Request) -> Response:
    """Get one app role assignment of this principal."""
    return await _get(request, _ASSIGNMENTS)


async def grant_assignment(request: Request) -> Response:
    """Grant this principal an app role of a resource."""
    return await _grant(request, _ASSIGNMENTS)


async def revoke_assignment(request: Request) -> Response:
    """Revoke an app role assignment of this principal."""
    return await _revoke(request, _ASSIGNMENTS)


_ONE = "/{assignment_id}"

ROUTES: list[BaseRoute] = [
    *addressed("servicePrincipals", f"/{_ASSIGNED_TO}", list_assigned_to, ["GET"]),
    *addressed("servicePrincipals", f"/{_ASSIGNED_TO}", grant_assigned_to, ["POST"]),
    *addressed("servicePrincipals", f"/{_ASSIGNED_TO}{_ONE}", get_assigned_to, ["GET"]),
    *addressed("servicePrincipals", f"/{_ASSIGNED_TO}{_ONE}", revoke_assigned_to, ["DELETE"]),
    *addressed("servicePrincipals", f"/{_ASSIGNMENTS}", list_assignments, ["GET"]),
    *addressed("servicePrincipals", f"/{_ASSIGNMENTS}", grant_assignment, ["POST"]),
    *addressed("servicePrincipals", f"/{_ASSIGNMENTS}{_ONE}", get_assignment, ["GET"]),
    *addressed("servicePrincipals", f"/{_ASSIGNMENTS}{_ONE}", revoke_assignment, ["DELETE"]),
]
