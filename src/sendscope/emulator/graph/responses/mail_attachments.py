"""Graph attachment handlers: small attachments, upload sessions, sending a draft.

learn.microsoft.com/graph/outlook-large-attachments: ``createUploadSession`` answers an
``uploadUrl`` on this host that carries its own token; the ``PUT``s and ``DELETE`` to it
come without an Authorization header. ``POST …/messages/{id}/send`` delivers the draft as
sendMail does (202).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...core.state import emulator_state
from ..exceptions import ErrorAccessDenied
from ..http import graph_headers, graph_json, no_content, odata_context, read_json
from ..models import mail as model
from ..models import mail_upload as upload
from ..models.throttling import MailboxKey
from .mail_common import (
    MailboxCall,
    limited_body,
    mail_runtime,
    mailbox_context,
    mailbox_paths,
    mailbox_slot,
    open_mailbox,
    throttled,
)

__all__ = ["ROUTES", "UPLOAD_PATH"]

UPLOAD_PATH = "/api/v2.0/Users('{owner}')/Messages('{message}')/AttachmentSessions('{session}')"
Handler = Callable[[Request], Awaitable[Response]]


def _reading(request: Request) -> MailboxCall:
    """Attachments hold content: Mail.ReadBasic alone may not read them."""
    call = open_mailbox(request, model.MailPermission.READ)
    if not model.reads_full_messages(call.caller):
        raise ErrorAccessDenied()
    return call


async def attachments(request: Request) -> Response:
    call = _reading(request)
    async with mailbox_slot(request, call):
        found = upload.list_attachments(call.state, call.mailbox, request.path_params["message"])
    context = mailbox_context(request, f"messages('{request.path_params['message']}')/attachments")
    return graph_json(request, {"@odata.context": context, "value": found})


async def attachment(request: Request) -> Response:
    call = _reading(request)
    params = request.path_params
    async with mailbox_slot(request, call):
        found = upload.get_attachment(
            call.state, call.mailbox, params["message"], params["attachment"]
        )
    context = mailbox_context(request, f"messages('{params['message']}')/attachments/$entity")
    return graph_json(request, {"@odata.context": context, **found})


async def add_attachment(request: Request) -> Response:
    """``POST …/messages/{id}/attachments``: 201 with the file attachment."""
    call = open_mailbox(request, model.MailPermission.WRITE)
    message_id = request.path_params["message"]
    async with mailbox_slot(request, call):
        await limited_body(request)
        added = upload.add_attachment(
            call.state, call.mailbox, message_id, await read_json(request)
        )
    context = mailbox_context(request, f"messages('{message_id}')/attachments/$entity")
    return graph_json(request, {"@odata.context": context, **added}, 201)


async def create_upload_session(request: Request) -> Response:
    """``POST …/attachments/createUploadSession`` (Mail.ReadWrite): 201 uploadSession."""
    call = open_mailbox(request, model.MailPermission.WRITE)
    message_id = request.path_params["message"]
    async with mailbox_slot(request, call):
        session, token = upload.create_upload_session(
            call.state,
            mail_runtime(request).uploads,
            call.caller,
            call.mailbox,
            message_id,
            await read_json(request),
        )
    path = UPLOAD_PATH.format(owner=session.owner, message=message_id, session=session.id)
    return graph_json(
        request,
        {
            "@odata.context": odata_context(request, "microsoft.graph.uploadSession"),
            "uploadUrl": f"{str(request.base_url).rstrip('/')}{path}?authtoken={token}",
            "expirationDateTime": session.expiration(),
            "nextExpectedRanges": ["0-"],
        },
        201,
    )


async def send_draft(request: Request) -> Response:
    """``POST …/messages/{id}/send`` (Mail.Send): 202, the draft moves to Sent Items."""
    call = open_mailbox(request, model.MailPermission.SEND)
    async with mailbox_slot(request, call):
        model.send_draft(call.state, call.caller, call.mailbox, request.path_params["message"])
    return no_content(request, 202)


async def upload_range(request: Request) -> Response:
    """``PUT {uploadUrl}``: 200 with the next offset, or 201 and ``Location`` when done."""
    state = emulator_state(request)
    params = request.path_params
    claims = upload.verify_upload_token(
        state,
        request.query_params.get("authtoken"),
        params["owner"],
        params["message"],
        params["session"],
    )
    key = MailboxKey(str(claims["tid"]), str(claims.get("appid", "")), str(claims["oid"]))
    async with throttled(request, state, key):
        data = await request.body()
        done = upload.upload_chunk(
            state,
            mail_runtime(request).uploads,
            params["session"],
            request.headers.get("content-range"),
            data,
        )
    base = str(request.base_url).rstrip("/")
    owner, message_id = params["owner"], params["message"]
    if done.attachment_id is None:
        return graph_json(
            request,
            {
                "@odata.context": f"{base}/api/v2.0/$metadata#Users('{owner}')/Messages("
                f"'{message_id}')/AttachmentSessions/$entity",
                "ExpirationDateTime": done.session.expiration(),
                "nextExpectedRanges": [str(done.next_offset)],
            },
        )
    location = (
        f"{base}/api/v2.0/Users('{owner}')/Messages('{message_id}')"
        f"/Attachments('{done.attachment_id}')"
    )
    return Response(status_code=201, headers={**graph_headers(request), "Location": location})


async def cancel_upload(request: Request) -> Response:
    """``DELETE {uploadUrl}``: 204."""
    state = emulator_state(request)
    params = request.path_params
    upload.verify_upload_token(
        state,
        request.query_params.get("authtoken"),
        params["owner"],
        params["message"],
        params["session"],
    )
    upload.cancel_upload(mail_runtime(request).uploads, params["session"])
    return no_content(request)


def _routes() -> list[BaseRoute]:
    table: list[tuple[str, Handler, list[str]]] = [
        ("/messages/{message}/attachments/createUploadSession", create_upload_session, ["POST"]),
        ("/messages/{message}/attachments", attachments, ["GET"]),
        ("/messages/{message}/attachments", add_attachment, ["POST"]),
        ("/messages/{message}/attachments/{attachment}", attachment, ["GET"]),
        ("/messages/{message}/send", send_draft, ["POST"]),
    ]
    routes: list[BaseRoute] = [
        Route(path, endpoint, methods=methods)
        for suffix, endpoint, methods in table
        for path in mailbox_paths(suffix)
    ]
    routes.append(Route(UPLOAD_PATH, upload_range, methods=["PUT"]))
    routes.append(Route(UPLOAD_PATH, cancel_upload, methods=["DELETE"]))
    return routes


ROUTES: list[BaseRoute] = _routes()
