"""``restrict --powershell``: the plan as ExchangeOnlineManagement cmdlets, for admins who
must run them themselves.

Every value is a single-quoted PowerShell string: nothing inside expands (no ``$``, no
backtick escapes), and a quote is written twice. PowerShell also takes the typographic
single quotes (U+2018, U+2019, U+201A, U+201B) as quote characters, so those are doubled too.
https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_quoting_rules
"""

from __future__ import annotations

from .model import TEST_LIMIT, Plan, Step, StepAction, StepStatus

__all__ = ["powershell_script", "ps_quote"]

_QUOTES = "'\u2018\u2019\u201a\u201b"


def ps_quote(value: str) -> str:
    """``value`` as a PowerShell single-quoted string literal."""
    escaped = "".join(c + c if c in _QUOTES else c for c in value)
    return f"'{escaped}'"


def powershell_script(plan: Plan) -> str:
    """The script that does what ``plan`` would do, then tests it."""
    lines = [
        "# The same change with the ExchangeOnlineManagement module",
        "# (Install-Module ExchangeOnlineManagement), as an Exchange administrator.",
        "Connect-ExchangeOnline",
        "",
    ]
    for step in plan.steps:
        lines.extend(_step_lines(plan, step))
    lines.extend(["", *_test_lines(plan)])
    return "\n".join(lines) + "\n"


def _step_lines(plan: Plan, step: Step) -> list[str]:
    command = _command(plan, step)
    if step.status is StepStatus.PLANNED:
        return [command]
    return [f"# already in place ({step.reason}): {command}"]


def _command(plan: Plan, step: Step) -> str:
    group = plan.group
    if step.action is StepAction.CREATE_GROUP:
        alias = f" -Alias {ps_quote(group.alias)}" if group.alias else ""
        return (
            f"New-DistributionGroup -Type Security -Name {ps_quote(group.name)}{alias} "
            f"-PrimarySmtpAddress {ps_quote(group.address)}"
        )
    if step.action is StepAction.ADD_MEMBER:
        return (
            f"Add-DistributionGroupMember -Identity {ps_quote(group.address)} "
            f"-Member {ps_quote(step.target)} -BypassSecurityGroupManagerCheck"
        )
    description = plan.request.description
    tail = f" -Description {ps_quote(description)}" if description else ""
    return (
        f"New-ApplicationAccessPolicy -AppId {ps_quote(plan.app.app_id)} "
        f"-PolicyScopeGroupId {ps_quote(group.address)} "
        f"-AccessRight {plan.request.access_right.value}{tail}"
    )


def _test_lines(plan: Plan) -> list[str]:
    expected = {r.mailbox.object_id: r.verdict.value for r in plan.effect.after}
    app = ps_quote(plan.app.app_id)
    lines = ["# Check it (AccessCheckResult): sendscope expects the verdict after each #."]
    for mailbox in (*plan.inside[:TEST_LIMIT], *plan.outside):
        verdict = expected.get(mailbox.object_id, "Granted")
        lines.append(
            f"Test-ApplicationAccessPolicy -Identity {ps_quote(mailbox.label)} -AppId {app}"
            f"  # {verdict}"
        )
    return lines
