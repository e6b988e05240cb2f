"""Exchange recipients: finding one by any of its identities, and showing it.

Recipients live in the shared ``recipients`` table, keyed by the Entra object id
(``ExternalDirectoryObjectId``). Exchange resolves ``-Identity`` and the other recipient
parameters by "Name, Alias, Distinguished name (DN), Canonical DN, Email address, GUID"
(the cmdlet pages); the emulator also takes the display name (PolicyScopeGroupId lists it)
and the Entra object id.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ...core.directory import GROUP_TYPES, MAILBOX_TYPES, Directory
from ...core.ids import is_guid
from ...core.state import EmulatorState
from ...core.store import Row, loads
from ..exceptions import AmbiguousObject, InvalidCmdletArgument, ObjectNotFound, ProxyAddressExists
from .invocation import Record
from .records import exchange_date_of

__all__ = [
    "GROUP_TYPES",
    "MAILBOX_TYPES",
    "RECIPIENT_TYPE",
    "SECURITY_PRINCIPALS",
    "Recipients",
    "alias_from",
]

# RecipientTypeDetails -> RecipientType.
RECIPIENT_TYPE = {
    "UserMailbox": "UserMailbox",
    "SharedMailbox": "UserMailbox",
    "RoomMailbox": "UserMailbox",
    "EquipmentMailbox": "UserMailbox",
    "MailUser": "MailUser",
    "MailContact": "MailContact",
    "MailUniversalSecurityGroup": "MailUniversalSecurityGroup",
    "MailUniversalDistributionGroup": "MailUniversalDistributionGroup",
    "DynamicDistributionGroup": "DynamicDistributionGroup",
    "GroupMailbox": "MailUniversalDistributionGroup",
    "DiscoveryMailbox": "UserMailbox",
}
# "Valid recipient types are security principals in Exchange Online": user mailboxes, mail
# users and mail-enabled security groups (New-ApplicationAccessPolicy, -PolicyScopeGroupId).
SECURITY_PRINCIPALS = frozenset({"UserMailbox", "MailUser", "MailUniversalSecurityGroup"})

_DC = "DC=NAMPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
_OU_ROOT = "NAMPR01A001.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations"
_ALIAS_DROP = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")
_EXCHANGE_GUID_NS = uuid.UUID("5d1c0f4e-5ab0-4c64-9d0e-6d3c2f6a9b11")
_NS_BYTES = _EXCHANGE_GUID_NS.bytes


def alias_from(name: str) -> str:
    """The alias Exchange derives from a name: characters an alias can't hold dropped."""
    return _ALIAS_DROP.sub("", name).strip(".") or "group"


