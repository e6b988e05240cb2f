"""The procedure ``sendscope demo`` walks through, with the real commands' code.

connect as the app → restrict it to a new mail-enabled security group holding one mailbox →
test-policy for that mailbox and the CEO's → verify until Graph enforces the policy → a
summary. Each step calls the same use case and renderer as its command; only the wait of
``verify`` differs: ``clock`` moves the emulator's clock on instead of sleeping.

This module knows nothing of the emulator beyond its ``emulator.json`` (``cli/demo.py``
starts it), so the procedure would read the same against any tenant.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from ..admin import AdminOptions, AdminSession
    from ..app_capabilities import AppCapabilities
    from ..connection import AppSession, ConnectionOptions
    from ..restrict import RestrictOutcome
    from ..restriction import Plan
    from ..testpolicy import TestPolicyReport
    from ..verify import VerifyClock, VerifyReport

__all__ = ["SCHEMA_VERSION", "DemoResult", "DemoTenant", "run_procedure"]

SCHEMA_VERSION = 1
STEPS = 5
GROUP_LOCAL = "timesheet-senders"
GROUP_NAME = "Timesheet senders"
# Emulator minutes per verify round; the same interval an admin would choose by hand.
VERIFY_INTERVAL = "5m"
VERIFY_TIMEOUT = "3h"


@dataclass(frozen=True, slots=True)
class DemoTenant:
    """Who and what the demo works on, read from ``emulator.json`` and the tenant."""

    emulator_dir: Path
    domain: str
    app_name: str
    app_id: str
    propagation: str  # e.g. "60 minutes"

    def address(self, local: str) -> str:
        return f"{local}@{self.domain}"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Everything the demo found, for the summary and ``--json``."""

    capabilities: AppCapabilities
    plan: Plan
    restrict: RestrictOutcome
    test: TestPolicyReport
    verify: VerifyReport
    wall_seconds: float


def run_procedure(
    tenant: DemoTenant, clock: VerifyClock, console: Console, *, quiet: bool = False
) -> DemoResult:
    """Run the five steps; ``quiet`` (for ``--json``) shows nothing."""
    from ..admin import AdminSession, resolve_admin
    from ..connection import AppSession, resolve_app

    started = time.monotonic()
    show = _Narrator(console, tenant, quiet=quiet)
    app_options, admin_options = _options(tenant.emulator_dir)
    # No environment: a SENDSCOPE_* variable of the user's must not steer the demo elsewhere.
    app_connection = resolve_app(app_options, env={})
    with (
        AppSession(app_connection) as app,
        AdminSession(resolve_admin(admin_options, env={})) as admin,
    ):
        capabilities = _connect(show, app)
        plan, outcome = _restrict(show, admin, tenant)
        test = _test_policy(show, admin, tenant)
        report = _verify(show, app, admin, tenant, clock)
    result = DemoResult(capabilities, plan, outcome, test, report, time.monotonic() - started)
    show.summary(result)
    return result


def _options(emulator_dir: Path) -> tuple[ConnectionOptions, AdminOptions]:
    from ..admin import AdminOptions
    from ..connection import ConnectionOptions

    return ConnectionOptions(emulator=emulator_dir), AdminOptions(emulator=emulator_dir)


# -- the steps ----------------------------------------------------------------------------


def _connect(show: _Narrator, app: AppSession) -> AppCapabilities:
    from ..app_capabilities import inspect_app
    from .connect import render

    show.step(1, "connect", f'what can "{show.tenant.app_name}" do?', "sendscope connect")
    capabilities = inspect_app(app)
    show.output(lambda console: render(capabilities, console))
    return capabilities


def _restrict(
    show: _Narrator, admin: AdminSession, tenant: DemoTenant
) -> tuple[Plan, RestrictOutcome]:
    from ..policy import AccessRight
    from ..restrict import apply_restriction, confirm, prepare_restriction
    from ..restriction import RestrictRequest
    from ..restriction.report import show_plan, show_result

    group, member = tenant.address(GROUP_LOCAL), tenant.address("noreply")
    request = RestrictRequest(
        app_id=tenant.app_id,
        group=group,
        create_group=True,
        group_name=GROUP_NAME,
        members=(member,),
        access_right=AccessRight.RESTRICT_ACCESS,
    )
    command = (
        f"sendscope restrict --app {tenant.app_id} --group {group} --create-group "
        f'--group-name "{GROUP_NAME}" --member {member} --yes'
    )
    show.step(2, "restrict", f"confine it to {member}", command)
    plan = prepare_restriction(admin, request)
    show.output(lambda console: show_plan(console, plan))
    confirm(plan, yes=True, ask=None)  # the demo's --yes: its warnings are the expected ones
    outcome = apply_restriction(admin, plan)
    show.output(lambda console: show_result(console, plan, outcome.steps, outcome.tests))
    return plan, outcome


def _test_policy(show: _Narrator, admin: AdminSession, tenant: DemoTenant) -> TestPolicyReport:
    from ..testpolicy import run_test_policy
    from .test_policy import render

    addresses = [tenant.address("noreply"), tenant.address("ceo")]
    command = f"sendscope test-policy --app {tenant.app_id} {' '.join(addresses)}"
    show.step(3, "test-policy", "what Exchange says now", command)
    report = run_test_policy(admin.exchange, tenant.app_id, addresses)
    show.output(lambda console: render(report, console))
    show.note(
        "Exchange's test cmdlet sees the policy at once; Graph enforces it only after "
        f"propagation ({tenant.propagation} in Microsoft 365, and in this emulator)."
    )
    return report


