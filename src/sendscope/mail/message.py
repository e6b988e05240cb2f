"""What to send: an outgoing message and its attachments, checked before any network call,
and the Graph JSON it becomes.

The JSON is Graph's ``sendMail`` body (learn.microsoft.com/graph/api/user-sendmail):
``{"message": {subject, body, toRecipients, ccRecipients, bccRecipients, replyTo,
attachments}, "saveToSentItems": false}`` — ``saveToSentItems`` only when false, as the
docs advise. Attachments are ``#microsoft.graph.fileAttachment`` with base64 content.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..auth.credentials import check_address
from ..errors import UsageError

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "Attachment",
    "OutgoingMessage",
    "graph_message",
    "send_mail_payload",
]

# "you can attach files up to 150 MB" (learn.microsoft.com/graph/outlook-large-attachments).
MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024
FILE_ATTACHMENT = "#microsoft.graph.fileAttachment"


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file attached to a message: its name, bytes and MIME type."""

    name: str
    content: bytes = field(repr=False)
    content_type: str = "application/octet-stream"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise UsageError("an attachment needs a file name")
        if len(self.content) > MAX_ATTACHMENT_BYTES:
            raise UsageError(_too_big(self.name, len(self.content)))

    @classmethod
    def from_path(cls, path: Path, option: str = "--attach") -> Attachment:
        """Read a file; UsageError naming it when it cannot be attached."""
        try:
            if str(path) in ("", "."):  # Path("") is "."
                raise UsageError(f"{option} needs a file's path, not '' or '.'")
            if path.is_dir():
                raise UsageError(f"{option} {path}: is a directory, not a file")
            size = path.stat().st_size
            if size > MAX_ATTACHMENT_BYTES:
                raise UsageError(_too_big(str(path), size))
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{option} {path}: cannot read it ({exc.strerror})") from None
        return cls(path.name, content, guess_content_type(path.name))

    @property
    def size(self) -> int:
        return len(self.content)

    def as_graph(self) -> dict[str, Any]:
        return {
            "@odata.type": FILE_ATTACHMENT,
            "name": self.name,
            "contentType": self.content_type,
            "contentBytes": base64.b64encode(self.content).decode("ascii"),
        }


def guess_content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def _too_big(name: str, size: int) -> str:
    return (
        f"{name} is {size / 1048576:.1f} MB: Outlook takes attachments up to 150 MB. "
        "Share a link to the file instead."
    )


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to send as the mailbox ``sender`` (the CLI's ``--from``).

    Addresses are checked when the message is made, so a bad one fails before any network
    call. ``to``, ``cc``, ``bcc`` and ``reply_to`` take a sequence of addresses (a single
    string, or one with commas, is split) and hold tuples. At least one recipient.
    """

    sender: str
    to: Sequence[str] = ()
    subject: str = ""
    body: str = ""
    html: bool = False
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    reply_to: Sequence[str] = ()
    attachments: Sequence[Attachment] = ()
    save_to_sent_items: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", check_address(str(self.sender), "--from"))
        for name in ("to", "cc", "bcc", "reply_to"):
            option = "--" + name.replace("_", "-")
            object.__setattr__(self, name, _addresses(getattr(self, name), option))
        if not self.recipients:
            raise UsageError("no recipient: give at least one --to (or --cc / --bcc) address")
        attachments = tuple(self.attachments)
        if not all(isinstance(a, Attachment) for a in attachments):
            raise UsageError("attachments must be Attachment values (Attachment.from_path)")
        object.__setattr__(self, "attachments", attachments)

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address the message goes to: to, cc and bcc (what Exchange counts)."""
        return (*self.to, *self.cc, *self.bcc)


def _addresses(value: str | Iterable[str], option: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value)
    parts = [part for item in items for part in str(item).split(",")]
    return tuple(check_address(part, option) for part in parts if part.strip())


def _recipients(addresses: Sequence[str]) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": address}} for address in addresses]


def graph_message(
    message: OutgoingMessage, attachments: Iterable[Attachment] | None = None
) -> dict[str, Any]:
    """The Graph ``message`` resource; ``attachments`` overrides which ones go inline."""
    inline = message.attachments if attachments is None else tuple(attachments)
    body: dict[str, Any] = {
        "subject": message.subject,
        "body": {"contentType": "HTML" if message.html else "Text", "content": message.body},
        "toRecipients": _recipients(message.to),
    }
    for key, addresses in (
        ("ccRecipients", message.cc),
        ("bccRecipients", message.bcc),
        ("replyTo", message.reply_to),
    ):
        if addresses:
            body[key] = _recipients(addresses)
    if inline:
        body["attachments"] = [a.as_graph() for a in inline]
    return body


def send_mail_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The whole ``sendMail`` request body, every attachment inline."""
    payload: dict[str, Any] = {"message": graph_message(message)}
    if not message.save_to_sent_items:
        payload["saveToSentItems"] = False
    return payload
