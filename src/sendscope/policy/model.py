"""The values the access-policy evaluator works on, in Exchange's own words.

Every value here can be built from plain data: the fields of ``Get-Recipient`` and
``Get-ApplicationAccessPolicy`` output (see ``from_cmdlet``), so the audit's snapshot, the
``restrict`` command and the differential tests against the emulator all feed the same types.
Identifiers are compared case-insensitively (GUIDs and SMTP addresses are), so they are kept
lower-cased once, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "ALL_APPS",
    "MAILBOX_TYPES",
    "SECURITY_PRINCIPAL_TYPES",
    "AccessRight",
    "ApplicationAccessPolicy",
    "RbacGrant",
    "RbacScopeType",
    "Recipient",
    "Verdict",
]

# New-ApplicationAccessPolicy -AppId: "you can specify * to indicate all applications."
# https://learn.microsoft.com/powershell/module/exchangepowershell/new-applicationaccesspolicy
ALL_APPS = "*"

# "Valid recipient types are security principals in Exchange Online (users or groups,
# including nested groups, that can have permissions assigned to them)": user mailboxes,
# mail users and mail-enabled security groups (same page, -PolicyScopeGroupId).
SECURITY_PRINCIPAL_TYPES = frozenset({"UserMailbox", "MailUser", "MailUniversalSecurityGroup"})

# Recipients that hold a mailbox an app could open: what "every mailbox" means in a plan.
MAILBOX_TYPES = frozenset(
    {"UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox", "LinkedMailbox"}
)


class AccessRight(Enum):
    """``-AccessRight`` of an Application Access Policy."""

    RESTRICT_ACCESS = "RestrictAccess"
    DENY_ACCESS = "DenyAccess"


class Verdict(Enum):
    """``AccessCheckResult`` of ``Test-ApplicationAccessPolicy``: the cmdlet's own strings."""

    GRANTED = "Granted"
    DENIED = "Denied"


def _key(value: str) -> str:
    return value.strip().lower()


