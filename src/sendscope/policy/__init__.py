"""Application Access Policy evaluation: pure functions over plain values, no I/O.

What ``Test-ApplicationAccessPolicy`` answers and why (``evaluate_access_policy``), the same
for a whole tenant at once (``policy_reach``), the rule at the centre that joins Entra grants,
access policies and (later) RBAC for Applications (``effective_access``), and what a new
policy would change (``plan_effect``). docs/policy-evaluation.md explains the rules.

This package imports nothing outside the standard library: the clients feed it data, the
audit (``evaluate_audit`` over a ``TenantSnapshot``), ``restrict`` and ``test-policy`` read
its answers.
"""

from __future__ import annotations

from .audit import AUDIT_RULES, SOON_EXPIRING_DAYS, evaluate_audit
from .context import PolicyContext, UnknownRecipient
from .effective import (
    CONSTRAINED_PERMISSIONS,
    MAIL_SEND,
    RBAC_NOT_EVALUATED,
    EffectiveAccess,
    MailboxPermissions,
    effective_access,
    effective_send_access,
    mailbox_permissions,
)
from .evaluate import (
    AccessCheckResult,
    DecidingRule,
    PolicyReach,
    evaluate_access_policy,
    policies_for_app,
    policy_reach,
)
from .model import (
    ALL_APPS,
    MAILBOX_TYPES,
    SECURITY_PRINCIPAL_TYPES,
    AccessRight,
    ApplicationAccessPolicy,
    RbacGrant,
    RbacScopeType,
    Recipient,
    Verdict,
)
from .plan import RBAC_RECOMMENDATION, PlanEffect, VerdictChange, equivalent_policy, plan_effect
from .scope import (
    GroupMembership,
    membership_path,
    scope_problems,
    transitive_closure,
    transitive_members,
)
from .snapshot import (
    AppRoleGrant,
    CredentialKind,
    CredentialRecord,
    GraphUser,
    ServicePrincipal,
    TenantSnapshot,
)

__all__ = [
    "ALL_APPS",
    "AUDIT_RULES",
    "CONSTRAINED_PERMISSIONS",
    "MAILBOX_TYPES",
    "MAIL_SEND",
    "RBAC_NOT_EVALUATED",
    "RBAC_RECOMMENDATION",
    "SECURITY_PRINCIPAL_TYPES",
    "SOON_EXPIRING_DAYS",
    "AccessCheckResult",
    "AccessRight",
    "AppRoleGrant",
    "ApplicationAccessPolicy",
    "CredentialKind",
    "CredentialRecord",
    "DecidingRule",
    "EffectiveAccess",
    "GraphUser",
    "GroupMembership",
    "MailboxPermissions",
    "PlanEffect",
    "PolicyContext",
    "PolicyReach",
    "RbacGrant",
    "RbacScopeType",
    "Recipient",
    "ServicePrincipal",
    "TenantSnapshot",
    "UnknownRecipient",
    "Verdict",
    "VerdictChange",
    "effective_access",
    "effective_send_access",
    "equivalent_policy",
    "evaluate_access_policy",
    "evaluate_audit",
    "mailbox_permissions",
    "membership_path",
    "plan_effect",
    "policies_for_app",
    "policy_reach",
    "scope_problems",
    "transitive_closure",
    "transitive_members",
]
