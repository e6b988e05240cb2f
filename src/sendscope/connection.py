"""From connection options to a connected app: cloud, identity, trust, HTTP client.

Precedence for each value: the command-line option (or its environment variable, which
typer reads), then the ``--profile``, then the emulator's defaults from emulator.json.
Secrets come only from ``SENDSCOPE_CLIENT_SECRET``, a file, the emulator's test
credentials, or a hidden prompt — never from a bare argument (architecture.md, Safety).
Everything is validated before any network call.

The HTTP and token stack (httpx2, MSAL, stamina) is imported when a session opens, not
when this module is: every command's ``--help`` imports the options, and must start fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .auth.credentials import (
    AppIdentity,
    CertificateCredential,
    ClientSecret,
    Secret,
    check_client_id,
    check_tenant,
    is_guid,
    load_certificate,
)
from .clouds import Cloud, cloud_named, emulator_cloud
from .errors import UsageError
from .profiles import Profile, ProfileStore

if TYPE_CHECKING:
    import httpx2

    from .auth.app_tokens import AppTokenSource
    from .clients.graph import GraphClient

__all__ = [
    "AppConnection",
    "AppSession",
    "ConnectionOptions",
    "EmulatorInfo",
    "cloud_option",
    "connect_app",
    "refuse_empty",
    "resolve_app",
]

Prompt = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """The connection options every command takes (architecture.md, the options table)."""

    cloud: str | None = None
    emulator: Path | None = None
    tenant: str | None = None
    client_id: str | None = None
    client_secret_file: Path | None = None
    certificate: Path | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class EmulatorInfo:
    """What ``DIR/emulator.json`` says: URL, CA, tenants and their test credentials."""

    url: str
    ca_cert: Path
    tenants: list[dict[str, Any]]

    @classmethod
    def load(cls, directory: Path) -> EmulatorInfo:
        path = directory / "emulator.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(raw["url"]), Path(raw["ca_cert"]), list(raw["tenants"]))
        except FileNotFoundError:
            raise UsageError(
                f"--emulator {directory}: there is no emulator.json there. Start "
                f"one with: sendscope emulator serve --data-dir {directory}"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"--emulator {directory}: emulator.json is unreadable "
                f"({type(exc).__name__}); restart the emulator"
            ) from None

    def tenant(self, ref: str | None) -> dict[str, Any]:
        if not self.tenants:
            raise UsageError(f"the emulator at {self.url} has no tenant")
        if ref is None:
            return self.tenants[0]
        for tenant in self.tenants:
            if ref.lower() in (tenant["id"], tenant["domain"].lower()):
                return tenant
        return self.tenants[0]

    def app_secret(self, tenant: dict[str, Any], client_id: str | None) -> tuple[str, str] | None:
        """(client id, secret) of the emulator's app: the one named, else the first."""
        apps = tenant.get("apps") or []
        admin = tenant.get("admin")
        for app in [*apps, *([admin] if admin else [])]:
            if client_id is None or app["client_id"] == client_id:
                return str(app["client_id"]), str(app["client_secret"])
        return None


@dataclass(frozen=True, slots=True)
class AppConnection:
    """A validated app connection: which cloud, which identity, which CA to trust."""

    cloud: Cloud
    identity: AppIdentity
    ca_file: Path | None
    tenant_domain: str | None = None  # when known without asking Graph


def refuse_empty(given: Mapping[str, str | None]) -> None:
    """An option given as '' (or blanks) is a mistake, not "use the default": say so, rather
    than quietly fall back to the profile, the environment or the emulator's first tenant.
    (An empty environment variable counts as unset, as click reads it.)"""
    for option, value in given.items():
        if value is not None and not value.strip():
            raise UsageError(f"{option} is empty: give a value, or leave it out")


