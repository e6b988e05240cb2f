"""Read a whole tenant for the audit: the only reader of tenant state (architecture.md).

What is read, each collection paged at its largest page with a minimal ``$select``:

- Graph (``$top=999``): every service principal; the ``appRoles`` of the Microsoft Graph and
  Office 365 Exchange Online resource service principals (role ids are resolved at run
  time, never hard-coded); ``appRoleAssignedTo`` on those two resources — every grant of
  every app in a few pages, not one call per app; directory role assignments; app
  registrations' ``passwordCredentials``/``keyCredentials``; users (joined to mailboxes);
  the transitive members of the groups access policies are scoped to.
- Exchange admin API (1,000 per page, as the ExchangeOnlineManagement module asks):
  ``Get-Mailbox`` (user and shared), ``Get-Recipient`` for the other recipients a policy may
  be scoped to (mail-enabled security groups, mail users), ``Get-ApplicationAccessPolicy``.

Independent reads run on a few threads (``MAX_WORKERS``); the clients honour throttling
(``Retry-After``). Before anything is read, the admin token's permissions are checked and a
missing one is named with how to grant it (``PermissionMissing``, exit 5); a 403 halfway is
reported the same way.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .audit_permissions import (
    READ_PERMISSIONS,
    ReadPermission,
    check_read_permissions,
    missing_read_permissions,
)
from .clients.graph import parse_graph_time
from .errors import PermissionMissing, RefusedByMicrosoft365, not_found
from .policy import ApplicationAccessPolicy, GroupMembership, Recipient
from .policy.snapshot import (
    EXCHANGE_RESOURCE,
    GRAPH_RESOURCE,
    AppRoleGrant,
    CredentialKind,
    CredentialRecord,
    GraphUser,
    ServicePrincipal,
    TenantSnapshot,
    app_role_names,
    microsoft_app_ids,
)

if TYPE_CHECKING:
    import httpx2

    from .admin import AdminSession

__all__ = [
    "MAX_WORKERS",
    "READ_PERMISSIONS",
    "Progress",
    "ReadPermission",
    "ReadStats",
    "check_read_permissions",
    "missing_read_permissions",
    "read_snapshot",
    "read_snapshot_with_stats",
]

Progress = Callable[[str, int], None]
"""Called after each page: the collection's name and how many items were read from it so
far, across every request that reads it (the grants of both resources add up, never go
back). It may be called from worker threads."""

MAX_WORKERS = 4
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
TOP = "999"

_SP_SELECT = "id,appId,displayName,servicePrincipalType,appOwnerOrganizationId,accountEnabled"
_RECIPIENT_SELECT = (
    "ExternalDirectoryObjectId",
    "PrimarySmtpAddress",
    "RecipientTypeDetails",
    "Name",
    "DisplayName",
)
_SCOPE_TYPES = ("MailUniversalSecurityGroup", "MailUser")
# -- counting requests and pages ---------------------------------------------------------


class ReadStats:
    """Requests sent to Graph and Exchange (retries included) and pages per collection."""

    def __init__(self, bases: Iterable[str]) -> None:
        self._bases = tuple(bases)
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {"requests": 0}

    def on_request(self, request: httpx2.Request) -> None:
        """An httpx event hook: count API requests (token requests are not counted)."""
        if str(request.url).startswith(self._bases):
            self.add("requests")

    def add(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + amount


# -- the reader ----------------------------------------------------------------------------


class _Reader:
    def __init__(self, session: AdminSession, stats: ReadStats, progress: Progress | None):
        self.session, self.stats, self.progress = session, stats, progress
        self._read: dict[str, int] = {}
        self._lock = threading.Lock()

    def graph(self, collection: str, path: str, select: str) -> list[dict[str, Any]]:
        params = {"$select": select, "$top": TOP}
        return self._collect(collection, self.session.graph.iter_pages(path, params))

    def cmdlet(
        self, collection: str, cmdlet: str, select: tuple[str, ...] = (), **parameters: Any
    ) -> list[dict[str, Any]]:
        pages = self.session.exchange.iter_cmdlet_pages(cmdlet, parameters, select=select)
        return self._collect(collection, pages)

    def _collect(self, collection: str, pages: Iterator[list[Any]]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        try:
            for page in pages:
                rows += page
                self.stats.add(f"pages.{collection}")
                self._advance(collection, len(page))
        except PermissionMissing as exc:
            raise PermissionMissing(
                f"the audit could not read {collection}: {exc.message}", failure=exc.failure
            ) from None
        self.stats.add(f"items.{collection}", len(rows))
        return rows

    def _advance(self, collection: str, items: int) -> None:
        # One count per collection for the whole read: appRoleAssignedTo is read once per
        # resource (Graph, Exchange), possibly at once, and its count must only grow.
        with self._lock:
            self._read[collection] = total = self._read.get(collection, 0) + items
            if self.progress is not None:
                self.progress(collection, total)

    def resource(self, app_id: str) -> dict[str, Any] | None:
        path = f"servicePrincipals(appId='{quote(app_id)}')"
        self.stats.add("pages.resources")
        try:
            body: dict[str, Any] = self.session.graph.get_json(path, {"$select": "id,appRoles"})
        except RefusedByMicrosoft365 as exc:
            if not_found(exc):
                return None  # e.g. a tenant without Exchange Online
            raise
        return body


def read_snapshot(session: AdminSession, *, progress: Progress | None = None) -> TenantSnapshot:
    """Check the read permissions, then read the whole tenant into a ``TenantSnapshot``
    (``read_snapshot_with_stats`` also returns the requests and pages it took)."""
    return read_snapshot_with_stats(session, progress=progress)[0]


def read_snapshot_with_stats(
    session: AdminSession, *, progress: Progress | None = None
) -> tuple[TenantSnapshot, dict[str, int]]:
    """``read_snapshot`` and the requests and pages it took."""
    check_read_permissions(session)
    bases = (session.graph.base_url, session.exchange.base_url)
    stats = ReadStats(bases)
    hooks = session.http.event_hooks
    hooks["request"] = [*hooks.get("request", []), stats.on_request]
    try:
        snapshot = _read(_Reader(session, stats, progress))
    finally:
        hooks["request"] = [h for h in hooks.get("request", []) if h != stats.on_request]
    return snapshot, dict(stats.counts)


def _read(reader: _Reader) -> TenantSnapshot:
    graph_claims = reader.session.tokens.token(reader.session.cloud.graph_scope).claims
    with ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="sendscope-read") as pool:
        sps = pool.submit(reader.graph, "servicePrincipals", "servicePrincipals", _SP_SELECT)
        grants = pool.submit(_grants, reader)
        roles = pool.submit(_directory_roles, reader)
        apps = pool.submit(_applications, reader)
        users = pool.submit(_users, reader)
        mailboxes = pool.submit(_mailboxes, reader)
        scopes = pool.submit(_scope_recipients, reader)
        policies = pool.submit(_policies, reader)
        membership = _membership(reader, pool, policies.result(), scopes.result())
        app_ids, credentials = apps.result()
        return TenantSnapshot(
            tenant_id=str(graph_claims.get("tid") or reader.session.tenant),
            tenant_domain=_domain(reader.session, mailboxes.result()),
            read_at=datetime.now(UTC),
            service_principals=tuple(_service_principal(r) for r in sps.result()),
            grants=grants.result(),
            mailboxes=mailboxes.result(),
            scope_recipients=scopes.result(),
            users=users.result(),
            membership=membership,
            policies=policies.result(),
            directory_roles=roles.result(),
            credentials=credentials,
            applications=app_ids,
            microsoft_apps=microsoft_app_ids(),
        )


def _service_principal(row: Mapping[str, Any]) -> ServicePrincipal:
    return ServicePrincipal(
        object_id=str(row.get("id") or ""),
        app_id=str(row.get("appId") or ""),
        display_name=str(row.get("displayName") or ""),
        service_principal_type=str(row.get("servicePrincipalType") or "Application"),
        app_owner_organization_id=str(row.get("appOwnerOrganizationId") or ""),
        account_enabled=row.get("accountEnabled") is not False,
    )


def _grants(reader: _Reader) -> tuple[AppRoleGrant, ...]:
    found: list[AppRoleGrant] = []
    for app_id, resource_name in (
        (GRAPH_APP_ID, GRAPH_RESOURCE),
        (EXCHANGE_APP_ID, EXCHANGE_RESOURCE),
    ):
        resource = reader.resource(app_id)
        if resource is None:
            continue
        names = app_role_names(resource.get("appRoles") or ())
        path = f"servicePrincipals/{resource['id']}/appRoleAssignedTo"
        rows = reader.graph("appRoleAssignedTo", path, "principalId,principalType,appRoleId")
        found += [
            AppRoleGrant(
                str(r["principalId"]), names[str(r.get("appRoleId")).lower()], resource_name
            )
            for r in rows
            if r.get("principalType") == "ServicePrincipal"
            and str(r.get("appRoleId")).lower() in names
        ]
    return tuple(found)


def _directory_roles(reader: _Reader) -> dict[str, frozenset[str]]:
    rows = reader.graph(
        "roleAssignments",
        "roleManagement/directory/roleAssignments",
        "principalId,roleDefinitionId",
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(str(row.get("principalId")).lower(), set()).add(
            str(row.get("roleDefinitionId")).lower()
        )
    return {k: frozenset(v) for k, v in found.items()}


def _applications(reader: _Reader) -> tuple[frozenset[str], tuple[CredentialRecord, ...]]:
    rows = reader.graph(
        "applications", "applications", "appId,displayName,passwordCredentials,keyCredentials"
    )
    credentials = [
        _credential(str(row.get("appId")), item, kind)
        for row in rows
        for kind, key in (
            (CredentialKind.SECRET, "passwordCredentials"),
            (CredentialKind.CERTIFICATE, "keyCredentials"),
        )
        for item in row.get(key) or ()
    ]
    return frozenset(str(r.get("appId")).lower() for r in rows), tuple(credentials)


def _credential(app_id: str, item: Mapping[str, Any], kind: CredentialKind) -> CredentialRecord:
    return CredentialRecord(
        app_id=app_id,
        key_id=str(item.get("keyId") or ""),
        kind=kind,
        end=parse_graph_time(item.get("endDateTime")),
        display_name=str(item.get("displayName") or ""),
    )


def _users(reader: _Reader) -> tuple[GraphUser, ...]:
    rows = reader.graph("users", "users", "id,userPrincipalName,accountEnabled")
    return tuple(
        GraphUser(
            str(r.get("id")),
            str(r.get("userPrincipalName") or ""),
            r.get("accountEnabled") is not False,
        )
        for r in rows
    )


def _mailboxes(reader: _Reader) -> tuple[Recipient, ...]:
    rows = reader.cmdlet(
        "mailboxes",
        "Get-Mailbox",
        _RECIPIENT_SELECT,
        RecipientTypeDetails=["UserMailbox", "SharedMailbox"],
        ResultSize="Unlimited",
    )
    return tuple(Recipient.from_cmdlet(r) for r in rows)


def _scope_recipients(reader: _Reader) -> tuple[Recipient, ...]:
    rows = reader.cmdlet(
        "scopeRecipients",
        "Get-Recipient",
        _RECIPIENT_SELECT,
        RecipientTypeDetails=list(_SCOPE_TYPES),
        ResultSize="Unlimited",
    )
    return tuple(Recipient.from_cmdlet(r) for r in rows)


def _policies(reader: _Reader) -> tuple[ApplicationAccessPolicy, ...]:
    rows = reader.cmdlet("accessPolicies", "Get-ApplicationAccessPolicy")
    return tuple(ApplicationAccessPolicy.from_cmdlet(r) for r in rows)


def _membership(
    reader: _Reader,
    pool: ThreadPoolExecutor,
    policies: tuple[ApplicationAccessPolicy, ...],
    scopes: tuple[Recipient, ...],
) -> GroupMembership:
    groups = {r.object_id for r in scopes if r.is_group}
    wanted = sorted({p.scope_object_id for p in policies} & groups)
    members = pool.map(lambda g: _transitive(reader, g), wanted)
    return GroupMembership.from_members(dict(zip(wanted, members, strict=True)))


def _transitive(reader: _Reader, group_id: str) -> list[str]:
    path = f"groups/{quote(group_id)}/transitiveMembers"
    try:
        rows = reader.graph("transitiveMembers", path, "id")
    except RefusedByMicrosoft365 as exc:
        if not_found(exc):
            return []  # deleted between the two reads: the policy matches nobody
        raise
    return [str(r.get("id")) for r in rows]


def _domain(session: AdminSession, mailboxes: tuple[Recipient, ...]) -> str:
    if session.connection.tenant_domain:
        return session.connection.tenant_domain
    domains = Counter(m.primary_smtp.rpartition("@")[2] for m in mailboxes if "@" in m.primary_smtp)
    return domains.most_common(1)[0][0] if domains else ""
