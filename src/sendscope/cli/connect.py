"""``sendscope connect``: sign in as the app and show what it can do.

Output: a short report readable in 80 columns, or with ``--json`` one document with
``schema_version`` 1 (docs/connect.md). Failures are exceptions carrying their exit code
(``cli/app.py``'s ``main`` prints the sentence): 2 bad input, 4 sign-in refused, 6 no answer.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

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
    from rich.console import Console, RenderableType

    from ..app_capabilities import AppCapabilities, SecretExpiry

__all__ = ["SCHEMA_VERSION", "connect", "document", "render"]

SCHEMA_VERSION = 1

_EXCHANGE_NOTE = (
    "Exchange's own permissions (EWS full_access_as_app) are in an Exchange token, not in "
    "this Graph token, and are not shown."
)
_SECRET_UNREADABLE = (
    "not readable with the app's own token (reading its secrets needs Application.Read.All); "
    "see Entra ID > App registrations > the app > Certificates & secrets"
)


def connect(
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    client_id: ClientIdOpt = None,
    client_secret_file: ClientSecretFileOpt = None,
    certificate: CertificateOpt = None,
    profile: ProfileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign in as the app and show what it can do: roles, credential expiry, and a verdict."""
    from ..app_capabilities import inspect_app
    from ..connection import AppSession, resolve_app

    options = connection_options(
        cloud, emulator, tenant, client_id, client_secret_file, certificate, profile
    )
    connection = resolve_app(options, prompt=terminal_prompt())
    with AppSession(connection) as session:
        report = inspect_app(session)
    if as_json:
        typer.echo(json.dumps(document(report), indent=2))
    else:
        render(report)


# -- JSON ---------------------------------------------------------------------------------


def document(report: AppCapabilities) -> dict[str, Any]:
    """The ``--json`` document, schema version 1 (docs/connect.md, "JSON output")."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tenant": {"id": report.tenant_id, "domain": report.tenant_domain},
        "app": {
            "client_id": report.client_id,
            "display_name": report.display_name,
            "service_principal_id": report.service_principal_id,
        },
        "cloud": {
            "name": report.cloud.name,
            "login_url": report.cloud.login_url,
            "graph_url": report.cloud.graph_url,
        },
        "credential": _credential_document(report),
        "roles": list(report.roles),
        "mailbox_roles": list(report.mailbox_roles),
        "lifting_roles": list(report.lifting_roles),
        "verdict": list(report.verdict),
        "warnings": list(report.warnings),
        "token_expires": _iso(report.token_expires),
        "checked": _iso(report.checked),
    }


def _credential_document(report: AppCapabilities) -> dict[str, Any]:
    cert = report.certificate
    return {
        "type": report.credential_type,
        "certificate": None
        if cert is None
        else {
            "path": str(cert.path),
            "subject": cert.subject,
            "thumbprint_sha1": cert.thumbprint_sha1,
            "not_after": _iso(cert.not_after),
        },
        "secrets_readable": report.secrets is not None,
        "secrets": None
        if report.secrets is None
        else [
            {
                "key_id": s.key_id,
                "display_name": s.display_name or None,
                "end": _iso(s.end) if s.end else None,
                "maybe_in_use": s.maybe_in_use,
            }
            for s in report.secrets
        ],
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- the report ---------------------------------------------------------------------------


def render(report: AppCapabilities, console: Console | None = None) -> None:
    """The report for people (``sendscope demo`` shows it too)."""
    from rich.table import Table
    from rich.text import Text

    console = console or stdout_console(highlight=False)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in _rows(report):
        grid.add_row(label, Text(value))
    title = report.display_name or report.client_id
    console.print(Text.assemble("Signed in as ", (title, "bold"), f" ({report.cloud.name})"))
    console.print()
    console.print(grid)
    _paragraphs(console, "Verdict", [Text(s) for s in report.verdict])
    notes: list[RenderableType] = [Text(w, style="yellow") for w in report.warnings]
    _paragraphs(console, "Warnings", notes)
    console.print()
    console.print(Text(_EXCHANGE_NOTE, style="dim"))


def _paragraphs(console: Console, title: str, texts: list[RenderableType]) -> None:
    if not texts:
        return
    console.print()
    console.print(title, style="bold")
    for text in texts:
        console.print(text)


def _rows(report: AppCapabilities) -> list[tuple[str, str]]:
    tenant = report.tenant_id + (f" ({report.tenant_domain})" if report.tenant_domain else "")
    return [
        ("Tenant", tenant),
        ("App", report.display_name or "(the token names none)"),
        ("App ID", report.client_id),
        ("Cloud", report.cloud.title),
        ("Credential", _credential_line(report)),
        ("Expiry", _expiry_line(report)),
        ("Roles", ", ".join(report.roles) or "none"),
    ]


def _credential_line(report: AppCapabilities) -> str:
    cert = report.certificate
    if cert is None:
        return "client secret"
    return f"certificate {cert.subject}, thumbprint {cert.thumbprint_sha1}"


def _expiry_line(report: AppCapabilities) -> str:
    if report.certificate is not None:
        return _ends(report.certificate.not_after, report.checked)
    if report.secrets is None:
        return _SECRET_UNREADABLE
    if not report.secrets:
        return "the app lists no client secret"
    return "; ".join(_secret_line(s, report.checked) for s in report.secrets)


def _secret_line(secret: SecretExpiry, now: datetime) -> str:
    name = f"'{secret.display_name}'" if secret.display_name else secret.key_id
    when = _ends(secret.end, now) if secret.end else "no end date"
    used = ", likely the one in use" if secret.maybe_in_use else ""
    return f"secret {name} {when}{used}"


def _ends(end: datetime, now: datetime) -> str:
    days = (end - now).days
    if end <= now:
        return f"expired on {end:%Y-%m-%d}"
    return f"ends {end:%Y-%m-%d} (in {days} days)"
