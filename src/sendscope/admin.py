"""The admin identity: who locks an app down (architecture.md, "Credentials").

Two ways to be the admin, both needing tokens for Graph and for the Exchange admin API:

- an **admin app** (``--admin-client-id`` with ``--admin-certificate`` or
  ``--admin-client-secret-file``; env ``SENDSCOPE_ADMIN_*``; or a profile), signing in with
  the client-credentials flow;
- a **person** signed in with ``sendscope login`` (device code; the cache in the user data
  directory).

Precedence: an admin app given by option, environment or profile; else the ``login`` cache
when it is for this cloud (and tenant); else, with ``--emulator``, the emulator's admin app;
else a UsageError that says to run ``sendscope login``. Everything is validated before any
network call; the HTTP and token stack is imported when a session opens.
"""

from __future__ import annotations

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
from .clouds import Cloud
from .connection import EmulatorInfo, cloud_option, refuse_empty
from .errors import NotSignedIn, UsageError
from .profiles import Profile, ProfileStore

if TYPE_CHECKING:
    import httpx2

    from .auth.admin_tokens import DelegatedTokenSource, LoginCache, LoginRecord
    from .auth.app_tokens import AppTokenSource
    from .clients.exchange import ExchangeAdminClient
    from .clients.graph import GraphClient

__all__ = [
    "AdminConnection",
    "AdminOptions",
    "AdminPlace",
    "AdminSession",
    "connect_admin",
    "resolve_admin",
    "resolve_admin_place",
]

Prompt = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class AdminOptions:
    """The connection options of admin commands: where, and which admin identity."""

    cloud: str | None = None
    emulator: Path | None = None
    tenant: str | None = None
    profile: str | None = None
    admin_client_id: str | None = None
    admin_client_secret_file: Path | None = None
    admin_certificate: Path | None = None


@dataclass(frozen=True, slots=True)
class AdminConnection:
    """A validated admin connection: an admin app (``identity``) or a sign-in (``login``)."""

    cloud: Cloud
    tenant: str
    identity: AppIdentity | None
    login: LoginRecord | None
    ca_file: Path | None
    tenant_domain: str | None = None

    @property
    def kind(self) -> str:
        """``app`` or ``user``: how the admin signs in."""
        return "app" if self.identity is not None else "user"


def resolve_admin(
    options: AdminOptions,
    *,
    env: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    profiles: ProfileStore | None = None,
    logins: LoginCache | None = None,
) -> AdminConnection:
    """Validate the options into an admin connection; UsageError naming what is wrong."""
    env = os.environ if env is None else env
    place = resolve_admin_place(options, profiles=profiles)
    cloud, tenant, row, ca_file, profile = (
        place.cloud,
        place.tenant,
        place.tenant_row,
        place.ca_file,
        place.profile,
    )
    client_id = options.admin_client_id or env.get("SENDSCOPE_ADMIN_CLIENT_ID") or None
    client_id = client_id or profile.admin_client_id
    if client_id or _has_app_credential(options, env):
        identity = _admin_app(options, profile, env, row, client_id, tenant, prompt)
        domain = _domain(row, identity.tenant)
        return AdminConnection(cloud, identity.tenant, identity, None, ca_file, domain)
    login = _login_for(cloud, tenant, logins)
    if login is not None:
        where = tenant or login.tenant
        return AdminConnection(cloud, where, None, login, ca_file, _domain(row, where))
    admin = row.get("admin") if row else None
    if admin and tenant:
        emu = AppIdentity(
            tenant, str(admin["client_id"]), ClientSecret(Secret(admin["client_secret"]))
        )
        return AdminConnection(cloud, tenant, emu, None, ca_file, _domain(row, tenant))
    from .auth.admin_tokens import NOT_SIGNED_IN

    raise NotSignedIn(NOT_SIGNED_IN)


@dataclass(frozen=True, slots=True)
class AdminPlace:
    """Where the admin works: cloud, tenant (if known), the emulator's CA and tenant row."""

    cloud: Cloud
    tenant: str | None
    ca_file: Path | None
    tenant_row: dict[str, Any] | None
    profile: Profile


