"""Writing a synthetic tenant (seeds/synthetic.py) into the store, fast.

One ``executemany`` per table inside the caller's transaction, rows built as plain tuples:
100,000 mailboxes with their users, 3,000 groups with their memberships, 300 apps and
their grants take a few seconds. The rows are exactly those the Graph and Exchange models
write one by one (same columns, same ``props`` keys), so every API sees the tenant as if
an admin had built it — except that nothing is written to the access-policy change log:
a fixture is the tenant as it stands, long propagated.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from ..core.directory import EXCHANGE_APP_ID, GRAPH_APP_ID, Directory
from ..core.ids import iso_utc, sid_for
from ..core.roles import role_id
from ..core.store import Store, dumps, loads
from .synthetic import SyntheticApp, SyntheticTenant

__all__ = ["write_synthetic"]

_USERS = (
    "INSERT INTO users (tenant_id, id, upn, mail, mail_nickname, display_name, "
    "account_enabled, created, props, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_RECIPIENTS = (
    "INSERT INTO recipients (tenant_id, object_id, guid, sid, recipient_type_details, name, "
    "alias, display_name, primary_smtp, created, props, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_GROUPS = (
    "INSERT INTO groups (tenant_id, id, display_name, mail_nickname, mail, mail_enabled, "
    "security_enabled, created, props, seq) VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?)"
)
_MEMBERS = (
    "INSERT OR IGNORE INTO group_members (tenant_id, group_id, member_id, member_type) "
    "VALUES (?, ?, ?, ?)"
)
_POLICIES = (
    "INSERT INTO application_access_policies (tenant_id, id, app_id, access_right, scope_id, "
    "description, created, props, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ASSIGNMENTS = (
    "INSERT INTO app_role_assignments (tenant_id, id, principal_id, principal_type, "
    "resource_id, app_role_id, created, seq) VALUES (?, ?, ?, 'ServicePrincipal', ?, ?, ?, ?)"
)
_SECRETS = (
    "INSERT INTO password_credentials (tenant_id, application_id, key_id, secret_sha256, hint, "
    "display_name, start, end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_CERTIFICATES = (
    "INSERT INTO key_credentials (tenant_id, application_id, key_id, thumbprint_sha1, "
    "thumbprint_sha256, cert_der, display_name, start, end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The policy space holds ~300 policies only with this description (access_policies.py).
_ONE_SPACE = " "


class _Writer:
    def __init__(self, store: Store, tenant_id: str, domain: str, now: datetime) -> None:
        self.store = store
        self.directory = Directory(store)
        self.tid = tenant_id
        self.domain = domain
        self.now = now
        self.stamp = iso_utc(now)
        # Only ids that no client can use: secrets and keys nobody holds.
        self.rng = random.Random(f"{tenant_id}:credentials")
        self.recipients: dict[str, tuple[str, str]] = {}  # object id -> (name, sid)

    def address(self, alias: str) -> str:
        return f"{alias}@{self.domain}"

    def recipient(
        self, oid: str, kind: str, alias: str, display: str, seq: int
    ) -> tuple[object, ...]:
        sid = sid_for(self.tid, seq)
        self.recipients[oid] = (alias, sid)
        guid = hashlib.sha256(f"{oid}:exchange".encode()).hexdigest()
        exchange_guid = f"{guid[:8]}-{guid[8:12]}-{guid[12:16]}-{guid[16:20]}-{guid[20:]}"
        address = self.address(alias)
        return (
            self.tid,
            oid,
            exchange_guid,
            sid,
            kind,
            alias,
            alias,
            display,
            address,
            self.stamp,
            "{}",
            seq,
        )

    def mailboxes(self, tenant: SyntheticTenant) -> None:
        users, recipients = [], []
        for box in tenant.mailboxes:
            seq = self.store.next_seq()
            address = self.address(box.alias)
            users.append(
                (
                    self.tid,
                    box.object_id,
                    address,
                    address if box.has_mailbox else None,
                    box.alias,
                    box.display_name,
                    int(not box.shared),
                    self.stamp,
                    "{}",
                    seq,
                )
            )
            if box.has_mailbox:
                kind = "SharedMailbox" if box.shared else "UserMailbox"
                recipients.append(
                    self.recipient(box.object_id, kind, box.alias, box.display_name, seq)
                )
        self.store.executemany(_USERS, users)
        self.store.executemany(_RECIPIENTS, recipients)

    def groups(self, tenant: SyntheticTenant) -> None:
        rows, recipients, members = [], [], []
        props = dumps({"groupTypes": []})
        recipient_props = dumps({"managedBy": []})
        for group in tenant.groups:
            seq = self.store.next_seq()
            address = self.address(group.alias)
            rows.append(
                (
                    self.tid,
                    group.object_id,
                    group.display_name,
                    group.alias,
                    address,
                    self.stamp,
                    props,
                    seq,
                )
            )
            row = self.recipient(
                group.object_id, "MailUniversalSecurityGroup", group.alias, group.display_name, seq
            )
            recipients.append((*row[:10], recipient_props, row[11]))
            members += [(self.tid, group.object_id, m, "user") for m in group.members]
            members += [(self.tid, group.object_id, g, "group") for g in group.children]
        self.store.executemany(_GROUPS, rows)
        self.store.executemany(_RECIPIENTS, recipients)
        self.store.executemany(_MEMBERS, members)

    def apps(self, tenant: SyntheticTenant) -> None:
        graph = self.directory.service_principal_by_app_id(self.tid, GRAPH_APP_ID)
        exchange = self.directory.service_principal_by_app_id(self.tid, EXCHANGE_APP_ID)
        assert graph is not None and exchange is not None
        resources = {
            GRAPH_APP_ID: (graph["id"], _role_ids(graph["props"])),
            EXCHANGE_APP_ID: (exchange["id"], _role_ids(exchange["props"])),
        }
        assignments = []
        for app in tenant.apps:
            self.app(app)
            for resource, values in (
                (GRAPH_APP_ID, app.graph_roles),
                (EXCHANGE_APP_ID, app.exchange_roles),
            ):
                rid, roles = resources[resource]
                assignments += [
                    (
                        self.tid,
                        self.token(),
                        app.sp_id,
                        rid,
                        roles[v],
                        self.stamp,
                        self.store.next_seq(),
                    )
                    for v in values
                ]
            for role in app.directory_roles:
                self.directory.assign_directory_role(
                    self.tid, app.sp_id, role_id(role), now=self.now
                )
        self.store.executemany(_ASSIGNMENTS, assignments)

    def app(self, app: SyntheticApp) -> None:
        owner = None if app.kind == "Application" else self.foreign_tenant(app)
        props = {
            "servicePrincipalType": app.kind if app.kind == "ManagedIdentity" else "Application"
        }
        if app.kind == "MultiTenant":
            props["signInAudience"] = "AzureADMultipleOrgs"
        if app.application_id is not None:
            self.store.execute(
                "INSERT INTO applications (tenant_id, id, app_id, display_name, created, props, "
                "seq) VALUES (?, ?, ?, ?, ?, '{}', ?)",
                (
                    self.tid,
                    app.application_id,
                    app.app_id,
                    app.display_name,
                    self.stamp,
                    self.store.next_seq(),
                ),
            )
            self.credentials(app)
        self.directory.create_service_principal(
            self.tid,
            app.app_id,
            app.display_name,
            now=self.now,
            owner_tenant_id=owner,
            props=props,
            sp_id=app.sp_id,
        )

    def foreign_tenant(self, app: SyntheticApp) -> str:
        # A managed identity belongs to this tenant; a multi-tenant app to its vendor's.
        return self.tid if app.kind == "ManagedIdentity" else self.uuid()

    def credentials(self, app: SyntheticApp) -> None:
        assert app.application_id is not None
        for days in app.secrets_days:
            start, end = self.window(days)
            self.store.execute(
                _SECRETS,
                (
                    self.tid,
                    app.application_id,
                    self.uuid(),
                    self.rng.randbytes(32).hex(),
                    self.token()[:3],
                    "synthetic secret",
                    start,
                    end,
                ),
            )
        for days in app.certificates_days:
            start, end = self.window(days)
            der = self.rng.randbytes(600)  # not a certificate: nobody signs in with it
            self.store.execute(
                _CERTIFICATES,
                (
                    self.tid,
                    app.application_id,
                    self.uuid(),
                    hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
                    hashlib.sha256(der).hexdigest(),
                    der,
                    "CN=synthetic",
                    start,
                    end,
                ),
            )

    def window(self, days_left: int) -> tuple[str, str]:
        end = self.now + timedelta(days=days_left)
        return iso_utc(end - timedelta(days=730)), iso_utc(end)

    def policies(self, tenant: SyntheticTenant) -> None:
        rows = []
        for policy in tenant.policies:
            name, sid = self.recipients[policy.scope_id]
            props = dumps({"scopeName": name, "scopeIdentity": name, "scopeSid": sid})
            rows.append(
                (
                    self.tid,
                    self.uuid(),
                    policy.app_id,
                    policy.access_right,
                    policy.scope_id,
                    _ONE_SPACE,
                    self.stamp,
                    props,
                    self.store.next_seq(),
                )
            )
        self.store.executemany(_POLICIES, rows)

    def admins(self, tenant: SyntheticTenant) -> None:
        for user in tenant.admin_users:
            self.directory.assign_directory_role(
                self.tid, user, role_id("Global Administrator"), now=self.now
            )

    def uuid(self) -> str:
        h = self.rng.randbytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def token(self) -> str:
        return "".join(_tokens(self.rng, 43))


def _tokens(rng: random.Random, n: int) -> Iterator[str]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return (rng.choice(alphabet) for _ in range(n))


def _role_ids(props: str) -> dict[str, str]:
    return {r["value"]: r["id"] for r in loads(props).get("appRoles", [])}


def write_synthetic(
    store: Store, tenant_id: str, domain: str, tenant: SyntheticTenant, *, now: datetime
) -> None:
    """Write ``tenant`` into an existing tenant (its resource service principals made)."""
    writer = _Writer(store, tenant_id, domain, now)
    with store.tx():
        writer.mailboxes(tenant)
        writer.groups(tenant)
        writer.apps(tenant)
        writer.policies(tenant)
        writer.admins(tenant)
