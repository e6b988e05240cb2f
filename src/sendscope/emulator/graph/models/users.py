"""Graph ``/users``: the user resource, its rules and its JSON (m365-domain.md §4.1).

learn.microsoft.com/graph/api/resources/user: default properties ``businessPhones,
displayName, givenName, id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage,
surname, userPrincipalName``; everything else only through ``$select``. Creating a user
needs ``accountEnabled, displayName, mailNickname, userPrincipalName, passwordProfile``
(user-post-users). A new user gets an Exchange mailbox when the tenant provisions them
automatically (as group-based licensing does); otherwise ``assignLicense`` decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...core.directory import Directory
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
from .licenses import Licenses

__all__ = [
    "USER_COLUMNS",
    "USER_DEFAULT",
    "USER_FILTERABLE",
    "USER_PROPERTIES",
    "USER_READ",
    "USER_WRITE",
    "Users",
    "user_resource",
]

# learn.microsoft.com/graph/api/user-list and user-post-users, "Permissions".
USER_READ = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
USER_WRITE = ("User.ReadWrite.All", "Directory.ReadWrite.All")

USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
# Writable properties kept in the row's props, by their Graph names.
_TEXT_PROPS = (
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "officeLocation",
    "mobilePhone",
    "preferredLanguage",
    "usageLocation",
    "companyName",
    "employeeId",
    "employeeType",
    "city",
    "country",
    "state",
    "streetAddress",
    "postalCode",
    "passwordPolicies",
    "userType",
    "ageGroup",
    "faxNumber",
    "onPremisesImmutableId",
)
_LIST_PROPS = ("businessPhones", "otherMails")
_COMPUTED = (
    "accountEnabled",
    "assignedLicenses",
    "createdDateTime",
    "creationType",
    "deletedDateTime",
    "externalUserState",
    "identities",
    "imAddresses",
    "isResourceAccount",
    "lastPasswordChangeDateTime",
    "mailNickname",
    "onPremisesSyncEnabled",
    "passwordProfile",
    "proxyAddresses",
    "securityIdentifier",
    "showInAddressList",
    "signInSessionsValidFromDateTime",
)
USER_PROPERTIES = tuple(dict.fromkeys([*USER_DEFAULT, *_TEXT_PROPS, *_LIST_PROPS, *_COMPUTED]))
USER_FILTERABLE = ("id", "userPrincipalName", "mail", "accountEnabled")
_FILTER_COLUMNS = {
    "id": "id",
    "userPrincipalName": "upn",
    "mail": "mail",
    "accountEnabled": "account_enabled",
}
_REQUIRED = (
    "accountEnabled",
    "displayName",
    "mailNickname",
    "userPrincipalName",
    "passwordProfile",
)
_WRITABLE = (
    *_TEXT_PROPS,
    *_LIST_PROPS,
    "accountEnabled",
    "displayName",
    "mailNickname",
    "userPrincipalName",
    "passwordProfile",
)
# Properties the emulator derives (id, mail, createdDateTime …) are accepted and left alone.
_KNOWN = (*_WRITABLE, *USER_PROPERTIES)

# Entra: "letters, numbers, and these characters: ' . - _ ! # ^ ~" before the @.
_UPN = re.compile(r"^(?P<local>[A-Za-z0-9'._!#^~-]{1,64})@(?P<domain>[A-Za-z0-9.-]+)$")
_USAGE_LOCATION = re.compile(r"^[A-Za-z]{2}$")


# Properties that are columns of the users table: a ``$select`` of only these (what an audit
# reads of 100,000 users) is answered without building the whole user.
USER_COLUMNS = {
    "id": "id",
    "displayName": "display_name",
    "userPrincipalName": "upn",
    "mail": "mail",
    "mailNickname": "mail_nickname",
    "accountEnabled": "account_enabled",
}


def _user_from_columns(row: Row, select: Sequence[str]) -> dict[str, Any]:
    return {
        name: bool(row[USER_COLUMNS[name]]) if name == "accountEnabled" else row[USER_COLUMNS[name]]
        for name in dict.fromkeys(select)
    }


def user_resource(row: Row, assigned: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every property of a user the emulator knows, by Graph name."""
    props = loads(row["props"])
    full: dict[str, Any] = {name: props.get(name) for name in _TEXT_PROPS}
    full.update({name: list(props.get(name, [])) for name in _LIST_PROPS})
    full["userType"] = props.get("userType", "Member")
    mail = row["mail"]
    full.update(
        {
            "id": row["id"],
            "displayName": row["display_name"],
            "userPrincipalName": row["upn"],
            "mail": mail,
            "mailNickname": row["mail_nickname"],
            "accountEnabled": bool(row["account_enabled"]),
            "createdDateTime": row["created"],
            "assignedLicenses": assigned or [],
            "creationType": None,
            "deletedDateTime": None,
            "externalUserState": None,
            "imAddresses": [mail] if mail else [],
            "identities": [
                {
                    "signInType": "userPrincipalName",
                    "issuer": str(row["upn"]).split("@")[-1],
                    "issuerAssignedId": row["upn"],
                }
            ],
            "isResourceAccount": None,
            "lastPasswordChangeDateTime": row["created"],
            "onPremisesSyncEnabled": None,
            "passwordProfile": None,
            "proxyAddresses": [f"SMTP:{mail}"] if mail else [],
            "securityIdentifier": object_sid(row["id"]),
            "showInAddressList": None,
            "signInSessionsValidFromDateTime": row["created"],
        }
    )
    return full


