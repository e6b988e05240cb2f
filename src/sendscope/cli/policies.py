"""``sendscope policies list|remove``: the tenant's Application Access Policies.

``list`` shows every policy (or those naming one app, ``*`` included); ``remove`` deletes
one by its ``Identity`` after saying what that changes, and asks first: ``--yes`` answers,
and without a terminal and without ``--yes`` it exits 2 having written nothing. Both take
``--json`` (one document, ``schema_version`` 1; docs/policies.md).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from .admin_options import (
    AdminCertificateOpt,
    AdminClientIdOpt,
    AdminClientSecretFileOpt,
    admin_options,
)
from .options import CloudOpt, EmulatorOpt, JsonOpt, ProfileOpt, TenantOpt, terminal_prompt
from .pipes import stdout_console

__all__ = ["SCHEMA_VERSION", "app", "list_policies", "policy_document", "remove_policy"]

SCHEMA_VERSION = 1

app = typer.Typer(
    name="policies",
    help="List or remove Exchange Application Access Policies.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

AppFilterOpt = Annotated[
    str | None,
    typer.Option("--app", metavar="APPID", help="Only the policies that apply to this app."),
]
IdentityArg = Annotated[
    str, typer.Argument(metavar="IDENTITY", help="The policy's Identity (policies list).")
]
YesOpt = Annotated[bool, typer.Option("--yes", help="Remove without asking.")]

PROPAGATION = (
    "Exchange applies a removal to Graph within about 30 minutes; Test-ApplicationAccessPolicy "
    "shows it at once."
)


@app.command("list")
def list_policies(
    app_id: AppFilterOpt = None,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    profile: ProfileOpt = None,
    admin_client_id: AdminClientIdOpt = None,
    admin_client_secret_file: AdminClientSecretFileOpt = None,
    admin_certificate: AdminCertificateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the tenant's Application Access Policies."""
    from ..admin import AdminSession, resolve_admin
    from ..auth.credentials import check_client_id
    from ..policy import ApplicationAccessPolicy

    wanted = check_client_id(app_id, "--app") if app_id else None
    options = admin_options(
        cloud,
        emulator,
        tenant,
        profile,
        admin_client_id,
        admin_client_secret_file,
        admin_certificate,
    )
    connection = resolve_admin(options, prompt=terminal_prompt())
    with AdminSession(connection) as session:
        rows = session.exchange.get_application_access_policies()
    if wanted:
        rows = [r for r in rows if ApplicationAccessPolicy.from_cmdlet(r).names_app(wanted)]
    if as_json:
        doc = {
            "schema_version": SCHEMA_VERSION,
            "tenant": session.tenant,
            "app_id": wanted,
            "policies": [policy_document(r) for r in rows],
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        _render(rows, wanted)


@app.command("remove")
def remove_policy(
    identity: IdentityArg,
    yes: YesOpt = False,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    profile: ProfileOpt = None,
    admin_client_id: AdminClientIdOpt = None,
    admin_client_secret_file: AdminClientSecretFileOpt = None,
    admin_certificate: AdminCertificateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove one Application Access Policy (asks first; --yes to skip)."""
    from ..admin import AdminSession, resolve_admin
    from ..errors import UsageError

    if not identity.strip():
        raise UsageError("IDENTITY is empty: copy it from `sendscope policies list`")
    if not yes and not _interactive():
        raise UsageError(
            "removing a policy needs confirmation and there is no terminal to ask: pass --yes. "
            "Nothing was changed."
        )
    options = admin_options(
        cloud,
        emulator,
        tenant,
        profile,
        admin_client_id,
        admin_client_secret_file,
        admin_certificate,
    )
    connection = resolve_admin(options, prompt=terminal_prompt())
    with AdminSession(connection) as session:
        row = _find(session.exchange.get_application_access_policies(), identity)
        if not yes and not _confirm(row):
            raise UsageError("not removed: the question was answered no. Nothing was changed.")
        session.exchange.remove_application_access_policy(str(row["Identity"]))
    if as_json:
        doc = {"schema_version": SCHEMA_VERSION, "removed": policy_document(row)}
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo(f"Removed {_label(row)} for app {row.get('AppId')}.")
        typer.echo(PROPAGATION)


def policy_document(row: dict[str, Any]) -> dict[str, Any]:
    """One policy in the ``--json`` documents."""
    raw = str(row.get("ScopeIdentityRaw") or "")
    return {
        "identity": row.get("Identity"),
        "app_id": row.get("AppId"),
        "access_right": row.get("AccessRight"),
        "scope_name": row.get("ScopeName"),
        "scope_identity": row.get("ScopeIdentity"),
        "scope_object_id": raw.partition(";")[2] or None,
        "description": row.get("Description"),
        "is_valid": row.get("IsValid"),
    }


def _find(rows: list[dict[str, Any]], identity: str) -> dict[str, Any]:
    from ..errors import UsageError

    wanted = identity.strip().lower()
    for row in rows:
        if str(row.get("Identity") or "").lower() == wanted:
            return row
    raise UsageError(
        f"there is no access policy with Identity {identity!r}: `sendscope policies list` "
        "shows each policy's Identity. Nothing was changed."
    )


def _label(row: dict[str, Any]) -> str:
    return f'{row.get("AccessRight")} on "{row.get("ScopeName") or row.get("ScopeIdentity")}"'


def _confirm(row: dict[str, Any]) -> bool:
    effect = (
        "the app may then reach mailboxes outside this scope again (if no other "
        "RestrictAccess policy names it, every mailbox)"
        if row.get("AccessRight") == "RestrictAccess"
        else "the app may then reach the mailboxes this policy denied"
    )
    typer.echo(f"Removing {_label(row)} for app {row.get('AppId')}: {effect}.", err=True)
    answer: bool = typer.confirm("Remove it?", default=False, err=True)
    return answer


def _interactive() -> bool:
    return sys.stdin.isatty()


def _render(rows: list[dict[str, Any]], app_id: str | None) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = stdout_console(highlight=False)
    if not rows:
        which = f" naming app {app_id}" if app_id else ""
        console.print(f"No Application Access Policy{which}.")
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("App", "Access right", "Scope", "Identity"):
        table.add_column(column, overflow="fold")
    for row in rows:
        scope = str(row.get("ScopeName") or row.get("ScopeIdentity") or "")
        cells = (row.get("AppId"), row.get("AccessRight"), scope, row.get("Identity"))
        table.add_row(*(escape(str(c or "")) for c in cells))
    console.print(table)
    console.print(f"{len(rows)} polic{'y' if len(rows) == 1 else 'ies'}.")
