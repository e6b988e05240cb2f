"""Graph ``/groups``: security and Microsoft 365 groups, and Exchange's read-only ones.

"Only Microsoft 365 and security groups can be managed through the Microsoft Graph groups
API. Mail-enabled and distribution groups are read-only through Microsoft Graph."
(learn.microsoft.com/graph/api/resources/groups-overview; m365-domain.md §7.1). Groups
Exchange made (``New-DistributionGroup``) keep their Entra id and show ``mailEnabled``
true with ``securityEnabled`` true (mail-enabled security) or false (distribution list).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...core.directory import Directory
from ...core.ids import is_guid
from ...core.state import EmulatorState
from ...core.store import Row, dumps, loads
from ..exceptions import RequestBadRequest, RequestResourceNotFound
from ..odata import ListQuery
from .directory_common import (
    Page,
    check_known,
    context_fragment,
    count_rows,
    filter_clause,
    invalid_value,
    object_sid,
    optional_text,
    page_rows,
    project,
    require_bool,
    require_text,
    require_values,
    valid_nickname,
)

__all__ = [
    "GROUP_CREATE",
    "GROUP_FILTERABLE",
    "GROUP_PROPERTIES",
    "GROUP_READ",
    "GROUP_WRITE",
    "READ_ONLY_GROUP",
    "Groups",
    "group_resource",
    "is_read_only",
]

# learn.microsoft.com/graph/api/group-list, group-post-groups, group-update, "Permissions".
GROUP_READ = (
    "GroupMember.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
GROUP_WRITE = ("Group.ReadWrite.All", "Directory.ReadWrite.All")
GROUP_CREATE = ("Group.Create", *GROUP_WRITE)

# Observed (m365-domain.md §7.1).
MAIL_ENABLED_WRITE = (
    "The service does not currently support writes of mail-enabled groups. Please ensure that "
    "the mail-enablement property is unset and the security-enablement property is set."
)
READ_ONLY_GROUP = "Cannot Update a mail-enabled security groups and or distribution list."

# Default properties of a group, in Graph's order (group-get, "Response").
GROUP_PROPERTIES = (
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "creationOptions",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "theme",
    "uniqueName",
    "visibility",
    "onPremisesProvisioningErrors",
    "serviceProvisioningErrors",
)
GROUP_FILTERABLE = ("id", "mail", "displayName", "mailNickname")
_FILTER_COLUMNS = {
    "id": "id",
    "mail": "mail",
    "displayName": "display_name COLLATE NOCASE",
    "mailNickname": "mail_nickname COLLATE NOCASE",
}
_REQUIRED = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")
_PROPS = (
    "description",
    "visibility",
    "classification",
    "preferredLanguage",
    "theme",
    "membershipRule",
    "isAssignableToRole",
)
_BINDS = ("members@odata.bind", "owners@odata.bind")
_GROUP_TYPES = frozenset({"Unified", "DynamicMembership"})


def is_read_only(row: Row) -> bool:
    """Mail-enabled security groups and distribution lists: everything mail-enabled that is
    not a Microsoft 365 group."""
    return bool(row["mail_enabled"]) and "Unified" not in loads(row["props"]).get("groupTypes", [])


def group_resource(row: Row) -> dict[str, Any]:
    """Every property of a group, by Graph name."""
    props = loads(row["props"])
    types = list(props.get("groupTypes", []))
    full: dict[str, Any] = dict.fromkeys(GROUP_PROPERTIES)
    full.update({name: props.get(name) for name in _PROPS})
    full.update(
        {
            "id": row["id"],
            "createdDateTime": row["created"],
            "renewedDateTime": row["created"],
            "creationOptions": [],
            "displayName": row["display_name"],
            "groupTypes": types,
            "mail": row["mail"],
            "mailEnabled": bool(row["mail_enabled"]),
            "mailNickname": row["mail_nickname"],
            "securityEnabled": bool(row["security_enabled"]),
            "proxyAddresses": [f"SMTP:{row['mail']}"] if row["mail"] else [],
            "resourceBehaviorOptions": [],
            "resourceProvisioningOptions": [],
            "securityIdentifier": object_sid(row["id"]),
            "onPremisesProvisioningErrors": [],
            "serviceProvisioningErrors": [],
            "membershipRuleProcessingState": "On" if props.get("membershipRule") else None,
        }
    )
    if "Unified" in types and full["visibility"] is None:
        full["visibility"] = "Public"
    return full


class Groups:
    """A tenant's groups as Graph serves them."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.directory = Directory(state.store)
        self.tenant_id = tenant_id

    # -- reads -------------------------------------------------------------------------

    def row(self, ref: str) -> Row:
        """A group by object id; Graph's 400 for a malformed id, 404 for an unknown one."""
        if not is_guid(ref):
            raise RequestBadRequest(f"Invalid object identifier '{ref}'.")
        found = self.directory.group(self.tenant_id, ref)
        if found is None:
            raise RequestResourceNotFound(ref)
        return found

    def get(self, ref: str, select: Sequence[str] = ()) -> dict[str, Any]:
        return project(group_resource(self.row(ref)), select, GROUP_PROPERTIES)

    def page(self, query: ListQuery, *, counted: bool = False) -> Page:
        where, args = filter_clause(query.filter, _FILTER_COLUMNS)
        rows, last = page_rows(self.store, "groups", self.tenant_id, query, where, args)
        count = count_rows(self.store, "groups", self.tenant_id, where, args) if counted else None
        items = [project(group_resource(r), query.select, GROUP_PROPERTIES) for r in rows]
        return Page(context_fragment("groups", query.select), items, last, count)

    def count(self) -> int:
        return count_rows(self.store, "groups", self.tenant_id, "", ())

    def writable(self, ref: str) -> Row:
        """A group Graph may change, or the observed 400 for Exchange's groups."""
        row = self.row(ref)
        if is_read_only(row):
            raise RequestBadRequest(READ_ONLY_GROUP)
        return row

    # -- writes ------------------------------------------------------------------------

    def create(
        self, body: Mapping[str, Any], members: Sequence[tuple[str, str]] = ()
    ) -> dict[str, Any]:
        """POST /groups: a security group or a Microsoft 365 group, never a mail-enabled
        security group or distribution list (those come from Exchange)."""
        check_known(body, (*GROUP_PROPERTIES, *_BINDS), "group")
        require_values(body, _REQUIRED, "Group")
        name = require_text(body, "displayName", "Group")
        types = _group_types(body)
        mail_enabled, security_enabled = _enablement(body, types)
        nickname = _nickname(body)
        mail = self._unified_mail(nickname) if "Unified" in types else None
        with self.store.tx():
            gid = self.directory.create_group(
                self.tenant_id,
                display_name=name,
                mail_nickname=nickname,
                mail=mail,
                mail_enabled=mail_enabled,
                security_enabled=security_enabled,
                group_types=types,
                props=_props(body, {}),
                now=self.state.clock.now(),
            )
            for member_id, member_type in members:
                self.directory.add_member(self.tenant_id, gid, member_id, member_type)
        return self.get(gid)

    def update(self, ref: str, body: Mapping[str, Any]) -> Row:
        """PATCH /groups/{id} (``members@odata.bind`` is the caller's to apply)."""
        row = self.writable(ref)
        check_known(body, (*GROUP_PROPERTIES, *_BINDS), "group")
        name = (
            require_text(body, "displayName", "Group")
            if "displayName" in body
            else row["display_name"]
        )
        nickname = _nickname(body) if "mailNickname" in body else row["mail_nickname"]
        security = (
            require_bool(body, "securityEnabled", "Group")
            if "securityEnabled" in body
            else bool(row["security_enabled"])
        )
        props = _props(body, loads(row["props"]))
        self.store.execute(
            "UPDATE groups SET display_name = ?, mail_nickname = ?, security_enabled = ?, "
            "props = ? WHERE tenant_id = ? AND id = ?",
            (name, nickname, int(security), dumps(props), self.tenant_id, row["id"]),
        )
        return row

    def delete(self, ref: str) -> None:
        """DELETE /groups/{id}: the group, its memberships both ways, its role grants."""
        gid = self.writable(ref)["id"]
        with self.store.tx():
            for table, column in _DEPENDENTS:
                self.store.execute(
                    f"DELETE FROM {table} WHERE tenant_id = ? AND {column} = ?",  # noqa: S608
                    (self.tenant_id, gid),
                )

    def _unified_mail(self, nickname: str) -> str:
        """A Microsoft 365 group's address on the tenant's default domain; taken addresses
        give Entra's proxyAddresses conflict."""
        domain = self.directory.tenant_props(self.tenant_id).get("domains", [""])[0]
        mail = f"{nickname}@{domain}"
        taken = (
            self.directory.user(self.tenant_id, mail) is not None
            or self.store.scalar(
                "SELECT 1 FROM users WHERE tenant_id = ? AND mail = ?", (self.tenant_id, mail)
            )
            or self.store.scalar(
                "SELECT 1 FROM groups WHERE tenant_id = ? AND mail = ?", (self.tenant_id, mail)
            )
            or self.directory.recipient_by_address(self.tenant_id, mail) is not None
        )
        if taken:
            raise RequestBadRequest(
                "Another object with the same value for property proxyAddresses already exists."
            )
        return mail


