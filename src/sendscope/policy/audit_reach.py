"""The audit's view of one tenant: each app's kind, permissions and real mailbox reach.

Reach is computed with sets of object ids, once per distinct set of access policies (apps no
policy names share one answer), never app × mailbox one by one: a tenant of 100,000
mailboxes and hundreds of apps stays near-linear. The rule is the one at the centre
(``effective.py``): an Entra grant that access policies constrain reaches the mailboxes
``policy_reach`` leaves the app; one they are not documented to constrain reaches every
mailbox (https://learn.microsoft.com/graph/auth-limit-mailbox-access).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .context import PolicyContext
from .effective import is_constrained, is_not_constrained
from .evaluate import PolicyReach, policy_reach
from .findings import AppKind, PermissionReach
from .model import AccessRight, ApplicationAccessPolicy
from .snapshot import AppRoleGrant, CredentialRecord, ServicePrincipal, TenantSnapshot

__all__ = [
    "AppView",
    "TenantView",
    "is_mailbox_permission",
    "tenant_view",
]

# Graph application permissions that open mailbox content or settings, by prefix; the
# ones access policies do or do not constrain are effective.py's.
_MAILBOX_PREFIXES = ("mail.", "calendars.", "contacts.", "mailboxsettings.")


def is_mailbox_permission(permission: str) -> bool:
    """Does this application permission reach mailboxes (constrained by policies or not)?"""
    return (
        is_constrained(permission)
        or is_not_constrained(permission)
        or permission.casefold().startswith(_MAILBOX_PREFIXES)
    )


@dataclass(frozen=True, slots=True)
class AppView:
    """One service principal as the audit sees it.

    ``allowed`` holds the object ids of the mailboxes its access policies leave it (None:
    every mailbox); ``narrowed`` is True when its RestrictAccess scopes leave out some mailbox
    its DenyAccess policies do not already keep it from (a RestrictAccess scope holding every
    mailbox narrows nothing); ``permissions`` the reach of each mailbox permission it holds,
    listing the reached addresses only when a RestrictAccess policy narrows the app.
    """

    sp: ServicePrincipal
    kind: AppKind
    grants: tuple[AppRoleGrant, ...]
    policies: tuple[ApplicationAccessPolicy, ...]
    reach: PolicyReach
    allowed: frozenset[str] | None
    narrowed: bool
    permissions: tuple[PermissionReach, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        """Every permission it holds (Graph and Exchange), each once."""
        return tuple(dict.fromkeys(g.permission for g in self.grants))

    @property
    def restricted(self) -> bool:
        """True when a RestrictAccess policy names it."""
        return self.reach.restricted_to is not None

    @property
    def deny_only(self) -> bool:
        """True when only DenyAccess policies name it."""
        return bool(self.policies) and not self.restricted


@dataclass(frozen=True, slots=True)
class TenantView:
    """The snapshot with what every rule needs precomputed."""

    snapshot: TenantSnapshot
    context: PolicyContext
    mailbox_ids: frozenset[str]
    addresses: Mapping[str, str]
    apps: tuple[AppView, ...]
    credentials: Mapping[str, tuple[CredentialRecord, ...]]

    @property
    def total(self) -> int:
        return len(self.mailbox_ids)

    def app_by_id(self) -> dict[str, AppView]:
        """Apps by app id."""
        return {a.sp.app_id: a for a in self.apps}


def tenant_view(snapshot: TenantSnapshot) -> TenantView:
    """Build the context once and each app's reach (cached per distinct policy set)."""
    recipients = (*snapshot.mailboxes, *snapshot.scope_recipients)
    context = PolicyContext.build(snapshot.policies, recipients, snapshot.membership)
    mailbox_ids = frozenset(m.object_id for m in snapshot.mailboxes)
    addresses = {m.object_id: m.label for m in snapshot.mailboxes}
    grants = snapshot.grants_by_principal()
    cache: dict[tuple[int, ...], _Reached] = {}
    apps = tuple(
        _app(snapshot, context, sp, grants.get(sp.object_id, ()), mailbox_ids, addresses, cache)
        for sp in snapshot.service_principals
    )
    return TenantView(
        snapshot, context, mailbox_ids, addresses, apps, snapshot.credentials_by_app()
    )


_Reached = tuple[PolicyReach, frozenset[str] | None, bool, tuple[str, ...]]


