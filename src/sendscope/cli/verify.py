"""``sendscope verify``: prove an app's restriction is effective — configured, tested, sent.

Imports stay light here: the use case, rich and the HTTP stack load inside the command.
Output: a live display while it polls (plain lines when stdout is not a terminal), then the
report; with ``--json`` one document at the end, ``schema_version`` 1 (docs/verify.md).
Exit codes: 0 effective, 3 not effective by the deadline or misconfigured, 2 bad input,
4 authentication failed, 6 cannot tell. The display, report and JSON live in
cli/verify_output.py (``sendscope demo`` shows them too), imported only when needed.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated

import typer

from .admin_options import (
    AdminCertificateOpt,
    AdminClientIdOpt,
    AdminClientSecretFileOpt,
    admin_options,
)
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
from .pipes import stdout_console

if TYPE_CHECKING:
    from ..admin import AdminOptions, AdminSession
    from ..mail import Mailer
    from ..verify import VerifyPlan, VerifyReport

__all__ = ["verify"]
_WHAT = "Verification"

AppOpt = Annotated[
    str | None,
    typer.Option(
        "--app",
        rich_help_panel=_WHAT,
        metavar="APPID",
        show_default=False,
        help="The app's Application (client) ID (default: the app whose credentials send).",
    ),
]
AllowedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allowed",
        rich_help_panel=_WHAT,
        metavar="ADDRESS",
        show_default=False,
        help="A mailbox the app may send as; repeat for more.",
    ),
]
DeniedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--denied",
        rich_help_panel=_WHAT,
        metavar="ADDRESS",
        show_default=False,
        help="A mailbox the app must not send as; repeat for more.",
    ),
]
GroupOpt = Annotated[
    str | None,
    typer.Option(
        "--group",
        rich_help_panel=_WHAT,
        metavar="ADDRESS",
        show_default=False,
        help="The scope group a policy of the app must name.",
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        rich_help_panel=_WHAT,
        metavar="ADDRESS",
        show_default=False,
        help="Where verification mails go (default: the first --allowed address).",
    ),
]
TimeoutOpt = Annotated[
    str,
    typer.Option(
        "--timeout",
        rich_help_panel=_WHAT,
        metavar="DURATION",
        help="Give up after this long (3h, 45m, 1h30m; 0 checks once).",
    ),
]
IntervalOpt = Annotated[
    str,
    typer.Option(
        "--interval", rich_help_panel=_WHAT, metavar="DURATION", help="Time between tries."
    ),
]
NoAdminOpt = Annotated[
    bool,
    typer.Option(
        "--no-admin",
        rich_help_panel=_WHAT,
        help="Use no admin identity: check only the effective rung (real sends).",
    ),
]


def verify(
    allowed: AllowedOpt = None,
    denied: DeniedOpt = None,
    app_id: AppOpt = None,
    group: GroupOpt = None,
    to: ToOpt = None,
    timeout: TimeoutOpt = "3h",
    interval: IntervalOpt = "5m",
    no_admin: NoAdminOpt = False,
    as_json: JsonOpt = False,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    client_id: ClientIdOpt = None,
    client_secret_file: ClientSecretFileOpt = None,
    certificate: CertificateOpt = None,
    profile: ProfileOpt = None,
    admin_client_id: AdminClientIdOpt = None,
    admin_client_secret_file: AdminClientSecretFileOpt = None,
    admin_certificate: AdminCertificateOpt = None,
) -> None:
    """Prove which mailboxes an app can send as: configured, tested, then real sends."""
    from ..mail import Mailer
    from ..verify import plan_verification, sending_app_id

    plan = plan_verification(
        allowed=allowed or [],
        denied=denied or [],
        to=to,
        app_id=app_id,
        group=group,
        timeout=timeout,
        interval=interval,
    )
    options = connection_options(
        cloud, emulator, tenant, client_id, client_secret_file, certificate, profile
    )
    admin_opts = admin_options(
        cloud,
        emulator,
        tenant,
        profile,
        admin_client_id,
        admin_client_secret_file,
        admin_certificate,
    )
    prompt = terminal_prompt()
    with Mailer.connect(options, prompt=prompt) as app:
        app_ref = sending_app_id(plan, app)  # before any request: a wrong --app costs nothing
        admin = None if no_admin else _admin(admin_opts, explicit=False)
        with admin if admin is not None else nullcontext():
            report = _run(plan, app, admin, app_ref, as_json)
    _finish(report, app.session.connection.identity.tenant, as_json)


def _run(
    plan: VerifyPlan, app: Mailer, admin: AdminSession | None, app_ref: str, as_json: bool
) -> VerifyReport:
    """The rounds, with a live display on a terminal, plain lines otherwise, none for JSON."""

    from .verify_output import run_shown

    console = None if as_json else stdout_console(highlight=False)
    return run_shown(plan, app, admin, app_ref, console)


def _finish(report: VerifyReport, tenant: str, as_json: bool) -> None:
    from ..verify import raise_for_outcome

    if as_json:
        from .verify_output import document

        typer.echo(json.dumps(document(report, tenant), indent=2, ensure_ascii=False))
    else:
        from .verify_output import render_report

        render_report(report, stdout_console(highlight=False))
    raise_for_outcome(report)


def _admin(options: AdminOptions, explicit: bool) -> AdminSession | None:
    """The admin session; None (configured and tested not checked) when there is no admin
    identity at all, unless ``explicit`` says one is required. (An admin option or variable
    always resolves to an admin app, so the command itself never needs ``explicit``.)"""
    from ..admin import AdminSession, resolve_admin
    from ..errors import NotSignedIn

    try:
        connection = resolve_admin(options, prompt=terminal_prompt())
    except NotSignedIn:
        if explicit:
            raise
        return None
    return AdminSession(connection)