def _verify(
    show: _Narrator,
    app: AppSession,
    admin: AdminSession,
    tenant: DemoTenant,
    clock: VerifyClock,
) -> VerifyReport:
    from ..mail import Mailer
    from ..verify import plan_verification
    from .verify_output import render_report, run_shown

    allowed, denied = tenant.address("noreply"), tenant.address("ceo")
    group = tenant.address(GROUP_LOCAL)
    plan = plan_verification(
        allowed=[allowed],
        denied=[denied],
        group=group,
        timeout=VERIFY_TIMEOUT,
        interval=VERIFY_INTERVAL,
    )
    command = f"sendscope verify --allowed {allowed} --denied {denied} --group {group}"
    show.step(4, "verify", "real sends until Graph enforces it", command)
    show.note(
        f"A round every {VERIFY_INTERVAL} of emulator time; the demo moves the emulator's "
        "clock on instead of waiting.",
        before=False,
    )
    console = None if show.quiet else show.console
    report = run_shown(plan, Mailer(app), admin, tenant.app_id, console, clock=clock)
    if console is not None:
        render_report(report, console)
    return report


# -- output -------------------------------------------------------------------------------


class _Narrator:
    """The demo's own words between the commands' output; silent for ``--json``."""

    def __init__(self, console: Console, tenant: DemoTenant, *, quiet: bool) -> None:
        self.console = console
        self.tenant = tenant
        self.quiet = quiet

    def step(self, number: int, name: str, what: str, command: str) -> None:
        if self.quiet:
            return
        self.console.print()
        self.console.rule(Text(f"Step {number} of {STEPS} · {name}: {what}", style="bold"))
        width = min(self.console.width, 80)
        lines = command_lines(f"$ {command} --emulator DIR", width)
        self.console.print(Text("\n".join(lines), style="cyan"), soft_wrap=True)
        self.console.print()

    def output(self, render: Callable[[Console], None]) -> None:
        if not self.quiet:
            render(self.console)

    def note(self, text: str, *, before: bool = True) -> None:
        if not self.quiet:
            if before:
                self.console.print()
            self.console.print(Text(text, style="dim"))

    def summary(self, result: DemoResult) -> None:
        if self.quiet:
            return
        self.console.print()
        self.console.rule(Text(f"Step {STEPS} of {STEPS} · summary", style="bold"))
        for line in summary_lines(self.tenant, result):
            self.console.print(Text(line))


def command_lines(command: str, width: int) -> list[str]:
    """A command line as a shell would take it, broken between arguments to fit ``width``
    (an option stays with its value)."""
    lines: list[str] = []
    line = ""
    for group in _argument_groups(command):
        if line and len(line) + len(group) + 3 > width:  # room for " " and " \\"
            lines.append(line + " \\")
            line = "    " + group
        else:
            line = f"{line} {group}" if line else group
    return [*lines, line]


def _argument_groups(command: str) -> list[str]:
    words = [shlex.quote(w) if w != "$" else w for w in shlex.split(command)]
    groups: list[str] = []
    for word in words:
        if (
            groups
            and groups[-1].startswith("--")
            and " " not in groups[-1]
            and not word.startswith("--")
        ):
            groups[-1] += " " + word
        else:
            groups.append(word)
    return groups


def summary_lines(tenant: DemoTenant, result: DemoResult) -> list[str]:
    """What changed, in three sentences."""
    plan, report = result.plan, result.verify
    before, after, total = plan.granted_before, plan.granted_after, plan.mailbox_count
    allowed = tenant.address("noreply")
    reach = f"{after} mailbox" if after == 1 else f"{after} mailboxes"
    return [
        f'"{tenant.app_name}" could send as {before} of {total} mailboxes; now {reach} '
        f"({allowed}).",
        f"Graph enforced the policy after {_minutes(report.elapsed)} of emulator time "
        f"({report.rounds} rounds of verify); Microsoft 365 takes as long.",
        f"Verdict: {report.outcome.value.replace('_', ' ')}. The demo took "
        f"{result.wall_seconds:.0f} s.",
    ]


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def document(tenant: DemoTenant, result: DemoResult, emulator: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--json`` document, schema version 1 (docs/demo.md)."""
    from ..restriction.report import document as restrict_document
    from .connect import document as connect_document
    from .test_policy import document as test_document
    from .verify_output import document as verify_document

    outcome = result.restrict
    return {
        "schema_version": SCHEMA_VERSION,
        "emulator": dict(emulator),
        "app": {"name": tenant.app_name, "client_id": tenant.app_id},
        "steps": {
            "connect": connect_document(result.capabilities),
            "restrict": restrict_document(
                result.plan, mode="apply", steps=outcome.steps, tests=outcome.tests
            ),
            "test_policy": test_document(result.test, tenant.domain),
            "verify": verify_document(result.verify, tenant.domain),
        },
        "summary": {
            "mailboxes": result.plan.mailbox_count,
            "reach_before": result.plan.granted_before,
            "reach_after": result.plan.granted_after,
            "verify_outcome": result.verify.outcome.value,
            "emulator_seconds_to_effective": result.verify.elapsed,
            "wall_seconds": round(result.wall_seconds, 1),
        },
    }
