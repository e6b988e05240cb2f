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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...core.directory import GROUP_TYPES, MAILBOX_TYPES, Directory, Mailbox
from ...core.ids import id_bytes, iso_utc, ordered_guid
from ...core.state import EmulatorState
from ...core.store import dumps
from ..exceptions import ErrorInvalidRecipients, ErrorSendAsDenied
from .mail_cache import directory_cache
from .mail_message import (
    ATTACHMENTS_KEY,
    EmailAddress,
    address_of,
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
    sent = _sent_copy(message, mailbox, now, list(zip(recipients, deliveries, strict=True)))
    copies = [(t, "inbox", _received_copy(sent)) for t in _unique(deliveries)]
    if save_to_sent_items:
        copies.append((mailbox, "sentitems", sent))
    if replaces_draft is None:
        outbox_id = _record(state, app_id, mailbox, sent, deliveries)
        deliver_messages(state, copies)
        return outbox_id
    with state.store.tx():  # the draft leaves Drafts as its copies arrive
        state.store.execute(
            "DELETE FROM messages WHERE tenant_id = ? AND mailbox_id = ? AND id = ?",
            (mailbox.tenant_id, mailbox.object_id, replaces_draft),
        )
        outbox_id = _record(state, app_id, mailbox, sent, deliveries)
        deliver_messages(state, copies)
        return outbox_id


def _unique(deliveries: Iterable[Delivery]) -> list[Mailbox]:
    """Each mailbox once, however many times (to, cc, groups) the message names it."""
    return list({m.object_id: m for d in deliveries for m in d.mailboxes}.values())


# A recipient as the client named it, and where it went.
_Routed = tuple[tuple[str, EmailAddress], Delivery]


def _named(routed: list[_Routed], kind: str) -> list[dict[str, Any]]:
    """Recipients as Exchange shows them: unnamed internal ones under their display name."""
    mine = [(a, d) for (k, a), d in routed if k == kind]
    names = {d.address.lower(): d.name for _, d in mine}
    named = []
    for a, _ in mine:
        given = a.name if a.name and a.name != a.address else ""
        named.append(EmailAddress(a.address, given or names.get(a.address.lower(), "")).as_graph())
    return named


def _sent_copy(
    message: dict[str, Any], mailbox: Mailbox, now: datetime, routed: list[_Routed]
) -> dict[str, Any]:
    # Written for speed (every sendMail builds one): a local ``get``, no empty passes.
    get, stamp, address = message.get, iso_utc(now), mailbox.primary_smtp
    me = {"emailAddress": {"name": mailbox.display_name or address, "address": address}}
    attachments = get(ATTACHMENTS_KEY) or []
    new_id = item_id()
    return {
        "id": new_id,
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "changeKey": _change_key(),
        "categories": get("categories") or [],
        "receivedDateTime": stamp,
        "sentDateTime": stamp,
        "hasAttachments": bool(attachments) and any(not a.get("isInline") for a in attachments),
        "internetMessageId": get("internetMessageId")
        or f"<{id_bytes(12).hex().upper()}@{address.rpartition('@')[2] or 'emulator'}>",
        "subject": get("subject") or "",
        "bodyPreview": body_preview(get("body")),
        "importance": get("importance") or "normal",
        "conversationId": get("conversationId") or item_id("AAQkA"),
        "conversationIndex": base64.b64encode(id_bytes(22)).decode("ascii"),
        "isDeliveryReceiptRequested": bool(get("isDeliveryReceiptRequested")),
        "isReadReceiptRequested": bool(get("isReadReceiptRequested")),
        "isRead": True,
        "isDraft": False,
        "webLink": _web_link(new_id),
        "inferenceClassification": "focused",
        "body": get("body") or {"contentType": "text", "content": ""},
        "sender": me,
        "from": me,
        "toRecipients": _named(routed, "to") if get("toRecipients") else [],
        "ccRecipients": _named(routed, "cc") if get("ccRecipients") else [],
        "bccRecipients": _named(routed, "bcc") if get("bccRecipients") else [],
        "replyTo": shown(get("replyTo") or []),
        "flag": get("flag") or {"flagStatus": "notFlagged"},
        "internetMessageHeaders": get("internetMessageHeaders") or [],
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


def _web_link(message_id: str) -> str:
    """Outlook on the web's link to the item, as Graph gives it in ``webLink``."""
    # quote(item_id, safe=""): ids are base64, so only these three characters need escaping.
    escaped = message_id.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return (
        f"https://outlook.office365.com/owa/?ItemID={escaped}&exvsurl=1&viewmodel=ReadMessageItem"
    )


def _change_key() -> str:
    return base64.b64encode(id_bytes(18)).decode("ascii")


def _record(
    state: EmulatorState,
    app_id: str | None,
    mailbox: Mailbox,
    sent: dict[str, Any],
    deliveries: list[Delivery],
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
                sent["sentDateTime"],
                app_id,
                mailbox.primary_smtp,
                sent["subject"],
                dumps([d.as_json() for d in deliveries]),
                dumps(message),
            )
        ],
    )
    return outbox_id
