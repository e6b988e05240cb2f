"""The directory's applications: app registrations, their credentials, service principals,
app role assignments and directory role assignments (a mixin of ``Directory``)."""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import Any

from .ids import guid, iso_utc, sha256_hex
from .store import Row, Store, dumps, loads

__all__ = ["ApplicationDirectory", "default_secret_lifetime", "new_client_secret"]


def new_client_secret() -> tuple[str, str]:
    """A secret shaped like Entra's (40 characters: a 3-character hint, then ``8Q~``)
    and its hint."""
    alphabet = string.ascii_letters + string.digits + "_-.~"
    head = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(3))
    body = "".join(secrets.choice(alphabet) for _ in range(36))
    return f"{head}8Q~{body}"[:40], head


class ApplicationDirectory:
    """App registrations and service principals of ``Directory`` (which supplies ``store``)."""

    store: Store

    # -- applications and service principals -------------------------------------------

    def create_application(
        self,
        tenant_id: str,
        display_name: str,
        *,
        now: datetime,
        app_id: str | None = None,
        props: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """Add an app registration; return (object id, appId)."""
        oid, aid = guid(), (app_id or guid())
        self.store.execute(
            "INSERT INTO applications (tenant_id, id, app_id, display_name, created, props, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                oid,
                aid,
                display_name,
                iso_utc(now),
                dumps(props or {}),
                self.store.next_seq(),
            ),
        )
        return oid, aid

    def application_by_app_id(self, tenant_id: str, app_id: str) -> Row | None:
        return self.store.one(
            "SELECT * FROM applications WHERE tenant_id = ? AND app_id = ?",
            (tenant_id, app_id.lower()),
        )

    def add_password(
        self,
        tenant_id: str,
        application_id: str,
        *,
        display_name: str | None,
        start: datetime,
        end: datetime,
    ) -> dict[str, Any]:
        """Add a client secret; the returned dict is Graph's passwordCredential with secretText."""
        secret, hint = new_client_secret()
        key_id = guid()
        self.store.execute(
            "INSERT INTO password_credentials (tenant_id, application_id, key_id, secret_sha256, "
            "hint, display_name, start, end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                application_id,
                key_id,
                sha256_hex(secret),
                hint,
                display_name,
                iso_utc(start),
                iso_utc(end),
            ),
        )
        return {
            "customKeyIdentifier": None,
            "displayName": display_name,
            "endDateTime": iso_utc(end),
            "hint": hint,
            "keyId": key_id,
            "secretText": secret,
            "startDateTime": iso_utc(start),
        }

    def password_credentials(self, tenant_id: str, application_id: str) -> list[Row]:
        return self.store.all(
            "SELECT * FROM password_credentials WHERE tenant_id = ? AND application_id = ? "
            "ORDER BY start",
            (tenant_id, application_id),
        )

    def create_service_principal(
        self,
        tenant_id: str,
        app_id: str,
        display_name: str,
        *,
        now: datetime,
        owner_tenant_id: str | None = None,
        props: dict[str, Any] | None = None,
        sp_id: str | None = None,
    ) -> str:
        sid = sp_id or guid()
        full = {"servicePrincipalType": "Application", "appRoles": [], **(props or {})}
        self.store.execute(
            "INSERT INTO service_principals (tenant_id, id, app_id, display_name, account_enabled, "
            "app_owner_tenant_id, created, props, seq) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (
                tenant_id,
                sid,
                app_id,
                display_name,
                owner_tenant_id or tenant_id,
                iso_utc(now),
                dumps(full),
                self.store.next_seq(),
            ),
        )
        return sid

    def service_principal_by_app_id(self, tenant_id: str, app_id: str) -> Row | None:
        return self.store.one(
            "SELECT * FROM service_principals WHERE tenant_id = ? AND app_id = ?",
            (tenant_id, app_id.lower()),
        )

    def service_principal(self, tenant_id: str, sp_id: str) -> Row | None:
        return self.store.one(
            "SELECT * FROM service_principals WHERE tenant_id = ? AND id = ?",
            (tenant_id, sp_id.lower()),
        )

    def app_role_id(self, tenant_id: str, resource_app_id: str, value: str) -> str:
        """The id of a resource's app role by its value (``Mail.Send``); KeyError if none."""
        sp = self.service_principal_by_app_id(tenant_id, resource_app_id)
        roles = loads(sp["props"]).get("appRoles", []) if sp else []
        for role in roles:
            if role["value"] == value:
                return str(role["id"])
        raise KeyError(f"{resource_app_id} has no app role {value!r}")

    def assign_app_role(
        self,
        tenant_id: str,
        principal_id: str,
        resource_id: str,
        app_role_id: str,
        *,
        principal_type: str = "ServicePrincipal",
        now: datetime,
    ) -> str:
        aid = secrets.token_urlsafe(32)[:43]
        self.store.execute(
            "INSERT INTO app_role_assignments (tenant_id, id, principal_id, principal_type, "
            "resource_id, app_role_id, created, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                aid,
                principal_id,
                principal_type,
                resource_id,
                app_role_id,
                iso_utc(now),
                self.store.next_seq(),
            ),
        )
        return aid

    def granted_roles(self, tenant_id: str, principal_id: str, resource_id: str) -> list[str]:
        """The values of the app roles a principal holds on a resource, at this moment."""
        rows = self.store.all(
            "SELECT a.app_role_id, s.props FROM app_role_assignments a JOIN service_principals s "
            "ON s.tenant_id = a.tenant_id AND s.id = a.resource_id "
            "WHERE a.tenant_id = ? AND a.principal_id = ? AND a.resource_id = ? ORDER BY a.seq",
            (tenant_id, principal_id, resource_id),
        )
        if not rows:
            return []
        by_id = {r["id"]: r["value"] for r in loads(rows[0]["props"]).get("appRoles", [])}
        return [by_id[r["app_role_id"]] for r in rows if r["app_role_id"] in by_id]

    def assign_directory_role(
        self,
        tenant_id: str,
        principal_id: str,
        role_definition_id: str,
        *,
        now: datetime,
        scope: str = "/",
    ) -> str:
        rid = secrets.token_urlsafe(32)[:43]
        self.store.execute(
            "INSERT INTO directory_role_assignments (tenant_id, id, principal_id, "
            "role_definition_id, directory_scope_id, created, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                rid,
                principal_id,
                role_definition_id,
                scope,
                iso_utc(now),
                self.store.next_seq(),
            ),
        )
        return rid

    def directory_roles(self, tenant_id: str, principal_id: str) -> list[str]:
        """Role template ids held tenant-wide: the ``wids`` claim."""
        rows = self.store.all(
            "SELECT DISTINCT role_definition_id FROM directory_role_assignments "
            "WHERE tenant_id = ? AND principal_id = ? AND directory_scope_id = '/' ORDER BY seq",
            (tenant_id, principal_id),
        )
        return [r[0] for r in rows]


def default_secret_lifetime() -> timedelta:
    """addPassword without endDateTime: two years, as Graph does."""
    return timedelta(days=730)
