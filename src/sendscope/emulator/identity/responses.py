"""Thin handlers of the identity service: parse the request, ask the model, shape the answer."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..core.state import emulator_state
from .clients import find_client
from .device import DeviceCodes, DeviceLoginProblem, first_global_administrator, selectable_users
from .discovery import instance_discovery, keys_document, openid_configuration
from .exceptions import EndpointRequiresPost
from .models import ORGANIZATION_ALIASES, TokenRequest, TokenService, resolve_tenant
from .pages import approval_page, code_page, result_page

__all__ = [
    "device_authorization",
    "device_login",
    "device_login_decision",
    "instance",
    "keys",
    "openid_config",
    "token",
    "token_get",
]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the first of repeated names wins);
    anything else reads as empty, so Entra's "must contain 'grant_type'" answers it."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def _basic(request: Request) -> tuple[str, str] | None:
    """client_secret_basic: ``Basic base64(urlencode(id):urlencode(secret))`` (RFC 6749 §2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64 (or not ASCII at all), not UTF-8
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def _client_ip(request: Request) -> str:
    """The caller's address for the ``ipaddr`` claim (an IP address, as Entra writes it)."""
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return "127.0.0.1"


def _json(request: Request, body: dict[str, Any]) -> Response:
    headers = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
    if "client-request-id" in request.headers:
        headers["client-request-id"] = request.headers["client-request-id"]
    response = JSONResponse(body, headers=headers)
    response.headers["content-type"] = "application/json; charset=utf-8"
    return response


async def token(request: Request) -> Response:
    """Tokens: client credentials (secret, Basic, certificate), device code, refresh token."""
    token_request = TokenRequest(
        request.path_params["tenant"],
        await _form(request),
        _base(request),
        _basic(request),
        _client_ip(request),
    )
    return _json(request, TokenService(emulator_state(request)).token(token_request))


async def token_get(request: Request) -> Response:
    """AADSTS900561: the token endpoint only accepts POST."""
    raise EndpointRequiresPost(request.method)


async def device_authorization(request: Request) -> Response:
    """Start a device-code sign-in: user_code, device_code, verification_uri (900 s, 5 s)."""
    service = TokenService(emulator_state(request))
    body = service.device_authorization(
        request.path_params["tenant"], await _form(request), _base(request)
    )
    return _json(request, body)


def _tenant_id(request: Request) -> str | None:
    """The tenant of a discovery path; None for ``common`` and ``organizations``."""
    ref = request.path_params["tenant"]
    if ref.lower() in ORGANIZATION_ALIASES:
        return None
    return str(resolve_tenant(emulator_state(request), ref, error="invalid_tenant")["id"])


async def openid_config(request: Request) -> Response:
    """OpenID configuration of a tenant (GUID or domain), common or organizations."""
    tenant_id = _tenant_id(request)
    body = openid_configuration(_base(request), request.path_params["tenant"], tenant_id=tenant_id)
    return _json(request, body)


async def keys(request: Request) -> Response:
    """The token signing key as a JWK set (v2.0 and v1 paths)."""
    body = keys_document(emulator_state(request).signing_key, _base(request), _tenant_id(request))
    return _json(request, body)


async def instance(request: Request) -> Response:
    """Instance discovery, as MSAL asks it: this host is the preferred network."""
    endpoint = request.query_params.get("authorization_endpoint")
    return _json(request, instance_discovery(_base(request), endpoint))


async def device_login(request: Request) -> Response:
    """Device login page: enter the code, then pick the tenant user who signs in."""
    code = request.query_params.get("code") or request.query_params.get("user_code") or ""
    if not code:
        return HTMLResponse(code_page())
    state = emulator_state(request)
    try:
        row = DeviceCodes(state).waiting(code)
    except DeviceLoginProblem as problem:
        return HTMLResponse(code_page(str(problem), code))
    tenant = state.tenant(row["tenant_id"])
    assert tenant is not None
    admin = first_global_administrator(state, tenant["id"])
    return HTMLResponse(
        approval_page(
            user_code=row["user_code"],
            client_name=find_client(state, tenant, row["client_id"]).display_name,
            tenant_name=tenant["display_name"],
            scope=row["scope"],
            users=selectable_users(state, tenant["id"]),
            preselected=admin["upn"] if admin is not None else None,
        )
    )


async def device_login_decision(request: Request) -> Response:
    """Device login decision: approve as the chosen user, or decline."""
    form = await _form(request)
    codes = DeviceCodes(emulator_state(request))
    code = form.get("user_code", "")
    try:
        if form.get("action") == "decline":
            codes.decline(code)
            return HTMLResponse(
                result_page(
                    "Sign-in declined",
                    "You have declined to sign in to the application on your "
                    "device. You may now close this window.",
                )
            )
        user = codes.approve(code, form.get("upn", ""))
    except DeviceLoginProblem as problem:
        return HTMLResponse(code_page(str(problem), code), status_code=400)
    return HTMLResponse(
        result_page(
            "You're signed in",
            f"{user['upn']} has signed in to the application on your device. "
            "You may now close this window.",
        )
    )
