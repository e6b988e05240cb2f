"""``sendMail`` in MIME format: a base64 RFC 822 message read into a Graph message.

learn.microsoft.com/graph/api/user-sendmail ("Send mail in MIME format"): the body is the
base64 of the whole MIME message, with ``Content-Type: text/plain``; a body that is not
base64 is 400 ``ErrorMimeContentInvalidBase64String`` (m365-domain §3.3). The stdlib
``email`` package reads the message; what it finds lands in the same stored form as the
JSON variant, so the rest of the submission cannot tell them apart.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from ..exceptions import ErrorMimeContentInvalidBase64String
from .mail_message import ATTACHMENTS_KEY, EmailAddress, stored_attachment

__all__ = ["MIME_CONTENT_TYPE", "is_mime", "parse_mime"]

MIME_CONTENT_TYPE = "text/plain"
_WHITESPACE = re.compile(rb"\s+")
_ADDRESS_HEADERS = (
    ("toRecipients", "to"),
    ("ccRecipients", "cc"),
    ("bccRecipients", "bcc"),
    ("replyTo", "reply-to"),
)


def is_mime(content_type: str | None) -> bool:
    """Whether a sendMail body is the MIME variant (``text/plain``)."""
    return (content_type or "").split(";", 1)[0].strip().lower() == MIME_CONTENT_TYPE


def parse_mime(raw: bytes, *, now: datetime) -> dict[str, Any]:
    """The stored form of the message a base64 MIME body carries."""
    parsed = BytesParser(policy=policy.default).parsebytes(_decode(raw))
    assert isinstance(parsed, EmailMessage)
    message: dict[str, Any] = {
        "subject": str(parsed.get("subject") or ""),
        "body": _body(parsed),
        ATTACHMENTS_KEY: _attachments(parsed, now),
    }
    for prop, header in _ADDRESS_HEADERS:
        message[prop] = [a.as_given() for a in _addresses(parsed, header)]
    for prop, header in (("from", "from"), ("sender", "sender")):
        found = _addresses(parsed, header)
        if found:
            message[prop] = found[0].as_given()
    custom = [{"name": k, "value": str(v)} for k, v in parsed.items() if k.lower().startswith("x-")]
    if custom:
        message["internetMessageHeaders"] = custom
    if parsed.get("message-id"):
        message["internetMessageId"] = str(parsed["message-id"]).strip()
    return message


def _decode(raw: bytes) -> bytes:
    text = _WHITESPACE.sub(b"", raw)
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ErrorMimeContentInvalidBase64String() from None
    if not decoded:
        raise ErrorMimeContentInvalidBase64String()
    return decoded


def _addresses(parsed: EmailMessage, header: str) -> list[EmailAddress]:
    found = []
    for value in parsed.get_all(header) or []:
        for address in getattr(value, "addresses", ()):
            found.append(EmailAddress(address.addr_spec, address.display_name))
    return found


def _body(parsed: EmailMessage) -> dict[str, str]:
    part = parsed.get_body(preferencelist=("html", "plain"))
    if part is None:
        return {"contentType": "text", "content": ""}
    kind = "html" if part.get_content_subtype() == "html" else "text"
    content = part.get_content()
    return {"contentType": kind, "content": content if isinstance(content, str) else ""}


def _attachments(parsed: EmailMessage, now: datetime) -> list[dict[str, Any]]:
    found = []
    for part in parsed.iter_attachments():
        payload = part.get_payload(decode=True)
        content_id = part.get("content-id")
        found.append(
            stored_attachment(
                name=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                content=payload if isinstance(payload, bytes) else b"",
                is_inline=part.get_content_disposition() == "inline",
                content_id=str(content_id).strip("<> ") if content_id else None,
                now=now,
            )
        )
    return found
