"""Graph mail: which mailbox a URL names, who may touch it, and sending from it.

The rules of m365-domain.md §3: ``/me`` needs a delegated token; an unknown user is 404
``ErrorInvalidUser``; a user without an Exchange mailbox is 404
``MailboxNotEnabledForRESTAPI``; a caller without the right permission is 403
``ErrorAccessDenied``; a request over 4 MB is 400. Whether a caller may touch a mailbox
is decided in one place, ``check_mailbox_access``, where Exchange's mailbox scoping
(Application Access Policies, RBAC for Applications) plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ...core.app_access import RAOP_MESSAGE
from ...core.directory import Directory, Mailbox
from ...core.ids import iso_utc
from ...core.propagation import graph_access_granted
from ...core.state import EmulatorState
from ..auth import Caller
from ..exceptions import (
    BadRequest,
    ErrorAccessDenied,
    ErrorInvalidUser,
    MailboxNotEnabledForRESTAPI,
)
from .mail_cache import directory_cache
from .mail_delivery import submit
from .mail_errors import ErrorInvalidRequest, RequestBodyRead
from .mail_message import ATTACHMENTS_KEY, body_preview, item_id, normalize_message, shown
from .mail_store import get_message, message_view, save_message

__all__ = [
    "MAX_REQUEST_BYTES",
    "MailPermission",
    "SendMailRequest",
    "check_mailbox_access",
    "check_request_size",
    "create_draft",
    "reads_full_messages",
    "refresh_derived",
    "resolve_mailbox",
    "send_draft",
    "send_mail",
    "send_mail_request",
]

# "there is a 4MB limit on the size of a request" (Microsoft staff, m365-domain §3.4). The
# exact threshold in bytes and whether today's answer is 400 or 413 are UNCONFIRMED.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
_TOO_LARGE = "The maximum request length supported is 4MB."
_ME_NEEDS_USER = "/me request is only valid with delegated authentication flow."


class MailPermission(Enum):
    """What a mail call needs: (application roles, delegated scopes on one's own mailbox,
    delegated scopes on someone else's) — learn.microsoft.com/graph/permissions-reference."""

    SEND = (("Mail.Send",), ("Mail.Send",), ("Mail.Send.Shared",))
    READ = (
        ("Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All", "Mail.ReadWrite"),
        ("Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite"),
        ("Mail.Read.Shared", "Mail.ReadBasic.Shared", "Mail.ReadWrite.Shared"),
    )
    WRITE = (("Mail.ReadWrite",), ("Mail.ReadWrite",), ("Mail.ReadWrite.Shared",))

    def accepted(self, caller: Caller, mailbox: Mailbox) -> tuple[str, ...]:
        choices: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = self.value
        application, own, shared = choices
        if caller.is_app_only:
            return application
        return own if caller.user_id == mailbox.object_id else shared


_FULL_READ = ("Mail.Read", "Mail.ReadWrite", "Mail.Read.Shared", "Mail.ReadWrite.Shared")


def resolve_mailbox(state: EmulatorState, caller: Caller, ref: str | None) -> Mailbox:
    """The mailbox of ``/users/{ref}`` (id, UPN or any SMTP address), or ``/me`` if None."""
    if ref is None:
        if caller.user_id is None:
            raise BadRequest(_ME_NEEDS_USER)
        ref = caller.user_id
    tenant_id, key = caller.tenant_id, ref
    found = directory_cache(state).get(
        state, ("mailbox", tenant_id, key), lambda: _find_mailbox(state, tenant_id, key)
    )
    if found is None:
        raise ErrorInvalidUser(ref)
    if found[1] is None:
        raise MailboxNotEnabledForRESTAPI()
    mailbox: Mailbox = found[1]
    return mailbox


def _find_mailbox(
    state: EmulatorState, tenant_id: str, ref: str
) -> tuple[str, Mailbox | None] | None:
    directory = Directory(state.store)
    found = directory.user_mailbox(tenant_id, ref)
    if found is None and "@" in ref:
        recipient = directory.recipient_by_address(tenant_id, ref)
        found = (
            None if recipient is None else directory.user_mailbox(tenant_id, recipient["object_id"])
        )
    return found


def check_mailbox_access(
    state: EmulatorState, caller: Caller, mailbox: Mailbox, permission: MailPermission
) -> None:
    """Raise 403 ``ErrorAccessDenied`` unless ``caller`` may use ``permission`` on ``mailbox``.

    The token must carry one of the permission's roles (app-only) or scopes (delegated;
    someone else's mailbox needs the ``.Shared`` scope — Exchange folder permissions are not
    modelled).

    Exchange's mailbox scoping (architecture.md, "The rule at the centre"):
    ``allowed = (Entra grant and AAP(app, mailbox) = Granted) or RBAC grants it``. For an
    app-only caller the Application Access Policies are evaluated *as they have propagated*
    to Graph (core/propagation.py: each change after ``--propagation-delay`` or
    ``--removal-delay`` of emulator time), after the Entra grant check; a denial is 403
    ``ErrorAccessDenied`` "Access to OData is disabled: [RAOP] : …" (m365-domain §1.8).
    Delegated callers are not subject to access policies. RBAC for Applications is not
    modelled yet.
    """
    if not caller.holds_any(permission.accepted(caller, mailbox)):
        raise ErrorAccessDenied()
    if caller.is_app_only and not graph_access_granted(
        state, mailbox.tenant_id, caller.app_id, mailbox.object_id
    ):
        raise ErrorAccessDenied(RAOP_MESSAGE)


def reads_full_messages(caller: Caller) -> bool:
    """False when the caller reads with Mail.ReadBasic only: no body, no attachments."""
    return caller.holds_any(_FULL_READ)


def check_request_size(length: int) -> None:
    if length > MAX_REQUEST_BYTES:
        raise BadRequest(_TOO_LARGE)


@dataclass(frozen=True, slots=True)
class SendMailRequest:
    """A sendMail call, read: the message in stored form and where the sender's copy goes."""

    message: dict[str, Any]
    save_to_sent_items: bool = True


_SEND_MAIL_PARAMETERS = {"message": "message", "savetosentitems": "saveToSentItems"}


def send_mail_request(body: dict[str, Any], *, state: EmulatorState) -> SendMailRequest:
    """The JSON variant: ``{"message": {...}, "saveToSentItems": false}``."""
    params: dict[str, Any] = {}
    for key, value in body.items():
        name = _SEND_MAIL_PARAMETERS.get(key.lower())
        if name is None:
            raise RequestBodyRead(
                f"The parameter '{key}' in the request payload is not a valid "
                "parameter for the operation 'sendMail'."
            )
        params[name] = value
    if params.get("message") is None:
        # Text guessed: Graph's exact answer to a sendMail without a message is UNCONFIRMED.
        raise ErrorInvalidRequest("Required parameter 'Message' is missing.")
    message = normalize_message(params["message"], now=state.clock.now())
    return SendMailRequest(message, _save_flag(params.get("saveToSentItems", True)))


def _save_flag(value: Any) -> bool:
    """``saveToSentItems``: a JSON boolean, or the strings the docs' own example sends."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RequestBodyRead(
        f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'."
    )


def send_mail(
    state: EmulatorState, caller: Caller, mailbox: Mailbox, request: SendMailRequest
) -> str:
    """Submit a sendMail; return the outbox id. The caller's access was checked."""
    return submit(
        state,
        caller.app_id,
        mailbox,
        request.message,
        save_to_sent_items=request.save_to_sent_items,
    )


def create_draft(state: EmulatorState, mailbox: Mailbox, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /users/{id}/messages``: a new draft in Drafts, returned as Graph shows it."""
    now = state.clock.now()
    fields = normalize_message(body, now=now)
    stamp = iso_utc(now)
    draft: dict[str, Any] = {
        "id": item_id(),
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "changeKey": item_id("CQAAA")[:28],
        "categories": fields.get("categories", []),
        "receivedDateTime": stamp,
        "sentDateTime": stamp,
        "hasAttachments": False,
        "internetMessageId": fields.get("internetMessageId"),
        "subject": fields.get("subject", ""),
        "importance": fields.get("importance", "normal"),
        "conversationId": item_id("AAQkA"),
        "isDeliveryReceiptRequested": fields.get("isDeliveryReceiptRequested", False),
        "isReadReceiptRequested": fields.get("isReadReceiptRequested", False),
        "isRead": True,
        "isDraft": True,
        "inferenceClassification": "focused",
        "body": fields.get("body", {"contentType": "text", "content": ""}),
        "sender": fields.get("sender"),
        "from": fields.get("from"),
        "toRecipients": shown(fields.get("toRecipients", [])),
        "ccRecipients": shown(fields.get("ccRecipients", [])),
        "bccRecipients": shown(fields.get("bccRecipients", [])),
        "replyTo": shown(fields.get("replyTo", [])),
        "flag": fields.get("flag", {"flagStatus": "notFlagged"}),
        "internetMessageHeaders": fields.get("internetMessageHeaders", []),
        ATTACHMENTS_KEY: fields.get(ATTACHMENTS_KEY, []),
    }
    refresh_derived(draft)
    save_message(state, mailbox, "drafts", draft)
    return message_view(draft)


def refresh_derived(message: dict[str, Any]) -> None:
    """Recompute what Outlook derives from a message's content."""
    message["bodyPreview"] = body_preview(message.get("body"))
    message["hasAttachments"] = any(
        not a.get("isInline") for a in message.get(ATTACHMENTS_KEY) or []
    )


def send_draft(state: EmulatorState, caller: Caller, mailbox: Mailbox, message_id: str) -> str:
    """``POST /users/{id}/messages/{id}/send``: deliver a draft, file it in Sent Items."""
    draft = get_message(state, mailbox, message_id)
    if not draft.data.get("isDraft"):
        # Text guessed: sending an item that is not a draft is refused; wording UNCONFIRMED.
        raise ErrorInvalidRequest("Only a draft message can be sent.")
    return submit(
        state, caller.app_id, mailbox, draft.data, save_to_sent_items=True, replaces_draft=draft.id
    )
