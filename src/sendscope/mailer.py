"""The mailer, as ``architecture.md`` names the use case: see ``sendscope.mail``.

``from sendscope.mailer import Mailer, AsyncMailer, OutgoingMessage`` works as well as
``from sendscope import …`` once the package root exports them.
"""

from .mail import (
    DEFAULT_MAX_WAIT,
    AsyncMailer,
    Attachment,
    Clock,
    Mailer,
    MailerSettings,
    OutgoingMessage,
    Pacer,
    SendingLimits,
    SendReceipt,
    SendResult,
    SendStatus,
    SystemClock,
)

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
