"""``sendscope audit``: which apps can reach which mailboxes, for the whole tenant.

The use case: read the tenant (``snapshot.read_snapshot``, the only reader), evaluate it
(``policy.evaluate_audit``, pure), and return the ``AuditResult`` with the reading's
statistics (requests made, pages read per collection). The baseline and the reports are
applied by the caller (``baseline.py``, ``report/``).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .policy.audit import evaluate_audit
from .policy.findings import AuditResult
from .snapshot import Progress, read_snapshot_with_stats

if TYPE_CHECKING:
    from .admin import AdminSession

__all__ = ["run_audit"]


def run_audit(
    session: AdminSession, *, now: datetime | None = None, progress: Progress | None = None
) -> AuditResult:
    """Audit the session's tenant. ``now`` decides which credentials count as expired or
    soon expiring (default: the current time). Raises ``PermissionMissing`` (exit 5) naming
    each missing read permission before anything is read."""
    snapshot, stats = read_snapshot_with_stats(session, progress=progress)
    result = evaluate_audit(snapshot, now=now or datetime.now(UTC))
    counts = {
        **stats,
        "mailboxes": result.mailbox_count,
        "service_principals": len(snapshot.service_principals),
        "policies": len(snapshot.policies),
        "scope_groups": len(snapshot.membership.direct),
    }
    return dataclasses.replace(result, stats=counts)
