"""Builders for hand-made tenant snapshots (no tests here): the audit evaluator's inputs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sendscope.policy import AccessRight, ApplicationAccessPolicy, GroupMembership, Recipient
from sendscope.policy.snapshot import (
    EXCHANGE_RESOURCE,
    GRAPH_RESOURCE,
    AppRoleGrant,
    CredentialKind,
    CredentialRecord,
    ServicePrincipal,
    TenantSnapshot,
)

__test__ = False

TENANT = "11111111-1111-1111-1111-111111111111"
DOMAIN = "contoso.com"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
EXCHANGE_PERMISSIONS = frozenset({"full_access_as_app", "Exchange.ManageAsApp"})


def guid(label: str) -> str:
    """A stable GUID for a label, so tests read well and ids never collide."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, label))


def mailbox(nick: str, kind: str = "UserMailbox") -> Recipient:
    return Recipient(guid(nick), f"{nick}@{DOMAIN}", kind, name=nick, display_name=nick.title())


def group(name: str) -> Recipient:
    return Recipient(guid(name), f"{name}@{DOMAIN}", "MailUniversalSecurityGroup", name=name)


@dataclass
class Tenant:
    """A tenant under construction: add apps, mailboxes, groups, policies, then ``snapshot``."""

    mailboxes: list[Recipient] = field(default_factory=list)
    groups: list[Recipient] = field(default_factory=list)
    members: dict[str, set[str]] = field(default_factory=dict)
    sps: list[ServicePrincipal] = field(default_factory=list)
    grants: list[AppRoleGrant] = field(default_factory=list)
    policies: list[ApplicationAccessPolicy] = field(default_factory=list)
    roles: dict[str, set[str]] = field(default_factory=dict)
    credentials: list[CredentialRecord] = field(default_factory=list)
    registered: set[str] = field(default_factory=set)
    microsoft: set[str] = field(default_factory=set)

    @classmethod
    def with_mailboxes(cls, count: int) -> Tenant:
        tenant = cls()
        for i in range(count):
            tenant.mailboxes.append(mailbox(f"user{i}"))
        return tenant

    def address(self, nick: str) -> str:
        return f"{nick}@{DOMAIN}"

    def app(
        self,
        name: str,
        *permissions: str,
        kind: str = "Application",
        owner: str = TENANT,
        registered: bool = True,
        enabled: bool = True,
        roles: Iterable[str] = (),
    ) -> str:
        """Add an app holding ``permissions``; its app id."""
        app_id = guid(f"app:{name}")
        sp = ServicePrincipal(guid(f"sp:{name}"), app_id, name, kind, owner, enabled)
        self.sps.append(sp)
        for permission in permissions:
            resource = EXCHANGE_RESOURCE if permission in EXCHANGE_PERMISSIONS else GRAPH_RESOURCE
            self.grants.append(AppRoleGrant(sp.object_id, permission, resource))
        if registered and kind == "Application" and owner == TENANT:
            self.registered.add(app_id)
        if roles:
            self.roles[sp.object_id] = set(roles)
        return app_id

    def group(self, name: str, *members: str) -> Recipient:
        """A mail-enabled security group with direct members (nicks of mailboxes or groups)."""
        found = group(name)
        self.groups.append(found)
        self.members[found.object_id] = {guid(m) for m in members}
        return found

    def policy(
        self, app_id: str, scope: Recipient | str, right: AccessRight = AccessRight.RESTRICT_ACCESS
    ) -> ApplicationAccessPolicy:
        scope_id = scope.object_id if isinstance(scope, Recipient) else scope
        name = scope.name if isinstance(scope, Recipient) else scope
        policy = ApplicationAccessPolicy(
            identity=f"{TENANT}\\{app_id}:S-1-5-21-{len(self.policies)};{scope_id}",
            app_ids=(app_id,),
            scope_object_id=scope_id,
            access_right=right,
            scope_name=name,
            scope_identity=name,
        )
        self.policies.append(policy)
        return policy

    def credential(
        self, app_id: str, kind: CredentialKind, end: datetime | None, key: str = "k1"
    ) -> CredentialRecord:
        record = CredentialRecord(app_id, guid(f"{app_id}:{key}"), kind, end, key)
        self.credentials.append(record)
        return record

    def snapshot(self) -> TenantSnapshot:
        return TenantSnapshot(
            tenant_id=TENANT,
            tenant_domain=DOMAIN,
            read_at=NOW,
            service_principals=tuple(self.sps),
            grants=tuple(self.grants),
            mailboxes=tuple(self.mailboxes),
            scope_recipients=tuple(self.groups),
            membership=GroupMembership.from_members(self.members),
            policies=tuple(self.policies),
            directory_roles=_frozen(self.roles),
            credentials=tuple(self.credentials),
            applications=frozenset(self.registered),
            microsoft_apps=frozenset(self.microsoft),
        )


def _frozen(roles: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in roles.items()}
