"""The read permissions the audit needs, checked from the admin token before any read.

The least-privileged set (docs/audit-findings.md): Graph ``Application.Read.All``,
``RoleManagement.Read.Directory``, ``User.Read.All``, ``GroupMember.Read.All``; Exchange
``Exchange.ManageAsApp`` with a directory role that may run ``Get-*`` cmdlets (Global Reader
is the least privileged). Each missing one is named with how to grant it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import PermissionMissing

if TYPE_CHECKING:
    from .admin import AdminSession

__all__ = [
    "READ_PERMISSIONS",
    "ReadPermission",
    "check_read_permissions",
    "grant_how",
    "missing_read_permissions",
]

_GRANT_HOW = (
    "Entra admin center > App registrations > the admin app > API permissions > Add a "
    "permission > Microsoft Graph > Application permissions > {name}, then Grant admin consent"
)


def grant_how(name: str) -> str:
    """Where an admin grants the Graph application permission ``name`` to the admin app."""
    return _GRANT_HOW.format(name=name)


@dataclass(frozen=True, slots=True)
class ReadPermission:
    """One permission the audit needs, what it reads, and the roles that also carry it."""

    name: str
    reads: str
    accepted: frozenset[str]
    how: str


_GRAPH_READERS = frozenset({"Directory.Read.All", "Directory.ReadWrite.All"})
READ_PERMISSIONS: tuple[ReadPermission, ...] = (
    ReadPermission(
        "Application.Read.All",
        "service principals, their app role assignments and app credentials",
        _GRAPH_READERS | {"Application.Read.All", "Application.ReadWrite.All"},
        grant_how("Application.Read.All"),
    ),
    ReadPermission(
        "RoleManagement.Read.Directory",
        "directory role assignments",
        _GRAPH_READERS
        | {
            "RoleManagement.Read.Directory",
            "RoleManagement.Read.All",
            "RoleManagement.ReadWrite.Directory",
        },
        grant_how("RoleManagement.Read.Directory"),
    ),
    ReadPermission(
        "User.Read.All",
        "users, to join them to mailboxes",
        _GRAPH_READERS | {"User.Read.All", "User.ReadWrite.All"},
        grant_how("User.Read.All"),
    ),
    ReadPermission(
        "GroupMember.Read.All",
        "the members of policy scope groups",
        _GRAPH_READERS
        | {
            "GroupMember.Read.All",
            "Group.Read.All",
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
        },
        grant_how("GroupMember.Read.All"),
    ),
)
_MANAGE_AS_APP = ReadPermission(
    "Exchange.ManageAsApp",
    "mailboxes, recipients and access policies through the Exchange admin API",
    frozenset({"Exchange.ManageAsApp"}),
    "Entra admin center > App registrations > the admin app > API permissions > Add a "
    "permission > APIs my organization uses > Office 365 Exchange Online > Application "
    "permissions > Exchange.ManageAsApp, then Grant admin consent",
)
# Directory roles that may run Get-* cmdlets (docs/exchange-emulator.md, "Authorisation");
# Global Reader is the least privileged.
_EXCHANGE_READ_ROLES = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
        "31392ffb-586c-42d1-9346-e59415a2cc4e",  # Exchange Recipient Administrator
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",  # Global Reader
        "5d6b6bb7-de71-4623-b4af-96380a352509",  # Security Reader
        "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
        "17315797-102d-40b4-93e0-432062caca18",  # Compliance Administrator
    }
)
_GLOBAL_READER_HOW = (
    "the Global Reader directory role (least privileged; Exchange Administrator works too): "
    "Entra admin center > Roles and administrators > Global Reader > Add assignments > {who}"
)


def missing_read_permissions(
    graph_claims: Mapping[str, Any], exchange_claims: Mapping[str, Any]
) -> tuple[str, ...]:
    """Each missing permission as "<name> (to read …): grant it in …"; empty when none is.

    App-only tokens are checked by their ``roles`` (Graph) and ``roles`` + ``wids``
    (Exchange); a signed-in admin's token by ``scp`` and ``wids`` for Exchange only: what a
    person may read in Graph depends on their roles, and a refusal is reported when it comes.
    """
    missing: list[str] = []
    if "scp" not in graph_claims:
        roles = set(graph_claims.get("roles") or ())
        missing += [_line(p) for p in READ_PERMISSIONS if not roles & p.accepted]
    if "scp" in exchange_claims:
        if "Exchange.Manage" not in str(exchange_claims["scp"]).split():
            missing.append(
                "Exchange.Manage (delegated; to read mailboxes and access policies): sign in "
                "again with `sendscope login`"
            )
    elif "Exchange.ManageAsApp" not in set(exchange_claims.get("roles") or ()):
        missing.append(_line(_MANAGE_AS_APP))
    if not _EXCHANGE_READ_ROLES & {str(w).lower() for w in exchange_claims.get("wids") or ()}:
        how = _GLOBAL_READER_HOW.format(who=_assignee(exchange_claims))
        missing.append(f"an Exchange reader role (to run Get-* cmdlets): {how}")
    return tuple(missing)


def _assignee(claims: Mapping[str, Any]) -> str:
    """Who gets the role: the signed-in admin by UPN for a delegated token, else the app."""
    if "scp" not in claims:
        return "the admin app"
    for key in ("upn", "preferred_username", "unique_name"):
        if claims.get(key):
            return str(claims[key])
    return "the signed-in admin"


def _line(permission: ReadPermission) -> str:
    return f"{permission.name} (to read {permission.reads}): {permission.how}"


def check_read_permissions(session: AdminSession) -> None:
    """Raise ``PermissionMissing`` naming every missing read permission; read nothing."""
    cloud = session.cloud
    graph = session.tokens.token(cloud.graph_scope).claims
    exchange = session.tokens.token(cloud.exchange_scope).claims
    missing = missing_read_permissions(graph, exchange)
    if missing:
        raise PermissionMissing(
            "the audit cannot read the tenant: the admin identity lacks "
            + "; ".join(missing)
            + ". Nothing was read. docs/audit-findings.md lists the least-privileged set."
        )
