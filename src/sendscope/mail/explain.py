"""Each way Exchange and Graph refuse a message, as a sentence that says what to do.

The exception class (and so the exit code, architecture.md) comes from the one mapping
boundary, clients/errors.py; here the sentence is rewritten with what only the mailer
knows — the mailbox, the app, the step, the token's roles — and ``failure`` is kept.
Two rules decide the outcome class: before the sending step nothing was sent, so an
ambiguous answer there becomes ``ServiceUnavailable``; at the sending step, a 5xx or a
lost answer is ``AmbiguousOutcome`` ("may or may not have been sent"), never retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import (
    AccessPolicyDenied,
    AmbiguousOutcome,
    ApiFailure,
    AuthenticationFailed,
    MailboxNotEnabled,
    MailboxNotFound,
    PermissionMissing,
    RequestRejected,
    SendAsDenied,
    SendscopeError,
    ServiceUnavailable,
    Throttled,
)
from .message import OutgoingMessage
from .steps import Action, StepFailed

__all__ = ["SendContext", "explain"]


@dataclass(frozen=True, slots=True)
class SendContext:
    """What the sentences name: the message, the app and tenant, the token's roles."""

    message: OutgoingMessage
    client_id: str
    tenant: str
    roles: tuple[str, ...] | None = None

    @property
    def mailbox(self) -> str:
        return self.message.sender


def explain(failed: StepFailed, context: SendContext) -> SendscopeError:
    """The exception to show for a failed step: same class family, a better sentence."""
    error = failed.error
    for kind, sentence in _SENTENCES:
        if isinstance(error, kind):
            return sentence(failed, context)
    return error


def _said(failure: ApiFailure | None) -> str:
    if failure is None:
        return ""
    ref = f" (request-id {failure.request_id})" if failure.request_id else ""
    return f" Graph said: {failure.status} {failure.code}: {failure.message}{ref}"


def _leftover(failed: StepFailed, context: SendContext) -> str:
    step = failed.step
    if step.draft_id:
        return (
            f" A draft of the message stays in the Drafts folder of {context.mailbox}; delete it."
        )
    if step.action is Action.CREATE_DRAFT and isinstance(failed.error, AmbiguousOutcome):
        return f" A draft may have been left in the Drafts folder of {context.mailbox}."
    return ""


def _access_policy(failed: StepFailed, c: SendContext) -> SendscopeError:
    m, app = c.mailbox, c.client_id
    return AccessPolicyDenied(
        f"Sending as {m} was refused by Exchange: an Application Access Policy keeps app "
        f"{app} away from this mailbox. Send as a mailbox inside the policy's scope, or ask an "
        f"admin (sendscope test-policy --app {app} {m} shows which policy decides)."
        + _said(failed.error.failure)
        + _leftover(failed, c),
        failure=failed.error.failure,
    )


def _permission(failed: StepFailed, c: SendContext) -> SendscopeError:
    needs, m, app = failed.step.action.needs, c.mailbox, c.client_id
    roles = c.roles
    what = "Sending" if needs == "Mail.Send" else "Preparing the large attachments"
    if roles is not None and needs in roles:
        text = (
            f"{what} as {m} was refused by Exchange although app {app} holds {needs}: Exchange "
            "keeps the app away from this mailbox (an RBAC for Applications scope or another "
            f"mailbox restriction). Ask an admin to check with: sendscope test-policy --app "
            f"{app} {m}."
        )
    else:
        held = "" if roles is None else f" (its token's roles: {', '.join(roles) or 'none'})"
        text = (
            f"{what} as {m} was refused: app {app} does not hold the {needs} application "
            f"permission on Microsoft Graph in tenant {c.tenant}{held}. "
        )
        text += _grant(needs)
    return PermissionMissing(
        text + _said(failed.error.failure) + _leftover(failed, c), failure=failed.error.failure
    )


def _grant(needs: str) -> str:
    how = (
        f"Add {needs} (Microsoft Graph, Application permission) to the app registration's "
        "API permissions and have an admin grant consent, then try again."
    )
    if needs == "Mail.Send":
        return how
    return (
        "Upload sessions need Mail.ReadWrite, which lets the app read and change every "
        "message in every mailbox it can reach: grant it only if that is acceptable — "
        "or send attachments under 3 MB. " + how
    )


def _not_found(failed: StepFailed, c: SendContext) -> SendscopeError:
    return MailboxNotFound(
        f"There is no mailbox {c.mailbox} in tenant {c.tenant}: Graph knows no user by that "
        "address. Check --from: it must be the user principal name or an email address of a "
        "user in this tenant." + _said(failed.error.failure),
        failure=failed.error.failure,
    )


