"""What the audit concludes: each app's real reach into mailboxes, and findings with a severity.

These values are the contract between the audit evaluator (which makes them from a tenant
snapshot), the baseline (which marks findings accepted) and the report renderers (which only
read them). They are plain frozen data, so every report format says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum

__all__ = [
    "Acceptance",
    "AppKind",
    "AppReach",
    "AuditResult",
    "Finding",
    "PermissionReach",
    "Severity",
]


class Severity(Enum):
    """How bad a finding is; ``--fail-on`` compares by ``rank`` (high is 3, info is 0)."""

    HIGH = "high"
    MEDIUM = "medium"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "warning": 1, "info": 0}[self.value]

    def at_least(self, threshold: Severity) -> bool:
        """True when this severity is ``threshold`` or worse."""
        return self.rank >= threshold.rank


class AppKind(Enum):
    """What stands behind a service principal (its ``servicePrincipalType`` and owner)."""

    APPLICATION = "application"  # registered in this tenant
    MULTI_TENANT = "multi-tenant"  # registered in another tenant, consented here
    MANAGED_IDENTITY = "managed-identity"
    MICROSOFT = "microsoft"  # Microsoft's own first-party app


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A baseline entry that accepts a finding: why, and until when (None: no expiry)."""

    reason: str
    expires: date | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the audit says about an app (or a policy), and how to fix it.

    ``rule`` is a stable identifier (``unrestricted-send``, ``deny-only-policy`` …) used as the
    SARIF rule id and, with ``app_id`` and ``subject``, as the baseline key. ``subject`` tells
    apart findings of one rule on one app (a policy identity, a credential key id); it is ""
    when there can be only one. ``app_id`` is "" for findings about no app in particular.
    """

    rule: str
    severity: Severity
    app_id: str
    app_name: str
    title: str
    detail: str
    fix: str
    subject: str = ""
    permissions: tuple[str, ...] = ()
    accepted: Acceptance | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """The baseline key: (rule, app id lower-cased, subject)."""
        return (self.rule, self.app_id.lower(), self.subject)

    def accept(self, acceptance: Acceptance) -> Finding:
        """This finding marked accepted by a baseline entry."""
        return replace(self, accepted=acceptance)


@dataclass(frozen=True, slots=True)
class PermissionReach:
    """How many mailboxes one mailbox permission of an app really reaches, and why.

    ``mailboxes`` lists the reached addresses when a RestrictAccess policy confines the app;
    it is empty otherwise (every mailbox, none, or every mailbox but those DenyAccess
    policies name).
    """

    permission: str
    resource: str  # "Microsoft Graph" or "Office 365 Exchange Online"
    reach: int
    total: int
    reason: str
    mailboxes: tuple[str, ...] = ()

    @property
    def unrestricted(self) -> bool:
        return self.total > 0 and self.reach == self.total


@dataclass(frozen=True, slots=True)
class AppReach:
    """One app holding mailbox permissions: who it is and what each permission reaches."""

    app_id: str
    name: str
    service_principal_id: str
    kind: AppKind
    permissions: tuple[PermissionReach, ...]
    policies: tuple[str, ...] = ()  # labels of the access policies that name it

    @property
    def reach(self) -> int:
        """The most mailboxes any one of its mailbox permissions reaches."""
        return max((p.reach for p in self.permissions), default=0)


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The whole audit of one tenant: what every report renders."""

    tenant_id: str
    tenant_domain: str
    generated_at: datetime
    mailbox_count: int
    apps: tuple[AppReach, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()  # always includes RBAC_NOT_EVALUATED until RBAC is read
    stats: dict[str, int] = field(default_factory=dict)  # requests made, pages read …

    def failing(self, threshold: Severity) -> tuple[Finding, ...]:
        """Findings at or above ``threshold`` that no baseline entry accepts."""
        return tuple(
            f for f in self.findings if f.accepted is None and f.severity.at_least(threshold)
        )
