"""The ``--csv`` report: one row per finding under a stable header, then one per note.

CSV has no comments, so the report's notes (always: Exchange RBAC grants are not yet
evaluated; baseline entries expired or unused) come after the findings as rows whose
``rule`` is ``note``, ``severity`` empty and ``detail`` the note: every report states them.

The header (``HEADER``) only ever gains columns at the end. Cells that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a
leading apostrophe: app names are chosen by whoever registered the app, and CSV injection
is how a hostile name would reach the auditor's spreadsheet
(https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import io

from ..policy.findings import AuditResult, Finding
from ._common import ordered_findings

__all__ = ["HEADER", "NOTE_RULE", "note_row", "render", "row"]

HEADER: tuple[str, ...] = (
    "severity",
    "rule",
    "app_id",
    "app_name",
    "subject",
    "title",
    "detail",
    "fix",
    "permissions",
    "accepted",
    "accepted_reason",
    "accepted_expires",
    "tenant_id",
    "tenant_domain",
)

# The rule of a note row: no finding rule is called that (policy/audit_rules.AUDIT_RULES).
NOTE_RULE = "note"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(result: AuditResult) -> str:
    """The header, one row per finding, worst first, then one row per note (RFC 4180, CRLF
    line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for finding in ordered_findings(result.findings):
        writer.writerow(row(finding, result))
    for note in result.notes:
        writer.writerow(note_row(note, result))
    return out.getvalue()


def note_row(note: str, result: AuditResult) -> tuple[str, ...]:
    """A note as a row: rule ``note``, the note in ``detail``, the tenant; the rest empty."""
    cells = {"rule": NOTE_RULE, "detail": note, "tenant_id": result.tenant_id}
    cells["tenant_domain"] = result.tenant_domain
    return tuple(_safe(cells.get(column, "")) for column in HEADER)


def row(finding: Finding, result: AuditResult) -> tuple[str, ...]:
    """The cells of one finding, in ``HEADER`` order, made safe for spreadsheets."""
    acceptance = finding.accepted
    expires = acceptance.expires.isoformat() if acceptance and acceptance.expires else ""
    cells = (
        finding.severity.value,
        finding.rule,
        finding.app_id,
        finding.app_name,
        finding.subject,
        finding.title,
        finding.detail,
        finding.fix,
        " ".join(finding.permissions),
        "yes" if acceptance else "no",
        acceptance.reason if acceptance else "",
        expires,
        result.tenant_id,
        result.tenant_domain,
    )
    return tuple(_safe(c) for c in cells)


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
