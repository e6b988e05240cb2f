"""The ``--csv`` report: one row per finding under a stable header.

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

__all__ = ["HEADER", "render", "row"]

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

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(result: AuditResult) -> str:
    """The header and one row per finding, worst first (RFC 4180, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for finding in ordered_findings(result.findings):
        writer.writerow(row(finding, result))
    return out.getvalue()


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
