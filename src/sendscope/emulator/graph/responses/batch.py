"""``POST /v1.0/$batch``: sub-requests dispatched in-process through this same app.

learn.microsoft.com/graph/json-batching: each sub-request is authenticated, throttled and
answered on its own, with the batch's Authorization header; the batch itself is 200 unless
its envelope is malformed. Independent requests run up to four at a time (Outlook's batch
parallelism); ``dependsOn`` waits for the requests named, and answers 424 when one of them
failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...core.state import emulator_state
from ..auth import authenticate
from ..exceptions import FailedDependency
from ..http import graph_json, read_json
from ..models.batch import BATCH_PARALLELISM, BatchStep, parse_batch, sub_response
from ..models.mail import check_request_size

__all__ = ["ROUTES"]

Message = MutableMapping[str, Any]
_PASSED_ON = (b"host", b"authorization", b"user-agent")


async def batch(request: Request) -> Response:
    state = emulator_state(request)
    authenticate(request, state)
    check_request_size(len(await request.body()))
    steps = parse_batch(await read_json(request))
    results = await _run_all(request, steps)
    return graph_json(request, {"responses": [results[s.key] for s in steps]})


async def _run_all(request: Request, steps: Sequence[BatchStep]) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    finished = {s.key: asyncio.Event() for s in steps}
    lanes = asyncio.Semaphore(BATCH_PARALLELISM)

    async def run(step: BatchStep) -> None:
        try:
            for dependency in step.depends_on:
                await finished[dependency.lower()].wait()
            if any(results[d.lower()]["status"] >= 400 for d in step.depends_on):
                results[step.key] = _failed_dependency(request, step)
                return
            async with lanes:
                results[step.key] = await _dispatch(request, step)
        finally:
            finished[step.key].set()

    await asyncio.gather(*(run(step) for step in steps))
    return results


def _failed_dependency(request: Request, step: BatchStep) -> dict[str, Any]:
    entry = sub_response(step.id, 424, [("Content-Type", "application/json")], b"")
    entry["body"] = FailedDependency().body(request)
    return entry


async def _dispatch(request: Request, step: BatchStep) -> dict[str, Any]:
    """Run one sub-request through the app and collect its answer."""
    sent: list[Message] = []
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": step.body or b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    app: Callable[[Message, Any, Any], Awaitable[None]] = request.app
    try:
        await app(_scope(request, step), receive, send)
    except Exception:  # the app answered 500 already (or nothing): keep the batch going
        if not any(m["type"] == "http.response.start" for m in sent):
            return sub_response(step.id, 500, [], b"")
    return _collected(step, sent)


def _scope(request: Request, step: BatchStep) -> Message:
    version = request.url.path.strip("/").split("/", 1)[0]
    path, _, query = step.url.partition("?")
    full = f"/{version}{path}"
    outer = [(k, v) for k, v in request.scope["headers"] if k.lower() in _PASSED_ON]
    own = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in step.headers
        if k.lower().encode("latin-1") not in _PASSED_ON
    ]
    length = [(b"content-length", str(len(step.body or b"")).encode())]
    return {
        "type": "http",
        "asgi": request.scope.get("asgi", {"version": "3.0"}),
        "http_version": "1.1",
        "method": step.method,
        "scheme": request.url.scheme,
        "server": request.scope.get("server"),
        "client": request.scope.get("client"),
        "root_path": request.scope.get("root_path", ""),
        "path": unquote(full),
        "raw_path": full.encode("latin-1", "replace"),
        "query_string": query.encode("latin-1", "replace"),
        "headers": [*outer, *own, *length],
        "state": {},
    }


def _collected(step: BatchStep, sent: Sequence[Message]) -> dict[str, Any]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sub_response(step.id, int(start["status"]), headers, body)


ROUTES: list[BaseRoute] = [
    Route("/v1.0/$batch", batch, methods=["POST"]),
    Route("/beta/$batch", batch, methods=["POST"]),
]
