"""How ``restrict`` shows a plan and its result: rich text in 80 columns, or one JSON document.

docs/restrict.md documents the JSON schema (``schema_version`` 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .model import Plan, Step, StepStatus
from .plan import PROPAGATION_NOTE

if TYPE_CHECKING:
    from rich.console import Console

    from .apply import PolicyTest

__all__ = ["SCHEMA_VERSION", "document", "effect_sentence", "show_plan", "show_result"]

SCHEMA_VERSION = 1

_STATUS_STYLE = {StepStatus.PLANNED: "yellow", StepStatus.DONE: "green", StepStatus.SKIPPED: "dim"}


def effect_sentence(plan: Plan) -> str:
    """E.g. ``Timesheet Mailer goes from 50 mailboxes to 1.``"""
    before, after = plan.granted_before, plan.granted_after
    if plan.nothing_to_do:
        return f"{plan.app.label} reaches {_mailboxes(after)} of {plan.mailbox_count}; no change."
    if before == after and not plan.effect.changes:
        return f"{plan.app.label} stays at {_mailboxes(after)} of {plan.mailbox_count}."
    return f"{plan.app.label} goes from {_mailboxes(before)} to {after}."


def _mailboxes(count: int) -> str:
    return f"{count} mailbox{'es' if count != 1 else ''}"


# -- text ---------------------------------------------------------------------------------


def show_plan(console: Console, plan: Plan) -> None:
    """The app, its mailbox permissions, the scope, the steps, warnings and effect."""
    _show_app(console, plan)
    _show_steps(console, "Plan", plan.steps)
    _show_warnings(console, plan)
    console.print()
    console.print(f"[bold]Effect:[/] {_e(effect_sentence(plan))}", highlight=False)


def _show_app(console: Console, plan: Plan) -> None:
    app, group = plan.app, plan.group
    permissions = app.permissions
    kind = "an existing " if group.exists else "a NEW "
    what = "mail-enabled security group" if group.is_group else "single mailbox"
    lines = [
        f"[bold]App:[/]   {_e(app.label)} ({app.app_id})",
        f"[bold]Mailbox permissions:[/] {_e(', '.join(permissions.constrained) or 'none')}",
        f"[bold]Scope:[/] {_e(group.address)} ({kind}{what})",
        f"[bold]Access right:[/] {plan.request.access_right.value}",
    ]
    if permissions.not_constrained:
        lines.insert(
            2, f"[bold]Not restricted by policies:[/] {_e(', '.join(permissions.not_constrained))}"
        )
    for line in lines:
        console.print(line, highlight=False)


def _show_steps(console: Console, title: str, steps: Sequence[Step]) -> None:
    from rich.table import Table

    table = Table(title=None, box=None, show_header=False, pad_edge=False, expand=False)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("step", overflow="fold")
    table.add_column("status", no_wrap=True)
    for n, step in enumerate(steps, 1):
        style = _STATUS_STYLE[step.status]
        status = f"[{style}]{step.status.value}[/]"
        reason = f" [dim]({_e(step.reason)})[/]" if step.reason else ""
        table.add_row(f"{n}.", f"{_e(step.summary)}{reason}", status)
    console.print()
    console.print(f"[bold]{title}[/]", highlight=False)
    console.print(table)


def _show_warnings(console: Console, plan: Plan) -> None:
    if plan.warnings:
        console.print()
        console.print("[bold yellow]Warnings[/]", highlight=False)
    for warning in plan.warnings:
        mark = "[yellow]![/]" if warning.needs_yes else "[dim]i[/]"
        console.print(f"{mark} {_e(warning.text)}", highlight=False)
    for note in plan.notes:
        console.print(f"[dim]Note: {_e(note)}[/]", highlight=False)


def show_result(
    console: Console, plan: Plan, steps: Sequence[Step], tests: Sequence[PolicyTest]
) -> None:
    """What was done (or that nothing was needed), the test verdicts, and propagation."""
    done = [s for s in steps if s.status is StepStatus.DONE]
    console.print()
    if done:
        _show_steps(console, "Result", steps)
    else:
        console.print(f"[bold]Result:[/] {_e(nothing_to_change(plan))}", highlight=False)
    _show_tests(console, tests)
    console.print()
    console.print(_e(PROPAGATION_NOTE), highlight=False)


def nothing_to_change(plan: Plan) -> str:
    """The sentence of a run that finds everything in place."""
    right = plan.request.access_right.value
    return (
        f"nothing to change: the {right} policy for {plan.app.label} on {plan.group.address}"
        " and the requested members are already in place."
    )


def _show_tests(console: Console, tests: Sequence[PolicyTest]) -> None:
    if not tests:
        return
    console.print()
    console.print("[bold]Test-ApplicationAccessPolicy[/] (what Exchange says now)", highlight=False)
    for test in tests:
        where = "inside the scope" if test.inside else "outside the scope"
        colour = "green" if test.result == "Granted" else "red"
        flag = "" if test.agrees else f"  [bold red]sendscope expected {test.expected.value}![/]"
        console.print(
            f"  {_e(test.address)}: [{colour}]{_e(test.result)}[/] ({where}){flag}", highlight=False
        )


def _e(text: str) -> str:
    from rich.markup import escape  # addresses and Microsoft's words may hold "[...]"

    return escape(text)


# -- JSON ---------------------------------------------------------------------------------


def document(
    plan: Plan,
    *,
    mode: str,
    steps: Sequence[Step] | None = None,
    tests: Sequence[PolicyTest] = (),
    powershell: str | None = None,
) -> dict[str, Any]:
    """The one JSON document of a run (docs/restrict.md, "JSON")."""
    final = plan.steps if steps is None else tuple(steps)
    return {
        "schema_version": SCHEMA_VERSION,
        "mode": mode,
        "app": _app(plan),
        "group": _group(plan),
        "access_right": plan.request.access_right.value,
        "steps": [_step(s) for s in final],
        "changed": any(s.status is StepStatus.DONE for s in final),
        "nothing_to_change": plan.nothing_to_do,
        "warnings": [{"text": w.text, "needs_yes": w.needs_yes} for w in plan.warnings],
        "notes": list(plan.notes),
        "effect": _effect(plan),
        "tests": [_test(t) for t in tests],
        "powershell": powershell,
    }


def _app(plan: Plan) -> dict[str, Any]:
    app = plan.app
    return {
        "app_id": app.app_id,
        "display_name": app.display_name,
        "service_principal_id": app.service_principal_id,
        "permissions": list(app.roles),
        "restricted_by_policy": list(app.permissions.constrained),
        "not_restricted_by_policy": list(app.permissions.not_constrained),
    }


def _group(plan: Plan) -> dict[str, Any]:
    group = plan.group
    return {
        "address": group.address,
        "name": group.name,
        "existed": group.exists,
        "object_id": group.recipient.object_id if group.exists else None,
        "recipient_type": group.recipient.recipient_type_details,
    }


def _step(step: Step) -> dict[str, Any]:
    return {
        "action": step.action.value,
        "target": step.target,
        "summary": step.summary,
        "status": step.status.value,
        "reason": step.reason or None,
    }


def _effect(plan: Plan) -> dict[str, Any]:
    effect = plan.effect
    return {
        "mailboxes": plan.mailbox_count,
        "granted_before": plan.granted_before,
        "granted_after": plan.granted_after,
        "newly_denied": [m.label for m in effect.newly_denied],
        "newly_granted": [m.label for m in effect.newly_granted],
        "summary": effect_sentence(plan),
    }


def _test(test: PolicyTest) -> dict[str, Any]:
    return {
        "address": test.address,
        "inside_scope": test.inside,
        "expected": test.expected.value,
        "result": test.result,
        "agrees": test.agrees,
    }
