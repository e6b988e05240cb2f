"""Request and response plumbing every Graph handler shares."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.json_body import parse_json_body
from ..core.state import request_ids

__all__ = [
    "GRAPH_CONTENT_TYPE",
    "graph_headers",
    "graph_json",
    "no_content",
    "odata_context",
    "read_json",
    "request_ids",
]

GRAPH_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


_DIAGNOSTIC = (
    '{"ServerInfo":{"DataCenter":"Local","Slice":"E","Ring":"5","ScaleUnit":"000",'
    '"RoleInstance":"sendscope-emulator"}}'
)


def graph_headers(request: Request) -> dict[str, str]:
    request_id, client_request_id = request_ids(request)
    return {
        "request-id": request_id,
        "client-request-id": client_request_id,
        "x-ms-ags-diagnostic": _DIAGNOSTIC,
    }


def odata_context(request: Request, fragment: str) -> str:
    """``https://graph.microsoft.com/v1.0/$metadata#users`` for the host that was called."""
    version = request.url.path.split("/", 2)[1] if request.url.path.count("/") > 1 else "v1.0"
    return f"{request.base_url}{version}/$metadata#{fragment}"


def graph_json(request: Request, body: dict[str, Any], status: int = 200) -> Response:
    response = JSONResponse(body, status_code=status, headers=graph_headers(request))
    response.headers["content-type"] = GRAPH_CONTENT_TYPE
    return response


def no_content(request: Request, status: int = 204) -> Response:
    """An empty answer with Graph's headers (the 202 of every sendMail: headers pre-encoded)."""
    request_id, client_request_id = request_ids(request)
    response = Response(status_code=status)
    response.raw_headers[:0] = [
        (b"request-id", request_id.encode("latin-1")),
        (b"client-request-id", client_request_id.encode("latin-1")),
        (b"x-ms-ags-diagnostic", _DIAGNOSTIC.encode("latin-1")),
    ]
    return response


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object in the body, or Graph's 400 for anything else."""
    from .exceptions import BadRequest

    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Empty Payload, JSON content expected")
    try:
        value = parse_json_body(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # too deep for the parser
        raise BadRequest(
            "Unable to read JSON request payload. Please ensure Content-Type "
            "header is set and payload is of valid JSON format."
        ) from None
    if not isinstance(value, dict):
        raise BadRequest(
            "Unable to read JSON request payload. Please ensure Content-Type "
            "header is set and payload is of valid JSON format."
        )
    return value
