"""Group membership through Graph: members, transitiveMembers, memberOf, ``$ref`` writes.

Members come back as ``directoryObject``s carrying ``@odata.type``
(``#microsoft.graph.user``, ``#microsoft.graph.group``, ``#microsoft.graph.servicePrincipal``)
(learn.microsoft.com/graph/api/group-list-members, group-list-transitivemembers;
m365-domain.md §4.2). Direct members page in the order they were added; transitive members
in the order their first membership was made, each once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...core.directory import Directory
from ...core.ids import is_guid
from ...core.state import EmulatorState
from ...core.store import Row, loads
from ..exceptions import RequestBadRequest, RequestResourceNotFound
from ..odata import ListQuery
from .directory_common import Page, context_fragment
from .groups import GROUP_PROPERTIES, Groups, group_resource
from .users import USER_COLUMNS, USER_DEFAULT, USER_PROPERTIES, Users, user_resource

__all__ = [
    "CASTS",
    "DIRECTORY_OBJECT_PROPERTIES",
    "MEMBER_WRITE",
    "SERVICE_PRINCIPAL_DEFAULT",
    "Members",
    "bound_ids",
]

# learn.microsoft.com/graph/api/group-post-members and group-delete-members, "Permissions".
MEMBER_WRITE = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")

SERVICE_PRINCIPAL_DEFAULT = (
    "id",
    "deletedDateTime",
    "accountEnabled",
    "appDisplayName",
    "appId",
    "appOwnerOrganizationId",
    "displayName",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
)
DIRECTORY_OBJECT_PROPERTIES = tuple(
    dict.fromkeys([*USER_PROPERTIES, *GROUP_PROPERTIES, *SERVICE_PRINCIPAL_DEFAULT])
)
# OData casts on member lists: /members/microsoft.graph.user …
CASTS = {
    "microsoft.graph.user": "user",
    "microsoft.graph.group": "group",
    "microsoft.graph.servicePrincipal": "servicePrincipal",
}
_ENTITY_SETS = {"user": "users", "group": "groups", "servicePrincipal": "servicePrincipals"}
_TABLES = {"user": "users", "group": "groups", "servicePrincipal": "service_principals"}
# https://graph.microsoft.com/v1.0/directoryObjects/{id} (or users/, groups/, …).
_ODATA_ID = re.compile(
    r"/(?:directoryObjects|users|groups|servicePrincipals|devices|contacts|orgContacts)"
    r"(?:/|\(')(?P<id>[^/()']+)'?\)?/?$"
)
ALREADY_MEMBER = (
    "One or more added object references already exist for the following modified "
    "properties: 'members'."
)


def service_principal_resource(row: Row) -> dict[str, Any]:
    props = loads(row["props"])
    return {
        "id": row["id"],
        "deletedDateTime": None,
        "accountEnabled": bool(row["account_enabled"]),
        "appDisplayName": row["display_name"],
        "appId": row["app_id"],
        "appOwnerOrganizationId": row["app_owner_tenant_id"],
        "displayName": row["display_name"],
        "servicePrincipalNames": list(props.get("servicePrincipalNames", [row["app_id"]])),
        "servicePrincipalType": props.get("servicePrincipalType", "Application"),
        "signInAudience": props.get("signInAudience", "AzureADMyOrg"),
        "tags": props.get("tags", []),
    }


# Properties that are a row's columns: a ``$select`` of only these (an audit asks for ``id``
# of every member of every scope group) is answered without building the whole object.
_COLUMNS: dict[str, dict[str, str]] = {
    "user": USER_COLUMNS,
    "group": {
        "id": "id",
        "displayName": "display_name",
        "mail": "mail",
        "mailNickname": "mail_nickname",
        "mailEnabled": "mail_enabled",
        "securityEnabled": "security_enabled",
    },
    "servicePrincipal": {
        "id": "id",
        "appId": "app_id",
        "displayName": "display_name",
        "appDisplayName": "display_name",
        "accountEnabled": "account_enabled",
    },
}
_BOOLEANS = frozenset({"accountEnabled", "mailEnabled", "securityEnabled"})


def _from_columns(row: Row, columns: dict[str, str], name: str) -> Any:
    value = row[columns[name]]
    return bool(value) if name in _BOOLEANS else value


def directory_object(kind: str, row: Row, select: Sequence[str]) -> dict[str, Any]:
    """A member as a directoryObject: its ``@odata.type``, then its (selected) properties."""
    columns = _COLUMNS[kind]
    if select and all(name in columns for name in select):
        values = {name: _from_columns(row, columns, name) for name in select}
        return {"@odata.type": f"#microsoft.graph.{kind}", **values}
    default: Sequence[str]
    if kind == "user":
        full, default = user_resource(row), USER_DEFAULT
    elif kind == "group":
        full, default = group_resource(row), GROUP_PROPERTIES
    else:
        full, default = service_principal_resource(row), SERVICE_PRINCIPAL_DEFAULT
    names = [n for n in select if n in full] if select else default
    return {"@odata.type": f"#microsoft.graph.{kind}", **{n: full.get(n) for n in names}}


def bound_ids(value: Any) -> list[str]:
    """Object ids out of ``@odata.id`` / ``members@odata.bind`` URLs."""
    urls = value if isinstance(value, list) else [value]
    ids = []
    for url in urls:
        match = _ODATA_ID.search(url) if isinstance(url, str) else None
        ref = match.group("id") if match else str(url if url is not None else "")
        if match is None or not is_guid(ref):
            raise RequestBadRequest(f"Invalid object identifier '{ref}'.")
        ids.append(ref.lower())
    return ids


class Members:
    """Who is in a group, and who a user is in."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.directory = Directory(state.store)
        self.tenant_id = tenant_id
        self.groups = Groups(state, tenant_id)

    # -- reads -------------------------------------------------------------------------

    def members(self, group_ref: str, query: ListQuery, cast: str | None = None) -> Page:
        """Direct members, paged in the order they were added (rowid of the membership)."""
        gid = self.groups.row(group_ref)["id"]
        where, args = (" AND member_type = ?", [cast]) if cast else ("", [])
        rows = self.store.all(
            "SELECT rowid AS k, member_id, member_type FROM group_members WHERE tenant_id = ? "  # noqa: S608
            f"AND group_id = ? AND rowid > ?{where} ORDER BY rowid LIMIT ?",
            (self.tenant_id, gid, query.after_seq, *args, query.top + 1),
        )
        return self._page(rows, query, cast)

    def transitive_members(self, group_ref: str, query: ListQuery, cast: str | None = None) -> Page:
        """Members through nested groups, each once, ordered by their first membership."""
        gid = self.groups.row(group_ref)["id"]
        rows = self.store.all(
            _TRANSITIVE,
            {
                "t": self.tenant_id,
                "g": gid,
                "after": query.after_seq,
                "cast": cast,
                "limit": query.top + 1,
            },  # type: ignore[arg-type]
        )
        return self._page(rows, query, cast)

    def count(self, group_ref: str, *, transitive: bool, cast: str | None = None) -> int:
        gid = self.groups.row(group_ref)["id"]
        found = (
            self.directory.transitive_members(self.tenant_id, gid)
            if transitive
            else self.directory.members(self.tenant_id, gid)
        )
        return sum(1 for _, kind in found if cast is None or kind == cast)

    def member_of(self, user_ref: str, query: ListQuery) -> Page:
        """The groups a user is a direct member of (directory roles are not emulated here)."""
        uid = Users(self.state, self.tenant_id).row(user_ref)["id"]
        rows = self.store.all(
            "SELECT rowid AS k, group_id AS member_id, 'group' AS member_type FROM group_members "
            "WHERE tenant_id = ? AND member_id = ? AND rowid > ? ORDER BY rowid LIMIT ?",
            (self.tenant_id, uid, query.after_seq, query.top + 1),
        )
        return self._page(rows, query, None)

    def _page(self, rows: Sequence[Row], query: ListQuery, cast: str | None) -> Page:
        more = len(rows) > query.top
        rows = rows[: query.top]
        items = self._objects([(r["member_id"], r["member_type"]) for r in rows], query.select)
        entity_set = _ENTITY_SETS[cast] if cast else "directoryObjects"
        return Page(
            context_fragment(entity_set, query.select), items, int(rows[-1]["k"]) if more else None
        )

    def _objects(
        self, refs: Sequence[tuple[str, str]], select: Sequence[str]
    ) -> list[dict[str, Any]]:
        rows = {kind: self._rows(kind, [i for i, k in refs if k == kind]) for kind in _TABLES}
        return [
            directory_object(kind, rows[kind][oid], select)
            for oid, kind in refs
            if oid in rows[kind]
        ]

    def _rows(self, kind: str, ids: Sequence[str]) -> Mapping[str, Row]:
        if not ids:
            return {}
        found = self.store.all(
            f"SELECT * FROM {_TABLES[kind]} WHERE tenant_id = ? "  # noqa: S608
            f"AND id IN ({','.join('?' * len(ids))})",
            (self.tenant_id, *ids),
        )
        return {r["id"]: r for r in found}

    # -- writes ------------------------------------------------------------------------

    def add(self, group_ref: str, body: Mapping[str, Any]) -> None:
        """POST /groups/{id}/members/$ref with ``{"@odata.id": ".../directoryObjects/{id}"}``."""
        gid = self._changeable(group_ref)
        ref = body.get("@odata.id")
        member_id = bound_ids(ref if isinstance(ref, str) else None)[0]
        kind = self._kind(member_id)
        if not self.directory.add_member(self.tenant_id, gid, member_id, kind):
            raise RequestBadRequest(ALREADY_MEMBER)

    def add_bound(self, group_id: str, value: Any) -> None:
        """``members@odata.bind`` of a PATCH: like $ref, several at once."""
        for member_id in self.resolve(value):
            if not self.directory.add_member(self.tenant_id, group_id, *member_id):
                raise RequestBadRequest(ALREADY_MEMBER)

    def resolve(self, value: Any) -> list[tuple[str, str]]:
        """``members@odata.bind`` URLs as (object id, type), each known, or Graph's 404."""
        return [(oid, self._kind(oid)) for oid in bound_ids(value)]

    def remove(self, group_ref: str, member_id: str) -> None:
        """DELETE /groups/{id}/members/{memberId}/$ref."""
        gid = self._changeable(group_ref)
        if not self.directory.remove_member(self.tenant_id, gid, member_id.lower()):
            raise RequestResourceNotFound(member_id)

    def _changeable(self, group_ref: str) -> str:
        return str(self.groups.writable(group_ref)["id"])

    def _kind(self, object_id: str) -> str:
        kind = self.directory.object_type(self.tenant_id, object_id)
        if kind is None:
            raise RequestResourceNotFound(object_id)
        return kind


# Every membership reachable from the group, keyed by the rowid of the first edge that
# reaches each member, so pages stay stable while the walk is redone per page.
_TRANSITIVE = """
WITH RECURSIVE walk(k, member_id, member_type) AS (
    SELECT rowid, member_id, member_type FROM group_members
     WHERE tenant_id = :t AND group_id = :g
    UNION
    SELECT m.rowid, m.member_id, m.member_type FROM group_members m
      JOIN walk w ON w.member_type = 'group' AND m.group_id = w.member_id
     WHERE m.tenant_id = :t
)
SELECT MIN(k) AS k, member_id, member_type FROM walk
 WHERE member_id != :g AND (:cast IS NULL OR member_type = :cast)
 GROUP BY member_id HAVING MIN(k) > :after ORDER BY k LIMIT :limit
"""