_DEPENDENTS = (
    ("groups", "id"),
    ("group_members", "group_id"),
    ("group_members", "member_id"),
    ("recipients", "object_id"),
    ("directory_role_assignments", "principal_id"),
    ("app_role_assignments", "principal_id"),
)


def _group_types(body: Mapping[str, Any]) -> list[str]:
    types = body.get("groupTypes") or []
    if not isinstance(types, list) or not set(types) <= _GROUP_TYPES:
        raise invalid_value("groupTypes", "Group")
    if "DynamicMembership" in types and not body.get("membershipRule"):
        raise RequestBadRequest("A value is required for property 'membershipRule'.")
    return list(dict.fromkeys(types))


def _enablement(body: Mapping[str, Any], types: Sequence[str]) -> tuple[bool, bool]:
    mail_enabled = require_bool(body, "mailEnabled", "Group")
    security_enabled = require_bool(body, "securityEnabled", "Group")
    if "Unified" in types:
        return True, security_enabled  # Microsoft 365 groups always have a mailbox.
    if mail_enabled or not security_enabled:
        raise RequestBadRequest(MAIL_ENABLED_WRITE)
    return False, True


def _nickname(body: Mapping[str, Any]) -> str:
    nickname = require_text(body, "mailNickname", "Group")
    if not valid_nickname(nickname):
        raise invalid_value("mailNickname", "Group")
    return nickname


def _props(body: Mapping[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    for name in _PROPS:
        if name == "isAssignableToRole" and name in body:
            props[name] = require_bool(body, name, "Group")
        elif name in body:
            props[name] = optional_text(body, name, "Group")
    return props
