"""The admin connection options, declared once: where, and which admin identity.

Commands that act as the admin (``test-policy``, ``policies``, ``restrict``) write
``admin_client_id: AdminClientIdOpt = None`` etc. and call ``admin_options(...)``. As for
the app, there is no option for a secret's value: ``SENDSCOPE_ADMIN_CLIENT_SECRET``,
``--admin-client-secret-file`` or a hidden prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..admin import AdminOptions

__all__ = [
    "AdminCertificateOpt",
    "AdminClientIdOpt",
    "AdminClientSecretFileOpt",
    "admin_options",
]

_ADMIN = "Admin identity"

AdminClientIdOpt = Annotated[
    str | None,
    typer.Option(
        "--admin-client-id",
        envvar="SENDSCOPE_ADMIN_CLIENT_ID",
        rich_help_panel=_ADMIN,
        help="An admin app's client ID (else the `sendscope login` sign-in).",
    ),
]
AdminClientSecretFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--admin-client-secret-file",
        rich_help_panel=_ADMIN,
        metavar="FILE",
        help="Read the admin app's secret from FILE (or set SENDSCOPE_ADMIN_CLIENT_SECRET).",
    ),
]
AdminCertificateOpt = Annotated[
    Path | None,
    typer.Option(
        "--admin-certificate",
        envvar="SENDSCOPE_ADMIN_CERTIFICATE",
        rich_help_panel=_ADMIN,
        metavar="FILE",
        help="The admin app's certificate: PEM with key, or PFX "
        "(password: SENDSCOPE_ADMIN_CERTIFICATE_PASSWORD).",
    ),
]


def admin_options(
    cloud: str | None,
    emulator: Path | None,
    tenant: str | None,
    profile: str | None,
    admin_client_id: str | None,
    admin_client_secret_file: Path | None,
    admin_certificate: Path | None,
) -> AdminOptions:
    return AdminOptions(
        cloud,
        emulator,
        tenant,
        profile,
        admin_client_id,
        admin_client_secret_file,
        admin_certificate,
    )
