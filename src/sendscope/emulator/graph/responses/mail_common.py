"""What every Graph mail handler does first: find the mailbox, check access, take a slot.

Order (as Outlook answers): the token (401), the URL's mailbox (400 for ``/me`` with an
app token, 404), the permission (403), then throttling (429) and the configured service
time (``--latency``) while the request holds its slot.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from starlette.requests import Request

from ...core.directory import Mailbox
from ...core.state import EmulatorState, emulator_state, header
from ..auth import Caller, authenticate
from ..http import odata_context
from ..models.mail import MailPermission, check_mailbox_access, check_request_size, resolve_mailbox
from ..models.mail_runtime import MailRuntime
from ..models.throttling import MailboxKey

__all__ = [
    "GRAPH_VERSIONS",
    "MailboxCall",
    "limited_body",
    "mail_runtime",
    "mailbox_context",
    "mailbox_paths",
    "mailbox_slot",
    "next_skip_link",
    "open_mailbox",
    "throttled",
]

GRAPH_VERSIONS = ("/v1.0", "/beta")


def mailbox_paths(suffix: str) -> list[str]:
    """``/v1.0/me{suffix}``, ``/v1.0/users/{user}{suffix}`` and the same under ``/beta``."""
    return [
        f"{version}{owner}{suffix}"
        for version in GRAPH_VERSIONS
        for owner in ("/me", "/users/{user}")
    ]


def mail_runtime(request: Request) -> MailRuntime:
    """The throttle and upload sessions of the emulator serving this request: one per
    state, so every app over the same state shares the limits."""
    state = emulator_state(request)
    runtime = state.runtime.get("graph.mail")
    if not isinstance(runtime, MailRuntime):
        runtime = state.runtime.setdefault("graph.mail", MailRuntime.for_state(state))
    return runtime


@dataclass(frozen=True, slots=True)
class MailboxCall:
    """A mail request whose caller may use the mailbox it names."""

    state: EmulatorState
    caller: Caller
    mailbox: Mailbox


def open_mailbox(request: Request, permission: MailPermission) -> MailboxCall:
    state = emulator_state(request)
    caller = authenticate(request, state)
    mailbox = resolve_mailbox(state, caller, request.path_params.get("user"))
    check_mailbox_access(state, caller, mailbox, permission)
    return MailboxCall(state, caller, mailbox)


def throttled(
    request: Request, state: EmulatorState, key: MailboxKey
) -> AbstractAsyncContextManager[None]:
    """Hold one of the (app, mailbox) slots, spending the configured latency inside it."""
    return mail_runtime(request).throttle.slot(key, state.settings.latency)


def mailbox_slot(request: Request, call: MailboxCall) -> AbstractAsyncContextManager[None]:
    key = MailboxKey(call.mailbox.tenant_id, call.caller.app_id, call.mailbox.object_id)
    return throttled(request, call.state, key)


async def limited_body(request: Request) -> bytes:
    """The body, refused (400) past Graph's 4 MB request limit — by its declared length
    before reading, by its real length after."""
    declared = header(request, "content-length") or ""
    if declared.isdigit():
        check_request_size(int(declared))
    raw = await request.body()
    check_request_size(len(raw))
    return raw


def mailbox_context(request: Request, fragment: str) -> str:
    """``…/$metadata#users('{ref}')/{fragment}`` as Graph writes it (``me`` too)."""
    user = request.path_params.get("user")
    owner = "me" if user is None else f"users('{quote(user, safe='')}')"
    return odata_context(request, f"{owner}/{fragment}")


def next_skip_link(request: Request, skip: int) -> str:
    """The next page of a message list: the same query with ``$skip`` moved on."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "$skip"]
    params.append(("$skip", str(skip)))
    return f"{request.url.replace(query='')}?{urlencode(params, safe='$,')}"