def _not_enabled(failed: StepFailed, c: SendContext) -> SendscopeError:
    return MailboxNotEnabled(
        f"{c.mailbox} exists in tenant {c.tenant} but has no Exchange Online mailbox Graph can "
        "use (unlicensed, inactive, soft-deleted or on-premises). Assign it a licence that "
        "includes Exchange Online, or send as a mailbox that has one."
        + _said(failed.error.failure),
        failure=failed.error.failure,
    )


def _send_as(failed: StepFailed, c: SendContext) -> SendscopeError:
    return SendAsDenied(
        f"Exchange refused to submit the message as {c.mailbox}: the message names a From or "
        f"Sender address that {c.mailbox} has no Send As or Send on Behalf right for. Send "
        "without a different From address, or ask an admin to grant that right."
        + _said(failed.error.failure)
        + _leftover(failed, c),
        failure=failed.error.failure,
    )


def _rejected(failed: StepFailed, c: SendContext) -> SendscopeError:
    failure = failed.error.failure
    code = failure.code if failure else ""
    if code == "ErrorInvalidRecipients":
        text = (
            f"Exchange refused the recipients of the message from {c.mailbox}. Check the "
            "--to, --cc and --bcc addresses; nothing was sent."
        )
    elif failure is not None and "request length" in failure.message.lower():
        text = (
            f"Graph refused the message from {c.mailbox} as larger than its 4 MB request "
            "limit. Nothing was sent; attach less, or see docs/send.md on upload sessions."
        )
    else:
        text = f"Graph refused the message from {c.mailbox}; nothing was sent."
    return RequestRejected(text + _said(failure) + _leftover(failed, c), failure=failure)


def _unauthorised(failed: StepFailed, c: SendContext) -> SendscopeError:
    failure = failed.error.failure
    if failure is None:  # Entra refused the credentials: its sentence is already the best.
        return failed.error
    return AuthenticationFailed(
        f"Graph refused the token of app {c.client_id} even after a fresh one was fetched; "
        "nothing was sent. Check that the app's tenant and cloud match the mailbox's."
        + _said(failure),
        failure=failure,
    )


def _throttled(failed: StepFailed, c: SendContext) -> SendscopeError:
    failure = failed.error.failure
    wait = failure.retry_after if failure else None
    later = f" (Graph asked to wait {wait:.0f} s)" if wait else ""
    return Throttled(
        f"Not sent: Graph kept throttling requests as {c.mailbox} past sendscope's retry "
        f"budget{later}. A throttled request is not processed, so nothing was sent; try again "
        "later." + _said(failure) + _leftover(failed, c),
        failure=failure,
    )


def _unavailable(failed: StepFailed, c: SendContext) -> SendscopeError:
    failure = failed.error.failure
    if failed.step.sends and failure is not None:
        return _maybe_sent(
            c, f"Graph answered {failure.status} {failure.code} to the send request", failure
        )
    if failure is None:
        return ServiceUnavailable(f"Not sent: {failed.error.message}")
    return ServiceUnavailable(
        f"Not sent: Graph was unavailable while preparing the message from {c.mailbox}; try "
        "again later." + _said(failure) + _leftover(failed, c),
        failure=failure,
    )


def _ambiguous(failed: StepFailed, c: SendContext) -> SendscopeError:
    cause = failed.error.__context__
    why = f" ({type(cause).__name__})" if cause is not None else ""
    if failed.step.sends:
        return _maybe_sent(c, f"the send request was written but no answer came{why}", None)
    return ServiceUnavailable(
        f"Not sent: a request preparing the message from {c.mailbox} got no answer{why}; the "
        "message itself was never sent. Try again." + _leftover(failed, c)
    )


def _maybe_sent(c: SendContext, what: str, failure: ApiFailure | None) -> AmbiguousOutcome:
    where = (
        f"look in the Sent Items of {c.mailbox} (or ask a recipient)"
        if c.message.save_to_sent_items
        else "ask a recipient (it was sent without a copy in Sent Items)"
    )
    return AmbiguousOutcome(
        f"The message from {c.mailbox} may or may not have been sent: {what}. sendscope does "
        f"not resend; {where} before sending again." + _said(failure),
        failure=failure,
    )


_SENTENCES: list[
    tuple[type[SendscopeError], Callable[[StepFailed, SendContext], SendscopeError]]
] = [
    (AccessPolicyDenied, _access_policy),
    (PermissionMissing, _permission),
    (MailboxNotFound, _not_found),
    (MailboxNotEnabled, _not_enabled),
    (SendAsDenied, _send_as),
    (RequestRejected, _rejected),
    (AuthenticationFailed, _unauthorised),
    (Throttled, _throttled),
    (ServiceUnavailable, _unavailable),
    (AmbiguousOutcome, _ambiguous),
]
