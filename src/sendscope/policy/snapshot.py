"""``TenantSnapshot``: everything the audit reads from a tenant, as plain frozen values.

The reader (``sendscope.snapshot``) is the only code that talks to Microsoft 365; it fills
one snapshot, and the evaluator (``policy.audit``) turns it into findings without any I/O.
Tests build snapshots by hand, so every rule of the audit can be checked without a tenant.

Identifiers (object ids, app ids) are kept lower-cased: Entra compares GUIDs
case-insensitively, and so does every lookup here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

from .model import ApplicationAccessPolicy, Recipient
from .scope import GroupMembership

__all__ = [
    "EXCHANGE_RESOURCE",
    "GRAPH_RESOURCE",
    "MICROSOFT_TENANT_IDS",
    "AppRoleGrant",
    "CredentialKind",
    "CredentialRecord",
    "GraphUser",
    "ServicePrincipal",
    "TenantSnapshot",
    "app_role_names",
    "microsoft_app_ids",
]

GRAPH_RESOURCE = "Microsoft Graph"
EXCHANGE_RESOURCE = "Office 365 Exchange Online"

# The tenants Microsoft's own apps are registered in ("Microsoft Services" and Microsoft's
# corporate tenant): an app owned by either is first-party even when the list below misses it.
MICROSOFT_TENANT_IDS = frozenset(
    {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}
)


def _key(value: str) -> str:
    return value.strip().lower()


@cache
def microsoft_app_ids() -> frozenset[str]:
    """The app ids of Microsoft's first-party apps (data/microsoft-first-party-apps.csv)."""
    text = resources.files(__package__).joinpath("data/microsoft-first-party-apps.csv")
    rows = csv.DictReader(text.read_text("utf-8").splitlines())
    return frozenset(_key(row["AppId"]) for row in rows if row.get("AppId"))


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    """A service principal (``GET /servicePrincipals``): an app as this tenant knows it."""

    object_id: str
    app_id: str
    display_name: str
    service_principal_type: str = "Application"  # Application | ManagedIdentity | Legacy …
    app_owner_organization_id: str = ""
    account_enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "object_id", _key(self.object_id))
        object.__setattr__(self, "app_id", _key(self.app_id))
        object.__setattr__(self, "app_owner_organization_id", _key(self.app_owner_organization_id))


@dataclass(frozen=True, slots=True)
class AppRoleGrant:
    """An app role assignment, its role id already resolved to a permission name."""

    principal_id: str  # the service principal holding the permission
    permission: str  # the role's value, e.g. "Mail.Send"
    resource: str  # GRAPH_RESOURCE or EXCHANGE_RESOURCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "principal_id", _key(self.principal_id))


class CredentialKind(Enum):
    """A client secret (``passwordCredentials``) or a certificate (``keyCredentials``)."""

    SECRET = "secret"
    CERTIFICATE = "certificate"


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """One credential of an app registration: never its value, only what and until when."""

    app_id: str
    key_id: str
    kind: CredentialKind
    end: datetime | None
    display_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "app_id", _key(self.app_id))


@dataclass(frozen=True, slots=True)
class GraphUser:
    """The Entra user behind a mailbox (``GET /users``), joined by object id."""

    object_id: str
    user_principal_name: str
    account_enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "object_id", _key(self.object_id))


@dataclass(frozen=True, slots=True)
class TenantSnapshot:
    """One read of a tenant: apps, grants, mailboxes, policies, scopes, roles, credentials.

    ``mailboxes`` are the user and shared mailboxes Exchange lists; ``scope_recipients`` the
    other recipients a policy may name (mail-enabled security groups, mail users);
    ``membership`` maps each policy scope group to its members (transitive members are fine:
    scopes count nested members anyway). ``directory_roles`` maps a principal's object id
    to the template ids of its directory roles. ``applications`` are the app ids registered
    in this tenant; ``microsoft_apps`` the first-party app ids.
    """

    tenant_id: str
    tenant_domain: str
    read_at: datetime
    service_principals: tuple[ServicePrincipal, ...] = ()
    grants: tuple[AppRoleGrant, ...] = ()
    mailboxes: tuple[Recipient, ...] = ()
    scope_recipients: tuple[Recipient, ...] = ()
    users: tuple[GraphUser, ...] = ()
    membership: GroupMembership = field(default_factory=lambda: GroupMembership({}))
    policies: tuple[ApplicationAccessPolicy, ...] = ()
    directory_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    credentials: tuple[CredentialRecord, ...] = ()
    applications: frozenset[str] = frozenset()
    microsoft_apps: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenant_id", _key(self.tenant_id))
        object.__setattr__(self, "applications", frozenset(map(_key, self.applications)))
        object.__setattr__(self, "microsoft_apps", frozenset(map(_key, self.microsoft_apps)))
        roles = {_key(k): frozenset(map(_key, v)) for k, v in self.directory_roles.items()}
        object.__setattr__(self, "directory_roles", roles)

    def grants_by_principal(self) -> dict[str, tuple[AppRoleGrant, ...]]:
        """Each service principal's grants, in the order read."""
        found: dict[str, list[AppRoleGrant]] = {}
        for grant in self.grants:
            found.setdefault(grant.principal_id, []).append(grant)
        return {k: tuple(v) for k, v in found.items()}

    def credentials_by_app(self) -> dict[str, tuple[CredentialRecord, ...]]:
        """Each app registration's credentials, by app id."""
        found: dict[str, list[CredentialRecord]] = {}
        for credential in self.credentials:
            found.setdefault(credential.app_id, []).append(credential)
        return {k: tuple(v) for k, v in found.items()}

    def is_microsoft(self, sp: ServicePrincipal) -> bool:
        """Microsoft's own app: listed as first-party, or owned by a Microsoft tenant."""
        return sp.app_id in self.microsoft_apps or (
            sp.app_owner_organization_id in MICROSOFT_TENANT_IDS
        )


def app_role_names(app_roles: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A resource service principal's ``appRoles``: role id (lower case) → permission name."""
    return {str(r.get("id")).lower(): str(r.get("value")) for r in app_roles if r.get("value")}
