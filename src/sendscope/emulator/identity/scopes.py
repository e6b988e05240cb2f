"""The ``scope`` parameter: which resource a token is for, and which permissions it carries.

Client credentials take exactly one ``{resource}/.default`` ("Including scopes for multiple
resources will result in an error", learn.microsoft.com/entra/identity-platform/
v2-oauth2-client-creds-grant-flow). Delegated flows take permission names on one resource
plus the OpenID Connect scopes; a bare name (``User.Read``) is Microsoft Graph's, as in v2.

A resource is named by one of its service principal's ``servicePrincipalNames`` (the
application ID URI, ``https://graph.microsoft.com``) or by its appId; the token's ``aud`` is
the name the client used.

Delegated ``.default`` grants what an admin consented to for the client. The emulator keeps
no delegated consent records, so it grants a fixed, documented set per resource:
``GRAPH_DEFAULT_SCOPES`` on Microsoft Graph, ``EXCHANGE_DEFAULT_SCOPES`` on Exchange Online,
``user_impersonation`` elsewhere. Explicitly named scopes are granted as asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.directory import EXCHANGE_APP_ID, GRAPH_APP_ID, GRAPH_RESOURCE
from ..core.store import Row, Store
from .exceptions import ScopeInvalid, ScopeNotDefault

__all__ = [
    "DEFAULT_SCOPE",
    "EXCHANGE_DEFAULT_SCOPES",
    "GRAPH_DEFAULT_SCOPES",
    "OIDC_SCOPES",
    "DelegatedScope",
    "client_credentials_resource",
    "delegated_scope",
    "granted_scopes",
    "resolve_resource",
]

DEFAULT_SCOPE = ".default"
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})

GRAPH_DEFAULT_SCOPES = (
    "User.Read",
    "Directory.ReadWrite.All",
    "Group.ReadWrite.All",
    "User.ReadWrite.All",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Mail.Send",
)
EXCHANGE_DEFAULT_SCOPES = ("Exchange.Manage",)
_OTHER_DEFAULT_SCOPES = ("user_impersonation",)


def client_credentials_resource(scope: str) -> str:
    """The resource of a client-credentials ``scope``: one value, ending in ``/.default``."""
    values = scope.split()
    if len(values) != 1:
        raise ScopeInvalid(scope)
    value = values[0]
    if not value.endswith("/" + DEFAULT_SCOPE):
        raise ScopeNotDefault(scope)
    resource = value[: -len(DEFAULT_SCOPE) - 1]
    if not resource:
        raise ScopeInvalid(scope)
    return resource


@dataclass(frozen=True, slots=True)
class DelegatedScope:
    """A delegated request's scopes, by resource as the client named it."""

    raw: str
    resources: tuple[tuple[str, tuple[str, ...]], ...]  # (resource, permission names)
    oidc: frozenset[str]

    @property
    def offline_access(self) -> bool:
        return "offline_access" in self.oidc

    @property
    def openid(self) -> bool:
        return "openid" in self.oidc


def delegated_scope(scope: str) -> DelegatedScope:
    """Split a delegated ``scope`` into OIDC scopes and permissions per named resource.

    Only OIDC scopes means Graph's ``User.Read`` (Entra then issues a Graph token)."""
    oidc: set[str] = set()
    by_resource: dict[str, list[str]] = {}
    for value in scope.split():
        if value.lower() in OIDC_SCOPES:
            oidc.add(value.lower())
            continue
        resource, _, name = value.rpartition("/")
        by_resource.setdefault(resource or GRAPH_RESOURCE, []).append(name)
    if not by_resource:
        by_resource[GRAPH_RESOURCE] = ["User.Read"]
    resources = tuple((r, tuple(dict.fromkeys(n))) for r, n in by_resource.items())
    return DelegatedScope(scope, resources, frozenset(oidc))


def granted_scopes(resource_app_id: str, names: Sequence[str]) -> tuple[str, ...]:
    """The delegated permissions a token carries for the names asked (``.default`` expanded)."""
    granted: list[str] = []
    for name in names:
        if name != DEFAULT_SCOPE:
            granted.append(name)
        elif resource_app_id == GRAPH_APP_ID:
            granted.extend(GRAPH_DEFAULT_SCOPES)
        elif resource_app_id == EXCHANGE_APP_ID:
            granted.extend(EXCHANGE_DEFAULT_SCOPES)
        else:
            granted.extend(_OTHER_DEFAULT_SCOPES)
    return tuple(dict.fromkeys(granted))


def resolve_resource(store: Store, tenant_id: str, resource: str) -> Row | None:
    """The service principal a resource name (application ID URI or appId) stands for."""
    for candidate in dict.fromkeys([resource, resource.rstrip("/"), resource.rstrip("/") + "/"]):
        row = store.one(
            "SELECT s.* FROM service_principals s WHERE s.tenant_id = ? AND (s.app_id = ? "
            "OR EXISTS (SELECT 1 FROM json_each(s.props, '$.servicePrincipalNames') n "
            "WHERE n.value = ? COLLATE NOCASE)) ORDER BY s.seq LIMIT 1",
            (tenant_id, candidate.lower(), candidate),
        )
        if row is not None:
            return row
    return None
