"""``sendscope restrict``: confine an app to the mailboxes of one group, without PowerShell.

The procedure admins follow by hand (architecture.md): a mail-enabled security group holding
the mailboxes the app may use, ``New-ApplicationAccessPolicy -AccessRight RestrictAccess``,
``Test-ApplicationAccessPolicy`` to check. This use case reads the app and the tenant,
plans every step before writing (``restriction.plan``), asks for ``--yes`` when a warning
calls for it, applies the plan idempotently (``restriction.apply``) and tests the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .errors import UsageError
from .restriction.apply import PolicyTest, apply_plan, run_policy_tests
from .restriction.model import Plan, RestrictRequest, Step, StepStatus
from .restriction.plan import NOTHING_WRITTEN, check_request, plan_restriction
from .restriction.read import ExchangeAdmin, GraphReader, read_app, read_context

__all__ = [
    "AdminClients",
    "RestrictOutcome",
    "apply_restriction",
    "confirm",
    "prepare_restriction",
]


class AdminClients(Protocol):
    """What ``restrict`` needs of an admin session (``admin.AdminSession``)."""

    @property
    def graph(self) -> GraphReader: ...

    @property
    def exchange(self) -> ExchangeAdmin: ...

    @property
    def tenant(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RestrictOutcome:
    """What a run did: the steps with their final status, and the server's test verdicts."""

    plan: Plan
    steps: tuple[Step, ...]
    tests: tuple[PolicyTest, ...] = ()
    applied: bool = False

    @property
    def changed(self) -> bool:
        """True when this run wrote something."""
        return any(s.status is StepStatus.DONE for s in self.steps)

    @property
    def disagreements(self) -> tuple[PolicyTest, ...]:
        """Tests where the server did not answer what the evaluator predicted."""
        return tuple(t for t in self.tests if not t.agrees)


def prepare_restriction(session: AdminClients, request: RestrictRequest) -> Plan:
    """Check the request, read the app and the tenant, and plan. Writes nothing."""
    check_request(request)  # before any request: a bad app id costs no sign-in
    app = read_app(session.graph, request.app_id, session.tenant)
    context = read_context(session.exchange, app.app_id, request.group)
    return plan_restriction(request, app, context)


def confirm(plan: Plan, *, yes: bool, ask: Callable[[str], bool] | None) -> None:
    """Refuse to go on when a warning needs ``--yes`` and nobody gave it.

    ``ask`` is None when there is no terminal to ask on (stdin is not a TTY): then the run
    stops with exit 2 and nothing written.
    """
    if yes or plan.nothing_to_do or not plan.needs_yes:
        return
    count = len(plan.needs_yes)
    noun = "warning above needs" if count == 1 else f"{count} warnings above need"
    if ask is None:
        raise UsageError(
            f"the {noun} --yes: read {'it' if count == 1 else 'them'}, then run again with "
            f"--yes to go ahead. {NOTHING_WRITTEN}"
        )
    if not ask("Apply this plan?"):
        raise UsageError(f"not confirmed. {NOTHING_WRITTEN}")


def apply_restriction(session: AdminClients, plan: Plan) -> RestrictOutcome:
    """Apply the plan's pending steps, then test the scope with Test-ApplicationAccessPolicy."""
    steps = apply_plan(session.exchange, plan) if plan.pending else plan.steps
    tests = run_policy_tests(session.exchange, plan)
    return RestrictOutcome(plan, steps, tests, applied=True)
