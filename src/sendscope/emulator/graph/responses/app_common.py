"""Plumbing the applications, service principal and role handlers share.

Objects are addressed by id or by ``(appId='…')``; ``@odata.context`` names the
``$select``ed properties (``…#applications(id,appId)/$entity``) as Graph does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...core.state import EmulatorState, emulator_state
from ..auth import Caller, authenticate
from ..http import odata_context, read_json
from ..models.app_queries import ObjectRef, Page
from ..odata import next_link, project, select_fields

__all__ = [
    "Endpoint",
    "addressed",
    "caller_of",
    "collection_body",
    "entity_body",
    "object_ref",
    "optional_json",
    "selected",
]


Endpoint = Callable[[Request], Awaitable[Response]]


def caller_of(request: Request) -> tuple[EmulatorState, Caller]:
    """The emulator state and the verified caller of a Graph request."""
    state = emulator_state(request)
    return state, authenticate(request, state)


def object_ref(request: Request) -> ObjectRef:
    params = request.path_params
    if "app_id" in params:
        return ObjectRef(str(params["app_id"]), by_app_id=True)
    return ObjectRef(str(params["id"]))


def addressed(
    collection: str, suffix: str, endpoint: Endpoint, methods: Sequence[str]
) -> list[BaseRoute]:
    """Routes for ``/{collection}/{id}{suffix}`` and ``/{collection}(appId='…'){suffix}``."""
    return [
        Route(f"/v1.0/{collection}/{{id}}{suffix}", endpoint, methods=list(methods)),
        Route(f"/v1.0/{collection}(appId='{{app_id}}'){suffix}", endpoint, methods=list(methods)),
    ]


def selected(request: Request, resource: str, selectable: Sequence[str]) -> tuple[str, ...]:
    """The ``$select`` of a single-object request."""
    return select_fields(request.query_params.get("$select"), resource, selectable)


def _fragment(fragment: str, select: Sequence[str]) -> str:
    return f"{fragment}({','.join(select)})" if select else fragment


def collection_body(
    request: Request, fragment: str, select: Sequence[str], result: Page
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@odata.context": odata_context(request, _fragment(fragment, select)),
        "value": [project(item, select) for item in result.items],
    }
    if result.last_seq is not None:
        body["@odata.nextLink"] = next_link(request, result.last_seq)
    return body


def entity_body(
    request: Request, fragment: str, item: dict[str, Any], select: Sequence[str] = ()
) -> dict[str, Any]:
    context = odata_context(request, f"{_fragment(fragment, select)}/$entity")
    return {"@odata.context": context, **project(item, select)}


async def optional_json(request: Request) -> dict[str, Any]:
    """A JSON object body that may be left out (addPassword)."""
    if not (await request.body()).strip():
        return {}
    return await read_json(request)
