"""What became of a message: accepted by Graph, refused (not sent), or unknown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..errors import AmbiguousOutcome, SendscopeError
from .message import OutgoingMessage

__all__ = ["SendReceipt", "SendResult", "SendStatus", "status_of"]


class SendStatus(StrEnum):
    """``accepted``: Graph answered 202 (accepted for delivery, not yet delivered).
    ``refused``: not sent — Microsoft 365 said no, throttling outlasted the retry budget,
    the pacer would have waited too long, or the message was invalid; safe to send again
    once the cause is gone. ``unknown``: the sending request was written and no clear
    answer came; it may have been sent, and sendscope never sends it again by itself."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """Graph's 202 for one message: who sent it, to how many, by which path, request id."""

    sender: str
    recipients: int
    request_id: str
    method: str
    size: int


@dataclass(frozen=True, slots=True)
class SendResult:
    """One message of ``send_many``: its status, and the receipt or the error."""

    message: OutgoingMessage
    status: SendStatus
    receipt: SendReceipt | None = None
    error: SendscopeError | None = None

    @property
    def accepted(self) -> bool:
        return self.status is SendStatus.ACCEPTED


def status_of(error: SendscopeError) -> SendStatus:
    """``unknown`` exactly when the message may have been sent: ``AmbiguousOutcome``."""
    return SendStatus.UNKNOWN if isinstance(error, AmbiguousOutcome) else SendStatus.REFUSED
