"""Graph mail handlers: sendMail, reading a mailbox, drafts; and the mail route table.

learn.microsoft.com/graph/api/user-sendmail, …/user-list-messages,
…/user-list-mailfolders, …/user-post-messages. The rules live in ``models.mail*``; each
handler parses, calls one model function and shapes the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...core.state import header
from ..http import graph_json, no_content, read_json
from ..models import mail as model
from ..models.mail_mime import is_mime, parse_mime
from ..models.mail_store import (
    MessageQuery,
    folder,
    get_message,
    list_folders,
    list_messages,
    message_select,
    message_view,
    resolve_folder,
)
from . import mail_attachments
from .mail_common import (
    limited_body,
    mail_runtime,
    mailbox_context,
    mailbox_paths,
    mailbox_slot,
    next_skip_link,
    open_mailbox,
)

__all__ = ["ROUTES"]


async def send_mail(request: Request) -> Response:
    """``POST /users/{id}/sendMail``: JSON or MIME; 202 with an empty body."""
    call = open_mailbox(request, model.MailPermission.SEND)
    async with mailbox_slot(request, call):
        raw = await limited_body(request)
        if is_mime(header(request, "content-type")):
            submission = model.SendMailRequest(parse_mime(raw, now=call.state.clock.now()))
        else:
            submission = model.send_mail_request(await read_json(request), state=call.state)
        model.send_mail(call.state, call.caller, call.mailbox, submission)
    mail_runtime(request).delivery.arm(call.state)
    return no_content(request, 202)


async def messages(request: Request) -> Response:
    """``GET …/messages`` and ``GET …/mailFolders/{folder}/messages``: newest first."""
    call = open_mailbox(request, model.MailPermission.READ)
    ref = request.path_params.get("folder")
    async with mailbox_slot(request, call):
        name = None if ref is None else resolve_folder(call.mailbox, ref)
        query = MessageQuery.parse(request.query_params)
        items, more = list_messages(call.state, call.mailbox, name, query)
    basic = not model.reads_full_messages(call.caller)
    fragment = "messages" if ref is None else f"mailFolders('{ref}')/messages"
    body = {
        "@odata.context": mailbox_context(request, fragment),
        "value": [message_view(item, query.select, basic=basic) for item in items],
    }
    if more:
        body["@odata.nextLink"] = next_skip_link(request, query.skip + query.top)
    return graph_json(request, body)


async def message(request: Request) -> Response:
    """``GET …/messages/{id}``."""
    call = open_mailbox(request, model.MailPermission.READ)
    async with mailbox_slot(request, call):
        select = message_select(request.query_params.get("$select"))
        stored = get_message(call.state, call.mailbox, request.path_params["message"])
    view = message_view(stored.data, select, basic=not model.reads_full_messages(call.caller))
    return graph_json(
        request, {"@odata.context": mailbox_context(request, "messages/$entity"), **view}
    )


async def create_message(request: Request) -> Response:
    """``POST …/messages``: a draft (Mail.ReadWrite), 201 with the message."""
    call = open_mailbox(request, model.MailPermission.WRITE)
    async with mailbox_slot(request, call):
        await limited_body(request)
        draft = model.create_draft(call.state, call.mailbox, await read_json(request))
    return graph_json(
        request, {"@odata.context": mailbox_context(request, "messages/$entity"), **draft}, 201
    )


async def mail_folders(request: Request) -> Response:
    """``GET …/mailFolders``: the well-known top-level folders with their counts."""
    call = open_mailbox(request, model.MailPermission.READ)
    async with mailbox_slot(request, call):
        found = list_folders(call.state, call.mailbox)
    return graph_json(
        request, {"@odata.context": mailbox_context(request, "mailFolders"), "value": found}
    )


async def mail_folder(request: Request) -> Response:
    """``GET …/mailFolders/{id or well-known name}``."""
    call = open_mailbox(request, model.MailPermission.READ)
    async with mailbox_slot(request, call):
        found = folder(call.state, call.mailbox, request.path_params["folder"])
    return graph_json(
        request, {"@odata.context": mailbox_context(request, "mailFolders/$entity"), **found}
    )


def _routes() -> list[BaseRoute]:
    table: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("/sendMail", send_mail, ["POST"]),
        ("/messages", messages, ["GET"]),
        ("/messages", create_message, ["POST"]),
        ("/messages/{message}", message, ["GET"]),
        ("/mailFolders", mail_folders, ["GET"]),
        ("/mailFolders/{folder}", mail_folder, ["GET"]),
        ("/mailFolders/{folder}/messages", messages, ["GET"]),
    ]
    return [
        Route(path, endpoint, methods=methods)
        for suffix, endpoint, methods in table
        for path in mailbox_paths(suffix)
    ]


ROUTES: list[BaseRoute] = [*mail_attachments.ROUTES, *_routes()]
