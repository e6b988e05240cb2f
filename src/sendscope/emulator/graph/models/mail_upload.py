"""Attachments: small ones in one POST, large ones (3–150 MB) through an upload session.

learn.microsoft.com/graph/outlook-large-attachments (m365-domain §3.4): the session's
``uploadUrl`` is pre-authenticated — it carries its own token in ``?authtoken=`` and the
``PUT``s have no Authorization header. Here it is a JWT the emulator signs for exactly one
session (audience Outlook's, so Graph never accepts it as a bearer token). Bytes must
arrive in order; intermediate ``PUT``s answer 200 with ``nextExpectedRanges`` (a bare
offset, as the docs show), the last one 201 with the attachment's URL in ``Location``.

Sessions and their bytes live in memory (``UploadSessions``), as transient as Outlook's:
an emulator restart drops unfinished uploads. A finished file becomes an attachment of the
draft in the store.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...core.directory import Directory, Mailbox
from ...core.state import EmulatorState
from ...core.tokens import TokenRejected
from ..auth import Caller
from ..exceptions import BadRequest, InvalidAuthenticationToken
from .mail import MAX_REQUEST_BYTES, refresh_derived
from .mail_errors import (
    ErrorAttachmentSizeLimitExceeded,
    ErrorAttachmentSizeShouldNotBeLessThanMinimumSize,
    ErrorInvalidRequest,
    ErrorItemNotFound,
    RequestBodyRead,
)
from .mail_message import ATTACHMENTS_KEY, file_attachment, item_id, stored_attachment
from .mail_store import get_message, save_message

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MIN_UPLOAD_SESSION_BYTES",
    "UPLOAD_SESSION_LIFETIME",
    "UPLOAD_TOKEN_AUDIENCE",
    "UploadProgress",
    "UploadSession",
    "UploadSessions",
    "add_attachment",
    "attachment_view",
    "cancel_upload",
    "create_upload_session",
    "get_attachment",
    "list_attachments",
    "upload_chunk",
    "verify_upload_token",
]

MIN_UPLOAD_SESSION_BYTES = 3 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024
# How long an uploadUrl's token lives. The docs only show that it expires
# ("expirationDateTime"); the length is a guess (UNCONFIRMED).
UPLOAD_SESSION_LIFETIME = 6 * 3600
UPLOAD_TOKEN_AUDIENCE = "https://outlook.office.com/api/"
_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+)\s*$", re.IGNORECASE)


def attachment_view(attachment: dict[str, Any], *, with_content: bool = True) -> dict[str, Any]:
    view = dict(attachment)
    if not with_content:
        view.pop("contentBytes", None)
    return view


def _attachments(state: EmulatorState, mailbox: Mailbox, message_id: str) -> list[dict[str, Any]]:
    attachments: list[dict[str, Any]] = (
        get_message(state, mailbox, message_id).data.get(ATTACHMENTS_KEY) or []
    )
    return attachments


def list_attachments(
    state: EmulatorState, mailbox: Mailbox, message_id: str
) -> list[dict[str, Any]]:
    return [attachment_view(a) for a in _attachments(state, mailbox, message_id)]


def get_attachment(
    state: EmulatorState, mailbox: Mailbox, message_id: str, attachment_id: str
) -> dict[str, Any]:
    for attachment in _attachments(state, mailbox, message_id):
        if attachment["id"] == attachment_id:
            return attachment_view(attachment)
    raise ErrorItemNotFound()


def _attach(
    state: EmulatorState, mailbox: Mailbox, message_id: str, attachment: dict[str, Any]
) -> None:
    with state.store.tx():
        stored = get_message(state, mailbox, message_id)
        stored.data.setdefault(ATTACHMENTS_KEY, []).append(attachment)
        refresh_derived(stored.data)
        save_message(state, mailbox, stored.folder, stored.data)


def add_attachment(
    state: EmulatorState, mailbox: Mailbox, message_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """``POST …/messages/{id}/attachments``: one file attachment (the 4 MB request limit
    keeps it under 3 MB of content, as the docs advise)."""
    attachment = file_attachment(body, now=state.clock.now())
    _attach(state, mailbox, message_id, attachment)
    return attachment_view(attachment)


@dataclass(slots=True)
class UploadSession:
    """One large file on its way to a message: where it goes and the bytes so far."""

    id: str
    tenant_id: str
    mailbox_id: str
    app_id: str
    message_id: str
    name: str
    size: int
    content_type: str
    is_inline: bool
    content_id: str | None
    expires: float
    received: bytearray = field(default_factory=bytearray)

    @property
    def owner(self) -> str:
        """How Outlook names the mailbox in the uploadUrl: ``{object id}@{tenant id}``."""
        return f"{self.mailbox_id}@{self.tenant_id}"

    def expiration(self) -> str:
        return datetime.fromtimestamp(self.expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


class UploadSessions:
    """The upload sessions of one emulator, in memory; expired ones are forgotten."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._sessions: dict[str, UploadSession] = {}
        self._lock = threading.Lock()

    def add(self, session: UploadSession) -> None:
        with self._lock:
            self._forget_expired()
            self._sessions[session.id] = session

    def get(self, session_id: str) -> UploadSession:
        with self._lock:
            self._forget_expired()
            session = self._sessions.get(session_id)
        if session is None:
            raise ErrorItemNotFound()
        return session

    def remove(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _forget_expired(self) -> None:
        now = self._now()
        for sid in [s.id for s in self._sessions.values() if s.expires <= now]:
            del self._sessions[sid]


def create_upload_session(
    state: EmulatorState,
    sessions: UploadSessions,
    caller: Caller,
    mailbox: Mailbox,
    message_id: str,
    body: dict[str, Any],
) -> tuple[UploadSession, str]:
    """``POST …/attachments/createUploadSession``: the session and its upload token."""
    get_message(state, mailbox, message_id)
    item = _attachment_item(body)
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RequestBodyRead(
            f"Cannot convert the literal '{size}' to the expected type 'Edm.Int64'."
        )
    if size < MIN_UPLOAD_SESSION_BYTES:
        raise ErrorAttachmentSizeShouldNotBeLessThanMinimumSize()
    if size > MAX_ATTACHMENT_BYTES:
        raise ErrorAttachmentSizeLimitExceeded()
    session = UploadSession(
        id=item_id(),
        tenant_id=mailbox.tenant_id,
        mailbox_id=mailbox.object_id,
        app_id=caller.app_id,
        message_id=message_id,
        name=str(item.get("name") or "attachment"),
        size=size,
        content_type=str(item.get("contentType") or "application/octet-stream"),
        is_inline=bool(item.get("isInline", False)),
        content_id=item.get("contentId"),
        expires=state.clock.real_now() + UPLOAD_SESSION_LIFETIME,
    )
    sessions.add(session)
    return session, _upload_token(state, session)


def _attachment_item(body: dict[str, Any]) -> dict[str, Any]:
    item = next((v for k, v in body.items() if k.lower() == "attachmentitem"), None)
    if not isinstance(item, dict):
        # Text guessed; the parameter is required by the docs.
        raise ErrorInvalidRequest("Required parameter 'AttachmentItem' is missing.")
    kind = str(item.get("attachmentType") or "file")
    if kind.lower() != "file":
        raise ErrorInvalidRequest(f"The emulator uploads file attachments only, not '{kind}'.")
    return item


def _upload_token(state: EmulatorState, session: UploadSession) -> str:
    now = int(state.clock.real_now())
    return state.signing_key.sign(
        {
            "aud": UPLOAD_TOKEN_AUDIENCE,
            "iss": f"https://sts.windows.net/{session.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": int(session.expires),
            "ver": "1.0",
            "tid": session.tenant_id,
            "appid": session.app_id,
            "oid": session.mailbox_id,
            "msg": session.message_id,
            "sid": session.id,
        }
    )


def verify_upload_token(
    state: EmulatorState, token: str | None, owner: str, message_id: str, session_id: str
) -> dict[str, Any]:
    """The claims of an uploadUrl's ``authtoken``, which must name this very session."""
    if not token:
        raise InvalidAuthenticationToken("Access token is empty.")
    try:
        claims = state.signing_key.verify(
            token, audiences=frozenset({UPLOAD_TOKEN_AUDIENCE}), now=state.clock.real_now()
        )
    except TokenRejected:
        raise InvalidAuthenticationToken("Access token validation failure.") from None
    named = (f"{claims.get('oid')}@{claims.get('tid')}", claims.get("msg"), claims.get("sid"))
    if named != (owner, message_id, session_id):
        raise InvalidAuthenticationToken("Access token validation failure.")
    return claims


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """After one PUT: the next offset expected, or the finished attachment's id."""

    session: UploadSession
    next_offset: int | None
    attachment_id: str | None


def upload_chunk(
    state: EmulatorState,
    sessions: UploadSessions,
    session_id: str,
    content_range: str | None,
    data: bytes,
) -> UploadProgress:
    """Append one byte range; on the last one, attach the file to the message."""
    session = sessions.get(session_id)
    _check_range(session, content_range, data)
    session.received.extend(data)
    if len(session.received) < session.size:
        return UploadProgress(session, len(session.received), None)
    mailbox = Directory(state.store).mailbox(session.tenant_id, session.mailbox_id)
    if mailbox is None:
        raise ErrorItemNotFound()
    attachment = stored_attachment(
        name=session.name,
        content_type=session.content_type,
        content=bytes(session.received),
        is_inline=session.is_inline,
        content_id=session.content_id,
        now=state.clock.now(),
    )
    sessions.remove(session_id)
    _attach(state, mailbox, session.message_id, attachment)
    return UploadProgress(session, None, attachment["id"])


def _check_range(session: UploadSession, content_range: str | None, data: bytes) -> None:
    # Outlook's texts for a bad range are not published; these are the emulator's (guesses).
    if len(data) > MAX_REQUEST_BYTES:
        raise BadRequest("The maximum request length supported is 4MB.")
    match = _RANGE.match(content_range or "")
    if match is None:
        raise ErrorInvalidRequest(
            "The Content-Range header is missing or malformed: expected "
            "'bytes {start}-{end}/{total}'."
        )
    start, end, total = (int(g) for g in match.groups())
    if total != session.size:
        raise ErrorInvalidRequest(
            f"The upload session is for {session.size} total bytes, but "
            f"the Content-Range header declares a total of {total}."
        )
    if start != len(session.received):
        raise ErrorInvalidRequest(
            f"The byte range starts at {start}, but the next expected range "
            f"starts at {len(session.received)}: upload bytes in order."
        )
    if end < start or end - start + 1 != len(data) or end >= total:
        raise ErrorInvalidRequest(
            "The Content-Range header length does not match the provided number of bytes."
        )


def cancel_upload(sessions: UploadSessions, session_id: str) -> None:
    """``DELETE {uploadUrl}``: forget the session and its bytes."""
    sessions.get(session_id)
    sessions.remove(session_id)
