"""Graph organization and subscribedSkus: handlers and route table (models in
models/directory_organization.py and models/licenses.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import graph_json, odata_context
from ..models.directory_common import Page, context_fragment, project
from ..models.directory_organization import ORGANIZATION_PROPERTIES, ORGANIZATION_READ, Organization
from ..models.licenses import SKU_READ, Licenses
from ..odata import select_fields
from .directory_common import allowed, entity_response, list_response

__all__ = ["ROUTES"]


def _select(request: Request) -> tuple[str, ...]:
    return select_fields(
        request.query_params.get("$select"), "Organization", ORGANIZATION_PROPERTIES
    )


async def list_organization(request: Request) -> Response:
    """The tenant as a one-item organization collection ($select)."""
    state, caller = allowed(request, ORGANIZATION_READ)
    select = _select(request)
    item = project(Organization(state, caller.tenant_id).get(), select, ORGANIZATION_PROPERTIES)
    return list_response(request, Page(context_fragment("organization", select), [item], None))


async def get_organization(request: Request) -> Response:
    """The tenant by its id ($select)."""
    state, caller = allowed(request, ORGANIZATION_READ)
    select = _select(request)
    item = Organization(state, caller.tenant_id).get(request.path_params["oid"])
    return entity_response(
        request, "organization", project(item, select, ORGANIZATION_PROPERTIES), select=select
    )


async def list_subscribed_skus(request: Request) -> Response:
    """The tenant's SKUs with seats and consumed units."""
    state, caller = allowed(request, SKU_READ)
    items = Licenses(state, caller.tenant_id).subscribed_skus()
    return graph_json(
        request, {"@odata.context": odata_context(request, "subscribedSkus"), "value": items}
    )


async def get_subscribed_sku(request: Request) -> Response:
    """One SKU by its {tenantId}_{skuId} id."""
    state, caller = allowed(request, SKU_READ)
    item = Licenses(state, caller.tenant_id).subscribed_sku(request.path_params["sku"])
    return entity_response(request, "subscribedSkus", item)


ROUTES: list[BaseRoute] = [
    Route("/v1.0/organization", list_organization, methods=["GET"]),
    Route("/v1.0/organization/{oid}", get_organization, methods=["GET"]),
    Route("/v1.0/subscribedSkus", list_subscribed_skus, methods=["GET"]),
    Route("/v1.0/subscribedSkus/{sku}", get_subscribed_sku, methods=["GET"]),
]
