"""JSON batching: reading a ``$batch`` payload and shaping its responses.

learn.microsoft.com/graph/json-batching (m365-domain §3.8, wire-facts §6): at most 20
requests; ids unique (case-insensitive); ``id``, ``method`` and ``url`` required; ``url``
relative to the version (``/users/…``); a body needs a ``Content-Type`` header, and is
JSON or, for other content types, base64. A malformed envelope fails the whole batch with
400; otherwise the batch is 200 and each sub-request has its own status. ``dependsOn``
orders requests; a dependant of a failed request (status >= 400) is answered 424.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from ..exceptions import BadRequest

__all__ = [
    "BATCH_PARALLELISM",
    "MAX_BATCH_REQUESTS",
    "BatchStep",
    "parse_batch",
    "sub_response",
]

MAX_BATCH_REQUESTS = 20
# "Outlook can execute up to 4 batch sub-requests in parallel" (throttling-limits, §3.7).
BATCH_PARALLELISM = 4
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_INVALID = "Invalid batch payload format."  # observed for a malformed envelope
_TOO_MANY = "Number of requests inside batch exceed the limit"  # observed (wire-facts §6)
# Headers of a sub-response worth passing on (Graph's own show Content-Type and a few more).
_KEPT_HEADERS = {
    "content-type": "Content-Type",
    "location": "Location",
    "retry-after": "Retry-After",
    "www-authenticate": "WWW-Authenticate",
}


@dataclass(frozen=True, slots=True)
class BatchStep:
    """One sub-request, ready to dispatch through the app."""

    id: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    depends_on: tuple[str, ...]

    @property
    def key(self) -> str:
        """Ids compare case-insensitively."""
        return self.id.lower()


def parse_batch(payload: Mapping[str, Any]) -> list[BatchStep]:
    """The steps of a batch, or 400 for the whole batch."""
    requests = payload.get("requests")
    if not isinstance(requests, list) or not requests:
        raise BadRequest(_INVALID)
    if len(requests) > MAX_BATCH_REQUESTS:
        raise BadRequest(_TOO_MANY)
    steps = [_step(item) for item in requests]
    seen: set[str] = set()
    for step in steps:
        if step.key in seen:
            raise BadRequest(f"Request Id {step.id} has to be unique in a batch.")  # observed
        seen.add(step.key)
    _check_dependencies(steps)
    return steps


def _step(item: Any) -> BatchStep:
    if not isinstance(item, dict):
        raise BadRequest(_INVALID)
    rid, method, url = item.get("id"), item.get("method"), item.get("url")
    if (
        not isinstance(rid, str)
        or not rid
        or not isinstance(method, str)
        or not isinstance(url, str)
    ):
        raise BadRequest(_INVALID)
    if method.upper() not in _METHODS or not url or url.lower().startswith(("http:", "https:")):
        raise BadRequest(_INVALID)
    headers = item.get("headers") or {}
    depends = item.get("dependsOn") or []
    if not isinstance(headers, dict) or not isinstance(depends, list):
        raise BadRequest(_INVALID)
    pairs = tuple((str(k), str(v)) for k, v in headers.items())
    if not all(_HEADER_NAME.fullmatch(k) and _sendable(v) for k, v in pairs):
        raise BadRequest(_INVALID)  # no HTTP request could carry it
    return BatchStep(
        rid,
        method.upper(),
        url if url.startswith("/") else f"/{url}",
        pairs,
        _body(rid, item, pairs),
        tuple(str(d) for d in depends),
    )


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token


def _sendable(value: str) -> bool:
    """A header value HTTP/1.1 can carry: Latin-1, no line breaks."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in value and "\n" not in value


def _body(rid: str, item: Mapping[str, Any], headers: Sequence[tuple[str, str]]) -> bytes | None:
    if "body" not in item or item["body"] is None:
        return None
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    if content_type is None:
        raise BadRequest(f"Write request id : {rid} does not contain Content-Type header or body.")
    body = item["body"]
    if "json" in content_type.lower() or not isinstance(body, str):
        return json.dumps(body).encode("utf-8")
    padded = body + "=" * (-len(body) % 4)
    url_safe = "-" in body or "_" in body
    try:
        return base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
    except (binascii.Error, ValueError):
        # Not base64 after all: pass the text on as it is (lenient; Graph's answer unknown).
        return body.encode("utf-8")


def _check_dependencies(steps: Sequence[BatchStep]) -> None:
    known = {s.key for s in steps}
    graph = {s.key: {d.lower() for d in s.depends_on} for s in steps}
    if any(d not in known for deps in graph.values() for d in deps):
        raise BadRequest(_INVALID)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError:
        raise BadRequest(_INVALID) from None


def sub_response(
    rid: str, status: int, headers: Sequence[tuple[str, str]], body: bytes
) -> dict[str, Any]:
    """One entry of ``responses``: JSON bodies inline, other bodies base64, none if empty."""
    kept = {_KEPT_HEADERS[k.lower()]: v for k, v in headers if k.lower() in _KEPT_HEADERS}
    kept.setdefault("Cache-Control", "no-cache")
    entry: dict[str, Any] = {"id": rid, "status": status, "headers": kept}
    if body:
        content_type = kept.get("Content-Type", "")
        if "json" in content_type.lower():
            try:
                entry["body"] = json.loads(body)
                return entry
            except (ValueError, RecursionError):
                pass
        entry["body"] = base64.b64encode(body).decode("ascii")
    return entry