@dataclass(frozen=True, slots=True)
class Recipient:
    """An Exchange recipient (``Get-Recipient``), keyed by its Entra object id.

    ``object_id`` is ``ExternalDirectoryObjectId`` (the Graph id); ``guid`` is Exchange's own
    ``Guid``; ``sid`` the security identifier Exchange shows in ``ScopeIdentityRaw``.
    """

    object_id: str
    primary_smtp: str
    recipient_type_details: str
    name: str = ""
    alias: str = ""
    display_name: str = ""
    guid: str = ""
    sid: str = ""
    email_addresses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "object_id", _key(self.object_id))
        object.__setattr__(self, "guid", _key(self.guid))
        object.__setattr__(self, "primary_smtp", self.primary_smtp.strip())

    @property
    def is_valid_security_principal(self) -> bool:
        """What ``Get-Recipient | Select IsValidSecurityPrincipal`` says: may it be a scope?"""
        return self.recipient_type_details in SECURITY_PRINCIPAL_TYPES

    @property
    def has_mailbox(self) -> bool:
        """True for recipients an app can open as a mailbox (user, shared, resource)."""
        return self.recipient_type_details in MAILBOX_TYPES

    @property
    def is_group(self) -> bool:
        """True for every kind of group recipient (security, distribution, dynamic, M365)."""
        return "Group" in self.recipient_type_details

    @property
    def label(self) -> str:
        """How sentences name it: its address, else its display name, else its id."""
        return self.primary_smtp or self.display_name or self.name or self.object_id

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every SMTP address it answers to, primary first, without ``smtp:`` prefixes."""
        extra = (_strip_smtp_prefix(a) for a in self.email_addresses)
        return tuple(dict.fromkeys(a for a in (self.primary_smtp, *extra) if a))

    @classmethod
    def from_cmdlet(cls, row: Mapping[str, Any]) -> Recipient:
        """From ``Get-Recipient``/``Get-Mailbox``/``Get-DistributionGroup`` output fields."""
        return cls(
            object_id=str(row.get("ExternalDirectoryObjectId") or row.get("Guid") or ""),
            primary_smtp=str(row.get("PrimarySmtpAddress") or ""),
            recipient_type_details=str(row.get("RecipientTypeDetails") or ""),
            name=str(row.get("Name") or ""),
            alias=str(row.get("Alias") or ""),
            display_name=str(row.get("DisplayName") or ""),
            guid=str(row.get("Guid") or ""),
            sid=str(row.get("Sid") or ""),
            email_addresses=tuple(str(a) for a in row.get("EmailAddresses") or ()),
        )


def _strip_smtp_prefix(address: str) -> str:
    # EmailAddresses holds proxy addresses: "SMTP:primary@x", "smtp:alias@x", "X500:…".
    prefix, sep, rest = address.partition(":")
    if not sep:
        return address
    return rest if prefix.lower() == "smtp" else ""


@dataclass(frozen=True, slots=True)
class ApplicationAccessPolicy:
    """One Application Access Policy (``Get-ApplicationAccessPolicy``).

    ``app_ids`` may hold ``"*"`` (every app). The scope is a mail-enabled security group or a
    single security-principal recipient, named by its object id (the GUID after ``;`` in
    ``ScopeIdentityRaw``), its ``ScopeIdentity`` (Exchange name), ``ScopeName`` (display name)
    and, when known, its SMTP address.
    """

    identity: str
    app_ids: tuple[str, ...]
    scope_object_id: str
    access_right: AccessRight
    scope_name: str = ""
    scope_identity: str = ""
    scope_smtp: str = ""
    scope_sid: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "app_ids", tuple(_key(a) for a in self.app_ids))
        object.__setattr__(self, "scope_object_id", _key(self.scope_object_id))

    def names_app(self, app_id: str) -> bool:
        """Does this policy apply to the app (its AppId, compared as a GUID, or ``*``)?"""
        return ALL_APPS in self.app_ids or _key(app_id) in self.app_ids

    @property
    def names_every_app(self) -> bool:
        """True when the policy's AppId is ``*``."""
        return ALL_APPS in self.app_ids

    @property
    def scope_label(self) -> str:
        """How sentences name the scope: display name, Exchange name, address or id."""
        return self.scope_name or self.scope_identity or self.scope_smtp or self.scope_object_id

    @property
    def label(self) -> str:
        """How sentences name the policy, e.g. ``RestrictAccess on "Mail senders"``."""
        return f'{self.access_right.value} on "{self.scope_label}"'

    @classmethod
    def from_cmdlet(cls, row: Mapping[str, Any]) -> ApplicationAccessPolicy:
        """From ``Get-``/``New-ApplicationAccessPolicy`` output fields.

        ``ScopeIdentityRaw`` is ``"<SID>;<group object GUID>"``; scripts take the part after
        ``;`` as the scope's object id, and so do we.
        """
        sid, _, object_id = str(row.get("ScopeIdentityRaw") or "").partition(";")
        return cls(
            identity=str(row.get("Identity") or ""),
            app_ids=_app_ids(row.get("AppId")),
            scope_object_id=object_id,
            access_right=AccessRight(str(row.get("AccessRight"))),
            scope_name=str(row.get("ScopeName") or ""),
            scope_identity=str(row.get("ScopeIdentity") or ""),
            scope_sid=sid,
            description=str(row.get("Description") or ""),
        )


def _app_ids(value: object) -> tuple[str, ...]:
    # AppId is one GUID per policy in Get- output; accept a list or "a,b" as New- takes them.
    items: Iterable[object] = value if isinstance(value, list | tuple) else [value]
    parts = (p for item in items for p in str(item or "").split(","))
    return tuple(p.strip() for p in parts if p.strip())


class RbacScopeType(Enum):
    """``ScopeType`` of ``Test-ServicePrincipalAuthorization``, plus a group scope."""

    ORGANIZATION = "Organization"
    CUSTOM_RECIPIENT_SCOPE = "CustomRecipientScope"
    ADMINISTRATIVE_UNIT = "AdministrativeUnit"
    RECIPIENT_GROUP = "RecipientGroupScope"


@dataclass(frozen=True, slots=True)
class RbacGrant:
    """A management role assignment of RBAC for Applications, its scope already resolved.

    Modelled now so the union of §2.2 fits later; nothing collects these yet. Resolving the
    scope is the reader's job and differs from access policies: a group scope counts direct
    members only. ``mailbox_ids`` None means the whole organization.
    https://learn.microsoft.com/exchange/permissions-exo/application-rbac
    """

    role: str
    permissions: frozenset[str]
    scope_type: RbacScopeType = RbacScopeType.ORGANIZATION
    scope_name: str = "Organization"
    mailbox_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.mailbox_ids is not None:
            object.__setattr__(self, "mailbox_ids", frozenset(map(_key, self.mailbox_ids)))

    def covers(self, mailbox: Recipient, permission: str) -> bool:
        """Does this assignment grant ``permission`` on ``mailbox``?"""
        wanted = permission.casefold()
        if all(p.casefold() != wanted for p in self.permissions):
            return False
        return self.mailbox_ids is None or mailbox.object_id in self.mailbox_ids
