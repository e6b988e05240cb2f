"""The ``--markdown`` report: GitHub-flavoured Markdown, e.g. for a pull request or a wiki.

Every value that came from the tenant is escaped (``text``): app names are chosen by whoever
registered the app, and Markdown renderers pass HTML through, so a name like
``<img src=x onerror=…>`` must arrive as text, not as markup.
"""

from __future__ import annotations

import re

from ..policy.findings import AppReach, AuditResult, Finding
from ._common import (
    NO_APPS,
    acceptance_text,
    apps_text,
    by_severity,
    ordered_apps,
    percent,
    reach_text,
    summary_text,
    when_text,
)

__all__ = ["code", "render", "text"]

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can
# start markup inline or break a table cell.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def text(value: str) -> str:
    """``value`` as literal Markdown text on one line (table-cell safe)."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def code(value: str) -> str:
    """``value`` as an inline code span; a backtick inside could close it, so none stays."""
    return "`" + value.replace("`", "'").replace("|", "\\|") + "`"


def render(result: AuditResult) -> str:
    """The whole report as Markdown."""
    lines = [*_heading(result), *_notes(result)]
    for severity, findings in by_severity(result):
        lines += ["", f"## {severity.value.capitalize()} ({len(findings)})", ""]
        lines += [line for f in findings for line in _finding(f)]
    lines += _reach(result)
    return "\n".join(lines).rstrip("\n") + "\n"


def _heading(result: AuditResult) -> list[str]:
    when = when_text(result)
    return [
        f"# sendscope audit of {text(result.tenant_domain or result.tenant_id)}",
        "",
        f"Tenant {code(result.tenant_id)}, {when}: {result.mailbox_count} mailboxes, "
        f"{apps_text(result)}.",
        "",
        f"**Findings:** {summary_text(result)}.",
    ]


def _notes(result: AuditResult) -> list[str]:
    if not result.notes:
        return []
    return ["", "> **Notes**", ">", *(f"> - {text(n)}" for n in result.notes)]


def _finding(finding: Finding) -> list[str]:
    app = text(finding.app_name) if finding.app_name else "(tenant)"
    app_id = f" {code(finding.app_id)}" if finding.app_id else ""
    lines = [
        f"### {text(finding.title)}",
        "",
        f"- **App:** {app}{app_id}",
        f"- **Rule:** {code(finding.rule)}"
        + (f" ({text(finding.subject)})" if finding.subject else ""),
    ]
    if finding.permissions:
        lines.append(f"- **Permissions:** {text(', '.join(finding.permissions))}")
    if finding.accepted:
        lines.append(f"- **Baseline:** {text(acceptance_text(finding.accepted))}")
    return [*lines, "", text(finding.detail), "", f"**Fix:** {text(finding.fix)}", ""]


def _reach(result: AuditResult) -> list[str]:
    lines = ["", "## Reach per app", ""]
    if not result.apps:
        return [*lines, NO_APPS]
    lines += ["| App | Kind | Reach | Permissions | Policies |", "|---|---|---:|---|---|"]
    return lines + [_reach_row(a, result.mailbox_count) for a in ordered_apps(result)]


def _reach_row(app: AppReach, total: int) -> str:
    permissions = "; ".join(reach_text(p) for p in app.permissions)
    policies = "; ".join(app.policies) or "none"
    return (
        f"| {text(app.name)} {code(app.app_id)} | {app.kind.value} | "
        f"{app.reach}/{total} ({percent(app.reach, total)}) | {text(permissions)} | "
        f"{text(policies)} |"
    )
