"""How a message travels: one ``sendMail`` request, or a draft with an upload session.

Graph takes at most 4 MB in one request: "when using the Microsoft Graph endpoint, there
is a 4MB limit on the size of a request" (Microsoft staff; m365-domain.md §3.4). The exact
threshold in bytes is UNCONFIRMED; ``MAX_REQUEST_BYTES`` is the one place it lives.
Attachments grow by a third in base64, so about 3 MB of files fill a request.

Larger files need an upload session (learn.microsoft.com/graph/outlook-large-attachments):
a draft (``POST /users/{id}/messages``), ``createUploadSession`` per file of 3 MB or more,
the bytes in ``PUT``s of under 4 MB each (multiples of 320 KiB), then ``…/send``. Drafts
and upload sessions need ``Mail.ReadWrite``, which reaches every message of every mailbox
the app can reach — so sendscope takes that path only when told to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from .message import Attachment, OutgoingMessage, graph_message, send_mail_payload

__all__ = [
    "MAX_REQUEST_BYTES",
    "UPLOAD_CHUNK_BYTES",
    "UPLOAD_SESSION_MIN_BYTES",
    "InlinePlan",
    "UploadPlan",
    "byte_ranges",
    "encode_json",
    "plan_delivery",
]

MAX_REQUEST_BYTES = 4 * 1024 * 1024  # UNCONFIRMED: Graph says "4MB"; bytes assumed binary.
# "If the file size is under 3 MB, do a single POST … 3 MB to 150 MB, create an upload
# session" (outlook-large-attachments); the emulator refuses smaller sessions, as Outlook.
UPLOAD_SESSION_MIN_BYTES = 3 * 1024 * 1024
# Chunks must be under 4 MB; Microsoft's upload guidance asks for multiples of 320 KiB.
UPLOAD_CHUNK_BYTES = 12 * 320 * 1024


def encode_json(value: Any) -> bytes:
    """The exact bytes sent, so the size checked is the size on the wire."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class InlinePlan:
    """One ``sendMail`` request carrying everything."""

    body: bytes

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def method(self) -> str:
        return "sendMail"

    def uploaded(self, attachment: Attachment) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """A draft (with the small attachments that fit), more small ones POSTed one by one,
    large ones through upload sessions, then ``send``."""

    draft: bytes
    posted: tuple[Attachment, ...]
    large: tuple[Attachment, ...]

    @property
    def size(self) -> int:
        files = sum(a.size for a in self.large)
        return len(self.draft) + sum(_posted_size(a) for a in self.posted) + files

    @property
    def method(self) -> str:
        return "uploadSession"

    def uploaded(self, attachment: Attachment) -> bool:
        return any(a is attachment for a in self.large)


def plan_delivery(
    message: OutgoingMessage, *, allow_upload_session: bool
) -> InlinePlan | UploadPlan:
    """The inline request if it fits in 4 MB; else an upload plan, if allowed."""
    # Base64 alone past the limit: no need to build a 200 MB body to measure it.
    encoded = sum(_base64_size(a.size) for a in message.attachments)
    body = encode_json(send_mail_payload(message)) if encoded <= MAX_REQUEST_BYTES else b""
    if body and len(body) <= MAX_REQUEST_BYTES:
        return InlinePlan(body)
    if not allow_upload_session:
        raise UsageError(_too_large(message, len(body) or encoded))
    if not message.save_to_sent_items:
        raise UsageError(
            "--no-save-to-sent cannot be honoured for a message this large: Graph's send of a "
            "draft always keeps a copy in Sent Items. Nothing was sent; drop one of the two "
            "options."
        )
    return _upload_plan(message)


def _upload_plan(message: OutgoingMessage) -> UploadPlan:
    large = [a for a in message.attachments if _needs_session(a)]
    small = [a for a in message.attachments if not _needs_session(a)]
    inline: list[Attachment] = []
    for attachment in sorted(small, key=lambda a: a.size):
        if len(_draft(message, [*inline, attachment])) <= MAX_REQUEST_BYTES:
            inline.append(attachment)
    draft = _draft(message, inline)
    if len(draft) > MAX_REQUEST_BYTES:
        raise UsageError(
            f"The message text alone is {_mb(len(draft))} as a Graph request, over Graph's 4 MB "
            "request limit; only attachments can go through an upload session. Nothing was "
            "sent; shorten the body or send it as an attachment."
        )
    posted = tuple(a for a in small if not any(a is i for i in inline))
    return UploadPlan(draft, posted, tuple(large))


def _needs_session(attachment: Attachment) -> bool:
    too_big_alone = _posted_size(attachment) > MAX_REQUEST_BYTES
    return attachment.size >= UPLOAD_SESSION_MIN_BYTES or too_big_alone


def _base64_size(size: int) -> int:
    return 4 * ((size + 2) // 3)


def _posted_size(attachment: Attachment) -> int:
    """The size of ``POST …/attachments`` for this file, without encoding it."""
    empty = Attachment(attachment.name, b"", attachment.content_type)
    return len(encode_json(empty.as_graph())) + _base64_size(attachment.size)


def _draft(message: OutgoingMessage, inline: list[Attachment]) -> bytes:
    return encode_json(graph_message(message, inline))


def _too_large(message: OutgoingMessage, size: int) -> str:
    biggest = max(message.attachments, key=lambda a: a.size, default=None)
    largest = (
        ""
        if biggest is None
        else f"; the largest attachment, {biggest.name}, is {_mb(biggest.size)}"
    )
    return (
        f"The message is {_mb(size)} as one Graph request, over Graph's 4 MB request limit "
        f"(attachments grow by a third when base64-encoded{largest}). Nothing was sent. "
        "Attachments that large need an upload session, and an upload session needs the "
        "Mail.ReadWrite application permission, which lets the app read and change every "
        "message in every mailbox it can reach, not only send. Attach less (or share a link), "
        "or, if the app already holds Mail.ReadWrite, pass --allow-upload-session "
        "(allow_upload_session=True in the library)."
    )


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def byte_ranges(total: int, chunk: int = UPLOAD_CHUNK_BYTES) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each PUT, ``end`` exclusive, in order."""
    for start in range(0, total, chunk):
        yield start, min(start + chunk, total)
