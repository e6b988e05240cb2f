"""Graph servicePrincipals: handlers and their route table.

learn.microsoft.com/graph/api/resources/serviceprincipal — list, create, get (by id or
``(appId='…')``), update, delete; the app role assignment views live in
app_role_assignments.py and are mounted here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import graph_json, no_content, read_json
from ..models.service_principals import (
    SERVICE_PRINCIPAL_FILTERS,
    SERVICE_PRINCIPAL_PROPERTIES,
    SERVICE_PRINCIPAL_READ,
    SERVICE_PRINCIPAL_WRITE,
    ServicePrincipals,
)
from ..odata import ListQuery
from . import app_role_assignments
from .app_common import addressed, caller_of, collection_body, entity_body, object_ref, selected

__all__ = ["ROUTES"]

_RESOURCE = "ServicePrincipal"


async def list_service_principals(request: Request) -> Response:
    """List service principals: $filter eq appId, displayName, type or accountEnabled; paging."""
    state, caller = caller_of(request)
    caller.require(SERVICE_PRINCIPAL_READ)
    query = ListQuery.parse(
        request,
        resource=_RESOURCE,
        filterable=list(SERVICE_PRINCIPAL_FILTERS),
        selectable=SERVICE_PRINCIPAL_PROPERTIES,
    )
    result = ServicePrincipals(state, caller.tenant_id).list(query)
    return graph_json(request, collection_body(request, "servicePrincipals", query.select, result))


async def create_service_principal(request: Request) -> Response:
    """Create the service principal of an app registered in the tenant."""
    state, caller = caller_of(request)
    caller.require(SERVICE_PRINCIPAL_WRITE)  # permission before body (order unconfirmed)
    body = await read_json(request)
    created = ServicePrincipals(state, caller.tenant_id).create(body, caller)
    return graph_json(request, entity_body(request, "servicePrincipals", created), 201)


async def get_service_principal(request: Request) -> Response:
    """Get a service principal by id or appId; Microsoft resources carry their appRoles."""
    state, caller = caller_of(request)
    caller.require(SERVICE_PRINCIPAL_READ)
    select = selected(request, _RESOURCE, SERVICE_PRINCIPAL_PROPERTIES)
    sp = ServicePrincipals(state, caller.tenant_id).get(object_ref(request))
    return graph_json(request, entity_body(request, "servicePrincipals", sp, select))


async def update_service_principal(request: Request) -> Response:
    """Update a service principal; accountEnabled false stops its sign-ins."""
    state, caller = caller_of(request)
    caller.require(SERVICE_PRINCIPAL_WRITE)  # permission before body (order unconfirmed)
    body = await read_json(request)
    ServicePrincipals(state, caller.tenant_id).update(object_ref(request), body, caller)
    return no_content(request)


async def delete_service_principal(request: Request) -> Response:
    """Delete a service principal with its app role and directory role assignments."""
    state, caller = caller_of(request)
    ServicePrincipals(state, caller.tenant_id).delete(object_ref(request), caller)
    return no_content(request)


ROUTES: list[BaseRoute] = [
    Route("/v1.0/servicePrincipals", list_service_principals, methods=["GET"]),
    Route("/v1.0/servicePrincipals", create_service_principal, methods=["POST"]),
    *addressed("servicePrincipals", "", get_service_principal, ["GET"]),
    *addressed("servicePrincipals", "", update_service_principal, ["PATCH"]),
    *addressed("servicePrincipals", "", delete_service_principal, ["DELETE"]),
    *app_role_assignments.ROUTES,
]