class Recipients:
    """The recipients of one tenant, as Exchange finds and shows them."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.store = state.store
        self.directory = Directory(state.store)
        self.tenant_id = tenant_id
        tenant = state.store.one("SELECT domain, props FROM tenants WHERE id = ?", (tenant_id,))
        assert tenant is not None
        self.domain: str = tenant["domain"]
        self.domains: list[str] = list(loads(tenant["props"]).get("domains", [self.domain]))

    # -- finding -------------------------------------------------------------------------

    def find(
        self,
        identity: str,
        types: Collection[str] | None = None,
        missing: type[ObjectNotFound] = ObjectNotFound,
    ) -> Row:
        """The one recipient ``identity`` names (of ``types``), or Exchange's error."""
        rows = [
            r
            for r in self._matches(identity.strip())
            if not types or r["recipient_type_details"] in types
        ]
        if not rows:
            raise missing(identity)
        if len({r["object_id"] for r in rows}) > 1:
            raise AmbiguousObject(identity)
        return rows[0]

    def _matches(self, ref: str) -> list[Row]:
        if is_guid(ref):
            return self.store.all(
                "SELECT * FROM recipients WHERE tenant_id = ? AND (object_id = ? OR guid = ?)",
                (self.tenant_id, ref.lower(), ref.lower()),
            )
        if "@" in ref:
            found = self.directory.recipient_by_address(self.tenant_id, ref)
            return [] if found is None else [found]
        if ref.upper().startswith("CN="):
            ref = ref[3:].split(",OU=", 1)[0].replace("\\,", ",")
            return self._where("name = ? COLLATE NOCASE", (ref,))
        return self._where(
            "(name = ? COLLATE NOCASE OR alias = ? COLLATE NOCASE "
            "OR display_name = ? COLLATE NOCASE)",
            (ref, ref, ref),
        )

    def _where(self, clause: str, args: tuple[str, ...]) -> list[Row]:
        return self.store.all(
            f"SELECT * FROM recipients WHERE tenant_id = ? AND {clause} ORDER BY seq",  # noqa: S608
            (self.tenant_id, *args),
        )

    def of_types(self, types: Collection[str] | None, limit: int | None) -> list[Row]:
        """Recipients of ``types`` (all when None) in creation order; ``limit + 1`` at most,
        so a caller can tell that more exist."""
        args: tuple[str, ...]
        where, args = "", ()
        if types:
            marks = ", ".join("?" for _ in types)
            where, args = f" AND recipient_type_details IN ({marks})", tuple(types)
        tail = "" if limit is None else f" LIMIT {int(limit) + 1}"
        return self.store.all(
            f"SELECT * FROM recipients WHERE tenant_id = ?{where} ORDER BY seq{tail}",  # noqa: S608
            (self.tenant_id, *args),
        )

    def of_types_after(self, types: Collection[str], after: int, count: int) -> list[Row]:
        """At most ``count`` recipients of ``types`` past the ``seq`` ``after``, in creation
        order: one page of an unlimited listing, as an indexed range."""
        marks = ", ".join("?" for _ in types)
        return self.store.all(
            "SELECT * FROM recipients WHERE tenant_id = ? AND seq > ? "  # noqa: S608
            f"AND recipient_type_details IN ({marks}) ORDER BY seq LIMIT ?",
            (self.tenant_id, after, *types, count),
        )

    def members_of(self, group_id: str) -> list[Row]:
        """The direct members of a group that are recipients, in the order they were added
        (one query: a scope group of thousands is listed without a lookup per member)."""
        return self.store.all(
            "SELECT r.* FROM group_members m JOIN recipients r ON r.tenant_id = m.tenant_id "
            "AND r.object_id = m.member_id WHERE m.tenant_id = ? AND m.group_id = ? "
            "ORDER BY m.rowid",
            (self.tenant_id, group_id),
        )

    def by_id(self, object_id: str) -> Row | None:
        return self.directory.recipient(self.tenant_id, object_id)

    # -- addresses -----------------------------------------------------------------------

    def new_address(self, given: str | None, alias: str) -> str:
        """The primary address of a new recipient: the one given, or ``alias@<domain>``;
        refused when it is malformed, outside the tenant's domains or in use."""
        address = (given or f"{alias}@{self.domain}").strip()
        local, _, domain = address.partition("@")
        if not local or not domain or " " in address:
            raise InvalidCmdletArgument(
                f'The email address "{address}" isn\'t correct. Please use this format: user '
                "name, the @ sign, followed by the domain name. For example, "
                "tonysmith@contoso.com or tony.smith@contoso.com."
            )
        if domain.lower() not in {d.lower() for d in self.domains}:
            raise InvalidCmdletArgument(
                f'The domain "{domain}" of the address "{address}" isn\'t an accepted domain of '
                f"this organization ({', '.join(self.domains)})."
            )
        owner = self._address_owner(address)
        if owner is not None:
            raise ProxyAddressExists(address, owner)
        return address

    def _address_owner(self, address: str) -> str | None:
        found = self.directory.recipient_by_address(self.tenant_id, address)
        if found is not None:
            return str(found["name"])
        for table, column in (("users", "upn"), ("users", "mail"), ("groups", "mail")):
            row = self.store.one(
                f"SELECT display_name FROM {table} WHERE tenant_id = ? AND {column} = ? "  # noqa: S608
                "COLLATE NOCASE",
                (self.tenant_id, address),
            )
            if row is not None:
                return str(row[0])
        return None

    def name_taken(self, name: str) -> bool:
        return bool(self._where("name = ? COLLATE NOCASE", (name,)))

    # -- showing -------------------------------------------------------------------------

    def distinguished_name(self, row: Row) -> str:
        return self.distinguished_name_of(str(row["name"]))

    def distinguished_name_of(self, name: str) -> str:
        escaped = name.replace(",", "\\,")
        return f"CN={escaped},OU={self.domain},OU=Microsoft Exchange Hosted Organizations,{_DC}"

    def record(self, row: Row) -> Record:
        """A recipient as ``Get-Recipient`` shows it (the properties clients use)."""
        details = row["recipient_type_details"]
        created = exchange_date_of(row["created"])
        return {
            "Identity": row["name"],
            "Id": row["name"],
            "Name": row["name"],
            "Alias": row["alias"],
            "DisplayName": row["display_name"],
            "PrimarySmtpAddress": row["primary_smtp"],
            "EmailAddresses": self.email_addresses(row),
            "RecipientType": RECIPIENT_TYPE.get(details, details),
            "RecipientTypeDetails": details,
            "ExternalDirectoryObjectId": row["object_id"],
            "Guid": row["guid"],
            "ExchangeObjectId": row["guid"],
            "DistinguishedName": self.distinguished_name(row),
            "OrganizationalUnit": f"{_OU_ROOT}/{self.domain}",
            "IsValidSecurityPrincipal": details in SECURITY_PRINCIPALS,
            "WhenCreated": created,
            "IsValid": True,
        }

    def email_addresses(self, row: Row) -> list[str]:
        props: dict[str, Any] = loads(row["props"]) if row["props"] else {}
        primary = f"SMTP:{row['primary_smtp']}"
        others = [
            f"smtp:{a}"
            for a in props.get("emailAddresses", [])
            if str(a).lower() != str(row["primary_smtp"]).lower()
        ]
        return [*others, primary]

    def records(self, rows: Sequence[Row]) -> list[Record]:
        return [self.record(row) for row in rows]

    def mailbox_record(self, row: Row) -> Record:
        """A mailbox as ``Get-Mailbox`` shows it."""
        return self._mailbox_record(row, self.directory.user(self.tenant_id, row["object_id"]))

    def mailbox_records(self, rows: Sequence[Row]) -> list[Record]:
        """Mailboxes as ``Get-Mailbox`` shows them, their users read in one query."""
        users = self._users([str(row["object_id"]) for row in rows])
        return [self._mailbox_record(row, users.get(row["object_id"])) for row in rows]

    def _users(self, ids: Sequence[str]) -> Mapping[str, Row]:
        if not ids:
            return {}
        found = self.store.all(
            "SELECT id, upn, account_enabled FROM users WHERE tenant_id = ? "  # noqa: S608
            f"AND id IN ({', '.join('?' for _ in ids)})",
            (self.tenant_id, *ids),
        )
        return {row["id"]: row for row in found}

    def _mailbox_record(self, row: Row, user: Row | None) -> Record:
        record = self.record(row)
        del record["IsValidSecurityPrincipal"]
        record.update(
            {
                "UserPrincipalName": user["upn"] if user else row["primary_smtp"],
                "WindowsEmailAddress": row["primary_smtp"],
                "ExchangeGuid": _exchange_guid(row["guid"]),
                "IsShared": row["recipient_type_details"] == "SharedMailbox",
                "IsMailboxEnabled": True,
                "AccountDisabled": bool(user is not None and not user["account_enabled"]),
            }
        )
        return record


def _exchange_guid(recipient_guid: str) -> str:
    """``uuid5(_EXCHANGE_GUID_NS, guid)`` without building UUID objects (once per mailbox
    listed: 100,000 per ``Get-Mailbox -ResultSize Unlimited`` at audit scale)."""
    digest = bytearray(hashlib.sha1(_NS_BYTES + recipient_guid.encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
