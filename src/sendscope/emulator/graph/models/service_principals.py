"""Service principals as Graph's ``/servicePrincipals`` shows and changes them.

A service principal is an app's presence in a tenant: what holds app role assignments
and directory roles, and what signs in. ``POST /servicePrincipals`` needs an app
registration of that appId in the tenant; Microsoft Graph and Office 365 Exchange
Online have theirs in every tenant. Permissions (learn.microsoft.com/graph/api/
serviceprincipal-get, -post-serviceprincipals, -update, -delete): reads take
``Application.Read.All`` or higher; writes ``Application.ReadWrite.All``, or
``Application.ReadWrite.OwnedBy`` for the principal of an app the caller owns.
Disabling one (``accountEnabled: false``) stops its sign-ins: the token endpoint reads
the ``account_enabled`` column (AADSTS7000112).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from ...core.store import Row, Store, dumps, loads
from ..auth import Caller
from ..exceptions import (
    AuthorizationRequestDenied,
    BadRequest,
    GraphError,
    RequestBadRequest,
    RequestResourceNotFound,
)
from ..odata import ListQuery
from .app_queries import (
    ObjectRef,
    Page,
    check_guid,
    fresh,
    owner_id,
    owners,
    paged_rows,
    reject_unknown,
    require_text,
    string_list,
)

__all__ = [
    "SERVICE_PRINCIPAL_FILTERS",
    "SERVICE_PRINCIPAL_PROPERTIES",
    "SERVICE_PRINCIPAL_READ",
    "SERVICE_PRINCIPAL_WRITE",
    "RequestMultipleObjectsWithSameKeyValue",
    "ServicePrincipals",
    "delete_service_principal_rows",
]

SERVICE_PRINCIPAL_READ = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
SERVICE_PRINCIPAL_WRITE = ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")


class RequestMultipleObjectsWithSameKeyValue(GraphError):
    """409: the object would clash with one that exists (observed for servicePrincipals)."""

    status, code = 409, "Request_MultipleObjectsWithSameKeyValue"


# v1.0 servicePrincipal properties (learn.microsoft.com/graph/api/resources/serviceprincipal).
_DEFAULTS: dict[str, Any] = {
    "alternativeNames": [],
    "appDescription": None,
    "applicationTemplateId": None,
    "appRoleAssignmentRequired": False,
    "description": None,
    "disabledByMicrosoftStatus": None,
    "homepage": None,
    "loginUrl": None,
    "logoutUrl": None,
    "notes": None,
    "notificationEmailAddresses": [],
    "preferredSingleSignOnMode": None,
    "preferredTokenSigningKeyThumbprint": None,
    "replyUrls": [],
    "samlSingleSignOnSettings": None,
    "servicePrincipalNames": [],
    "servicePrincipalType": "Application",
    "signInAudience": "AzureADMyOrg",
    "tags": [],
    "tokenEncryptionKeyId": None,
    "info": {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    },
    "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    "addIns": [],
    "appRoles": [],
    "keyCredentials": [],
    "oauth2PermissionScopes": [],
    "passwordCredentials": [],
    "resourceSpecificApplicationPermissions": [],
}
_READ_ONLY = (
    "id",
    "appDisplayName",
    "appOwnerOrganizationId",
    "deletedDateTime",
    "servicePrincipalType",
    "appRoles",
    "oauth2PermissionScopes",
    "resourceSpecificApplicationPermissions",
)
_SETTABLE = [k for k in _DEFAULTS if k not in _READ_ONLY]
SERVICE_PRINCIPAL_PROPERTIES = (
    "id",
    "deletedDateTime",
    "accountEnabled",
    "appDisplayName",
    "appId",
    "appOwnerOrganizationId",
    "displayName",
    *_DEFAULTS,
)
SERVICE_PRINCIPAL_FILTERS = {
    "appId": "app_id",
    "displayName": "display_name",
    "accountEnabled": "account_enabled",
    "servicePrincipalType": "json_extract(props, '$.servicePrincipalType')",
}


class ServicePrincipals:
    """The service principals of one tenant."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.tenant_id = tenant_id
        self.directory = Directory(state.store)

    # -- reads -----------------------------------------------------------------------

    def row(self, ref: ObjectRef) -> Row:
        row = self.store.one(
            f"SELECT * FROM service_principals WHERE tenant_id = ? AND {ref.column} = ?",  # noqa: S608
            (self.tenant_id, ref.key),
        )
        if row is None:
            raise RequestResourceNotFound(ref.value)
        return row

    def get(self, ref: ObjectRef) -> dict[str, Any]:
        return shape(self.row(ref))

    def list(self, query: ListQuery) -> Page:
        rows, last = paged_rows(
            self.store,
            "SELECT * FROM service_principals WHERE tenant_id = ?",
            (self.tenant_id,),
            query,
            SERVICE_PRINCIPAL_FILTERS,
        )
        return Page([shape(row) for row in rows], last)

    # -- writes ----------------------------------------------------------------------

    def create(self, body: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
        """POST /servicePrincipals {appId}: the app must be registered in this tenant."""
        caller.require(SERVICE_PRINCIPAL_WRITE)
        app_id = check_guid(require_text(body, "appId", "ServicePrincipal"))
        settings = _settable({k: v for k, v in body.items() if k not in ("appId", "displayName")})
        app = self.directory.application_by_app_id(self.tenant_id, app_id)
        if app is None:
            # Observed (msgraph-sdk-powershell#846); Graph names the appId in the text.
            raise RequestBadRequest(
                f"The appId '{app_id}' of the service principal does not "
                "reference a valid application object."
            )
        _check_owner(caller, app)
        if self.directory.service_principal_by_app_id(self.tenant_id, app_id) is not None:
            raise RequestMultipleObjectsWithSameKeyValue(
                "The service principal cannot be created, updated, or restored because the "
                f"service principal name {app_id} is already in use."
            )
        sp_id = self._insert(app, settings)
        return self.get(ObjectRef(sp_id))

    def _insert(self, app: Row, settings: dict[str, Any]) -> str:
        app_props = loads(app["props"])
        props = {
            "appDisplayName": app["display_name"],
            "appRoles": app_props.get("appRoles", []),
            "servicePrincipalNames": [app["app_id"], *app_props.get("identifierUris", [])],
            **{k: v for k, v in settings.items() if k != "accountEnabled"},
        }
        with self.store.tx():
            sp_id = self.directory.create_service_principal(
                self.tenant_id,
                app["app_id"],
                app["display_name"],
                now=self.state.clock.now(),
                props=props,
            )
            if settings.get("accountEnabled") is False:
                self._set_enabled(sp_id, False)
        return sp_id

    def update(self, ref: ObjectRef, body: Mapping[str, Any], caller: Caller) -> None:
        """PATCH /servicePrincipals/{id}: accountEnabled, displayName, tags and the like."""
        row = self.authorize(ref, caller)
        settings = _settable({k: v for k, v in body.items() if k != "displayName"})
        name = row["display_name"]
        if "displayName" in body:
            name = require_text(body, "displayName", "ServicePrincipal")
        props = {
            **loads(row["props"]),
            **{k: v for k, v in settings.items() if k != "accountEnabled"},
        }
        with self.store.tx():
            self.store.execute(
                "UPDATE service_principals SET display_name = ?, props = ? "
                "WHERE tenant_id = ? AND id = ?",
                (name, dumps(props), self.tenant_id, row["id"]),
            )
            if "accountEnabled" in settings:
                self._set_enabled(row["id"], bool(settings["accountEnabled"]))

    def _set_enabled(self, sp_id: str, enabled: bool) -> None:
        self.store.execute(
            "UPDATE service_principals SET account_enabled = ? WHERE tenant_id = ? AND id = ?",
            (int(enabled), self.tenant_id, sp_id),
        )

    def delete(self, ref: ObjectRef, caller: Caller) -> None:
        """DELETE /servicePrincipals/{id}: its grants and directory roles go with it."""
        row = self.authorize(ref, caller)
        with self.store.tx():
            delete_service_principal_rows(self.store, self.tenant_id, row["id"])

    def authorize(self, ref: ObjectRef, caller: Caller) -> Row:
        """The principal, if the caller may change it (OwnedBy: owner of its app)."""
        caller.require(SERVICE_PRINCIPAL_WRITE)
        row = self.row(ref)
        app = self.directory.application_by_app_id(self.tenant_id, row["app_id"])
        _check_owner(caller, app)
        return row


def shape(row: Row) -> dict[str, Any]:
    """Graph's servicePrincipal JSON for a stored row."""
    props = {k: v for k, v in loads(row["props"]).items() if not k.startswith("_")}
    body: dict[str, Any] = {
        "id": row["id"],
        "deletedDateTime": None,
        "accountEnabled": bool(row["account_enabled"]),
        "appDisplayName": row["display_name"],
        "appId": row["app_id"],
        "appOwnerOrganizationId": row["app_owner_tenant_id"],
        "displayName": row["display_name"],
        **fresh(_DEFAULTS),
    }
    body.update(props)
    if row["app_owner_tenant_id"] != row["tenant_id"]:
        body["signInAudience"] = "AzureADMultipleOrgs"
    return body


def delete_service_principal_rows(store: Store, tenant_id: str, sp_id: str) -> None:
    """Remove a service principal and everything that points at it (caller's transaction)."""
    for sql in (
        "DELETE FROM app_role_assignments WHERE tenant_id = ?1 AND (principal_id = ?2 "
        "OR resource_id = ?2)",
        "DELETE FROM directory_role_assignments WHERE tenant_id = ? AND principal_id = ?",
        "DELETE FROM group_members WHERE tenant_id = ? AND member_id = ?",
        "DELETE FROM service_principals WHERE tenant_id = ? AND id = ?",
    ):
        store.execute(sql, (tenant_id, sp_id))


def _check_owner(caller: Caller, app: Row | None) -> None:
    """OwnedBy callers act only on principals of apps they own."""
    if not caller.holds_any(["Application.ReadWrite.All"]) and owner_id(caller) not in owners(app):
        raise AuthorizationRequestDenied()


def _settable(body: Mapping[str, Any]) -> dict[str, Any]:
    given = reject_unknown(body, [*_SETTABLE, "accountEnabled"], _READ_ONLY)
    for name in ("accountEnabled", "appRoleAssignmentRequired"):
        if name in given and not isinstance(given[name], bool):
            raise BadRequest(
                f"Cannot convert the literal '{given[name]}' to the expected type 'Edm.Boolean'."
            )
    for name in (
        "tags",
        "notificationEmailAddresses",
        "replyUrls",
        "servicePrincipalNames",
        "alternativeNames",
    ):
        if name in given:
            given[name] = string_list(name, given[name])
    return given
