"""App registrations as Graph's ``/applications`` shows and changes them.

Permissions (learn.microsoft.com/graph/api/application-get and -post-applications,
-update, -delete, -addpassword, -removepassword): reads take ``Application.Read.All``
or any higher directory permission; writes take ``Application.ReadWrite.All``, or
``Application.ReadWrite.OwnedBy`` for apps the caller owns (an app's creator owns it).
That OwnedBy may read every app, as here, is unconfirmed. Deleting an app deletes its
service principal too (no soft-delete: ``/directory/deletedItems`` is not emulated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from ...core.store import Row, dumps, loads
from ..auth import Caller
from ..exceptions import (
    AuthorizationRequestDenied,
    BadRequest,
    RequestBadRequest,
    RequestResourceNotFound,
)
from ..odata import ListQuery
from .app_queries import (
    ObjectRef,
    Page,
    fresh,
    owner_id,
    owners,
    paged_rows,
    reject_unknown,
    require_text,
    string_list,
)
from .credentials import (
    apply_key_plan,
    key_credential_json,
    key_credentials,
    parse_password_request,
    password_credential_json,
    plan_key_credentials,
    remove_password,
)
from .service_principals import delete_service_principal_rows

__all__ = [
    "APPLICATION_FILTERS",
    "APPLICATION_PROPERTIES",
    "APPLICATION_READ",
    "APPLICATION_WRITE",
    "Applications",
]

APPLICATION_READ = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
APPLICATION_WRITE = ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
_ALL_APPS = "Application.ReadWrite.All"
# v1.0 application properties a new registration shows (learn.microsoft.com/graph/api/
# resources/application); stored verbatim when a client sets them.
_DEFAULTS: dict[str, Any] = {
    "applicationTemplateId": None,
    "disabledByMicrosoftStatus": None,
    "description": None,
    "groupMembershipClaims": None,
    "identifierUris": [],
    "isDeviceOnlyAuthSupported": None,
    "isFallbackPublicClient": None,
    "nativeAuthenticationApisEnabled": None,
    "notes": None,
    "serviceManagementReference": None,
    "signInAudience": "AzureADMyOrg",
    "tags": [],
    "tokenEncryptionKeyId": None,
    "uniqueName": None,
    "samlMetadataUrl": None,
    "defaultRedirectUri": None,
    "certification": None,
    "optionalClaims": None,
    "servicePrincipalLockConfiguration": None,
    "requestSignatureVerification": None,
    "addIns": [],
    "api": {
        "acceptMappedClaims": None,
        "knownClientApplications": [],
        "requestedAccessTokenVersion": None,
        "oauth2PermissionScopes": [],
        "preAuthorizedApplications": [],
    },
    "appRoles": [],
    "info": {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    },
    "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
    "publicClient": {"redirectUris": []},
    "requiredResourceAccess": [],
    "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    "web": {
        "homePageUrl": None,
        "logoutUrl": None,
        "redirectUris": [],
        "implicitGrantSettings": {
            "enableAccessTokenIssuance": False,
            "enableIdTokenIssuance": False,
        },
        "redirectUriSettings": [],
    },
    "spa": {"redirectUris": []},
}
_READ_ONLY = ("id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain")
_SPECIAL = ("displayName", "keyCredentials", "passwordCredentials")
APPLICATION_PROPERTIES = (
    "id",
    "deletedDateTime",
    "appId",
    "createdDateTime",
    "displayName",
    "publisherDomain",
    *_DEFAULTS,
    "keyCredentials",
    "passwordCredentials",
)
APPLICATION_FILTERS = {"appId": "app_id", "displayName": "display_name"}
_STRING_LISTS = ("identifierUris", "tags")
_OBJECT_LISTS = ("requiredResourceAccess", "appRoles", "addIns")


class Applications:
    """The app registrations of one tenant."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.tenant_id = tenant_id
        self.directory = Directory(state.store)

    # -- reads -----------------------------------------------------------------------

    def row(self, ref: ObjectRef) -> Row:
        row = self.store.one(
            f"SELECT * FROM applications WHERE tenant_id = ? AND {ref.column} = ?",  # noqa: S608
            (self.tenant_id, ref.key),
        )
        if row is None:
            raise RequestResourceNotFound(ref.value)
        return row

    def get(self, ref: ObjectRef, *, with_keys: bool = False) -> dict[str, Any]:
        return self.shape(self.row(ref), with_keys=with_keys)

    def list(self, query: ListQuery) -> Page:
        rows, last = paged_rows(
            self.store,
            "SELECT * FROM applications WHERE tenant_id = ?",
            (self.tenant_id,),
            query,
            APPLICATION_FILTERS,
        )
        return Page([self.shape(row) for row in rows], last)

    def shape(self, row: Row, *, with_keys: bool = False) -> dict[str, Any]:
        """Graph's application JSON for a stored row."""
        props = loads(row["props"])
        body = {
            "id": row["id"],
            "deletedDateTime": None,
            "appId": row["app_id"],
            "createdDateTime": row["created"],
            "displayName": row["display_name"],
            "publisherDomain": self._domain(),
            **fresh(_DEFAULTS),
        }
        body.update({k: v for k, v in props.items() if not k.startswith("_")})
        body["keyCredentials"] = [
            key_credential_json(r, with_key=with_keys)
            for r in key_credentials(self.store, self.tenant_id, row["id"])
        ]
        body["passwordCredentials"] = [
            password_credential_json(r)
            for r in self.directory.password_credentials(self.tenant_id, row["id"])
        ]
        return body

    def _domain(self) -> str | None:
        value = self.store.scalar("SELECT domain FROM tenants WHERE id = ?", (self.tenant_id,))
        return None if value is None else str(value)

    # -- writes ----------------------------------------------------------------------

    def create(self, body: Mapping[str, Any], caller: Caller) -> dict[str, Any]:
        """POST /applications: the creator owns what it made (OwnedBy rule)."""
        caller.require(APPLICATION_WRITE)
        display_name = require_text(body, "displayName", "Application")
        props = _settable(body)
        plan = plan_key_credentials(body.get("keyCredentials", []), [])
        props["_owners"] = [owner_id(caller)]
        with self.store.tx():
            oid, _ = self.directory.create_application(
                self.tenant_id, display_name, now=self.state.clock.now(), props=props
            )
            apply_key_plan(self.store, self.tenant_id, oid, plan)
        return self.get(ObjectRef(oid))

    def update(self, ref: ObjectRef, body: Mapping[str, Any], caller: Caller) -> None:
        """PATCH /applications/{id}: the properties given replace the stored ones."""
        row = self.authorize(ref, caller)
        changes = _settable(body)
        name = row["display_name"]
        if "displayName" in body:
            name = require_text(body, "displayName", "Application")
        plan = None
        if "keyCredentials" in body:
            existing = key_credentials(self.store, self.tenant_id, row["id"])
            plan = plan_key_credentials(body["keyCredentials"], existing)
        props = {**loads(row["props"]), **changes}
        with self.store.tx():
            self.store.execute(
                "UPDATE applications SET display_name = ?, props = ? "
                "WHERE tenant_id = ? AND id = ?",
                (name, dumps(props), self.tenant_id, row["id"]),
            )
            if plan is not None:
                apply_key_plan(self.store, self.tenant_id, row["id"], plan)

    def delete(self, ref: ObjectRef, caller: Caller) -> None:
        """DELETE /applications/{id}: its secrets, certificates and service principal go too."""
        row = self.authorize(ref, caller)
        sp = self.directory.service_principal_by_app_id(self.tenant_id, row["app_id"])
        with self.store.tx():
            for table in ("password_credentials", "key_credentials"):
                self.store.execute(
                    f"DELETE FROM {table} WHERE tenant_id = ? AND application_id = ?",  # noqa: S608
                    (self.tenant_id, row["id"]),
                )
            if sp is not None:
                delete_service_principal_rows(self.store, self.tenant_id, sp["id"])
            self.store.execute(
                "DELETE FROM applications WHERE tenant_id = ? AND id = ?",
                (self.tenant_id, row["id"]),
            )

    def add_password(
        self, ref: ObjectRef, body: Mapping[str, Any], caller: Caller
    ) -> dict[str, Any]:
        """POST …/addPassword: the new secret, its text shown this once."""
        row = self.authorize(ref, caller)
        wanted = parse_password_request(body, self.state.clock.now())
        return self.directory.add_password(
            self.tenant_id,
            row["id"],
            display_name=wanted.display_name,
            start=wanted.start,
            end=wanted.end,
        )

    def remove_password(self, ref: ObjectRef, body: Mapping[str, Any], caller: Caller) -> None:
        row = self.authorize(ref, caller)
        remove_password(self.store, self.tenant_id, row["id"], body)

    def authorize(self, ref: ObjectRef, caller: Caller) -> Row:
        """The app, if the caller may change it: ReadWrite.All, or OwnedBy and an owner."""
        caller.require(APPLICATION_WRITE)
        row = self.row(ref)
        if not caller.holds_any([_ALL_APPS]) and owner_id(caller) not in owners(row):
            raise AuthorizationRequestDenied()
        return row


def _settable(body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored properties a POST or PATCH body sets, checked."""
    given = reject_unknown(body, [*_DEFAULTS, *_SPECIAL], _READ_ONLY)
    if given.get("passwordCredentials"):
        # Observed answer when secrets are sent by PATCH (azure-docs#59275).
        raise RequestBadRequest("New password credentials must be generated using service actions.")
    changes = {k: v for k, v in given.items() if k not in _SPECIAL}
    for name in _STRING_LISTS:
        if name in changes:
            changes[name] = string_list(name, changes[name])
    for name in _OBJECT_LISTS:
        if name in changes and not isinstance(changes[name], list):
            raise BadRequest(f"Property {name} in payload has a value that does not match schema.")
    fallback = changes.get("isFallbackPublicClient")
    if fallback is not None and not isinstance(fallback, bool):
        raise BadRequest(
            f"Cannot convert the literal '{fallback}' to the expected type 'Edm.Boolean'."
        )
    return changes
