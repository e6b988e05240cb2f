"""What the sync and async mailers share: settings, planning, receipts, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import AuthenticationFailed, SendscopeError, Throttled
from .message import OutgoingMessage
from .pacing import Clock, Hold, Pacer, SendingLimits, SystemClock
from .plan import InlinePlan, UploadPlan, plan_delivery
from .results import SendReceipt, SendResult, SendStatus, status_of
from .steps import Delivered

__all__ = [
    "DEFAULT_MAX_WAIT",
    "MailerSettings",
    "held_too_long",
    "is_fatal",
    "receipt",
    "refused",
    "result_for",
]

# The longest one message waits for the pacer before it is refused instead: long enough
# for the per-minute limit, far shorter than waiting out a day's recipient limit.
DEFAULT_MAX_WAIT = 900.0


@dataclass(frozen=True, slots=True)
class MailerSettings:
    """How a mailer paces and bounds its sends.

    - ``limits``: per-mailbox sending limits and concurrency (Exchange Online's defaults).
    - ``max_concurrency``: an overall cap on requests in flight across all mailboxes.
    - ``max_wait``: seconds a message may wait for the pacer before it is refused.
    - ``allow_upload_session``: send messages over 4 MB by draft + upload session (needs
      Mail.ReadWrite); without it they are refused before any request.
    - ``clock``: time and sleep, injectable (tests pass a fake and never sleep).
    """

    limits: SendingLimits = field(default_factory=SendingLimits)
    max_concurrency: int | None = None
    max_wait: float = DEFAULT_MAX_WAIT
    allow_upload_session: bool = False
    clock: Clock = field(default_factory=SystemClock)

    def pacer(self) -> Pacer:
        return Pacer(self.limits, self.clock)

    def plan(self, message: OutgoingMessage, pacer: Pacer) -> InlinePlan | UploadPlan:
        """Everything checkable before a request: recipient budget, size, path."""
        pacer.check(len(message.recipients))
        return plan_delivery(message, allow_upload_session=self.allow_upload_session)


def receipt(
    message: OutgoingMessage, plan: InlinePlan | UploadPlan, done: Delivered
) -> SendReceipt:
    return SendReceipt(
        message.sender, len(message.recipients), done.request_id, done.method, plan.size
    )


def held_too_long(
    message: OutgoingMessage, hold: Hold, waited: float, max_wait: float
) -> Throttled:
    return Throttled(
        f"Not sent: sending as {message.sender} now would go over Exchange Online's limit of "
        f"{hold.limit} for one mailbox, and the next free slot is {_duration(hold.seconds)} "
        f"away — past the {_duration(max_wait)} this message may wait (waited "
        f"{_duration(waited)} already). Send it later, or raise max_wait."
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def is_fatal(error: SendscopeError) -> bool:
    """Entra refused the app's credentials: no later message can do better."""
    return isinstance(error, AuthenticationFailed) and error.failure is None


def refused(message: OutgoingMessage, error: SendscopeError) -> SendResult:
    return SendResult(message, status_of(error), error=error)


def result_for(message: OutgoingMessage, done: SendReceipt) -> SendResult:
    return SendResult(message, SendStatus.ACCEPTED, receipt=done)
