"""``sendscope profile add|list|remove``: saved connections, never a secret.

A profile keeps the tenant, the app's and the admin app's client IDs, the cloud and
certificate paths, so that ``--profile NAME`` replaces them on every command. Secrets are
not stored anywhere by sendscope: they come from ``SENDSCOPE_CLIENT_SECRET``, a file or a
prompt each time (architecture.md, Safety). Files live under the user config directory,
or ``$SENDSCOPE_CONFIG_DIR``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import UsageError
from .options import JsonOpt
from .pipes import stdout_console

if TYPE_CHECKING:
    from ..profiles import Profile, ProfileStore

__all__ = ["SCHEMA_VERSION", "app"]

SCHEMA_VERSION = 1

app = typer.Typer(
    help="Saved connections: tenant, client IDs, cloud, certificate paths (never a secret).",
    no_args_is_help=True,
)

_NO_SECRETS = (
    "profiles never hold a secret: sendscope does not store secrets anywhere. Save the profile "
    "without it, and give the secret each time with SENDSCOPE_CLIENT_SECRET, --client-secret-file "
    "or the prompt — or use a certificate (--certificate), whose path a profile can keep."
)

NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="The profile's name, e.g. contoso-prod.")
]
_SECRET_HELP = "Refused: profiles never hold a secret."


@app.command("add")
def add(
    name: NameArg,
    tenant: Annotated[str | None, typer.Option(help="Tenant ID or domain.")] = None,
    client_id: Annotated[str | None, typer.Option(help="The app's client ID.")] = None,
    cloud: Annotated[str | None, typer.Option(help="global, usgov, usgovdod or china.")] = None,
    certificate: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The app's certificate (PEM or PFX).")
    ] = None,
    admin_client_id: Annotated[str | None, typer.Option(help="The admin app's client ID.")] = None,
    admin_certificate: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The admin app's certificate.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a profile of that name.")
    ] = False,
    client_secret: Annotated[str | None, typer.Option(hidden=True, help=_SECRET_HELP)] = None,
    client_secret_file: Annotated[Path | None, typer.Option(hidden=True, help=_SECRET_HELP)] = None,
    admin_client_secret_file: Annotated[
        Path | None, typer.Option(hidden=True, help=_SECRET_HELP)
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Save a profile: use it with --profile NAME on any command."""
    from ..profiles import Profile, ProfileStore, check_profile_name

    if any(v is not None for v in (client_secret, client_secret_file, admin_client_secret_file)):
        raise UsageError(_NO_SECRETS)
    store = ProfileStore()
    profile = Profile(
        check_profile_name(name),
        tenant=_tenant(tenant),
        client_id=_client_id(client_id, "--client-id"),
        cloud=_cloud(cloud),
        certificate=_certificate(certificate, "--certificate"),
        admin_client_id=_client_id(admin_client_id, "--admin-client-id"),
        admin_certificate=_certificate(admin_certificate, "--admin-certificate"),
    )
    _check_new(store, profile, replace)
    store.save(profile)
    _done(as_json, "added", profile, store)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Show the saved profiles."""
    from ..profiles import ProfileStore

    store = ProfileStore()
    profiles = sorted(store.all().values(), key=lambda p: p.name)
    if as_json:
        body = {"profiles": [_profile_document(p) for p in profiles]}
        typer.echo(json.dumps(_envelope(store, body), indent=2))
        return
    if not profiles:
        typer.echo(f"No profiles in {store.path}. Add one with: sendscope profile add NAME ...")
        return
    _table(profiles, store)


@app.command("remove")
def remove(name: NameArg, as_json: JsonOpt = False) -> None:
    """Delete a saved profile."""
    from ..profiles import ProfileStore

    store = ProfileStore()
    profile = store.all().get(name)
    if profile is None:
        choices = ", ".join(sorted(store.all())) or "none"
        raise UsageError(f"profile {name!r} does not exist (profiles: {choices})")
    store.remove(name)
    _done(as_json, "removed", profile, store)


# -- validation ---------------------------------------------------------------------------


def _tenant(value: str | None) -> str | None:
    from ..auth.credentials import check_tenant

    return None if value is None else check_tenant(value)


def _client_id(value: str | None, option: str) -> str | None:
    from ..auth.credentials import check_client_id

    return None if value is None else check_client_id(value, option)


def _cloud(value: str | None) -> str | None:
    from ..connection import cloud_option

    return None if value is None else cloud_option(value).name


def _certificate(path: Path | None, option: str) -> str | None:
    if path is None:
        return None
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "there is no such file"
        raise UsageError(
            f"{option} {path}: {what}; give the path of the PEM or PFX file the app signs in with"
        )
    return str(path.resolve())


def _check_new(store: ProfileStore, profile: Profile, replace: bool) -> None:
    if not profile.values():
        raise UsageError(
            f"profile {profile.name!r} would be empty: give at least one of --tenant, "
            "--client-id, --cloud, --certificate, --admin-client-id, --admin-certificate"
        )
    if profile.name in store.all() and not replace:
        raise UsageError(
            f"profile {profile.name!r} exists already: pass --replace to overwrite it, or "
            f"remove it first (sendscope profile remove {profile.name})"
        )


# -- output -------------------------------------------------------------------------------


def _profile_document(profile: Profile) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(profile)


def _envelope(store: ProfileStore, body: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "path": str(store.path), **body}


def _done(as_json: bool, action: str, profile: Profile, store: ProfileStore) -> None:
    if as_json:
        body = {action: _profile_document(profile)}
        typer.echo(json.dumps(_envelope(store, body), indent=2))
    else:
        typer.echo(f"Profile {profile.name} {action} ({store.path}).")


def _table(profiles: list[Profile], store: ProfileStore) -> None:
    from rich.text import Text

    console = stdout_console(highlight=False)
    labels = {
        "tenant": "tenant",
        "client_id": "client ID",
        "cloud": "cloud",
        "certificate": "certificate",
        "admin_client_id": "admin client ID",
        "admin_certificate": "admin certificate",
    }
    for profile in profiles:
        console.print(Text(profile.name, style="bold"))
        for key, value in profile.values().items():
            console.print(Text(f"  {labels[key]:<18}{value}", overflow="fold"))
    console.print(Text(f"({store.path})", style="dim"), overflow="fold")
