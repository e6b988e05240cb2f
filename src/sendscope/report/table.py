"""The default report: rich text for a terminal, fitting 80 columns.

Findings come grouped by severity, worst first, each with its app, what it means and its
fix; accepted findings are marked with the baseline's reason. Then one table of reach per
app, the notes (always: Exchange RBAC grants are not yet evaluated) and a summary line.
Every value from the tenant goes in as a rich ``Text``, never as markup: ``[bold]`` stays text.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..policy.findings import AppReach, AuditResult, Finding, Severity
from ._common import acceptance_text, by_severity, ordered_apps, percent, reach_text, summary_text

__all__ = ["WIDTH", "render", "show"]

WIDTH = 80
_STYLES = {
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold dark_orange",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "green",
}


def render(result: AuditResult, *, width: int = WIDTH, colour: bool = False) -> str:
    """The report as text ``width`` columns wide (plain unless ``colour``)."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=colour,
        no_color=not colour,
        highlight=False,
        emoji=False,
    )
    show(console, result)
    return out.getvalue()


def show(console: Console, result: AuditResult) -> None:
    """Print the report on ``console`` (its width decides the wrapping)."""
    console.print(_heading(result))
    for severity, findings in by_severity(result):
        console.print()
        console.print(Text(f"{severity.value.upper()} ({len(findings)})", _STYLES[severity]))
        console.print(_findings_table(findings))
    console.print()
    console.print(Text("Reach per app", "bold"))
    console.print(_reach_table(result))
    for note in result.notes:
        console.print(Text("Note: ", "bold") + Text(note))
    console.print(Text(f"Findings: {summary_text(result)}.", "bold"))


def _heading(result: AuditResult) -> Text:
    when = result.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    text = Text("Audit of ", "bold")
    text.append(result.tenant_domain or result.tenant_id, "bold")
    text.append(f" ({result.tenant_id}), {when}: {result.mailbox_count} mailboxes, ")
    text.append(f"{len(result.apps)} apps with mailbox permissions.")
    return text


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, expand=False)
    table.add_column("App", ratio=1, overflow="fold", min_width=12)
    table.add_column("Finding", ratio=3, overflow="fold")
    for finding in findings:
        table.add_row(_app_cell(finding), _finding_cell(finding))
    return table


def _app_cell(finding: Finding) -> Text:
    text = Text(finding.app_name or "(tenant)", "bold")
    if finding.app_id:
        text.append(f"\n{finding.app_id}", "dim")
    return text


def _finding_cell(finding: Finding) -> RenderableType:
    title = Text(finding.title, "bold")
    subject = f" {finding.subject}" if finding.subject else ""
    title.append(f"  [{finding.rule}{subject}]", "dim")
    parts: list[RenderableType] = [title, Text(finding.detail)]
    parts.append(Text("Fix: ", "bold") + Text(finding.fix))
    if finding.accepted:
        parts.append(Text(f"✓ {acceptance_text(finding.accepted)}", "cyan"))
    return Group(*parts, Text(""))


def _reach_table(result: AuditResult) -> RenderableType:
    if not result.apps:
        return Text("No app holds a mailbox permission.")
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("App", ratio=2, overflow="fold")
    table.add_column("Kind", no_wrap=True)
    table.add_column("Reach", no_wrap=True, justify="right")
    table.add_column("Permissions", ratio=2, overflow="fold")
    for app in ordered_apps(result):
        table.add_row(*_reach_row(app, result.mailbox_count))
    return table


def _reach_row(app: AppReach, total: int) -> tuple[Text, Text, Text, Text]:
    name = Text(app.name)
    if app.policies:
        name.append("\n" + "; ".join(app.policies), "dim")
    permissions = "\n".join(reach_text(p) for p in app.permissions) or "none"
    reach = f"{app.reach}/{total}\n{percent(app.reach, total)}"
    return name, Text(app.kind.value), Text(reach), Text(permissions)
