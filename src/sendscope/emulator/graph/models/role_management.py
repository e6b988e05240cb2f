"""Directory roles through Graph's unified RBAC API: ``/roleManagement/directory``.

A role assigned tenant-wide (``directoryScopeId`` "/") shows in the principal's next
token as ``wids`` — which is how Exchange Online decides what an admin app may run
(m365-domain.md §6.5). Role definitions are the built-in ones of core/roles.py; their
ids are the template ids, the same in every tenant
(learn.microsoft.com/graph/api/resources/unifiedroleassignment,
rbacapplication-post-roleassignments). Permissions: writes take
``RoleManagement.ReadWrite.Directory``; reads ``RoleManagement.Read.Directory`` or higher.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.directory import Directory
from ...core.roles import DIRECTORY_ROLES
from ...core.state import EmulatorState
from ...core.store import Row
from ..exceptions import GraphError, RequestBadRequest, RequestResourceNotFound
from ..odata import ListQuery
from .app_queries import Page, check_guid, paged_rows

__all__ = [
    "ROLE_ASSIGNMENT_FILTERS",
    "ROLE_ASSIGNMENT_PROPERTIES",
    "ROLE_DEFINITION_PROPERTIES",
    "ROLE_READ",
    "ROLE_WRITE",
    "RoleAssignmentExists",
    "RoleAssignments",
    "role_definition",
    "role_definitions",
]

ROLE_WRITE = ("RoleManagement.ReadWrite.Directory",)
ROLE_READ = (
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
ROLE_ASSIGNMENT_PROPERTIES = ("id", "principalId", "directoryScopeId", "roleDefinitionId")
ROLE_ASSIGNMENT_FILTERS = {
    "principalId": "principal_id",
    "roleDefinitionId": "role_definition_id",
    "directoryScopeId": "directory_scope_id",
}
ROLE_DEFINITION_PROPERTIES = (
    "id",
    "description",
    "displayName",
    "isBuiltIn",
    "isEnabled",
    "resourceScopes",
    "templateId",
    "version",
    "rolePermissions",
)

# Descriptions from the permissions reference
# (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
_DESCRIPTIONS = {
    "Global Administrator": "Can manage all aspects of Microsoft Entra ID and Microsoft "
    "services that use Microsoft Entra identities.",
    "Exchange Administrator": "Can manage all aspects of the Exchange product.",
    "Global Reader": "Can read everything that a Global Administrator can, but not update "
    "anything.",
    "Exchange Recipient Administrator": "Can create or update Exchange Online recipients "
    "within the Exchange Online organization.",
    "Compliance Administrator": "Can read and manage compliance configuration and reports in "
    "Microsoft Entra ID and Microsoft 365.",
    "Helpdesk Administrator": "Can reset passwords for non-administrators and Helpdesk "
    "Administrators.",
    "Security Administrator": "Can read security information and reports, and manage "
    "configuration in Microsoft Entra ID and Office 365.",
    "Security Reader": "Can read security information and reports in Microsoft Entra ID and "
    "Office 365.",
    "Application Administrator": "Can create and manage all aspects of app registrations and "
    "enterprise apps.",
    "Cloud Application Administrator": "Can create and manage all aspects of app "
    "registrations and enterprise apps except App Proxy.",
    "Privileged Role Administrator": "Can manage role assignments in Microsoft Entra ID, and "
    "all aspects of Privileged Identity Management.",
    "User Administrator": "Can manage all aspects of users and groups, including resetting "
    "passwords for limited admins.",
}


class RoleAssignmentExists(GraphError):
    """The same role, principal and scope assigned twice.

    Code and text observed for roleAssignmentScheduleRequests (Microsoft365DSC#5532); that
    plain roleAssignments answer the same, with 400, is a guess.
    """

    status, code, message = 400, "RoleAssignmentExists", "The Role assignment already exists."


def role_definitions() -> list[dict[str, Any]]:
    """Every built-in role definition the emulator knows."""
    return [_definition(rid, name) for rid, name in DIRECTORY_ROLES.items()]


def role_definition(definition_id: str) -> dict[str, Any]:
    name = DIRECTORY_ROLES.get(definition_id.lower())
    if name is None:
        raise RequestResourceNotFound(definition_id)
    return _definition(definition_id.lower(), name)


def _definition(rid: str, name: str) -> dict[str, Any]:
    return {
        "id": rid,
        "description": _DESCRIPTIONS.get(name),
        "displayName": name,
        "isBuiltIn": True,
        "isEnabled": True,
        "resourceScopes": ["/"],
        "templateId": rid,
        "version": "1",
        "rolePermissions": [],
    }


class RoleAssignments:
    """Directory role assignments of one tenant."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.tenant_id = tenant_id
        self.directory = Directory(state.store)

    def list(self, query: ListQuery) -> Page:
        rows, last = paged_rows(
            self.store,
            "SELECT * FROM directory_role_assignments WHERE tenant_id = ?",
            (self.tenant_id,),
            query,
            ROLE_ASSIGNMENT_FILTERS,
        )
        return Page([_shape(row) for row in rows], last)

    def get(self, assignment_id: str) -> dict[str, Any]:
        return _shape(self._row(assignment_id))

    def _row(self, assignment_id: str) -> Row:
        row = self.store.one(
            "SELECT * FROM directory_role_assignments WHERE tenant_id = ? AND id = ?",
            (self.tenant_id, assignment_id),
        )
        if row is None:
            raise RequestResourceNotFound(assignment_id)
        return row

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Assign a built-in role tenant-wide to a user, group or service principal."""
        definition_id, principal_id, scope = _parse(body)
        if definition_id not in DIRECTORY_ROLES:
            # Request_ResourceNotFound is observed for an unknown role id on a scoped role
            # member (AlexFilipin/ConditionalAccess#46); the same here is a guess.
            raise RequestResourceNotFound(definition_id)
        if self.directory.object_type(self.tenant_id, principal_id) is None:
            raise RequestResourceNotFound(principal_id)
        with self.store.tx():
            if self._exists(principal_id, definition_id, scope):
                raise RoleAssignmentExists()
            assignment_id = self.directory.assign_directory_role(
                self.tenant_id,
                principal_id,
                definition_id,
                now=self.state.clock.now(),
                scope=scope,
            )
        return self.get(assignment_id)

    def _exists(self, principal_id: str, definition_id: str, scope: str) -> bool:
        return bool(
            self.store.scalar(
                "SELECT 1 FROM directory_role_assignments WHERE tenant_id = ? AND principal_id = ? "
                "AND role_definition_id = ? AND directory_scope_id = ?",
                (self.tenant_id, principal_id, definition_id, scope),
            )
        )

    def delete(self, assignment_id: str) -> None:
        row = self._row(assignment_id)
        self.store.execute(
            "DELETE FROM directory_role_assignments WHERE tenant_id = ? AND id = ?",
            (self.tenant_id, row["id"]),
        )


def _parse(body: Mapping[str, Any]) -> tuple[str, str, str]:
    """(roleDefinitionId, principalId, directoryScopeId) of a new assignment."""
    for name in ("roleDefinitionId", "principalId", "directoryScopeId"):
        if body.get(name) in (None, ""):
            # Graph's "A value is required" pattern (guess for this resource).
            raise RequestBadRequest(
                f"A value is required for property '{name}' of resource 'UnifiedRoleAssignment'."
            )
    scope = str(body["directoryScopeId"])
    if scope != "/":
        # Emulator limit: administrative-unit and object scopes are not modelled.
        raise RequestBadRequest("The emulator supports only directoryScopeId '/'.")
    return check_guid(body["roleDefinitionId"]), check_guid(body["principalId"]), scope


def _shape(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "principalId": row["principal_id"],
        "directoryScopeId": row["directory_scope_id"],
        "roleDefinitionId": row["role_definition_id"],
    }
