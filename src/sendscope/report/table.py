"""The default report: rich text for a terminal, fitting 80 columns.

Findings come grouped by severity, worst first, each with its app, what it means and its
fix; accepted findings are marked with the baseline's reason. Then one table of reach per
app, the notes (always: Exchange RBAC grants are not yet evaluated) and a summary line.
Every value from the tenant goes in as a rich ``Text``, never as markup: ``[bold]`` stays text.

The fix is the one line allowed past 80 columns: it holds commands (``Remove-Application
AccessPolicy -Identity "<tenant>\\<app>:…;<scope>"`` is longer than any column), so it is
printed whole on its own line (soft-wrapped by the terminal, never cut mid-GUID) and can be
copied. Lines carry no trailing spaces.
"""

from __future__ import annotations

import io
import re

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..policy.findings import AppReach, AuditResult, Finding, Severity
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
    with console.capture() as captured:
        _print(console, result)
    console.file.write(_TRAILING.sub("", captured.get()))
    console.file.flush()


# Spaces that only pad a line's last cell, before any closing style codes.
_TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def _print(console: Console, result: AuditResult) -> None:
    console.print(_heading(result))
    console.print()
    app_width = _app_width(result)
    for severity, findings in by_severity(result):
        console.print(Text(f"{severity.value.upper()} ({len(findings)})", _STYLES[severity]))
        for finding in findings:
            console.print(_finding_row(finding, app_width))
            console.print(Text("Fix: ", "bold") + Text(finding.fix), soft_wrap=True)
            if finding.accepted:
                console.print(Text(f"✓ {acceptance_text(finding.accepted)}", "cyan"))
            console.print()
    console.print(Text("Reach per app", "bold"))
    console.print(_reach_table(result))
    for note in result.notes:
        console.print(Text("Note: ", "bold") + Text(note))
    console.print(Text(f"Findings: {summary_text(result)}.", "bold"))


def _heading(result: AuditResult) -> Text:
    when = when_text(result)
    text = Text("Audit of ", "bold")
    text.append(result.tenant_domain or result.tenant_id, "bold")
    text.append(f" ({result.tenant_id}), {when}: {result.mailbox_count} mailboxes, ")
    text.append(f"{apps_text(result)}.")
    return text


def _app_width(result: AuditResult) -> int:
    # One width for every finding's app column, so the rows line up: the longest name or id,
    # at most 38 (an app id is 36).
    names = [len(f.app_name or "(tenant)") for f in result.findings]
    ids = [len(f.app_id) for f in result.findings]
    return max(12, min(38, max([*names, *ids], default=12)))


def _finding_row(finding: Finding, app_width: int) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, expand=False)
    table.add_column("App", width=app_width, overflow="fold")
    table.add_column("Finding", overflow="fold")
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
    return Group(title, Text(finding.detail))


def _reach_table(result: AuditResult) -> RenderableType:
    if not result.apps:
        return Text(NO_APPS)
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
