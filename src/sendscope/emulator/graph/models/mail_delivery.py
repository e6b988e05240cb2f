"""Submitting a message: recipients checked and routed, copies filed, the outbox written.

What Exchange does once ``sendMail`` (or ``send`` on a draft) is accepted: every address
is resolved against the tenant's recipients. A mailbox (user or shared) gets a copy in
its Inbox; a mail-enabled group (security or distribution) is expanded to the mailboxes
of its transitive members; anything else leaves the tenant. The sender keeps a copy in
Sent Items unless ``saveToSentItems`` is false. Every submission is one row of the
``outbox`` table, as a mail catcher keeps it, with each recipient's delivery
(``internal``, ``group`` or ``external``) — whether it left or stayed in the tenant.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...core.directory import GROUP_TYPES, MAILBOX_TYPES, Directory, Mailbox
from ...core.ids import iso_utc, ordered_guid
from ...core.state import EmulatorState
from ...core.store import dumps
from ..exceptions import ErrorInvalidRecipients, ErrorSendAsDenied
from .mail_cache import directory_cache
from .mail_message import (
    ATTACHMENTS_KEY,
    EmailAddress,
    address_of,
    addresses_in,
    body_preview,
    item_id,
    recipients_of,
    shown,
)
from .mail_store import deliver_messages

__all__ = [
    "Delivery",
    "check_send_as",
    "route",
    "submit",
    "valid_address",
]

_KINDS = (("to", "toRecipients"), ("cc", "ccRecipients"), ("bcc", "bccRecipients"))
# RFC 5322 addr-spec, as strict as Exchange is about the local part's dots (observed:
# 'name.@gmail.com' is "not resolved").
_ADDRESS = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+(?<!\.)@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where one recipient of a message went."""

    kind: str  # to | cc | bcc
    address: str
    name: str
    delivery: str  # internal | group | external
    mailboxes: tuple[Mailbox, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "address": self.address,
            "name": self.name,
            "delivery": self.delivery,
            "mailboxes": [m.primary_smtp for m in self.mailboxes],
        }


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


def _recipients(message: dict[str, Any]) -> list[tuple[str, EmailAddress]]:
    """Every to/cc/bcc recipient, or 400 ErrorInvalidRecipients as Exchange words it."""
    found = [(kind, a) for kind, prop in _KINDS for a in recipients_of(message, prop)]
    if not found:
        raise ErrorInvalidRecipients(
            "At least one recipient is not valid., A message can't be sent because it contains "
            "no recipients."
        )
    for _, address in found:
        if not valid_address(address.address):
            raise ErrorInvalidRecipients(
                f"At least one recipient is not valid., Recipient '{address.address}' is not "
                "resolved. All recipients must be resolved before a message can be submitted."
            )
    return found


_Resolved = tuple[str, str, tuple[Mailbox, ...]]  # delivery, display name, mailboxes


def _delivery(kind: str, address: EmailAddress, resolved: _Resolved) -> Delivery:
    delivery, display_name, mailboxes = resolved
    given = address.name if address.name != address.address else ""
    return Delivery(kind, address.address, given or display_name, delivery, mailboxes)


def _resolve(directory: Directory, tenant_id: str, address: str) -> _Resolved:
    row = directory.recipient_by_address(tenant_id, address)
    kind_of = None if row is None else row["recipient_type_details"]
    if row is None or kind_of not in MAILBOX_TYPES | GROUP_TYPES:
        return ("external", "", ())
    if kind_of in MAILBOX_TYPES:
        mailbox = directory.mailbox_from_recipient(row)
        return ("internal", row["display_name"], (mailbox,) if mailbox else ())
    members = directory.transitive_members(tenant_id, row["object_id"])
    boxes = (directory.mailbox(tenant_id, oid) for oid, kind_m in members if kind_m == "user")
    return ("group", row["display_name"], tuple(b for b in boxes if b))


def route(
    state: EmulatorState, directory: Directory, tenant_id: str, kind: str, address: EmailAddress
) -> Delivery:
    """Resolve one recipient against the tenant (primary or proxy address); the answer is
    cached until the directory changes."""
    resolved: _Resolved = directory_cache(state).get(
        state,
        ("route", tenant_id, address.address),
        lambda: _resolve(directory, tenant_id, address.address),
    )
    return _delivery(kind, address, resolved)


def check_send_as(directory: Directory, mailbox: Mailbox, message: dict[str, Any]) -> None:
    """``from``/``sender`` must be the mailbox itself: the emulator grants no Send As or
    Send on Behalf rights, so any other address is 403 ErrorSendAsDenied (m365-domain §3.5).
    App-only Mail.Send may send as the mailbox in the URL; that is all it may do."""
    for prop in ("from", "sender"):
        if message.get(prop) and not _is_mailbox(directory, mailbox, address_of(message[prop])):
            raise ErrorSendAsDenied()


def _is_mailbox(directory: Directory, mailbox: Mailbox, address: EmailAddress) -> bool:
    """Whether an address is one of the mailbox's own (primary or proxy); a bare display
    name with no address is the mailbox too (Exchange fills the address in)."""
    if not address.address or address.address.lower() == mailbox.primary_smtp.lower():
        return True
    row = directory.recipient_by_address(mailbox.tenant_id, address.address)
    return row is not None and row["object_id"] == mailbox.object_id


