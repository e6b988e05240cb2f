"""What a new access policy would change, before anyone writes it (``restrict``'s plan).

Policies for one app combine in ways that surprise admins: a second RestrictAccess policy
widens what the app reaches, a DenyAccess policy overrides every RestrictAccess, and a ``*``
policy applies to every app in the tenant. ``plan_effect`` evaluates every mailbox before and
after, and says these things in sentences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .context import PolicyContext
from .evaluate import AccessCheckResult, evaluate_access_policy
from .model import AccessRight, ApplicationAccessPolicy, Recipient, Verdict
from .scope import scope_problems

__all__ = [
    "RBAC_RECOMMENDATION",
    "PlanEffect",
    "VerdictChange",
    "equivalent_policy",
    "plan_effect",
]

RBAC_RECOMMENDATION = (
    "Microsoft calls Application Access Policies legacy and recommends RBAC for Applications "
    "for new configurations: https://learn.microsoft.com/exchange/permissions-exo/application-rbac"
)


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """One mailbox whose verdict the new policy changes."""

    mailbox: Recipient
    before: AccessCheckResult
    after: AccessCheckResult


@dataclass(frozen=True, slots=True)
class PlanEffect:
    """The effect of adding ``policy`` for ``app_id``: changed verdicts and warnings.

    ``existing`` is an equivalent policy already in the tenant (same scope, access right and
    app): then nothing changes and ``restrict`` has nothing to write.
    """

    app_id: str
    policy: ApplicationAccessPolicy
    existing: ApplicationAccessPolicy | None
    after: tuple[AccessCheckResult, ...]
    changes: tuple[VerdictChange, ...]
    warnings: tuple[str, ...]

    @property
    def newly_denied(self) -> tuple[Recipient, ...]:
        """Mailboxes that go from Granted to Denied."""
        return tuple(c.mailbox for c in self.changes if c.after.verdict is Verdict.DENIED)

    @property
    def newly_granted(self) -> tuple[Recipient, ...]:
        """Mailboxes that go from Denied to Granted (a second RestrictAccess widens)."""
        return tuple(c.mailbox for c in self.changes if c.after.verdict is Verdict.GRANTED)

    @property
    def granted_after(self) -> tuple[Recipient, ...]:
        """Mailboxes the app reaches once the policy is in place."""
        return tuple(r.mailbox for r in self.after if r.granted)


def equivalent_policy(
    context: PolicyContext, app_id: str, policy: ApplicationAccessPolicy
) -> ApplicationAccessPolicy | None:
    """An existing policy for the app with the same scope and access right, naming at least
    the new policy's apps: creating ``policy`` again would change nothing."""
    scope = context.scope_id(policy)
    wanted = set(policy.app_ids)
    for existing in context.policies_for_app(app_id):
        same = existing.access_right is policy.access_right and wanted <= set(existing.app_ids)
        if same and context.scope_id(existing) == scope:
            return existing
    return None


def plan_effect(
    context: PolicyContext,
    app_id: str,
    new_policy: ApplicationAccessPolicy,
    mailboxes: Iterable[Recipient | str] | None = None,
) -> PlanEffect:
    """Evaluate ``mailboxes`` (default: every mailbox) before and after adding ``new_policy``.

    A scope group that does not exist yet must already be in ``context``
    (``context.with_recipient(group, members)``) so its members count.
    """
    targets = context.mailboxes() if mailboxes is None else tuple(map(context.recipient, mailboxes))
    existing = equivalent_policy(context, app_id, new_policy)
    later = context if existing is not None else context.with_policy(new_policy)
    before = [evaluate_access_policy(context, app_id, m) for m in targets]
    after = tuple(evaluate_access_policy(later, app_id, m) for m in targets)
    changes = tuple(
        VerdictChange(b.mailbox, b, a)
        for b, a in zip(before, after, strict=True)
        if b.verdict is not a.verdict
    )
    warnings = _warnings(context, app_id, new_policy, existing)
    return PlanEffect(app_id, new_policy, existing, after, changes, warnings)


def _warnings(
    context: PolicyContext,
    app_id: str,
    new: ApplicationAccessPolicy,
    existing: ApplicationAccessPolicy | None,
) -> tuple[str, ...]:
    others = tuple(p for p in context.policies_for_app(app_id) if p is not existing)
    found = [
        *_scope_warnings(context, new),
        *_every_app_warnings(app_id, new, others),
        *_combination_warnings(new, others),
    ]
    return tuple(dict.fromkeys(found))


def _scope_warnings(context: PolicyContext, new: ApplicationAccessPolicy) -> list[str]:
    scope = context.scope_recipient(new)
    if scope is None:
        return [f'The scope "{new.scope_label}" is not a recipient in this tenant.']
    problems = list(scope_problems(scope))
    holds_mailbox = any(
        m in context.recipients and context.recipients[m].has_mailbox
        for m in context.scope_members(new)
    )
    if new.access_right is AccessRight.RESTRICT_ACCESS and not holds_mailbox:
        problems.append(
            f'The scope "{new.scope_label}" holds no mailbox: a RestrictAccess policy on it '
            "denies the app every mailbox."
        )
    return problems


def _every_app_warnings(
    app_id: str, new: ApplicationAccessPolicy, others: tuple[ApplicationAccessPolicy, ...]
) -> list[str]:
    found = [
        f'{p.label} names every app ("*"), so it applies to app {app_id} too.'
        for p in others
        if p.names_every_app
    ]
    if new.names_every_app:
        found.insert(
            0, f'This policy names "*": it applies to every app in the tenant, not only {app_id}.'
        )
    return found


def _combination_warnings(
    new: ApplicationAccessPolicy, others: tuple[ApplicationAccessPolicy, ...]
) -> list[str]:
    restrict = _labels(others, AccessRight.RESTRICT_ACCESS)
    deny = _labels(others, AccessRight.DENY_ACCESS)
    if new.access_right is AccessRight.RESTRICT_ACCESS:
        return _new_restrict_warnings(f'"{new.scope_label}"', restrict, deny)
    if restrict:
        return [f"This DenyAccess policy overrides {restrict} for mailboxes in both scopes."]
    return [
        f'A DenyAccess policy only keeps the app away from "{new.scope_label}": every other '
        "mailbox stays reachable. To confine the app to some mailboxes, use RestrictAccess."
    ]


def _new_restrict_warnings(scope: str, restrict: str, deny: str) -> list[str]:
    found = []
    if restrict:
        found.append(
            f"The app already has {restrict}: a second RestrictAccess policy widens the scope, "
            f"so the app will reach the mailboxes of every one of them, not only {scope}."
        )
    if deny:
        found.append(
            f"{deny} overrides this policy: mailboxes in its scope stay denied even inside {scope}."
        )
    return found


def _labels(policies: Iterable[ApplicationAccessPolicy], right: AccessRight) -> str:
    return ", ".join(p.label for p in policies if p.access_right is right)
