"""``sendscope test-policy``: Exchange's verdict for many mailboxes, each with its reason.

Output: a table (address, Exchange's verdict, the evaluator's reason), or with ``--json``
one document with ``schema_version`` 1 (docs/test-policy.md). Exit codes: 0 when sendscope's
evaluator agrees with Exchange on every address, 3 when it does not (a finding, said loudly),
2 for malformed input (nothing is asked of Microsoft), 4/5/6 as for every command.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .admin_options import (
    AdminCertificateOpt,
    AdminClientIdOpt,
    AdminClientSecretFileOpt,
    admin_options,
)
from .options import CloudOpt, EmulatorOpt, JsonOpt, ProfileOpt, TenantOpt, terminal_prompt
from .pipes import stdout_console
from .progress import live_counts

if TYPE_CHECKING:
    from rich.console import Console

    from ..testpolicy import PolicyCheck, TestPolicyReport

__all__ = ["SCHEMA_VERSION", "document", "render", "test_policy"]

SCHEMA_VERSION = 1

AppOpt = Annotated[
    str, typer.Option("--app", metavar="APPID", help="The app's Application (client) ID.")
]
AddressesArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="ADDRESS", help="Mailboxes to test.", show_default=False),
]
AllMailboxesOpt = Annotated[
    bool, typer.Option("--all-mailboxes", help="Test every user and shared mailbox.")
]


def test_policy(
    app_id: AppOpt,
    addresses: AddressesArg = None,
    all_mailboxes: AllMailboxesOpt = False,
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    profile: ProfileOpt = None,
    admin_client_id: AdminClientIdOpt = None,
    admin_client_secret_file: AdminClientSecretFileOpt = None,
    admin_certificate: AdminCertificateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask Exchange which mailboxes an app may reach, and say why for each."""
    from ..admin import AdminSession, resolve_admin
    from ..errors import CheckFailed
    from ..testpolicy import run_test_policy, validate_request

    app, wanted = validate_request(app_id, addresses or [], all_mailboxes)
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
    with AdminSession(connection) as session, live_counts() as progress:
        report = run_test_policy(
            session.exchange, app, None if all_mailboxes else wanted, progress=progress
        )
    if as_json:
        typer.echo(json.dumps(document(report, session.tenant), indent=2))
    else:
        render(report)
    if report.disagreements:
        raise CheckFailed(_disagreement_sentence(report))


def _disagreement_sentence(report: TestPolicyReport) -> str:
    which = ", ".join(c.address for c in report.disagreements)
    return (
        f"sendscope's evaluator and Exchange's Test-ApplicationAccessPolicy DISAGREE on "
        f"{len(report.disagreements)} of {len(report.checks)} mailboxes ({which}). Trust "
        "Exchange's verdict; the reason shown may be wrong. Please report this with the "
        "--json output (docs/test-policy.md)."
    )


# -- JSON ---------------------------------------------------------------------------------


def document(report: TestPolicyReport, tenant: str) -> dict[str, Any]:
    """The ``--json`` document, schema version 1 (docs/test-policy.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tenant": tenant,
        "app_id": report.app_id,
        "policies_for_app": report.policies,
        "results": [_check_document(c) for c in report.checks],
        "summary": {
            "tested": len(report.checks),
            "granted": sum(c.server == "Granted" for c in report.checks),
            "denied": sum(c.server == "Denied" for c in report.checks),
            "not_found": len(report.unknown),
            "disagreements": len(report.disagreements),
        },
    }


def _check_document(check: PolicyCheck) -> dict[str, Any]:
    return {
        "address": check.address,
        "found": check.found,
        "server": check.server,
        "evaluator": check.evaluator,
        "agrees": check.agrees,
        "reason": check.reason,
        "mailbox": check.mailbox or None,
        "mailbox_id": check.mailbox_id or None,
    }


# -- text ---------------------------------------------------------------------------------


def render(report: TestPolicyReport, console: Console | None = None) -> None:
    """The table for people (``sendscope demo`` shows it too)."""
    from rich.table import Table

    console = console or stdout_console(highlight=False)
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("Address", overflow="fold")
    table.add_column("Exchange", no_wrap=True)
    table.add_column("Reason (sendscope's evaluator)", overflow="fold")
    for check in report.checks:
        table.add_row(*_row(check))
    console.print(table, soft_wrap=False)
    console.print(_summary(report))
    if report.disagreements:
        console.print(
            "[bold red]DISAGREEMENT:[/] sendscope's evaluator and Exchange differ on "
            f"{len(report.disagreements)} mailbox(es), marked [bold red]≠[/] above."
        )


def _row(check: PolicyCheck) -> tuple[str, str, str]:
    from rich.markup import escape

    if not check.found and check.agrees:
        return escape(check.address), "not found", escape(check.reason)
    server = check.server or "not found"
    if check.agrees:
        colour = "green" if check.server == "Granted" else "yellow"
        return escape(check.address), f"[{colour}]{server}[/]", escape(check.reason)
    evaluator = check.evaluator or "no verdict"
    reason = f"[bold red]≠ sendscope says {evaluator}:[/] {escape(check.reason)}"
    return escape(check.address), f"[bold red]{server}[/]", reason


def _summary(report: TestPolicyReport) -> str:
    granted = sum(c.server == "Granted" for c in report.checks)
    denied = sum(c.server == "Denied" for c in report.checks)
    unknown = f", {len(report.unknown)} not found" if report.unknown else ""
    one = report.policies == 1
    policies = f"{report.policies} access polic{'y names' if one else 'ies name'} the app"
    return (
        f"App {report.app_id}: {granted} granted, {denied} denied{unknown} "
        f"({len(report.checks)} tested; {policies})."
    )