def resolve_app(
    options: ConnectionOptions,
    *,
    env: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    profiles: ProfileStore | None = None,
) -> AppConnection:
    """Validate the options into an app connection; UsageError naming what is wrong."""
    env = os.environ if env is None else env
    refuse_empty(
        {
            "--tenant (or SENDSCOPE_TENANT)": options.tenant,
            "--client-id (or SENDSCOPE_CLIENT_ID)": options.client_id,
            "--profile (or SENDSCOPE_PROFILE)": options.profile,
        }
    )
    if options.emulator is not None and options.cloud:
        raise UsageError(
            f"--cloud {options.cloud} and --emulator exclude each other: the emulator is its "
            "own cloud"
        )
    profile = (profiles or ProfileStore()).get(options.profile) if options.profile else Profile("")
    emulator = EmulatorInfo.load(options.emulator) if options.emulator else None
    cloud = cloud_option(options.cloud or profile.cloud, emulator)
    tenant_row = emulator.tenant(options.tenant or profile.tenant) if emulator else None
    tenant = options.tenant or profile.tenant or (tenant_row["id"] if tenant_row else None)
    if not tenant:
        raise UsageError(
            "no tenant given: pass --tenant (the tenant ID or a domain such as "
            "contoso.onmicrosoft.com) or set SENDSCOPE_TENANT"
        )
    tenant = check_tenant(tenant)
    client_id = options.client_id or profile.client_id
    emu_app = emulator.app_secret(tenant_row, client_id) if emulator and tenant_row else None
    client_id = client_id or (emu_app[0] if emu_app else None)
    if not client_id:
        raise UsageError(
            "no app given: pass --client-id (the app's Application (client) ID) "
            "or set SENDSCOPE_CLIENT_ID"
        )
    client_id = check_client_id(client_id)
    credential = _credential(options, profile, env, emu_app, prompt)
    return AppConnection(
        cloud,
        AppIdentity(tenant, client_id, credential),
        emulator.ca_cert if emulator else None,
        _domain(tenant, tenant_row),
    )


def cloud_option(name: str | None, emulator: EmulatorInfo | None = None) -> Cloud:
    """The emulator's cloud, else ``--cloud`` (default global); UsageError naming the
    choices for an unknown name."""
    if emulator is not None:
        return emulator_cloud(emulator.url)
    try:
        return cloud_named(name or "global")
    except KeyError as exc:
        raise UsageError(f"--cloud {exc.args[0]}") from None


def _domain(tenant: str, tenant_row: dict[str, Any] | None) -> str | None:
    if not is_guid(tenant):
        return tenant
    if tenant_row is not None and tenant_row.get("id") == tenant:
        return str(tenant_row.get("domain") or "") or None
    return None


def _credential(
    options: ConnectionOptions,
    profile: Profile,
    env: Mapping[str, str],
    emu_app: tuple[str, str] | None,
    prompt: Prompt | None,
) -> ClientSecret | CertificateCredential:
    """Option (or its environment variable) first, then the profile, the emulator, a prompt."""
    if options.certificate is not None and options.client_secret_file is not None:
        raise UsageError(
            "--certificate and --client-secret-file exclude each other: the app signs in "
            "with one credential; give one of them"
        )
    if options.certificate is not None:
        return _certificate(options.certificate, env)
    if options.client_secret_file is not None:
        return ClientSecret(Secret(_read_secret_file(options.client_secret_file)))
    if env.get("SENDSCOPE_CLIENT_SECRET", "").strip():
        return ClientSecret(Secret(env["SENDSCOPE_CLIENT_SECRET"].strip()))
    if profile.certificate:
        return _certificate(Path(profile.certificate), env)
    if emu_app is not None:
        return ClientSecret(Secret(emu_app[1]))
    return _prompted(prompt)


def _certificate(path: Path, env: Mapping[str, str]) -> CertificateCredential:
    password = env.get("SENDSCOPE_CERTIFICATE_PASSWORD")
    return load_certificate(path, Secret(password) if password else None)


def _prompted(prompt: Prompt | None) -> ClientSecret:
    if prompt is None:
        raise UsageError(
            "no credential given: set SENDSCOPE_CLIENT_SECRET, pass "
            "--client-secret-file or --certificate"
        )
    value = prompt("Client secret (input hidden)").strip()
    if not value:
        raise UsageError("no client secret entered")
    return ClientSecret(Secret(value))


def _read_secret_file(path: Path) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"--client-secret-file {path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--client-secret-file {path} is not a text file") from None
    if not value:
        raise UsageError(f"--client-secret-file {path} is empty")
    return value


class AppSession:
    """An open connection as the app: HTTP client, token source, Graph client."""

    def __init__(
        self, connection: AppConnection, transport: httpx2.BaseTransport | None = None
    ) -> None:
        from .auth.app_tokens import AppTokenSource
        from .auth.trust import ssl_context
        from .clients._http import make_http_client
        from .clients.graph import GraphClient

        self.connection = connection
        self.http = make_http_client(ssl_context(connection.ca_file), transport=transport)
        self.tokens: AppTokenSource = AppTokenSource(
            connection.identity, connection.cloud, self.http
        )
        self.graph: GraphClient = GraphClient(self.http, self.tokens)

    def __enter__(self) -> AppSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.http.close()


def connect_app(options: ConnectionOptions, *, prompt: Prompt | None = None) -> AppSession:
    return AppSession(resolve_app(options, prompt=prompt))
