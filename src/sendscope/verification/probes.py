"""The two sources of evidence: the admin's reads (configured, tested) and a real send.

The admin side reads the tenant as ``test-policy`` does (``testpolicy.read_context``: the
policies, the app's scopes and their members through nesting), runs
``Test-ApplicationAccessPolicy`` for every address, a few at a time, and asks sendscope's
evaluator which policy decided each verdict — Exchange's answer does not say.

The sending side sends one labelled mail as an address with the app's own credentials
(``Mailer.send``: paced, explained refusals, never retried when the outcome is unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from ..errors import (
    AccessPolicyDenied,
    OutcomeUnknown,
    RefusedByMicrosoft365,
    SendscopeError,
    not_found,
)
from ..mail import OutgoingMessage, SendReceipt
from ..policy import (
    AccessCheckResult,
    ApplicationAccessPolicy,
    PolicyContext,
    Recipient,
    evaluate_access_policy,
)
from ..testpolicy import PolicyReader, read_context
from .model import ConfiguredCheck, PolicyRef, RungState, SendEvidence, SendKind, TestEvidence
from .plan import VerifyPlan

__all__ = ["Sender", "check_admin", "policy_ref", "send_probe"]

# Test-ApplicationAccessPolicy calls in flight at once (as test-policy: docs/test-policy.md).
WORKERS = 8


class Sender(Protocol):
    """What verify needs of the app: ``send`` (``mail.Mailer`` has it)."""

    def send(self, message: OutgoingMessage) -> SendReceipt: ...


def policy_ref(policy: ApplicationAccessPolicy, scope: str = "") -> PolicyRef:
    return PolicyRef(
        policy.identity,
        policy.label,
        policy.access_right.value,
        policy.app_ids,
        scope or policy.scope_label,
        policy.description,
    )


# -- the admin's side ---------------------------------------------------------------------


def check_admin(
    exchange: PolicyReader, plan: VerifyPlan, app_id: str
) -> tuple[ConfiguredCheck, dict[str, TestEvidence]]:
    """The *configured* rung and every address's test; throttling or an outage this round
    makes them *cannot tell* instead of ending the run."""
    addresses = [a for a, _ in plan.addresses]
    try:
        full, _ = read_context(exchange, app_id, addresses)
    except OutcomeUnknown as exc:
        unknown = TestEvidence(None, exc.message, unknown=exc.message)
        return ConfiguredCheck(RungState.CANNOT_TELL, (), exc.message), dict.fromkeys(
            addresses, unknown
        )
    configured = _configured(full.context, app_id, plan.group)
    tests = _tests(exchange, full.context, app_id, addresses)
    return configured, tests


def _configured(context: PolicyContext, app_id: str, group: str | None) -> ConfiguredCheck:
    policies = context.policies_for_app(app_id)
    refs = tuple(policy_ref(p, _scope_text(context, p)) for p in policies)
    if not policies:
        detail = (
            f"no Application Access Policy names app {app_id} (nor *): its Mail.Send reaches "
            "every mailbox. Restrict it first: sendscope restrict --app "
            f"{app_id} --group ADDRESS"
        )
        return ConfiguredCheck(RungState.MISCONFIGURED, refs, detail)
    count = f"{len(policies)} access polic{'y names' if len(policies) == 1 else 'ies name'}"
    if group is None:
        return ConfiguredCheck(RungState.HELD, refs, f"{count} app {app_id}.")
    scope = context.find(group)
    if scope is not None and any(context.scope_id(p) == scope.object_id for p in policies):
        return ConfiguredCheck(
            RungState.HELD, refs, f"{count} app {app_id}, one scoped to {group}."
        )
    listing = "; ".join(f"{r.label} ({r.scope})" for r in refs)
    detail = f"no access policy for app {app_id} is scoped to --group {group}: {listing}."
    return ConfiguredCheck(RungState.MISCONFIGURED, refs, detail)


def _scope_text(context: PolicyContext, policy: ApplicationAccessPolicy) -> str:
    scope = context.scope_recipient(policy)
    if scope is None:
        return policy.scope_label
    return str(scope.primary_smtp or policy.scope_label)


def _tests(
    exchange: PolicyReader, context: PolicyContext, app_id: str, addresses: Sequence[str]
) -> dict[str, TestEvidence]:
    def one(address: str) -> TestEvidence:
        return _test(exchange, context, app_id, address)

    if len(addresses) <= 1:
        return {a: one(a) for a in addresses}
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(addresses))) as pool:
        return dict(zip(addresses, pool.map(one, addresses), strict=True))


def _test(
    exchange: PolicyReader, context: PolicyContext, app_id: str, address: str
) -> TestEvidence:
    try:
        result = exchange.test_application_access_policy(identity=address, app_id=app_id)
    except OutcomeUnknown as exc:
        return TestEvidence(None, exc.message, unknown=exc.message)
    except RefusedByMicrosoft365 as exc:
        if (failure := not_found(exc)) is not None:
            return TestEvidence(None, failure.message)
        raise
    verdict = str(result.get("AccessCheckResult") or "")
    checked = evaluate_access_policy(context, app_id, _recipient(context, address, result))
    return _evidence(context, verdict, checked)


def _recipient(context: PolicyContext, address: str, result: dict[str, Any]) -> Recipient:
    """The mailbox Exchange tested; one the scopes do not hold is outside all of them."""
    mailbox_id = str(result.get("MailboxId") or "")
    found = context.find(address) or (context.find(mailbox_id) if mailbox_id else None)
    if isinstance(found, Recipient):
        return found
    return Recipient(mailbox_id or address, address, "UserMailbox")


def _evidence(context: PolicyContext, verdict: str, checked: AccessCheckResult) -> TestEvidence:
    deciding = (
        policy_ref(checked.policy, _scope_text(context, checked.policy)) if checked.policy else None
    )
    outside = tuple(policy_ref(p, _scope_text(context, p)) for p in checked.restrict_policies)
    reason = checked.reason
    if checked.verdict.value != verdict:
        reason = (
            f"sendscope's evaluator says {checked.reason} — but Exchange says {verdict}; "
            "trust Exchange (please report this: docs/test-policy.md)"
        )
    return TestEvidence(verdict, reason, checked.verdict.value, deciding, outside)


# -- the app's side -----------------------------------------------------------------------


def send_probe(
    app: Sender, plan: VerifyPlan, address: str, app_id: str, round_no: int, at: float
) -> SendEvidence:
    """One verification mail as ``address``; the evidence, whatever Graph answered.

    ``AuthenticationFailed`` is not evidence about the address: it ends the run (exit 4).
    """
    message = OutgoingMessage(
        sender=address,
        to=(plan.to,),
        subject=plan.subject,
        body=_body(plan, address, app_id),
        save_to_sent_items=False,
    )
    try:
        receipt = app.send(message)
    except AccessPolicyDenied as exc:
        return _refused(SendKind.ACCESS_POLICY, exc, round_no, at)
    except OutcomeUnknown as exc:
        return _refused(SendKind.UNKNOWN, exc, round_no, at)
    except RefusedByMicrosoft365 as exc:
        return _refused(SendKind.OTHER_REFUSAL, exc, round_no, at)
    return SendEvidence(SendKind.ACCEPTED, round_no, at, 202, request_id=receipt.request_id)


def _refused(kind: SendKind, exc: SendscopeError, round_no: int, at: float) -> SendEvidence:
    # A refusal in Graph's own words: the exception's sentence is written for `sendscope
    # send` (its advice names send's options). No clear answer keeps sendscope's sentence.
    failure = exc.failure
    quoted = failure is not None and kind is not SendKind.UNKNOWN
    return SendEvidence(
        kind,
        round_no,
        at,
        failure.status if failure else None,
        failure.code if failure else "",
        type(exc).__name__,
        f"Graph said: {failure.quote()}" if quoted and failure else exc.message,
        failure.request_id if failure else "",
    )


def _body(plan: VerifyPlan, address: str, app_id: str) -> str:
    expected = (
        "may send as this mailbox"
        if address.lower() in {a.lower() for a in plan.allowed}
        else "must NOT be able to send as this mailbox: if you read this, the restriction "
        "is not effective yet"
    )
    return (
        f"This message was sent by `sendscope verify` (run {plan.run_id}) as {address}, with "
        f"the credentials of app {app_id}, to prove which mailboxes the app can send as.\n"
        f"The app {expected}.\n"
    )
