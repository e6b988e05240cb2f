"""``sendscope restrict``: confine an app to a group's mailboxes with an access policy.

Imports stay light here: the use case, rich and the HTTP stack load inside the command so
``sendscope --help`` stays fast. docs/restrict.md is the manual.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from .admin_options import (
    AdminCertificateOpt,
    AdminClientIdOpt,
    AdminClientSecretFileOpt,
    admin_options,
)
from .options import CloudOpt, EmulatorOpt, JsonOpt, ProfileOpt, TenantOpt, terminal_prompt
from .pipes import stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from ..restrict import AdminClients
    from ..restriction import Plan, RestrictRequest

__all__ = ["AccessRightChoice", "restrict"]

_WHAT = "Restriction"


class AccessRightChoice(StrEnum):
    """``--access-right``: RestrictAccess (only the scope) or DenyAccess (all but the scope)."""

    RESTRICT = "restrict"
    DENY = "deny"


AppOpt = Annotated[
    str,
    typer.Option(
        "--app",
        rich_help_panel=_WHAT,
        metavar="APPID",
        show_default=False,
        help="The app's application (client) ID, a GUID.",
    ),
]
GroupOpt = Annotated[
    str | None,
    typer.Option(
        "--group",
        rich_help_panel=_WHAT,
        metavar="ADDRESS",
        show_default=False,
        help="The scope: a mail-enabled security group (or one mailbox), by address.",
    ),
]
CreateGroupOpt = Annotated[
    bool,
    typer.Option(
        "--create-group",
        rich_help_panel=_WHAT,
        help="Create --group as a mail-enabled security group when it does not exist.",
    ),
]
GroupNameOpt = Annotated[
    str | None,
    typer.Option(
        "--group-name",
        rich_help_panel=_WHAT,
        metavar="NAME",
        show_default=False,
        help="The new group's name (default: the address before @).",
    ),
]
MemberOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--member",
        rich_help_panel=_WHAT,
        metavar="ADDRESS",
        show_default=False,
        help="A mailbox (or mail user, or security group) to put in the group; repeat.",
    ),
]
AccessRightOpt = Annotated[
    AccessRightChoice,
    typer.Option(
        "--access-right",
        rich_help_panel=_WHAT,
        case_sensitive=False,
        help="restrict: the app reaches only the scope; deny: everything but the scope.",
    ),
]
DescriptionOpt = Annotated[
    str | None,
    typer.Option(
        "--description",
        rich_help_panel=_WHAT,
        metavar="TEXT",
        show_default=False,
        help="The policy's description (default: Exchange's own).",
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", rich_help_panel=_WHAT, help="Show the plan; write nothing.")
]
PowerShellOpt = Annotated[
    bool,
    typer.Option(
        "--powershell",
        rich_help_panel=_WHAT,
        help="Print the equivalent ExchangeOnlineManagement cmdlets; write nothing.",
    ),
]
YesOpt = Annotated[
    bool,
    typer.Option("--yes", "-y", rich_help_panel=_WHAT, help="Go ahead despite the warnings."),
]


def restrict(
    app_id: AppOpt,
    group: GroupOpt = None,
    create_group: CreateGroupOpt = False,
    group_name: GroupNameOpt = None,
    member: MemberOpt = None,
    access_right: AccessRightOpt = AccessRightChoice.RESTRICT,
    description: DescriptionOpt = None,
    dry_run: DryRunOpt = False,
    powershell: PowerShellOpt = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    profile: ProfileOpt = None,
    admin_client_id: AdminClientIdOpt = None,
    admin_client_secret_file: AdminClientSecretFileOpt = None,
    admin_certificate: AdminCertificateOpt = None,
) -> None:
    """Confine an app to the mailboxes of one group (Application Access Policy).

    Checks everything before writing, shows the plan and its effect, asks for --yes when a
    warning calls for it, applies the plan (a second run changes nothing) and tests it.
    """
    from ..admin import connect_admin
    from ..restriction import check_request

    request = _request(app_id, group, create_group, group_name, member, access_right, description)
    check_request(request)
    options = admin_options(
        cloud, emulator, tenant, profile, admin_client_id, admin_client_secret_file,
        admin_certificate,
    )  # fmt: skip
    prompt = terminal_prompt()
    with connect_admin(options, prompt=prompt) as session:
        _run(session, request, dry_run=dry_run, powershell=powershell, yes=yes, as_json=as_json)


def _request(
    app_id: str,
    group: str | None,
    create_group: bool,
    group_name: str | None,
    members: list[str] | None,
    access_right: AccessRightChoice,
    description: str | None,
) -> RestrictRequest:
    from ..policy import AccessRight
    from ..restriction import RestrictRequest

    right = (
        AccessRight.DENY_ACCESS
        if access_right is AccessRightChoice.DENY
        else AccessRight.RESTRICT_ACCESS
    )
    return RestrictRequest(
        app_id=app_id.strip(),
        group=group.strip() if group else None,
        create_group=create_group,
        group_name=group_name,
        members=tuple(m.strip() for m in members or ()),
        access_right=right,
        description=description,
    )


def _run(
    session: AdminClients,
    request: RestrictRequest,
    *,
    dry_run: bool,
    powershell: bool,
    yes: bool,
    as_json: bool,
) -> None:
    from ..restrict import apply_restriction, confirm, prepare_restriction

    plan = prepare_restriction(session, request)
    if powershell or dry_run:
        _preview(plan, powershell=powershell, as_json=as_json)
        return
    console = _console()
    if not as_json:
        from ..restriction.report import show_plan

        show_plan(console, plan)
    confirm(plan, yes=yes, ask=_ask if sys.stdin.isatty() else None)
    outcome = apply_restriction(session, plan)
    if as_json:
        from ..restriction.report import document

        _print_json(document(plan, mode="apply", steps=outcome.steps, tests=outcome.tests))
        return
    from ..restriction.report import show_result

    show_result(console, plan, outcome.steps, outcome.tests)


def _preview(plan: Plan, *, powershell: bool, as_json: bool) -> None:
    from ..restriction import powershell_script
    from ..restriction.report import document, show_plan

    script = powershell_script(plan) if powershell else None
    if as_json:
        mode = "powershell" if powershell else "dry-run"
        _print_json(document(plan, mode=mode, powershell=script))
    elif script is not None:
        typer.echo(script, nl=False)
    else:
        console = _console()
        show_plan(console, plan)
        console.print()
        console.print("Dry run: nothing was written.", highlight=False)


def _console() -> Console:

    return stdout_console(highlight=False)


def _ask(question: str) -> bool:
    answer: bool = typer.confirm(question, default=False, err=True)
    return answer


def _print_json(document: object) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
