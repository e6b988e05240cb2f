"""Graph applications: handlers and their route table.

learn.microsoft.com/graph/api/resources/application — list, create, get (by id or
``(appId='…')``), update, delete, addPassword, removePassword.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import graph_json, no_content, odata_context, read_json
from ..models.applications import (
    APPLICATION_FILTERS,
    APPLICATION_PROPERTIES,
    APPLICATION_READ,
    APPLICATION_WRITE,
    Applications,
)
from ..odata import ListQuery
from .app_common import (
    addressed,
    caller_of,
    collection_body,
    entity_body,
    object_ref,
    optional_json,
    selected,
)

__all__ = ["ROUTES"]

_RESOURCE = "Application"


async def list_applications(request: Request) -> Response:
    """List app registrations: $select, $top (1–999), $filter eq appId/displayName, paging."""
    state, caller = caller_of(request)
    caller.require(APPLICATION_READ)
    query = ListQuery.parse(
        request,
        resource=_RESOURCE,
        filterable=list(APPLICATION_FILTERS),
        selectable=APPLICATION_PROPERTIES,
    )
    result = Applications(state, caller.tenant_id).list(query)
    return graph_json(request, collection_body(request, "applications", query.select, result))


async def create_application(request: Request) -> Response:
    """Register an app (displayName required); certificates may come along."""
    state, caller = caller_of(request)
    caller.require(APPLICATION_WRITE)  # permission before body (order unconfirmed)
    body = await read_json(request)
    created = Applications(state, caller.tenant_id).create(body, caller)
    return graph_json(request, entity_body(request, "applications", created), 201)


async def get_application(request: Request) -> Response:
    """Get an app registration by id or appId; a certificate's key only on $select."""
    state, caller = caller_of(request)
    caller.require(APPLICATION_READ)
    select = selected(request, _RESOURCE, APPLICATION_PROPERTIES)
    # A certificate's key is returned only when keyCredentials is $select-ed on one
    # object (learn.microsoft.com/graph/api/resources/keycredential).
    app = Applications(state, caller.tenant_id).get(
        object_ref(request), with_keys="keyCredentials" in select
    )
    return graph_json(request, entity_body(request, "applications", app, select))


async def update_application(request: Request) -> Response:
    """Update an app; keyCredentials replaces its certificates (base64 DER)."""
    state, caller = caller_of(request)
    caller.require(APPLICATION_WRITE)  # permission before body (order unconfirmed)
    body = await read_json(request)
    Applications(state, caller.tenant_id).update(object_ref(request), body, caller)
    return no_content(request)


async def delete_application(request: Request) -> Response:
    """Delete an app with its secrets, certificates and service principal."""
    state, caller = caller_of(request)
    Applications(state, caller.tenant_id).delete(object_ref(request), caller)
    return no_content(request)


async def add_password(request: Request) -> Response:
    """Add a client secret: its text is shown in this answer only."""
    state, caller = caller_of(request)
    caller.require(APPLICATION_WRITE)  # permission before body (order unconfirmed)
    body = await optional_json(request)
    secret = Applications(state, caller.tenant_id).add_password(object_ref(request), body, caller)
    context = odata_context(request, "microsoft.graph.passwordCredential")
    return graph_json(request, {"@odata.context": context, **secret})


async def remove_password(request: Request) -> Response:
    """Remove a client secret by keyId."""
    state, caller = caller_of(request)
    caller.require(APPLICATION_WRITE)  # permission before body (order unconfirmed)
    body = await read_json(request)
    Applications(state, caller.tenant_id).remove_password(object_ref(request), body, caller)
    return no_content(request)


ROUTES: list[BaseRoute] = [
    Route("/v1.0/applications", list_applications, methods=["GET"]),
    Route("/v1.0/applications", create_application, methods=["POST"]),
    *addressed("applications", "", get_application, ["GET"]),
    *addressed("applications", "", update_application, ["PATCH"]),
    *addressed("applications", "", delete_application, ["DELETE"]),
    *addressed("applications", "/addPassword", add_password, ["POST"]),
    *addressed("applications", "/removePassword", remove_password, ["POST"]),
]