def resolve_admin_place(
    options: AdminOptions, *, profiles: ProfileStore | None = None
) -> AdminPlace:
    """Cloud, tenant and trust from the options, the profile and emulator.json."""
    refuse_empty(
        {
            "--tenant (or SENDSCOPE_TENANT)": options.tenant,
            "--admin-client-id (or SENDSCOPE_ADMIN_CLIENT_ID)": options.admin_client_id,
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
    row = emulator.tenant(options.tenant or profile.tenant) if emulator else None
    tenant = options.tenant or profile.tenant or (str(row["id"]) if row else None)
    tenant = check_tenant(tenant) if tenant else None
    return AdminPlace(cloud, tenant, emulator.ca_cert if emulator else None, row, profile)


def _domain(row: dict[str, Any] | None, tenant: str | None) -> str | None:
    """The tenant's domain: its emulator.json row's, only when that row IS the tenant.

    EmulatorInfo.tenant() falls back to the first tenant for one emulator.json does not
    list (created later through the control plane): its domain would be another tenant's.
    Otherwise a tenant given by domain name is its own answer; for a tenant id, None lets
    the snapshot take the mailboxes' most common domain.
    """
    if row and row.get("domain") and _is_row_of(row, tenant):
        return str(row["domain"])
    return tenant.lower() if tenant and "." in tenant else None


def _is_row_of(row: dict[str, Any], tenant: str | None) -> bool:
    if tenant is None:
        return True
    return tenant.casefold() in (str(row.get("id", "")).casefold(), str(row["domain"]).casefold())


def _has_app_credential(options: AdminOptions, env: Mapping[str, str]) -> bool:
    return bool(
        options.admin_certificate
        or options.admin_client_secret_file
        or env.get("SENDSCOPE_ADMIN_CLIENT_SECRET", "").strip()
    )


def _admin_app(
    options: AdminOptions,
    profile: Profile,
    env: Mapping[str, str],
    row: dict[str, Any] | None,
    client_id: str | None,
    tenant: str | None,
    prompt: Prompt | None,
) -> AppIdentity:
    if not client_id:
        raise UsageError(
            "an admin credential was given without its app: pass --admin-client-id (the admin "
            "app's Application (client) ID) or set SENDSCOPE_ADMIN_CLIENT_ID"
        )
    client_id = check_client_id(client_id, "--admin-client-id")
    if not tenant:
        raise UsageError(
            "no tenant given: pass --tenant (the tenant ID or a domain such as "
            "contoso.onmicrosoft.com) or set SENDSCOPE_TENANT"
        )
    credential = _credential(options, profile, env, row, client_id, prompt)
    return AppIdentity(tenant, client_id, credential)


def _credential(
    options: AdminOptions,
    profile: Profile,
    env: Mapping[str, str],
    row: dict[str, Any] | None,
    client_id: str,
    prompt: Prompt | None,
) -> ClientSecret | CertificateCredential:
    """Option (or its environment variable) first, then the profile, the emulator, a prompt."""
    if options.admin_certificate is not None and options.admin_client_secret_file is not None:
        raise UsageError(
            "--admin-certificate and --admin-client-secret-file exclude each other: the admin "
            "app signs in with one credential; give one of them"
        )
    certificate = options.admin_certificate or _env_path(env, "SENDSCOPE_ADMIN_CERTIFICATE")
    if certificate is not None:
        return _certificate(certificate, env)
    if options.admin_client_secret_file is not None:
        return ClientSecret(Secret(_read_secret_file(options.admin_client_secret_file)))
    if env.get("SENDSCOPE_ADMIN_CLIENT_SECRET", "").strip():
        return ClientSecret(Secret(env["SENDSCOPE_ADMIN_CLIENT_SECRET"].strip()))
    if profile.admin_certificate:
        return _certificate(Path(profile.admin_certificate), env)
    admin = row.get("admin") if row else None
    if admin and str(admin["client_id"]).lower() == client_id:
        return ClientSecret(Secret(str(admin["client_secret"])))
    return _prompted(prompt)


def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value else None


def _certificate(path: Path, env: Mapping[str, str]) -> CertificateCredential:
    password = env.get("SENDSCOPE_ADMIN_CERTIFICATE_PASSWORD")
    return load_certificate(path, Secret(password) if password else None)


def _prompted(prompt: Prompt | None) -> ClientSecret:
    if prompt is None:
        raise UsageError(
            "no admin credential given: set SENDSCOPE_ADMIN_CLIENT_SECRET, pass "
            "--admin-client-secret-file or --admin-certificate"
        )
    value = prompt("Admin app client secret (input hidden)").strip()
    if not value:
        raise UsageError("no client secret entered")
    return ClientSecret(Secret(value))


def _read_secret_file(path: Path) -> str:
    option = "--admin-client-secret-file"
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{option} {path} is not a text file") from None
    if not value:
        raise UsageError(f"{option} {path} is empty")
    return value


def _login_for(cloud: Cloud, tenant: str | None, logins: LoginCache | None) -> LoginRecord | None:
    from .auth.admin_tokens import LoginCache

    record = (logins or LoginCache()).load()
    if record is None or record.login_url != cloud.login_url:
        return None
    if tenant and is_guid(tenant) and tenant != record.tenant.lower():
        return None
    return record


class AdminSession:
    """An open admin connection: HTTP client, Graph and Exchange admin API clients."""

    def __init__(
        self,
        connection: AdminConnection,
        transport: httpx2.BaseTransport | None = None,
        *,
        logins: LoginCache | None = None,
    ) -> None:
        from .auth.trust import ssl_context
        from .clients._http import make_http_client
        from .clients.exchange import ExchangeAdminClient
        from .clients.graph import GraphClient

        self.connection = connection
        self.cloud: Cloud = connection.cloud
        self.tenant: str = connection.tenant
        self.http = make_http_client(ssl_context(connection.ca_file), transport=transport)
        self.tokens: AppTokenSource | DelegatedTokenSource = self._token_source(logins)
        exchange_scope = self.cloud.exchange_scope
        self.graph: GraphClient = GraphClient(self.http, self.tokens)
        self.exchange: ExchangeAdminClient = ExchangeAdminClient(
            self.http,
            self.cloud,
            self.tenant,
            lambda fresh: self.tokens.token(exchange_scope, force_refresh=fresh).value,
        )

    def _token_source(self, logins: LoginCache | None) -> AppTokenSource | DelegatedTokenSource:
        from .auth.admin_tokens import DelegatedTokenSource, LoginCache
        from .auth.app_tokens import AppTokenSource

        if self.connection.identity is not None:
            return AppTokenSource(self.connection.identity, self.cloud, self.http)
        assert self.connection.login is not None
        return DelegatedTokenSource(
            self.cloud, self.connection.login, self.http, logins or LoginCache()
        )

    def __enter__(self) -> AdminSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.http.close()


def connect_admin(options: AdminOptions, *, prompt: Prompt | None = None) -> AdminSession:
    """Resolve the options and open the session (nothing is asked of Microsoft yet)."""
    return AdminSession(resolve_admin(options, prompt=prompt))
