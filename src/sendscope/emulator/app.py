"""``create_app(state)``: the whole emulator as one Starlette application.

One host, routed by path (architecture.md, the emulator contract): identity under
``/{tenant}/…``, Graph under ``/v1.0`` and ``/beta``, the control plane under
``/_emulator``. Errors raised anywhere below a handler are ``EmulatorError``s and render
themselves in their service's envelope.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .control.exceptions import routing_error as control_routing_error
from .control.routes import ROUTES as CONTROL_ROUTES
from .core.errors import EmulatorError
from .core.state import EmulatorState
from .exchange.routes import ROUTES as EXCHANGE_ROUTES
from .graph.exceptions import BadRequest, MethodNotAllowed
from .graph.routes import ROUTES as GRAPH_ROUTES
from .identity.routes import ROUTES as IDENTITY_ROUTES

__all__ = ["all_routes", "create_app"]


def all_routes() -> list[BaseRoute]:
    # Graph first (the hot path), identity last: its /{tenant}/… patterns would match the
    # other services' prefixes.
    return [*GRAPH_ROUTES, *CONTROL_ROUTES, *EXCHANGE_ROUTES, *IDENTITY_ROUTES]


def create_app(state: EmulatorState) -> Starlette:
    app = Starlette(
        routes=all_routes(),
        exception_handlers={EmulatorError: _emulator_error, HTTPException: _http_error},
    )
    app.state.emulator = state
    return app


async def _emulator_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorError)
    return exc.response(request)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing misses, in the envelope of the service the path belongs to."""
    assert isinstance(exc, HTTPException)
    segments = [s for s in request.url.path.split("/") if s]
    if segments and segments[0] in ("v1.0", "beta"):
        if exc.status_code == 405:
            return MethodNotAllowed().response(request)
        segment = segments[1] if len(segments) > 1 else segments[0]
        return BadRequest(f"Resource not found for the segment '{segment}'.").response(request)
    if segments and segments[0] == "_emulator":
        return control_routing_error(request, exc.status_code).response(request)
    return JSONResponse(
        {"error": "not_found", "path": request.url.path}, status_code=exc.status_code
    )