def _app(
    snapshot: TenantSnapshot,
    context: PolicyContext,
    sp: ServicePrincipal,
    grants: tuple[AppRoleGrant, ...],
    mailbox_ids: frozenset[str],
    addresses: Mapping[str, str],
    cache: dict[tuple[int, ...], _Reached],
) -> AppView:
    policies = context.policies_for_app(sp.app_id)
    key = tuple(id(p) for p in policies)
    if key not in cache:
        reach = policy_reach(context, sp.app_id)
        allowed = _allowed(reach, mailbox_ids)
        narrowed = _narrowed(reach, mailbox_ids)
        listed = _listed(allowed, len(mailbox_ids), addresses) if narrowed else ()
        cache[key] = (reach, allowed, narrowed, listed)
    reach, allowed, narrowed, listed = cache[key]
    total = len(mailbox_ids)
    mailbox_grants = [g for g in grants if is_mailbox_permission(g.permission)]
    permissions = tuple(
        _permission(g, allowed, total, listed, _reason(policies, allowed, total))
        for g in mailbox_grants
    )
    kind = kind_of(snapshot, sp)
    return AppView(sp, kind, grants, policies, reach, allowed, narrowed, permissions)


def _narrowed(reach: PolicyReach, mailbox_ids: frozenset[str]) -> bool:
    # Decision 1/2 (docs/audit-findings.md): a RestrictAccess policy confines an app only
    # when its scopes leave out a mailbox that no DenyAccess policy already keeps it from.
    if reach.restricted_to is None:
        return False
    return bool((mailbox_ids - reach.denied) - reach.restricted_to)


def _listed(
    allowed: frozenset[str] | None, total: int, addresses: Mapping[str, str]
) -> tuple[str, ...]:
    # Addresses only when a RestrictAccess policy confines the app: an app that only
    # DenyAccess policies name reaches nearly everyone, and listing 99,000 addresses for
    # each such app would make the result (and every report) as large as the tenant.
    if allowed is None or not 0 < len(allowed) < total:
        return ()
    return tuple(sorted(addresses[m] for m in allowed))


def kind_of(snapshot: TenantSnapshot, sp: ServicePrincipal) -> AppKind:
    """Microsoft's own, a managed identity, registered here, or registered elsewhere."""
    if snapshot.is_microsoft(sp):
        return AppKind.MICROSOFT
    if sp.service_principal_type.casefold() == "managedidentity":
        return AppKind.MANAGED_IDENTITY
    owner = sp.app_owner_organization_id
    if sp.app_id in snapshot.applications or not owner or owner == snapshot.tenant_id:
        return AppKind.APPLICATION
    return AppKind.MULTI_TENANT


def _allowed(reach: PolicyReach, mailbox_ids: frozenset[str]) -> frozenset[str] | None:
    # The common case first: no policy keeps the app from anything, so no set is copied.
    if reach.restricted_to is None and not (reach.denied & mailbox_ids):
        return None
    return reach.granted_ids(mailbox_ids)


def _permission(
    grant: AppRoleGrant,
    allowed: frozenset[str] | None,
    total: int,
    listed: tuple[str, ...],
    reason: str,
) -> PermissionReach:
    name, resource = grant.permission, grant.resource
    if not is_constrained(name):
        reason = f"Access policies are not documented to restrict {name}: it reaches every mailbox."
        return PermissionReach(name, resource, total, total, reason)
    count = total if allowed is None else len(allowed)
    return PermissionReach(name, resource, count, total, reason, listed if count < total else ())


def _reason(
    policies: tuple[ApplicationAccessPolicy, ...], allowed: frozenset[str] | None, total: int
) -> str:
    if not policies:
        return "No access policy names this app: its Entra ID grant reaches every mailbox."
    count = total if allowed is None else len(allowed)
    restrict = [_named(p) for p in policies if p.access_right is AccessRight.RESTRICT_ACCESS]
    deny = [_named(p) for p in policies if p.access_right is AccessRight.DENY_ACCESS]
    parts = []
    if restrict:
        parts.append(f"restricted to the scope of {', '.join(restrict)}")
    if deny:
        parts.append(f"kept out of the scope of {', '.join(deny)}")
    return f"Access policies: {'; '.join(parts)}. It reaches {count} of {total} mailboxes."


def _named(policy: ApplicationAccessPolicy) -> str:
    # A policy for "*" governs this app without naming it: say so, as
    # Test-ApplicationAccessPolicy's explanation does (evaluate.py).
    every = ' (it names every app: "*")' if policy.names_every_app else ""
    return f"{policy.label}{every}"
