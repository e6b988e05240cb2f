"""The message resource: reading what a client sends, and the JSON Graph answers with.

learn.microsoft.com/graph/api/resources/message. Internally a message *is* its Graph JSON
(the ``data`` column of the ``messages`` table), plus private keys starting with ``_``
(the attachments with their bytes) that never leave the emulator as such. Reading a
client's JSON follows OData: unknown properties and wrong JSON node kinds are 400
``RequestBodyRead`` with OData's own texts; recipient *addresses* are only checked when
the message is submitted (a draft may hold anything, as in Outlook).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...core.ids import id_bytes, iso_utc, ordered_token
from .mail_errors import (
    ErrorInvalidRequest,
    InvalidInternetMessageHeader,
    InvalidInternetMessageHeaderCollection,
    RequestBodyRead,
)

__all__ = [
    "ATTACHMENTS_KEY",
    "MAX_CUSTOM_HEADERS",
    "MESSAGE_PROPERTIES",
    "EmailAddress",
    "address_of",
    "addresses_in",
    "body_preview",
    "decode_base64",
    "file_attachment",
    "item_id",
    "normalize_message",
    "recipients_of",
    "shown",
    "stored_attachment",
]

ATTACHMENTS_KEY = "_attachments"
# "Maximum number of headers in one message should be less than or equal to 5" (observed).
MAX_CUSTOM_HEADERS = 5
_PREVIEW_LENGTH = 255

# Every property of microsoft.graph.message (v1.0), navigation properties included.
MESSAGE_PROPERTIES = (
    "bccRecipients",
    "body",
    "bodyPreview",
    "categories",
    "ccRecipients",
    "changeKey",
    "conversationId",
    "conversationIndex",
    "createdDateTime",
    "flag",
    "from",
    "hasAttachments",
    "id",
    "importance",
    "inferenceClassification",
    "internetMessageHeaders",
    "internetMessageId",
    "isDeliveryReceiptRequested",
    "isDraft",
    "isRead",
    "isReadReceiptRequested",
    "lastModifiedDateTime",
    "parentFolderId",
    "receivedDateTime",
    "replyTo",
    "sender",
    "sentDateTime",
    "subject",
    "toRecipients",
    "uniqueBody",
    "webLink",
    "attachments",
    "extensions",
    "singleValueExtendedProperties",
    "multiValueExtendedProperties",
)
_CANONICAL = {name.lower(): name for name in MESSAGE_PROPERTIES}
_RECIPIENT_LISTS = ("toRecipients", "ccRecipients", "bccRecipients", "replyTo")
_ENUMS = {"importance": ("low", "normal", "high"), "inferenceClassification": ("focused", "other")}
_BODY_TYPES = {"text": "text", "html": "html"}
_FLAGS = ("isDeliveryReceiptRequested", "isReadReceiptRequested")
_TAG = re.compile(r"<[^>]*>")
_NODE: dict[type, str] = {dict: "StartObject", list: "StartArray"}


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """One ``{"emailAddress": {"name", "address"}}`` of a message."""

    address: str
    name: str

    def as_graph(self) -> dict[str, Any]:
        """As Graph shows it: an address without a name shows the address as its name."""
        return {"emailAddress": {"name": self.name or self.address, "address": self.address}}

    def as_given(self) -> dict[str, Any]:
        """As the client gave it (the name may be empty until Exchange resolves it)."""
        return {"emailAddress": {"name": self.name, "address": self.address}}


def item_id(prefix: str = "AAMkA") -> str:
    """An id shaped like Exchange's: URL-safe base64 of an entry id (33 bytes).

    Its first characters grow with every id made, so a mailbox's messages are stored in
    order (Exchange's own ids share a per-mailbox prefix too); the rest is random.
    """
    random_part = base64.urlsafe_b64encode(id_bytes(25))[:33].decode("ascii")
    return f"{prefix}{ordered_token()}{random_part}AAA="


def normalize_message(value: Any, *, now: datetime) -> dict[str, Any]:
    """A client's message JSON, checked and with canonical keys, ready to store."""
    if not isinstance(value, dict):
        raise RequestBodyRead(_unexpected(value, "StartObject"))
    message: dict[str, Any] = {}
    for key, item in value.items():
        if key.startswith("@"):
            continue
        name = _CANONICAL.get(key.lower())
        if name is None:
            raise RequestBodyRead(
                f"The property '{key}' does not exist on type 'microsoft.graph.message'. Make "
                "sure to only use property names that are defined by the type or mark the type "
                "as open type."
            )
        _read_property(message, name, item, now)
    return message


def _read_property(message: dict[str, Any], name: str, item: Any, now: datetime) -> None:
    if item is None:
        return
    if name in _RECIPIENT_LISTS:
        message[name] = [a.as_given() for a in _addresses(item)]
    elif name in ("from", "sender"):
        message[name] = _address(item).as_given()
    elif name == "body":
        message["body"] = _body(item)
    elif name == "attachments":
        message["_attachments"] = [file_attachment(a, now=now) for a in _array(item)]
    elif name == "internetMessageHeaders":
        message[name] = _headers(item)
    elif name in ("subject", "internetMessageId"):
        message[name] = _string(item)
    elif name in _ENUMS:
        message[name] = _enum(item, _ENUMS[name])
    elif name in _FLAGS:
        message[name] = _boolean(item)
    elif name == "categories":
        message[name] = [_string(c) for c in _array(item)]
    elif name == "flag":
        message[name] = item if isinstance(item, dict) else {"flagStatus": "notFlagged"}


def _unexpected(value: Any, expected: str) -> str:
    found = _NODE.get(type(value), "PrimitiveValue")
    return (
        f"An unexpected '{found}' node was found when reading from the JSON reader. "
        f"A '{expected}' node was expected."
    )


def _array(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise RequestBodyRead(_unexpected(value, "StartArray"))
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestBodyRead(_unexpected(value, "StartObject"))
    return value


def _string(value: Any) -> str:
    if isinstance(value, dict | list):
        raise RequestBodyRead(_unexpected(value, "PrimitiveValue"))
    if not isinstance(value, str):
        raise RequestBodyRead(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.String'."
        )
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RequestBodyRead(
        f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'."
    )


def _enum(value: Any, allowed: Sequence[str]) -> str:
    text = _string(value)
    if text.lower() not in allowed:
        raise RequestBodyRead(f"Requested value '{text}' was not found.")
    return text.lower()


def _addresses(value: Any) -> list[EmailAddress]:
    return [_address(item) for item in _array(value)]


def _address(value: Any) -> EmailAddress:
    inner = _object(_object(value).get("emailAddress") or {})
    address = inner.get("address")
    name = inner.get("name")
    return EmailAddress(
        "" if address is None else _string(address).strip(),
        "" if name is None else _string(name),
    )


def _body(value: Any) -> dict[str, str]:
    body = _object(value)
    kind = body.get("contentType") or "text"
    content = body.get("content")
    canonical = _BODY_TYPES.get(_string(kind).lower())
    if canonical is None:
        raise RequestBodyRead(f"Requested value '{kind}' was not found.")
    return {"contentType": canonical, "content": "" if content is None else _string(content)}


def _headers(value: Any) -> list[dict[str, str]]:
    """Custom headers: ``x-`` names only, at most five, never an empty list (observed)."""
    items = _array(value)
    if not items:
        raise InvalidInternetMessageHeaderCollection(
            "The internet message header collection should not be empty."
        )
    if len(items) > MAX_CUSTOM_HEADERS:
        raise InvalidInternetMessageHeaderCollection()
    headers = []
    for item in items:
        header = _object(item)
        name, text = _string(header.get("name") or ""), _string(header.get("value") or "")
        if not name.lower().startswith("x-"):
            raise InvalidInternetMessageHeader(name)
        headers.append({"name": name, "value": text})
    return headers


def file_attachment(value: Any, *, now: datetime) -> dict[str, Any]:
    """A ``#microsoft.graph.fileAttachment`` as stored: metadata and ``contentBytes``."""
    item = _object(value)
    kind = str(item.get("@odata.type") or "#microsoft.graph.fileAttachment")
    if kind.lstrip("#").lower() != "microsoft.graph.fileattachment":
        raise ErrorInvalidRequest(f"The emulator accepts file attachments only, not '{kind}'.")
    content = decode_base64(_string(item.get("contentBytes") or ""))
    return stored_attachment(
        name=_string(item.get("name") or "attachment"),
        content_type=_string(item.get("contentType") or "application/octet-stream"),
        content=content,
        is_inline=_boolean(item.get("isInline", False)),
        content_id=None if item.get("contentId") is None else _string(item["contentId"]),
        now=now,
    )


def stored_attachment(
    *,
    name: str,
    content_type: str,
    content: bytes,
    is_inline: bool,
    content_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "@odata.mediaContentType": content_type,
        "id": item_id(),
        "lastModifiedDateTime": iso_utc(now),
        "name": name,
        "contentType": content_type,
        "size": len(content),
        "isInline": is_inline,
        "contentId": content_id,
        "contentLocation": None,
        "contentBytes": base64.b64encode(content).decode("ascii"),
    }


def decode_base64(text: str) -> bytes:
    """Bytes of a base64 property, or .NET's FormatException text as Graph returns it."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise RequestBodyRead(
            "The input is not a valid Base-64 string as it contains a non-base 64 character, "
            "more than two padding characters, or an illegal character among the padding "
            "characters."
        ) from None


def recipients_of(message: Mapping[str, Any], prop: str) -> list[EmailAddress]:
    """The addresses of one recipient list of a stored message."""
    return addresses_in(message.get(prop) or [])


def addresses_in(items: Sequence[Mapping[str, Any]]) -> list[EmailAddress]:
    return [address_of(item) for item in items]


def shown(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Recipients as Graph shows them (names filled in with addresses)."""
    return [a.as_graph() for a in addresses_in(items)]


def address_of(item: Mapping[str, Any]) -> EmailAddress:
    """The address of a stored ``{"emailAddress": {...}}``."""
    inner = item.get("emailAddress") or {}
    return EmailAddress(str(inner.get("address") or ""), str(inner.get("name") or ""))


def body_preview(body: Mapping[str, str] | None) -> str:
    """The first 255 characters of the body as text: what ``bodyPreview`` holds."""
    if not body:
        return ""
    text = body.get("content", "")
    if body.get("contentType") == "html":
        text = html.unescape(_TAG.sub(" ", text))
    # Whitespace runs as one space, trimmed: str.split() knows the same whitespace as \s.
    return " ".join(text.split())[:_PREVIEW_LENGTH]
