"""App role assignments: application permissions held by a principal on a resource.

Two views of one table (learn.microsoft.com/graph/api/resources/approleassignment):
``/servicePrincipals/{resource}/appRoleAssignedTo`` lists who holds the resource's roles
(the audit reads Microsoft Graph's and Exchange Online's, thousands of rows, page by
page); ``/servicePrincipals/{principal}/appRoleAssignments`` lists what one principal
holds. A grant takes effect in the principal's next token (``roles``).

Permissions: granting needs ``AppRoleAssignment.ReadWrite.All`` *and* a read permission
on applications (serviceprincipal-post-approleassignedto); revoking
``AppRoleAssignment.ReadWrite.All`` (or ``Application.ReadWrite.All``); listing the
application read permissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from ...core.store import Row, loads
from ..auth import Caller
from ..exceptions import RequestBadRequest, RequestResourceNotFound
from ..odata import ListQuery
from .app_queries import Page, check_guid, paged_rows
from .service_principals import SERVICE_PRINCIPAL_READ

__all__ = [
    "ASSIGNMENT_PROPERTIES",
    "ASSIGNMENT_READ",
    "AppRoleAssignments",
    "authorize_grant",
    "authorize_revoke",
]

ASSIGNMENT_READ = SERVICE_PRINCIPAL_READ
_GRANT = ("AppRoleAssignment.ReadWrite.All",)
_GRANT_READ = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
_REVOKE = ("AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All")
# "If the resource application has not declared any app roles, a default app role ID of
# 00000000-0000-0000-0000-000000000000 can be specified" — for users and groups.
_DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"
_PRINCIPAL_TYPES = {"user": "User", "group": "Group", "servicePrincipal": "ServicePrincipal"}

ASSIGNMENT_PROPERTIES = (
    "id",
    "deletedDateTime",
    "appRoleId",
    "createdDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
)

_SELECT = """
SELECT a.id, a.app_role_id, a.created, a.principal_id, a.principal_type, a.resource_id, a.seq,
       COALESCE(p.display_name, u.display_name, g.display_name) AS principal_display_name,
       r.display_name AS resource_display_name
  FROM app_role_assignments a
  LEFT JOIN service_principals p ON p.tenant_id = a.tenant_id AND p.id = a.principal_id
  LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.principal_id
  LEFT JOIN groups g ON g.tenant_id = a.tenant_id AND g.id = a.principal_id
  LEFT JOIN service_principals r ON r.tenant_id = a.tenant_id AND r.id = a.resource_id
 WHERE a.tenant_id = ?"""


def authorize_grant(caller: Caller) -> None:
    """Granting takes AppRoleAssignment.ReadWrite.All *and* a read permission on apps."""
    caller.require(_GRANT)
    caller.require(_GRANT_READ)


def authorize_revoke(caller: Caller) -> None:
    caller.require(_REVOKE)


@dataclass(frozen=True, slots=True)
class _Grant:
    principal_id: str
    resource_id: str
    app_role_id: str


class AppRoleAssignments:
    """The app role assignments of one tenant."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.tenant_id = tenant_id
        self.directory = Directory(state.store)

    def assigned_to(self, resource: Row, query: ListQuery) -> Page:
        """Who holds roles of ``resource`` (a service principal row), in grant order."""
        return self._page("a.resource_id", resource["id"], query)

    def assignments_of(self, principal: Row, query: ListQuery) -> Page:
        """What roles ``principal`` holds, in grant order."""
        return self._page("a.principal_id", principal["id"], query)

    def _page(self, column: str, value: str, query: ListQuery) -> Page:
        rows, last = paged_rows(
            self.store,
            f"{_SELECT} AND {column} = ?",
            (self.tenant_id, value),
            query,
            {},
            seq_column="a.seq",
        )
        return Page([_shape(row) for row in rows], last)

    def one(self, sp: Row, assignment_id: str, *, as_resource: bool) -> dict[str, Any]:
        column = "a.resource_id" if as_resource else "a.principal_id"
        row = self.store.one(
            f"{_SELECT} AND {column} = ? AND a.id = ?", (self.tenant_id, sp["id"], assignment_id)
        )
        if row is None:
            raise RequestResourceNotFound(assignment_id)
        return _shape(row)

    def grant(
        self,
        body: Mapping[str, Any],
        caller: Caller,
        *,
        resource: Row | None = None,
        principal: Row | None = None,
    ) -> dict[str, Any]:
        """Assign an app role; the path's service principal must be the body's resource
        (appRoleAssignedTo) or principal (appRoleAssignments)."""
        authorize_grant(caller)
        wanted = _parse(body)
        if (resource is not None and wanted.resource_id != resource["id"]) or (
            principal is not None and wanted.principal_id != principal["id"]
        ):
            # Observed for a resourceId that is not the path's (msgraph docs-contrib#4628).
            raise RequestBadRequest("Not a valid reference update.")
        principal_type = self._principal_type(wanted.principal_id)
        target = self.directory.service_principal(self.tenant_id, wanted.resource_id)
        if target is None:
            raise RequestResourceNotFound(wanted.resource_id)
        self._check_role(target, wanted.app_role_id, principal_type)
        with self.store.tx():
            self._check_new(wanted)
            assignment_id = self.directory.assign_app_role(
                self.tenant_id,
                wanted.principal_id,
                wanted.resource_id,
                wanted.app_role_id,
                principal_type=principal_type,
                now=self.state.clock.now(),
            )
        return self.one(target, assignment_id, as_resource=True)

    def revoke(self, sp: Row, assignment_id: str, caller: Caller, *, as_resource: bool) -> None:
        authorize_revoke(caller)
        column = "resource_id" if as_resource else "principal_id"
        removed = self.store.execute(
            f"DELETE FROM app_role_assignments WHERE tenant_id = ? AND {column} = ? AND id = ?",  # noqa: S608
            (self.tenant_id, sp["id"], assignment_id),
        )
        if not removed:
            raise RequestResourceNotFound(assignment_id)

    def _principal_type(self, principal_id: str) -> str:
        kind = self.directory.object_type(self.tenant_id, principal_id)
        if kind is None:
            raise RequestResourceNotFound(principal_id)
        return _PRINCIPAL_TYPES[kind]

    def _check_role(self, resource: Row, app_role_id: str, principal_type: str) -> None:
        roles = loads(resource["props"]).get("appRoles", [])
        known = {str(r["id"]).lower() for r in roles if r.get("isEnabled", True)}
        if principal_type != "ServicePrincipal":
            known.add(_DEFAULT_ACCESS)
        if app_role_id not in known:
            # Observed prefix; the quoted appId tail is a guess (wire-facts §8).
            raise RequestBadRequest(
                f"Permission being assigned was not found on application '{resource['app_id']}'."
            )

    def _check_new(self, wanted: _Grant) -> None:
        exists = self.store.scalar(
            "SELECT 1 FROM app_role_assignments WHERE tenant_id = ? AND principal_id = ? "
            "AND resource_id = ? AND app_role_id = ?",
            (self.tenant_id, wanted.principal_id, wanted.resource_id, wanted.app_role_id),
        )
        if exists:
            raise RequestBadRequest("Permission being assigned already exists on the object")


def _parse(body: Mapping[str, Any]) -> _Grant:
    values = [body.get(name) for name in ("principalId", "resourceId", "appRoleId")]
    if any(value in (None, "") for value in values):
        # Observed for an incomplete appRoleAssignment (microsoft-graph-docs#5534).
        raise RequestBadRequest("One or more properties are invalid.")
    principal_id, resource_id, app_role_id = (check_guid(v) for v in values)
    return _Grant(principal_id, resource_id, app_role_id)


def _shape(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "deletedDateTime": None,
        "appRoleId": row["app_role_id"],
        "createdDateTime": row["created"],
        "principalDisplayName": row["principal_display_name"],
        "principalId": row["principal_id"],
        "principalType": row["principal_type"],
        "resourceDisplayName": row["resource_display_name"],
        "resourceId": row["resource_id"],
    }
