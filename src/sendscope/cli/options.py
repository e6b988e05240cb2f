"""The connection options every command takes, declared once (architecture.md, the table).

Commands write ``cloud: CloudOpt = None`` etc. and call ``connection_options(...)``.
There is deliberately no option for a secret's value: secrets come from
``SENDSCOPE_CLIENT_SECRET``, ``--client-secret-file`` or a hidden prompt.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from ..connection import ConnectionOptions

__all__ = [
    "CertificateOpt",
    "ClientIdOpt",
    "ClientSecretFileOpt",
    "CloudOpt",
    "EmulatorOpt",
    "JsonOpt",
    "ProfileOpt",
    "TenantOpt",
    "connection_options",
    "secret_prompt",
    "terminal_prompt",
]

_CONN = "Connection"

CloudOpt = Annotated[
    str | None,
    typer.Option(
        "--cloud",
        envvar="SENDSCOPE_CLOUD",
        rich_help_panel=_CONN,
        help="global, usgov (GCC High), usgovdod or china.",
    ),
]
EmulatorOpt = Annotated[
    Path | None,
    typer.Option(
        "--emulator",
        envvar="SENDSCOPE_EMULATOR",
        rich_help_panel=_CONN,
        metavar="DIR",
        help="Use the sendscope emulator whose emulator.json is in DIR.",
    ),
]
TenantOpt = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        envvar="SENDSCOPE_TENANT",
        rich_help_panel=_CONN,
        help="Tenant ID or domain (contoso.onmicrosoft.com).",
    ),
]
ClientIdOpt = Annotated[
    str | None,
    typer.Option(
        "--client-id",
        envvar="SENDSCOPE_CLIENT_ID",
        rich_help_panel=_CONN,
        help="The app's Application (client) ID.",
    ),
]
ClientSecretFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--client-secret-file",
        rich_help_panel=_CONN,
        metavar="FILE",
        help="Read the client secret from FILE (or set SENDSCOPE_CLIENT_SECRET; else a prompt).",
    ),
]
CertificateOpt = Annotated[
    Path | None,
    typer.Option(
        "--certificate",
        envvar="SENDSCOPE_CERTIFICATE",
        rich_help_panel=_CONN,
        metavar="FILE",
        help="The app's certificate: PEM with key, or PFX "
        "(password: SENDSCOPE_CERTIFICATE_PASSWORD).",
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        envvar="SENDSCOPE_PROFILE",
        rich_help_panel=_CONN,
        help="A saved profile (sendscope profile add).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def connection_options(
    cloud: str | None,
    emulator: Path | None,
    tenant: str | None,
    client_id: str | None,
    client_secret_file: Path | None,
    certificate: Path | None,
    profile: str | None,
) -> ConnectionOptions:
    return ConnectionOptions(
        cloud, emulator, tenant, client_id, client_secret_file, certificate, profile
    )


def secret_prompt(text: str) -> str:
    """Ask for a secret with the input hidden, on stderr (stdout stays for --json); an empty
    answer comes back empty, for the caller's "no client secret entered"."""
    return str(typer.prompt(text, hide_input=True, default="", show_default=False, err=True))


def terminal_prompt() -> Callable[[str], str] | None:
    """``secret_prompt`` when someone is at a terminal to answer it, else None."""
    return secret_prompt if sys.stdin.isatty() else None
