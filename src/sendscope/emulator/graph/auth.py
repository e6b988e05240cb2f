"""Who is calling Graph: the bearer token verified, its permissions at hand.

Every Graph request's token is checked for signature, lifetime, audience and tenant
before anything else, as Graph does. App-only tokens carry ``roles``; delegated tokens
carry ``scp`` (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request

from ..core.directory import GRAPH_APP_ID, GRAPH_RESOURCE
from ..core.state import EmulatorState
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
    """Verify the bearer token of a Graph request, or raise 401 InvalidAuthenticationToken."""
    try:
        claims = state.signing_key.verify_bearer(
            request.headers.get("authorization", ""),
            audiences=GRAPH_AUDIENCES,
            now=state.clock.real_now(),
        )
    except TokenRejected as exc:
        raise InvalidAuthenticationToken(_MESSAGES[exc.problem]) from None
    tenant_id = str(claims.get("tid", ""))
    if state.tenant(tenant_id) is None:
        raise InvalidAuthenticationToken(_MESSAGES[TokenProblem.TENANT])
    is_app = claims.get("idtyp") == "app"
    return Caller(
        tenant_id=tenant_id,
        app_id=str(claims.get("appid", "")),
        service_principal_id=str(claims.get("oid", "")) if is_app else "",
        roles=frozenset(claims.get("roles", ())),
        scopes=frozenset(str(claims.get("scp", "")).split()),
        user_id=None if is_app else str(claims.get("oid", "")),
    )
