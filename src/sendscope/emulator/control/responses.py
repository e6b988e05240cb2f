"""Handlers of the control plane (``/_emulator/…``): parse, call the model, shape.

The control plane is a local test tool and has no authentication: the emulator binds
loopback unless ``--host`` says otherwise (and then warns). Anyone who can reach the port
can wipe the state and read the emulator's own test credentials, exactly as they could
read emulator.json. Each handler's docstring is its line in ``GET /_emulator/endpoints``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..core.json_body import parse_json_body
from ..core.state import emulator_state
from ..seeds.fixtures import credentials_json
from . import ui
from .exceptions import InvalidJson, InvalidRequest
from .mail_view import sent_mail, tenant_domains
from .models import (
    ClockView,
    TenantSummary,
    TenantView,
    advance_clock,
    clock_view,
    create_tenant,
    delete_tenant,
    list_tenants,
    reset,
    tenant_view,
)
from .outbox import OutboxQuery, clear_outbox, list_outbox, outbox_entry

__all__ = [
    "advance",
    "clock",
    "delete_outbox",
    "delete_tenant_handler",
    "endpoints",
    "get_message",
    "get_tenant",
    "health",
    "index",
    "list_messages",
    "post_tenant",
    "reset_handler",
    "tenants",
    "ui_message",
    "ui_outbox",
]


# -- service -----------------------------------------------------------------------------


async def health(request: Request) -> Response:
    """Liveness: {"status": "ok"}."""
    return JSONResponse({"status": "ok"})


async def index(request: Request) -> Response:
    """This page: links to the outbox, tenants, clock, and every control endpoint."""
    return HTMLResponse(ui.index_page(_endpoints(request)), headers=ui.UI_HEADERS)


async def endpoints(request: Request) -> Response:
    """Every control endpoint with its methods and what it does, as JSON."""
    rows = [{"methods": m.split(", "), "path": p, "summary": s} for m, p, s in _endpoints(request)]
    return JSONResponse({"endpoints": rows})


async def reset_handler(request: Request) -> Response:
    """Wipe every tenant and the outbox; a body {"seed": "demo"} (or "empty") re-seeds."""
    body = await read_json_object(request, optional=True)
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, str):
        raise InvalidRequest(f"'seed' must be a string such as \"demo\", not {seed!r}.")
    views = reset(emulator_state(request), seed)
    return JSONResponse({"tenants": [_tenant_view(v) for v in views]})


# -- tenants -----------------------------------------------------------------------------


async def tenants(request: Request) -> Response:
    """Tenants with the number of users, mailboxes, groups and apps each holds."""
    return JSONResponse({"tenants": [_summary(t) for t in list_tenants(emulator_state(request))]})


async def post_tenant(request: Request) -> Response:
    """Create a tenant from a fixture; answers its id, domain and test credentials."""
    view = create_tenant(emulator_state(request), await read_json_object(request))
    headers = {"Location": f"/_emulator/tenants/{view.summary.id}"}
    return JSONResponse(_credentials(view), status_code=201, headers=headers)


async def get_tenant(request: Request) -> Response:
    """One tenant (by id or domain) with its counts and test credentials."""
    view = tenant_view(emulator_state(request), request.path_params["tenant"])
    return JSONResponse(_tenant_view(view))


async def delete_tenant_handler(request: Request) -> Response:
    """Delete a tenant (by id or domain) with everything in it, its outbox included."""
    gone = delete_tenant(emulator_state(request), request.path_params["tenant"])
    return JSONResponse({"deleted": _summary(gone)})


# -- outbox ------------------------------------------------------------------------------


async def list_messages(request: Request) -> Response:
    """Sent mail, newest first; ?tenant= ?mailbox= ?subject= ?limit= (≤1000) ?after=seq."""
    query = OutboxQuery.from_params(request.query_params)
    entries = list_outbox(emulator_state(request), query)
    return JSONResponse({"count": len(entries), "messages": [e.as_dict() for e in entries]})


async def get_message(request: Request) -> Response:
    """One sent message by id."""
    entry = outbox_entry(emulator_state(request), request.path_params["message_id"])
    return JSONResponse(entry.as_dict())


async def delete_outbox(request: Request) -> Response:
    """Clear the outbox, or one tenant's with ?tenant=; answers how many went."""
    query = OutboxQuery.from_params(request.query_params, allowed=("tenant",))
    return JSONResponse({"deleted": clear_outbox(emulator_state(request), query.tenant)})