class Users:
    """A tenant's users as Graph serves them."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.directory = Directory(state.store)
        self.tenant_id = tenant_id

    # -- reads -------------------------------------------------------------------------

    def row(self, ref: str) -> Row:
        """A user by object id or userPrincipalName, or Graph's 404."""
        found = self.directory.user(self.tenant_id, ref)
        if found is None:
            raise RequestResourceNotFound(ref)
        return found

    def get(self, ref: str, select: Sequence[str] = ()) -> dict[str, Any]:
        return self.shape([self.row(ref)], select)[0]

    def page(self, query: ListQuery, *, counted: bool = False) -> Page:
        where, args = filter_clause(query.filter, _FILTER_COLUMNS)
        rows, last = page_rows(self.store, "users", self.tenant_id, query, where, args)
        count = count_rows(self.store, "users", self.tenant_id, where, args) if counted else None
        return Page(
            context_fragment("users", query.select), self.shape(rows, query.select), last, count
        )

    def count(self) -> int:
        return count_rows(self.store, "users", self.tenant_id, "", ())

    def shape(self, rows: Sequence[Row], select: Sequence[str]) -> list[dict[str, Any]]:
        """Graph JSON of rows; licences are looked up only when ``$select`` asks for them."""
        if select and all(name in USER_COLUMNS for name in select):
            return [_user_from_columns(r, select) for r in rows]
        licences: Mapping[str, list[dict[str, Any]]] = {}
        if "assignedLicenses" in select:
            licences = Licenses(self.state, self.tenant_id).assigned([r["id"] for r in rows])
        return [
            project(user_resource(r, licences.get(r["id"])), select, USER_DEFAULT) for r in rows
        ]

    # -- writes ------------------------------------------------------------------------

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /users: validate as Entra does, then add the user (and maybe a mailbox)."""
        check_known(body, _KNOWN, "user")
        require_values(body, _REQUIRED, "User")
        enabled = require_bool(body, "accountEnabled", "User")
        display_name = require_text(body, "displayName", "User")
        nickname = self._nickname(body)
        upn = self._new_upn(body)
        _check_password(body.get("passwordProfile"))
        uid = self.directory.create_user(
            self.tenant_id,
            upn=upn,
            display_name=display_name,
            mail_nickname=nickname,
            account_enabled=enabled,
            props=_props(body, {}),
            now=self.state.clock.now(),
        )
        return self.get(uid)

    def update(self, ref: str, body: Mapping[str, Any]) -> None:
        """PATCH /users/{id}: change what the body names, nothing else."""
        row = self.row(ref)
        check_known(body, _KNOWN, "user")
        columns = self._changed_columns(row, body)
        props = _props(body, loads(row["props"]))
        with self.store.tx():
            self.store.execute(
                "UPDATE users SET upn = ?, mail_nickname = ?, display_name = ?, "
                "account_enabled = ?, props = ? WHERE tenant_id = ? AND id = ?",
                (*columns, dumps(props), self.tenant_id, row["id"]),
            )
            if "displayName" in body:  # Entra's display name reaches the Exchange recipient.
                self.store.execute(
                    "UPDATE recipients SET display_name = ? WHERE tenant_id = ? AND object_id = ?",
                    (columns[2], self.tenant_id, row["id"]),
                )

    def delete(self, ref: str) -> None:
        """DELETE /users/{id}: the user, its mailbox, memberships, licences and roles go."""
        uid = self.row(ref)["id"]
        with self.store.tx():
            for table, column in _DEPENDENTS:
                self.store.execute(
                    f"DELETE FROM {table} WHERE tenant_id = ? AND {column} = ?",  # noqa: S608
                    (self.tenant_id, uid),
                )

    # -- rules -------------------------------------------------------------------------

    def _changed_columns(self, row: Row, body: Mapping[str, Any]) -> tuple[Any, ...]:
        upn = row["upn"]
        if "userPrincipalName" in body:
            upn = self._new_upn(body, keep=row["id"])
        if "passwordProfile" in body:
            _check_password(body["passwordProfile"])
        nickname = self._nickname(body) if "mailNickname" in body else row["mail_nickname"]
        name = (
            require_text(body, "displayName", "User")
            if "displayName" in body
            else row["display_name"]
        )
        enabled = (
            require_bool(body, "accountEnabled", "User")
            if "accountEnabled" in body
            else bool(row["account_enabled"])
        )
        return upn, nickname, name, int(enabled)

    @staticmethod
    def _nickname(body: Mapping[str, Any]) -> str:
        nickname = require_text(body, "mailNickname", "User")
        if not valid_nickname(nickname):
            raise invalid_value("mailNickname", "User")
        return nickname

    def _new_upn(self, body: Mapping[str, Any], *, keep: str | None = None) -> str:
        """A userPrincipalName Entra accepts: well formed, on a tenant domain, unused."""
        upn = require_text(body, "userPrincipalName", "User")
        match = _UPN.match(upn)
        local = match.group("local") if match else ""
        if match is None or local.startswith(".") or local.endswith(".") or ".." in local:
            raise RequestBadRequest("Property userPrincipalName is invalid.")
        domains = {
            d.lower() for d in self.directory.tenant_props(self.tenant_id).get("domains", [])
        }
        if match.group("domain").lower() not in domains:
            raise RequestBadRequest(
                "The domain portion of the userPrincipalName property is invalid. You must use "
                "one of the verified domain names in your organization."
            )
        self._check_unused(upn, keep)
        return upn

    def _check_unused(self, upn: str, keep: str | None) -> None:
        holder = self.directory.user(self.tenant_id, upn)
        if holder is not None and holder["id"] != keep:
            raise RequestBadRequest(
                "Another object with the same value for property userPrincipalName already exists."
            )
        recipient = self.directory.recipient_by_address(self.tenant_id, upn)
        if recipient is not None and recipient["object_id"] != keep:
            raise RequestBadRequest(
                "Another object with the same value for property proxyAddresses already exists."
            )


# Rows that belong to a user and go with it.
_DEPENDENTS = (
    ("users", "id"),
    ("recipients", "object_id"),
    ("group_members", "member_id"),
    ("user_licenses", "user_id"),
    ("directory_role_assignments", "principal_id"),
    ("app_role_assignments", "principal_id"),
    ("messages", "mailbox_id"),
)


def _props(body: Mapping[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """The row's props with the body's text and list properties applied."""
    for name in _TEXT_PROPS:
        if name in body:
            props[name] = optional_text(body, name, "User")
    for name in _LIST_PROPS:
        if name in body:
            props[name] = _text_list(body[name], name)
    location = props.get("usageLocation")
    if location is not None:
        if not _USAGE_LOCATION.match(location):
            raise invalid_value("usageLocation", "User")
        props["usageLocation"] = location.upper()
    return props


def _text_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_value(name, "User")
    return list(value)


def _check_password(profile: Any) -> None:
    """Entra's password rule: 8–256 characters from at least three of four classes
    (learn.microsoft.com/entra/identity/authentication/concept-password-ban-bad-combined-policy)."""
    if not isinstance(profile, dict):
        raise invalid_value("passwordProfile", "User")
    password = profile.get("password")
    classes = 0
    if isinstance(password, str) and 8 <= len(password) <= 256:
        classes = sum(
            (
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )
    if classes < 3:
        raise RequestBadRequest(
            "The specified password does not comply with password complexity requirements. "
            "Please provide a different password."
        )