def submit(
    state: EmulatorState,
    app_id: str | None,
    mailbox: Mailbox,
    message: dict[str, Any],
    *,
    save_to_sent_items: bool,
    replaces_draft: str | None = None,
) -> str:
    """Send ``message`` (a stored-form message) from ``mailbox``; return the outbox id."""
    directory = Directory(state.store)
    recipients = _recipients(message)
    check_send_as(directory, mailbox, message)
    now = state.clock.now()
    tenant_id = mailbox.tenant_id
    deliveries = [route(state, directory, tenant_id, k, a) for k, a in recipients]
    sent = _sent_copy(message, mailbox, now, deliveries)
    copies = [(t, "inbox", _received_copy(sent)) for t in _unique(deliveries)]
    if save_to_sent_items:
        copies.append((mailbox, "sentitems", sent))
    if replaces_draft is None:
        outbox_id = _record(state, app_id, mailbox, sent, deliveries, now)
        deliver_messages(state, copies)
        return outbox_id
    with state.store.tx():  # the draft leaves Drafts as its copies arrive
        state.store.execute(
            "DELETE FROM messages WHERE tenant_id = ? AND mailbox_id = ? AND id = ?",
            (mailbox.tenant_id, mailbox.object_id, replaces_draft),
        )
        outbox_id = _record(state, app_id, mailbox, sent, deliveries, now)
        deliver_messages(state, copies)
        return outbox_id


def _unique(deliveries: Iterable[Delivery]) -> list[Mailbox]:
    """Each mailbox once, however many times (to, cc, groups) the message names it."""
    return list({m.object_id: m for d in deliveries for m in d.mailboxes}.values())


def _named(
    items: list[dict[str, Any]], deliveries: list[Delivery], kind: str
) -> list[dict[str, Any]]:
    """Recipients as Exchange shows them: unnamed internal ones under their display name."""
    names = {d.address.lower(): d.name for d in deliveries if d.kind == kind}
    named = []
    for a in addresses_in(items):
        given = a.name if a.name and a.name != a.address else ""
        named.append(EmailAddress(a.address, given or names.get(a.address.lower(), "")).as_graph())
    return named


def _sent_copy(
    message: dict[str, Any], mailbox: Mailbox, now: datetime, deliveries: list[Delivery]
) -> dict[str, Any]:
    stamp, me = iso_utc(now), EmailAddress(mailbox.primary_smtp, mailbox.display_name).as_graph()
    attachments = message.get(ATTACHMENTS_KEY) or []
    domain = mailbox.primary_smtp.rpartition("@")[2] or "emulator"
    new_id = item_id()
    return {
        "id": new_id,
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "changeKey": _change_key(),
        "categories": message.get("categories") or [],
        "receivedDateTime": stamp,
        "sentDateTime": stamp,
        "hasAttachments": any(not a.get("isInline") for a in attachments),
        "internetMessageId": message.get("internetMessageId")
        or f"<{os.urandom(12).hex().upper()}@{domain}>",
        "subject": message.get("subject") or "",
        "bodyPreview": body_preview(message.get("body")),
        "importance": message.get("importance") or "normal",
        "conversationId": message.get("conversationId") or item_id("AAQkA"),
        "conversationIndex": base64.b64encode(os.urandom(22)).decode("ascii"),
        "isDeliveryReceiptRequested": bool(message.get("isDeliveryReceiptRequested")),
        "isReadReceiptRequested": bool(message.get("isReadReceiptRequested")),
        "isRead": True,
        "isDraft": False,
        "webLink": _web_link(new_id),
        "inferenceClassification": "focused",
        "body": message.get("body") or {"contentType": "text", "content": ""},
        "sender": me,
        "from": me,
        "toRecipients": _named(message.get("toRecipients") or [], deliveries, "to"),
        "ccRecipients": _named(message.get("ccRecipients") or [], deliveries, "cc"),
        "bccRecipients": _named(message.get("bccRecipients") or [], deliveries, "bcc"),
        "replyTo": shown(message.get("replyTo") or []),
        "flag": message.get("flag") or {"flagStatus": "notFlagged"},
        "internetMessageHeaders": message.get("internetMessageHeaders") or [],
        ATTACHMENTS_KEY: attachments,
    }


def _received_copy(sent: dict[str, Any]) -> dict[str, Any]:
    """A recipient's copy: its own id, unread, and no Bcc line (only the sender sees it)."""
    new_id = item_id()
    return dict(
        sent,
        id=new_id,
        changeKey=_change_key(),
        isRead=False,
        bccRecipients=[],
        webLink=_web_link(new_id),
    )


# quote(item_id, safe=""): ids are base64, so only these three characters need escaping.
_URL_ESCAPES = str.maketrans({"+": "%2B", "/": "%2F", "=": "%3D"})


def _web_link(message_id: str) -> str:
    """Outlook on the web's link to the item, as Graph gives it in ``webLink``."""
    escaped = message_id.translate(_URL_ESCAPES)
    return (
        f"https://outlook.office365.com/owa/?ItemID={escaped}&exvsurl=1&viewmodel=ReadMessageItem"
    )


def _change_key() -> str:
    return base64.b64encode(os.urandom(18)).decode("ascii")


def _record(
    state: EmulatorState,
    app_id: str | None,
    mailbox: Mailbox,
    sent: dict[str, Any],
    deliveries: list[Delivery],
    now: datetime,
) -> str:
    """The outbox row: what was sent, by which app, as which mailbox, and where it went."""
    outbox_id = ordered_guid()
    message = dict(sent)
    message["attachments"] = message.pop(ATTACHMENTS_KEY, None) or []
    state.store.defer(
        "outbox",
        "INSERT INTO outbox (id, tenant_id, sent_at, app_id, mailbox, subject, recipients, "
        "message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                outbox_id,
                mailbox.tenant_id,
                iso_utc(now),
                app_id,
                mailbox.primary_smtp,
                sent["subject"],
                dumps([d.as_json() for d in deliveries]),
                dumps(message),
            )
        ],
    )
    return outbox_id