# -- clock -------------------------------------------------------------------------------


async def clock(request: Request) -> Response:
    """Emulator time, real time, time scale, manual advances and propagation delays."""
    return JSONResponse(_clock(clock_view(emulator_state(request))))


async def advance(request: Request) -> Response:
    """Move emulator time forward: {"seconds": 90} or {"duration": "1h30m"}."""
    body = await read_json_object(request)
    return JSONResponse(_clock(advance_clock(emulator_state(request), body)))


# -- web pages ---------------------------------------------------------------------------


async def ui_outbox(request: Request) -> Response:
    """The outbox as a web page, newest first; ?tenant= filters."""
    state = emulator_state(request)
    query = OutboxQuery.from_params(request.query_params)
    domains = tenant_domains(state)
    mails = [sent_mail(e, domains.get(e.tenant_id)) for e in list_outbox(state, query)]
    page = ui.outbox_page(mails, domains.values(), query.tenant)
    return HTMLResponse(page, headers=ui.UI_HEADERS)


async def ui_message(request: Request) -> Response:
    """One sent message as a web page; an HTML body renders in a sandboxed frame."""
    state = emulator_state(request)
    entry = outbox_entry(state, request.path_params["message_id"])
    mail = sent_mail(entry, tenant_domains(state).get(entry.tenant_id))
    raw = json.dumps(entry.as_dict(), indent=2, ensure_ascii=False)
    return HTMLResponse(ui.message_page(mail, raw), headers=ui.UI_HEADERS)


# -- plumbing ----------------------------------------------------------------------------


async def read_json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object in the body; an empty body is ``{}`` when ``optional``."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise InvalidRequest("The request body is empty: send a JSON object.")
    try:
        value = parse_json_body(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidJson(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise InvalidRequest(f"The request body must be a JSON object, not {_json_kind(value)}.")
    return value


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _endpoints(request: Request) -> list[tuple[str, str, str]]:
    """(methods, path, summary) of each /_emulator route the app serves, others' included."""
    rows = []
    for route in request.app.routes:
        if isinstance(route, Route) and route.path.startswith("/_emulator"):
            methods = ", ".join(sorted((route.methods or set()) - {"HEAD"})) or "ANY"
            doc = (route.endpoint.__doc__ or "").strip().splitlines()
            rows.append((methods, route.path, doc[0] if doc else ""))
    return rows


def _summary(tenant: TenantSummary) -> dict[str, Any]:
    c = tenant.counts
    return {
        "id": tenant.id,
        "domain": tenant.domain,
        "displayName": tenant.display_name,
        "counts": {"users": c.users, "mailboxes": c.mailboxes, "groups": c.groups, "apps": c.apps},
    }


def _credentials(view: TenantView) -> dict[str, Any]:
    """The shape of a tenant in emulator.json, so clients read both the same way."""
    creds = [*([view.admin] if view.admin else []), *view.apps]
    return credentials_json(view.summary.id, view.summary.domain, creds)


def _tenant_view(view: TenantView) -> dict[str, Any]:
    return {**_summary(view.summary), **_credentials(view)}


def _clock(view: ClockView) -> dict[str, Any]:
    return {
        "now": _iso(view.now),
        "realNow": _iso(view.real_now),
        "timeScale": view.time_scale,
        "advancedSeconds": view.advanced_seconds,
        "propagationDelaySeconds": view.propagation_delay_seconds,
        "removalDelaySeconds": view.removal_delay_seconds,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
