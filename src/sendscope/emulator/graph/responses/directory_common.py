"""Response plumbing the directory handlers share: who calls, lists, entities, counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...core.state import EmulatorState, emulator_state
from ..auth import Caller, authenticate
from ..exceptions import RequestBadRequest
from ..http import graph_headers, graph_json, odata_context
from ..models.directory_common import Page, context_fragment
from ..odata import next_link

__all__ = [
    "allowed",
    "count_response",
    "entity_response",
    "list_response",
    "wants_count",
]


def allowed(request: Request, permissions: Iterable[str]) -> tuple[EmulatorState, Caller]:
    """The verified caller, holding one of ``permissions`` (else Graph's 401 or 403)."""
    state = emulator_state(request)
    caller = authenticate(request, state)
    caller.require(permissions)
    return state, caller


def list_response(request: Request, page: Page) -> Response:
    body: dict[str, Any] = {"@odata.context": odata_context(request, page.fragment)}
    if page.count is not None:
        body["@odata.count"] = page.count
    if page.next_after is not None:
        body["@odata.nextLink"] = next_link(request, page.next_after)
    body["value"] = page.items
    return graph_json(request, body)


def entity_response(
    request: Request,
    entity_set: str,
    item: dict[str, Any],
    status: int = 200,
    select: tuple[str, ...] = (),
) -> Response:
    fragment = context_fragment(entity_set, select, entity=True)
    return graph_json(request, {"@odata.context": odata_context(request, fragment), **item}, status)


def _eventual(request: Request) -> bool:
    return request.headers.get("consistencylevel", "").lower() == "eventual"


def wants_count(request: Request) -> bool:
    """``$count=true`` counts only with ``ConsistencyLevel: eventual`` (silently ignored
    otherwise; learn.microsoft.com/graph/aad-advanced-queries), and on the first page."""
    first_page = "$skiptoken" not in request.query_params
    return first_page and request.query_params.get("$count") == "true" and _eventual(request)


def count_response(request: Request, counter: Callable[[], int]) -> Response:
    """``/$count``: a bare number as text/plain; without ``ConsistencyLevel: eventual`` Graph
    answers 400 (learn.microsoft.com/graph/aad-advanced-queries)."""
    if not _eventual(request):
        raise RequestBadRequest("$count is not currently supported.")
    return Response(str(counter()), media_type="text/plain", headers=graph_headers(request))
