"""Apply a ``restrict`` plan through the Exchange admin API, step by step, idempotently.

Each step re-reads before it writes (``Get-DistributionGroup`` before
``New-DistributionGroup``, ``Get-DistributionGroupMember`` before
``Add-DistributionGroupMember``, ``Get-ApplicationAccessPolicy`` before
``New-ApplicationAccessPolicy``), so a run that failed halfway, or whose last write had an
unknown outcome, is completed by running the same command again. Afterwards
``Test-ApplicationAccessPolicy`` checks the members and one mailbox outside the scope.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import SendscopeError, UsageError
from ..policy import ApplicationAccessPolicy, Recipient, Verdict
from .model import TEST_LIMIT, Plan, Step, StepAction, StepStatus
from .read import ExchangeAdmin, policies_from

__all__ = ["PolicyTest", "apply_plan", "run_policy_tests"]

_SECURITY_GROUP = "MailUniversalSecurityGroup"

Handler = Callable[[ExchangeAdmin, Plan, Step], Step]


@dataclass(frozen=True, slots=True)
class PolicyTest:
    """``Test-ApplicationAccessPolicy`` for one mailbox, beside what the plan expected."""

    address: str
    inside: bool
    expected: Verdict
    result: str

    @property
    def agrees(self) -> bool:
        """Did the server answer what sendscope's evaluator predicted?"""
        return self.result == self.expected.value


def apply_plan(exchange: ExchangeAdmin, plan: Plan) -> tuple[Step, ...]:
    """Run the plan's pending steps in order; each step comes back done or skipped."""
    finished: list[Step] = []
    for step in plan.steps:
        if step.status is not StepStatus.PLANNED:
            finished.append(step)
            continue
        try:
            finished.append(_HANDLERS[step.action](exchange, plan, step))
        except SendscopeError as exc:
            raise _halfway(exc, step, finished) from None
    return tuple(finished)


def _halfway(exc: SendscopeError, step: Step, finished: list[Step]) -> SendscopeError:
    """The same error, saying what was done and that a re-run completes the rest."""
    done = [s.summary for s in finished if s.status is StepStatus.DONE]
    so_far = f" Done before it: {'; '.join(done)}." if done else " Nothing was changed before it."
    text = (
        f"while trying to {step.summary}: {exc.message.rstrip('.')}.{so_far} Run the same "
        "sendscope restrict command again: it re-reads the tenant and completes only what "
        "is missing."
    )
    error = copy.copy(exc)  # same class and exit code, same ApiFailure
    error.message = text
    error.args = (text,)
    return error


def _create_group(exchange: ExchangeAdmin, plan: Plan, step: Step) -> Step:
    group = plan.group
    found = exchange.get_distribution_group(group.address)
    if found is not None:
        if found.get("RecipientTypeDetails") != _SECURITY_GROUP:
            raise UsageError(
                f"{group.address} was created meanwhile, but as a "
                f"{found.get('RecipientTypeDetails')}, not a mail-enabled security group."
            )
        return step.with_status(StepStatus.SKIPPED, "the group exists already")
    exchange.new_distribution_group(
        name=group.name,
        alias=group.alias or None,
        display_name=group.name,
        primary_smtp_address=group.address,
        security=True,
    )
    return step.with_status(StepStatus.DONE)


def _add_member(exchange: ExchangeAdmin, plan: Plan, step: Step) -> Step:
    group = plan.group.address
    rows = exchange.get_distribution_group_members(group)
    wanted = step.target.casefold()
    for row in rows:
        member = Recipient.from_cmdlet(row)
        if wanted in {a.casefold() for a in (*member.addresses, member.object_id)}:
            return step.with_status(StepStatus.SKIPPED, "already a member")
    exchange.add_distribution_group_member(group, step.target)
    return step.with_status(StepStatus.DONE)


def _create_policy(exchange: ExchangeAdmin, plan: Plan, step: Step) -> Step:
    app_id, right = plan.app.app_id, plan.request.access_right
    scope_id = _scope_object_id(exchange, plan)
    for policy in policies_from(exchange.get_application_access_policies()):
        if _same_policy(policy, app_id, right.value, scope_id):
            return step.with_status(StepStatus.SKIPPED, f"{policy.label} exists already")
    exchange.new_application_access_policy(
        app_id=app_id,
        scope=plan.group.address,
        access_right=right.value,
        description=plan.request.description,
    )
    return step.with_status(StepStatus.DONE)


def _scope_object_id(exchange: ExchangeAdmin, plan: Plan) -> str:
    if plan.group.exists:
        return plan.group.recipient.object_id
    row = exchange.get_distribution_group(plan.group.address) or {}
    return str(row.get("ExternalDirectoryObjectId") or "").lower()


def _same_policy(policy: ApplicationAccessPolicy, app_id: str, right: str, scope: str) -> bool:
    return (
        app_id in policy.app_ids
        and policy.access_right.value == right
        and policy.scope_object_id == scope
    )


_HANDLERS: dict[StepAction, Handler] = {
    StepAction.CREATE_GROUP: _create_group,
    StepAction.ADD_MEMBER: _add_member,
    StepAction.CREATE_POLICY: _create_policy,
}


def run_policy_tests(exchange: ExchangeAdmin, plan: Plan) -> tuple[PolicyTest, ...]:
    """``Test-ApplicationAccessPolicy`` for the scope's mailboxes and one outside it."""
    expected = {r.mailbox.object_id: r.verdict for r in plan.effect.after}
    picks = [(m, True) for m in plan.inside[:TEST_LIMIT]] + [(m, False) for m in plan.outside]
    results = []
    for mailbox, inside in picks:
        row = exchange.test_application_access_policy(
            identity=mailbox.label, app_id=plan.app.app_id
        )
        verdict = expected.get(mailbox.object_id, Verdict.GRANTED)
        results.append(
            PolicyTest(mailbox.label, inside, verdict, str(row.get("AccessCheckResult")))
        )
    return tuple(results)
