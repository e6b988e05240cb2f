"""What every report format shares: the order findings are shown in, counts, wording.

Kept here so the six formats cannot drift apart: the same findings, in the same order,
with the same words for an acceptance.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from ..policy.findings import Acceptance, AppReach, AuditResult, Finding, PermissionReach, Severity

__all__ = [
    "NO_APPS",
    "SEVERITIES",
    "acceptance_text",
    "apps_text",
    "by_severity",
    "counts",
    "json_text",
    "ordered_apps",
    "ordered_findings",
    "percent",
    "reach_text",
    "summary_text",
    "when_text",
    "worst_by_app",
]

NO_APPS = "No app holds a mailbox permission."

# Worst first: the order of every report's sections.
SEVERITIES: tuple[Severity, ...] = (
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.WARNING,
    Severity.INFO,
)


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by app name, rule and subject: a stable order for diffs."""
    return sorted(
        findings,
        key=lambda f: (-f.severity.rank, f.app_name.lower(), f.app_id, f.rule, f.subject),
    )


def by_severity(result: AuditResult) -> list[tuple[Severity, list[Finding]]]:
    """The non-empty severity sections of the result, worst first."""
    ordered = ordered_findings(result.findings)
    sections = [(s, [f for f in ordered if f.severity is s]) for s in SEVERITIES]
    return [(s, fs) for s, fs in sections if fs]


def ordered_apps(result: AuditResult) -> list[AppReach]:
    """Apps by reach, largest first, then by name."""
    return sorted(result.apps, key=lambda a: (-a.reach, a.name.lower(), a.app_id))


def counts(result: AuditResult) -> dict[str, dict[str, int]]:
    """Findings per severity: all of them, and how many a baseline accepts."""
    total = Counter(f.severity.value for f in result.findings)
    accepted = Counter(f.severity.value for f in result.findings if f.accepted is not None)
    return {
        s.value: {"findings": total[s.value], "accepted": accepted[s.value]} for s in SEVERITIES
    }


def worst_by_app(result: AuditResult) -> dict[str, Severity]:
    """Each app id's worst finding that no baseline accepts (apps with none are absent)."""
    worst: dict[str, Severity] = {}
    for f in result.findings:
        if f.accepted is None and f.app_id:
            key = f.app_id.lower()
            if key not in worst or f.severity.rank > worst[key].rank:
                worst[key] = f.severity
    return worst


def acceptance_text(acceptance: Acceptance) -> str:
    """``accepted: REASON (until 2027-03-31)``: the same words in every format."""
    until = f" (until {acceptance.expires.isoformat()})" if acceptance.expires else ""
    return f"accepted: {acceptance.reason}{until}"


def apps_text(result: AuditResult) -> str:
    """``1 app with mailbox permissions`` / ``3 apps …``: the headings' count, in English."""
    count = len(result.apps)
    return f"{count} app{'' if count == 1 else 's'} with mailbox permissions"


def percent(reach: int, total: int) -> str:
    if total <= 0:
        return "0%"
    return f"{100 * reach / total:.0f}%"


def reach_text(permission: PermissionReach) -> str:
    """``Mail.Send 12/52`` (or ``all 52`` when it reaches every mailbox)."""
    if permission.unrestricted:
        return f"{permission.permission}: all {permission.total}"
    return f"{permission.permission}: {permission.reach}/{permission.total}"


def summary_text(result: AuditResult) -> str:
    """``2 high, 1 medium, 0 warning, 3 info (1 accepted)``."""
    numbers = counts(result)
    parts = [f"{numbers[s.value]['findings']} {s.value}" for s in SEVERITIES]
    accepted = sum(n["accepted"] for n in numbers.values())
    tail = f" ({accepted} accepted)" if accepted else ""
    return ", ".join(parts) + tail


def when_text(result: AuditResult) -> str:
    """When the audit ran, as every human report writes it."""
    return result.generated_at.strftime("%Y-%m-%d %H:%M UTC")


def json_text(document: object) -> str:
    """A JSON report's text: indented, UTF-8 as it is, one final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
