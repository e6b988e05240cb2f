"""``sendscope send``: send one message as a mailbox, with the app's own credentials.

Imports stay light here (typer and the option declarations): ``sendscope send --help``
must start fast, so the mailer, MSAL and httpx2 are imported inside the command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import SendscopeError, UsageError
from .options import (
    CertificateOpt,
    ClientIdOpt,
    ClientSecretFileOpt,
    CloudOpt,
    EmulatorOpt,
    JsonOpt,
    ProfileOpt,
    TenantOpt,
    connection_options,
    terminal_prompt,
)

if TYPE_CHECKING:
    from ..mail import OutgoingMessage, SendReceipt
    from ..mail.plan import InlinePlan, UploadPlan

__all__ = ["send"]

SCHEMA_VERSION = 1
_MSG = "Message"

FromOpt = Annotated[
    str,
    typer.Option(
        "--from",
        rich_help_panel=_MSG,
        metavar="ADDRESS",
        show_default=False,
        help="The mailbox to send as (its address or user principal name).",
    ),
]
ToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--to",
        rich_help_panel=_MSG,
        metavar="ADDRESS",
        show_default=False,
        help="A recipient; repeat for more.",
    ),
]
CcOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--cc",
        rich_help_panel=_MSG,
        metavar="ADDRESS",
        show_default=False,
        help="A Cc recipient; repeat for more.",
    ),
]
BccOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--bcc",
        rich_help_panel=_MSG,
        metavar="ADDRESS",
        show_default=False,
        help="A Bcc recipient; repeat for more.",
    ),
]
ReplyToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--reply-to",
        rich_help_panel=_MSG,
        metavar="ADDRESS",
        show_default=False,
        help="Where replies should go; repeat for more.",
    ),
]
SubjectOpt = Annotated[
    str,
    typer.Option(
        "--subject",
        rich_help_panel=_MSG,
        metavar="TEXT",
        show_default=False,
        help="The subject line.",
    ),
]
BodyOpt = Annotated[
    str | None,
    typer.Option(
        "--body",
        rich_help_panel=_MSG,
        metavar="TEXT",
        show_default=False,
        help="The body text (else --body-file, else standard input).",
    ),
]
BodyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--body-file",
        rich_help_panel=_MSG,
        metavar="FILE",
        show_default=False,
        help="Read the body from FILE (UTF-8).",
    ),
]
HtmlOpt = Annotated[
    bool, typer.Option("--html", rich_help_panel=_MSG, help="The body is HTML (else plain text).")
]
AttachOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--attach",
        rich_help_panel=_MSG,
        metavar="FILE",
        show_default=False,
        help="Attach FILE; repeat for more. Up to 4 MB per request in all (see docs/send.md).",
    ),
]
NoSaveOpt = Annotated[
    bool,
    typer.Option(
        "--no-save-to-sent", rich_help_panel=_MSG, help="Keep no copy in the mailbox's Sent Items."
    ),
]
UploadOpt = Annotated[
    bool,
    typer.Option(
        "--allow-upload-session",
        rich_help_panel=_MSG,
        help="Send a message over 4 MB by draft + upload session (the app needs Mail.ReadWrite).",
    ),
]


def send(
    from_: FromOpt,
    subject: SubjectOpt,
    to: ToOpt = None,
    cc: CcOpt = None,
    bcc: BccOpt = None,
    reply_to: ReplyToOpt = None,
    body: BodyOpt = None,
    body_file: BodyFileOpt = None,
    html: HtmlOpt = False,
    attach: AttachOpt = None,
    no_save_to_sent: NoSaveOpt = False,
    allow_upload_session: UploadOpt = False,
    as_json: JsonOpt = False,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    client_id: ClientIdOpt = None,
    client_secret_file: ClientSecretFileOpt = None,
    certificate: CertificateOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Send a message as a mailbox with the app's credentials, through Microsoft Graph.

    Success means Graph accepted the message (202): accepted for delivery, not yet
    delivered. A refusal says why and exits 5; an unknown outcome exits 6 and is never
    retried, since a duplicate mail is worse than an error.
    """
    from ..mail import Attachment, Mailer, MailerSettings, OutgoingMessage

    text, from_stdin = _body(body, body_file)
    message = OutgoingMessage(
        sender=from_,
        to=tuple(to or ()),
        subject=subject,
        body=text,
        html=html,
        cc=tuple(cc or ()),
        bcc=tuple(bcc or ()),
        reply_to=tuple(reply_to or ()),
        attachments=tuple(Attachment.from_path(p) for p in attach or ()),
        save_to_sent_items=not no_save_to_sent,
    )
    settings = MailerSettings(allow_upload_session=allow_upload_session)
    plan = settings.plan(message, settings.pacer())  # size and path, before any request
    options = connection_options(
        cloud, emulator, tenant, client_id, client_secret_file, certificate, profile
    )
    prompt = None if from_stdin else terminal_prompt()
    try:
        with Mailer.connect(
            options, prompt=prompt, allow_upload_session=allow_upload_session
        ) as mailer:
            receipt = mailer.send(message)
    except SendscopeError as exc:
        if as_json:
            _print_json(_document(message, plan, None, exc))
        raise
    if as_json:
        _print_json(_document(message, plan, receipt, None))
    else:
        typer.echo(_accepted_line(message, receipt))


