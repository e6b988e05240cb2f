"""``POST /adminapi/beta/{tenant}/InvokeCommand``: one cmdlet per request, as the
ExchangeOnlineManagement module's REST connection sends them (m365-domain.md §6.2, §6.3).

Request: ``{"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {...}}}``, an optional
``?$select=A,B``, and ``Prefer: odata.maxpagesize=N`` (default 1000; ``X-Prefer`` too, as
the module sends it). Response 200::

    {"@odata.context": "https://<host>/adminapi/beta/<tenant>/$metadata#Collection(Exchange.GenericHashTable)",
     "adminapi.warnings@odata.type": "#Collection(String)", "@adminapi.warnings": [...],
     "value": [...], "@odata.nextLink": "<same URL>?$skiptoken=..."}

A cmdlet with no output (Set-/Remove-/Add-…) answers 204, or 200 with its warnings and no
``value`` (the case CIPP handles). The nextLink carries the whole cmdlet input, so a client
may re-POST the same body to it or GET it with no body; both give the next page. It also
carries where the page ends: an unlimited listing continues after that object (an indexed
range), so each page costs the same however large the tenant.
"""

from __future__ import annotations

import base64
import json
import re
from asyncio import sleep
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..core.json_body import parse_json_body
from ..core.state import emulator_state
from ..core.store import MAX_INTEGER
from .auth import authenticate_admin
from .cmdlets import invoke
from .exceptions import InvalidRequestBody, TokenNotAccepted
from .http import admin_json, no_content, read_body
from .models.invocation import CmdletResult
from .models.records import annotate, select

__all__ = ["DEFAULT_PAGE_SIZE", "invoke_command"]

DEFAULT_PAGE_SIZE = 1000
# A page size of more than nine digits is no preference this API can honour: ignored.
_MAX_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*([0-9]{1,9})\b", re.IGNORECASE)
_WARNINGS_TYPE = "#Collection(String)"


async def invoke_command(request: Request) -> Response:
    """Run one Exchange cmdlet (``CmdletInput``); GET serves a nextLink without a body."""
    state = emulator_state(request)
    segment = request.path_params["tenant"]
    tenant = state.tenant(segment)
    if tenant is None:
        raise TokenNotAccepted(f"There is no tenant '{segment}' for this token.")
    caller = authenticate_admin(request, state, tenant["id"])
    page = PageRequest.parse(request)
    name, parameters = _cmdlet_input(await read_body(request), page.saved_input)
    if state.settings.latency > 0:
        await sleep(state.settings.latency)  # real cmdlets take 0.5-2 s (--latency)
    result = invoke(state, tenant["id"], caller, name, parameters)
    return _answer(request, segment, result, page, {"CmdletName": name, "Parameters": parameters})


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which slice of the output a request asks for, and which properties."""

    size: int
    offset: int
    after: int  # the seq of the last object given, for a paged listing
    fields: tuple[str, ...]
    saved_input: dict[str, Any] | None

    @classmethod
    def parse(cls, request: Request) -> PageRequest:
        prefer = f"{request.headers.get('prefer', '')},{request.headers.get('x-prefer', '')}"
        found = _MAX_PAGE.search(prefer)
        size = max(1, int(found.group(1))) if found else DEFAULT_PAGE_SIZE
        fields = tuple(f for f in request.query_params.get("$select", "").split(",") if f.strip())
        token = request.query_params.get("$skiptoken")
        offset, after, saved = _decode(token) if token else (0, 0, None)
        return cls(size, offset, after, fields, saved)


def _decode(token: str) -> tuple[int, int, dict[str, Any] | None]:
    try:
        data = parse_json_body(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, after, saved = data["o"], data.get("s", 0), data["i"]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise InvalidRequestBody(_NOT_OURS) from None
    if not (_whole(offset) and _whole(after) and isinstance(saved, dict)):
        raise InvalidRequestBody(_NOT_OURS)
    return offset, after, saved


_NOT_OURS = "The $skiptoken of this request is not one this API gave out."


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INTEGER


def _encode(offset: int, after: int, cmdlet_input: dict[str, Any]) -> str:
    data = {"o": offset, "s": after, "i": cmdlet_input}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _cmdlet_input(body: Any, saved: dict[str, Any] | None) -> tuple[str, Any]:
    """(cmdlet name, raw parameters) from the body, or from the nextLink of a bodiless GET."""
    if body is None and saved is not None:
        body = {"CmdletInput": saved}
    envelope = _key(body, "CmdletInput") if isinstance(body, dict) else None
    name = _key(envelope, "CmdletName") if isinstance(envelope, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestBody()
    assert isinstance(envelope, dict)
    return name, _key(envelope, "Parameters")


def _key(data: dict[str, Any], name: str) -> Any:
    for key, value in data.items():
        if key.lower() == name.lower():
            return value
    return None


def _answer(
    request: Request,
    segment: str,
    result: CmdletResult,
    page: PageRequest,
    cmdlet_input: dict[str, Any],
) -> Response:
    base = f"{request.base_url}adminapi/beta/{segment}"
    body: dict[str, Any] = {
        "@odata.context": f"{base}/$metadata#Collection(Exchange.GenericHashTable)",
        "adminapi.warnings@odata.type": _WARNINGS_TYPE,
        "@adminapi.warnings": list(result.warnings) if page.offset == 0 else [],
    }
    if result.records is None:
        return admin_json(request, body) if result.warnings else no_content(request)
    end = page.offset + page.size
    if result.listing is not None:
        records, after = result.listing.page(page.after, page.size)
    else:
        records = result.records[page.offset : end]
        after = 0 if end < len(result.records) else None
    # $select first: annotations come with the properties kept, so the result is the same.
    body["value"] = [annotate(r) for r in select(records, page.fields)]
    if after is not None:
        query = [("$select", ",".join(page.fields))] if page.fields else []
        query.append(("$skiptoken", _encode(end, after, cmdlet_input)))
        body["@odata.nextLink"] = f"{base}/InvokeCommand?{urlencode(query, safe='$,')}"
    return admin_json(request, body)
