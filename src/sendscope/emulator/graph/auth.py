"""Who is calling Graph: the bearer token verified, its permissions at hand.

Every Graph request's token is checked for signature, lifetime, audience and tenant
before anything else, as Graph does. App-only tokens carry ``roles``; delegated tokens
carry ``scp`` (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from starlette.requests import Request

from ..core.directory import GRAPH_APP_ID, GRAPH_RESOURCE
from ..core.state import EmulatorState, header
from ..core.tokens import TokenProblem, TokenRejected
from .exceptions import AuthorizationRequestDenied, GraphError, InvalidAuthenticationToken

__all__ = ["GRAPH_AUDIENCES", "Caller", "authenticate"]

GRAPH_AUDIENCES = frozenset({GRAPH_RESOURCE, f"{GRAPH_RESOURCE}/", GRAPH_APP_ID})

_MESSAGES = {
    TokenProblem.MISSING: "Access token is empty.",
    TokenProblem.MALFORMED: "CompactToken parsing failed with error code: -2147184105",
    TokenProblem.SIGNATURE: "Access token validation failure.",
    TokenProblem.EXPIRED: "Access token has expired or is not yet valid.",
    TokenProblem.AUDIENCE: "Access token validation failure. Invalid audience.",
    TokenProblem.TENANT: "Access token validation failure.",
}


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified identity behind a Graph request."""

    tenant_id: str
    app_id: str
    service_principal_id: str
    roles: frozenset[str]
    scopes: frozenset[str]
    user_id: str | None

    @property
    def is_app_only(self) -> bool:
        return self.user_id is None

    def permissions(self) -> frozenset[str]:
        return self.roles if self.is_app_only else self.scopes

    def holds_any(self, permissions: Iterable[str]) -> bool:
        return not self.permissions().isdisjoint(permissions)

    def require(
        self, permissions: Iterable[str], denial: type[GraphError] = AuthorizationRequestDenied
    ) -> None:
        """Raise Graph's 403 unless the token carries one of ``permissions``."""
        if not self.holds_any(permissions):
            raise denial()


def authenticate(request: Request, state: EmulatorState) -> Caller:
    """Verify the bearer token of a Graph request, or raise 401 InvalidAuthenticationToken.

    A token seen before and still within its lifetime gives the caller it gave then (its
    signature and audience cannot have changed); its tenant is looked up every time.
    """
    authorization = header(request, "authorization") or ""
    now = state.clock.real_now()
    callers: dict[str, _Known] = state.runtime.setdefault("graph.callers", {})
    known = callers.get(authorization)
    if (
        known is not None
        and known.not_before <= now < known.expires
        and state.tenant(known.caller.tenant_id) is not None
    ):
        return known.caller
    try:
        claims = state.signing_key.verify_bearer(authorization, audiences=GRAPH_AUDIENCES, now=now)
    except TokenRejected as exc:
        raise InvalidAuthenticationToken(_MESSAGES[exc.problem]) from None
    tenant_id = str(claims.get("tid", ""))
    if state.tenant(tenant_id) is None:
        raise InvalidAuthenticationToken(_MESSAGES[TokenProblem.TENANT])
    is_app = claims.get("idtyp") == "app"
    caller = Caller(
        tenant_id=tenant_id,
        app_id=str(claims.get("appid", "")),
        service_principal_id=str(claims.get("oid", "")) if is_app else "",
        roles=frozenset(claims.get("roles", ())),
        scopes=frozenset(str(claims.get("scp", "")).split()),
        user_id=None if is_app else str(claims.get("oid", "")),
    )
    if len(callers) >= _KNOWN_CALLERS:
        with suppress(StopIteration, KeyError, RuntimeError):  # another thread got there first
            callers.pop(next(iter(callers)))
    nbf = claims.get("nbf")  # kept as numbers: an int of any size compares exactly, as in verify
    not_before = nbf if isinstance(nbf, int | float) else -math.inf
    callers[authorization] = _Known(caller, not_before, claims["exp"])
    return caller


@dataclass(frozen=True, slots=True)
class _Known:
    """A caller whose token was verified, and the lifetime that verification holds for."""

    caller: Caller
    not_before: int | float
    expires: int | float


_KNOWN_CALLERS = 4096