def _body(body: str | None, body_file: Path | None) -> tuple[str, bool]:
    """The body, and whether it came from standard input."""
    if body is not None and body_file is not None:
        raise UsageError("--body and --body-file exclude each other: give one")
    if body is not None:
        return body, False
    if body_file is not None:
        return _read_body_file(body_file), False
    if sys.stdin.isatty():
        raise UsageError("no body: pass --body TEXT or --body-file FILE, or pipe it on stdin")
    text = sys.stdin.read()
    if not text:
        raise UsageError(
            "standard input was empty: pipe the body in, or pass --body '' to "
            "send a message without one"
        )
    return text, True


def _read_body_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"--body-file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"--body-file {path}: cannot read it ({exc.strerror})") from None


def _accepted_line(message: OutgoingMessage, receipt: SendReceipt) -> str:
    count = len(message.recipients)
    people = f"{count} recipient{'s' if count != 1 else ''}"
    ref = receipt.request_id or "(none given)"
    return (
        f"Accepted: Microsoft 365 took the message from {message.sender} to {people} "
        f"(202 Accepted — accepted for delivery, not yet delivered). request-id {ref}"
    )


def _document(
    message: OutgoingMessage,
    plan: InlinePlan | UploadPlan,
    receipt: SendReceipt | None,
    error: SendscopeError | None,
) -> dict[str, Any]:
    from ..mail.results import status_of

    outcome = "accepted" if error is None else status_of(error).value
    return {
        "schema_version": SCHEMA_VERSION,
        "from": message.sender,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "subject": message.subject,
        "size": receipt.size if receipt else plan.size,
        "method": receipt.method if receipt else plan.method,
        "save_to_sent_items": message.save_to_sent_items,
        "attachments": [
            {
                "name": a.name,
                "size": a.size,
                "content_type": a.content_type,
                "upload_session": plan.uploaded(a),
            }
            for a in message.attachments
        ],
        "accepted": error is None,
        "outcome": outcome,
        "request_id": receipt.request_id if receipt else None,
        "error": None if error is None else _error(error),
    }


def _error(error: SendscopeError) -> dict[str, Any]:
    failure = error.failure
    return {
        "type": type(error).__name__,
        "exit_code": error.exit_code,
        "message": error.message,
        "status": failure.status if failure else None,
        "code": failure.code if failure else None,
        "request_id": (failure.request_id or None) if failure else None,
    }


def _print_json(document: dict[str, Any]) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
