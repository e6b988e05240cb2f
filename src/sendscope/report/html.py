"""The ``--html`` report: one self-contained file to mail to someone or attach to a ticket.

Everything is inline — CSS, and the chart of reach per app as SVG — and nothing is fetched:
no script, no font, no image, and a Content-Security-Policy that forbids loading anything,
so the file looks the same offline and leaks nothing when opened. Every value from the
tenant goes through ``html.escape``: an app's name is chosen by whoever registered it.
"""

from __future__ import annotations

from html import escape

from ..policy.findings import AppReach, AuditResult, Finding, Severity
from ._common import (
    NO_APPS,
    SEVERITIES,
    acceptance_text,
    apps_text,
    by_severity,
    counts,
    ordered_apps,
    percent,
    reach_text,
    when_text,
    worst_by_app,
)

__all__ = ["render"]

# Forbids every fetch; only the inline <style> may apply.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_COLOURS = {
    Severity.HIGH: "#c62828",
    Severity.MEDIUM: "#ef6c00",
    Severity.WARNING: "#f9a825",
    Severity.INFO: "#2e7d32",
}
_NO_FINDING = "#78909c"
_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;
max-width:60em;padding:0 1em;color:#1b1b1b}
h1{font-size:1.5em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;margin:.2em 0}
.chip{display:inline-block;padding:.1em .6em;border-radius:1em;color:#fff;margin-right:.4em}
.high{background:#c62828}.medium{background:#ef6c00}.warning{background:#f9a825;color:#000}
.info{background:#2e7d32}.notes{background:#fff8e1;border-left:4px solid #f9a825;
padding:.5em 1em}.finding{border:1px solid #ddd;border-left-width:6px;padding:.6em 1em;
margin:.8em 0}.finding.high{border-left-color:#c62828}.finding.medium{border-left-color:#ef6c00}
.finding.warning{border-left-color:#f9a825}.finding.info{border-left-color:#2e7d32}
.finding{background:#fff}.accepted{opacity:.75}.badge{font-size:.85em;background:#e0e0e0;
border-radius:.3em;padding:0 .4em}code{font-size:.9em}dl{display:grid;
grid-template-columns:max-content auto;gap:.1em 1em;margin:.4em 0}dt{font-weight:600}
dd{margin:0}table{border-collapse:collapse;width:100%}th,td{text-align:left;
padding:.3em .5em;border-bottom:1px solid #eee;vertical-align:top}svg text{font:12px sans-serif}
"""


def render(result: AuditResult) -> str:
    """The whole report as one HTML document."""
    title = f"sendscope audit of {result.tenant_domain or result.tenant_id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary(result),
        _notes(result),
        "<h2>Reach per app</h2>",
        chart(result),
        *(_section(severity, findings) for severity, findings in by_severity(result)),
        _apps(result),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _summary(result: AuditResult) -> str:
    when = when_text(result)
    numbers = counts(result)
    chips = "".join(
        f'<span class="chip {s.value}">{numbers[s.value]["findings"]} {s.value}'
        f"{_accepted_count(numbers[s.value]['accepted'])}</span>"
        for s in SEVERITIES
    )
    return (
        f"<p>Tenant <code>{escape(result.tenant_id)}</code>, {escape(when)}: "
        f"{result.mailbox_count} mailboxes, {apps_text(result)}.</p><p>{chips}</p>"
    )


def _accepted_count(accepted: int) -> str:
    return f" ({accepted} accepted)" if accepted else ""


def _notes(result: AuditResult) -> str:
    if not result.notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in result.notes)
    return f'<div class="notes"><strong>Notes</strong><ul>{items}</ul></div>'


def chart(result: AuditResult) -> str:
    """An inline SVG bar chart: each app's reach as a share of all mailboxes."""
    apps = ordered_apps(result)
    if not apps:
        return f"<p>{NO_APPS}</p>"
    worst = worst_by_app(result)
    row, label, bar = 22, 260, 380
    height = row * len(apps) + 10
    bars = [
        _bar(a, i * row + 5, label, bar, result.mailbox_count, worst) for i, a in enumerate(apps)
    ]
    return (
        f'<svg role="img" aria-label="Reach per app" width="{label + bar + 110}" '
        f'height="{height}" viewBox="0 0 {label + bar + 110} {height}">'
        f"{''.join(bars)}</svg>"
    )


def _bar(
    app: AppReach, y: int, label: int, bar: int, total: int, worst: dict[str, Severity]
) -> str:
    width = round(bar * app.reach / total) if total > 0 else 0
    severity = worst.get(app.app_id.lower())
    colour = _COLOURS[severity] if severity else _NO_FINDING
    name = app.name if len(app.name) <= 38 else app.name[:37] + "…"
    value = f"{app.reach}/{total} ({percent(app.reach, total)})"
    tip = f"{app.name} ({app.app_id}): {value}"
    return (
        f"<g><title>{escape(tip)}</title>"
        f'<text x="{label - 6}" y="{y + 14}" text-anchor="end">{escape(name)}</text>'
        f'<rect x="{label}" y="{y + 2}" width="{bar}" height="16" fill="#eceff1"/>'
        f'<rect x="{label}" y="{y + 2}" width="{width}" height="16" fill="{colour}"/>'
        f'<text x="{label + bar + 6}" y="{y + 14}">{escape(value)}</text></g>'
    )


def _section(severity: Severity, findings: list[Finding]) -> str:
    heading = f"<h2>{severity.value.capitalize()} ({len(findings)})</h2>"
    return heading + "".join(_finding(f) for f in findings)


def _finding(finding: Finding) -> str:
    accepted, badge = "", ""
    if finding.accepted:
        accepted = " accepted"
        badge = f' <span class="badge">{escape(acceptance_text(finding.accepted))}</span>'
    rows = [("App", _app_label(finding)), ("Rule", f"<code>{escape(finding.rule)}</code>")]
    if finding.subject:
        rows.append(("Subject", escape(finding.subject)))
    if finding.permissions:
        rows.append(("Permissions", escape(", ".join(finding.permissions))))
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<article class="finding {finding.severity.value}{accepted}">'
        f"<h3>{escape(finding.title)}{badge}</h3>"
        f"<dl>{items}</dl><p>{escape(finding.detail)}</p>"
        f"<p><strong>Fix:</strong> {escape(finding.fix)}</p></article>"
    )


def _app_label(finding: Finding) -> str:
    if not finding.app_id:
        return escape(finding.app_name or "(tenant)")
    return f"{escape(finding.app_name)} <code>{escape(finding.app_id)}</code>"


def _apps(result: AuditResult) -> str:
    if not result.apps:
        return ""
    head = "<tr><th>App</th><th>Kind</th><th>Permission</th><th>Reach</th><th>Why</th></tr>"
    rows = "".join(_app_rows(a) for a in ordered_apps(result))
    return f"<h2>Apps with mailbox permissions</h2><table>{head}{rows}</table>"


def _app_rows(app: AppReach) -> str:
    name = f"{escape(app.name)}<br><code>{escape(app.app_id)}</code>"
    cells = [
        f"<td>{escape(p.permission)} <small>({escape(p.resource)})</small></td>"
        f"<td>{escape(reach_text(p))}</td><td>{escape(p.reason)}</td>"
        for p in app.permissions
    ] or ["<td>none</td><td>0</td><td></td>"]
    span = len(cells)
    first = f'<td rowspan="{span}">{name}</td><td rowspan="{span}">{escape(app.kind.value)}</td>'
    return f"<tr>{first}{cells[0]}</tr>" + "".join(f"<tr>{c}</tr>" for c in cells[1:])
