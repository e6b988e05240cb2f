"""Who is calling the admin API: the bearer token verified for the URL's tenant.

As Graph does, the emulator checks signature, lifetime and audience on every call; the
audience is the Exchange Online resource (``https://outlook.office365.com`` or its appId
``00000002-0000-0ff1-ce00-000000000000``), and the token's tenant must be the tenant the URL
names. Tokens minted with a client secret are accepted: whether Exchange Online accepts
them on this endpoint is UNCONFIRMED (m365-domain.md §6.5).
"""

from __future__ import annotations

from starlette.requests import Request

from ..core.directory import EXCHANGE_APP_ID, EXCHANGE_RESOURCE
from ..core.state import EmulatorState
from ..core.tokens import TokenProblem, TokenRejected
from .exceptions import TokenNotAccepted
from .models.authorization import AdminCaller

__all__ = ["EXCHANGE_AUDIENCES", "authenticate_admin"]

EXCHANGE_AUDIENCES = frozenset({EXCHANGE_RESOURCE, f"{EXCHANGE_RESOURCE}/", EXCHANGE_APP_ID})

# Exchange's own 401 texts for these cases are UNCONFIRMED; these say what is wrong.
_REASONS = {
    TokenProblem.MISSING: "The request has no bearer token.",
    TokenProblem.MALFORMED: "The bearer token could not be parsed.",
    TokenProblem.SIGNATURE: "The bearer token's signature is not valid.",
    TokenProblem.EXPIRED: "The bearer token has expired or is not yet valid.",
    TokenProblem.AUDIENCE: "The bearer token is not for Exchange Online (audience "
    "https://outlook.office365.com).",
    TokenProblem.TENANT: "The bearer token was issued for another tenant.",
}


def authenticate_admin(request: Request, state: EmulatorState, tenant_id: str) -> AdminCaller:
    """Verify the bearer token of an admin API call for ``tenant_id`` or raise 401."""
    try:
        claims = state.signing_key.verify_bearer(
            request.headers.get("authorization", ""),
            audiences=EXCHANGE_AUDIENCES,
            now=state.clock.real_now(),
        )
    except TokenRejected as exc:
        raise TokenNotAccepted(_REASONS[exc.problem]) from None
    if str(claims.get("tid", "")).lower() != tenant_id:
        raise TokenNotAccepted(_REASONS[TokenProblem.TENANT])
    app_only = claims.get("idtyp") == "app"
    permissions = claims.get("roles", ()) if app_only else str(claims.get("scp", "")).split()
    return AdminCaller(
        tenant_id=tenant_id,
        app_id=str(claims.get("appid", "")),
        object_id=str(claims.get("oid", "")),
        app_only=app_only,
        permissions=frozenset(permissions),
        directory_roles=frozenset(claims.get("wids", ())),
    )
