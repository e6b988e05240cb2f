"""``sendscope login`` and ``sendscope logout``: the admin's own sign-in, by device code.

``login`` prints where to go and the code to enter, waits for the sign-in, and keeps MSAL's
token cache in a 0600 file under the user data directory (docs/login.md). ``logout``
deletes that file. Both take ``--json`` (one document, ``schema_version`` 1).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from .options import CloudOpt, EmulatorOpt, JsonOpt, TenantOpt

__all__ = ["SCHEMA_VERSION", "login", "logout"]

SCHEMA_VERSION = 1

PublicClientOpt = Annotated[
    str | None,
    typer.Option(
        "--client-id",
        help="The public client to sign in with (default: Microsoft Exchange REST API Based "
        "PowerShell, fb78d390-0c51-40cd-8e17-fdbfab77341b).",
    ),
]


def login(
    cloud: CloudOpt = None,
    emulator: EmulatorOpt = None,
    tenant: TenantOpt = None,
    client_id: PublicClientOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign in as an Exchange administrator by device code; keep the token cache."""
    from ..admin import AdminOptions, resolve_admin_place
    from ..auth.admin_tokens import EXCHANGE_POWERSHELL_CLIENT_ID, LoginCache, device_code_login
    from ..auth.credentials import check_client_id
    from ..auth.trust import ssl_context
    from ..clients._http import make_http_client
    from ..connection import refuse_empty

    refuse_empty({"--client-id": client_id})
    public_client = check_client_id(client_id or EXCHANGE_POWERSHELL_CLIENT_ID, "--client-id")
    place = resolve_admin_place(AdminOptions(cloud, emulator, tenant))
    cache = LoginCache()
    cache.prepare()  # a folder that cannot be written fails now, not after the sign-in
    with make_http_client(ssl_context(place.ca_file)) as http:
        record = device_code_login(
            place.cloud, place.tenant or "organizations", public_client, http, _show, cache
        )
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "signed_in": True,
        "username": record.username,
        "tenant": record.tenant,
        "client_id": record.client_id,
        "cloud": place.cloud.name,
        "cache": str(cache.path),
    }
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo(f"Signed in as {record.username} in tenant {record.tenant}.")
        typer.echo(f"Token cache: {cache.path} (delete it with: sendscope logout)")


def logout(as_json: JsonOpt = False) -> None:
    """Forget the admin's sign-in: delete the token cache file."""
    from ..auth.admin_tokens import LoginCache

    cache = LoginCache()
    removed = cache.delete()
    if as_json:
        doc = {"schema_version": SCHEMA_VERSION, "removed": removed, "cache": str(cache.path)}
        typer.echo(json.dumps(doc, indent=2))
    elif removed:
        typer.echo(f"Signed out: deleted {cache.path}.")
    else:
        typer.echo("Not signed in: there was no token cache to delete.")


def _show(message: str) -> None:
    # The device-code instructions go to stderr so that --json stdout stays one document.
    typer.echo(message, err=True)
