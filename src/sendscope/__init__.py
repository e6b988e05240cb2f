"""sendscope: lock down Microsoft 365 apps that can send mail as anyone.

The library's entry points are the mailers (docs/library.md)::

    from sendscope import Mailer, OutgoingMessage
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mail import AsyncMailer, Attachment, Mailer, OutgoingMessage, SendingLimits

__all__ = [
    "AsyncMailer",
    "Attachment",
    "Mailer",
    "OutgoingMessage",
    "SendingLimits",
    "__version__",
]

__version__ = "0.1.0"

# The mailers import httpx2 and MSAL: load them on first use, so that `sendscope --version`
# and `--help` start fast.
_MAILER_NAMES = frozenset(
    {"AsyncMailer", "Attachment", "Mailer", "OutgoingMessage", "SendingLimits"}
)


def __getattr__(name: str) -> Any:
    if name in _MAILER_NAMES:
        from . import mail

        return getattr(mail, name)
    raise AttributeError(f"module 'sendscope' has no attribute {name!r}")
