"""Sending mail as a mailbox with an app's own credentials: the ``send`` use case.

- ``message``: ``OutgoingMessage`` and ``Attachment``, checked before any request, and the
  Graph JSON they become.
- ``plan``: one ``sendMail`` within Graph's 4 MB request limit, or a draft + upload session.
- ``steps``: the Graph calls of a delivery as data, run by a blocking or an async driver.
- ``explain``: each refusal as a sentence that says what to do.
- ``pacing``: Exchange Online's sending limits and Outlook's concurrency, clock injected.
- ``sync_mailer`` / ``async_mailer``: ``Mailer`` and ``AsyncMailer``.
"""

from .async_mailer import AsyncMailer
from .common import DEFAULT_MAX_WAIT, MailerSettings
from .message import Attachment, OutgoingMessage
from .pacing import Clock, Pacer, SendingLimits, SystemClock
from .results import SendReceipt, SendResult, SendStatus
from .sync_mailer import Mailer

__all__ = [
    "DEFAULT_MAX_WAIT",
    "AsyncMailer",
    "Attachment",
    "Clock",
    "Mailer",
    "MailerSettings",
    "OutgoingMessage",
    "Pacer",
    "SendReceipt",
    "SendResult",
    "SendStatus",
    "SendingLimits",
    "SystemClock",
]
