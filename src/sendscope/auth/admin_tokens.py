"""The admin's own sign-in: device code through MSAL, and the token cache it leaves behind.

``sendscope login`` signs a person in with the device-code flow
(learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code) as a public client —
by default the app the ExchangeOnlineManagement module itself uses, "Microsoft Exchange
REST API Based PowerShell" (fb78d390-0c51-40cd-8e17-fdbfab77341b), which every tenant
already trusts for Exchange. MSAL asks for one resource per request, so the sign-in is for
Exchange Online, and Graph's token comes from the same (multi-resource) refresh token.

MSAL's ``SerializableTokenCache`` is kept in ``login.json`` (mode 0600) under the user data
directory (``$SENDSCOPE_DATA_DIR`` overrides it), with the cloud, tenant and client it
belongs to. It holds refresh tokens: nothing here ever prints or logs its content.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import msal

from ..clouds import Cloud
from ..errors import AuthenticationFailed, NotSignedIn, UsageError
from ..files import write_atomically
from .aadsts import TokenFailure, explain, failure_from_body
from .app_tokens import AccessToken, token_claims
from .msal_http import MsalHttpClient

__all__ = [
    "EXCHANGE_POWERSHELL_CLIENT_ID",
    "DelegatedTokenSource",
    "LoginCache",
    "LoginRecord",
    "data_dir",
    "device_code_login",
]

# "Microsoft Exchange REST API Based PowerShell": the public client Connect-ExchangeOnline
# signs in with; pre-consented for Exchange in every tenant.
EXCHANGE_POWERSHELL_CLIENT_ID = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
CACHE_FILE = "login.json"
# AADSTS7000218: a confidential client (no "Allow public client flows") redeeming a device code.
PUBLIC_CLIENT_NEEDED = 7000218
NOT_SIGNED_IN = (
    "no admin identity: run `sendscope login` first (device code, as a user with the Exchange "
    "Administrator role), or give an admin app with --admin-client-id and "
    "--admin-certificate or --admin-client-secret-file"
)


def data_dir() -> Path:
    """Where sendscope keeps user data: ``$SENDSCOPE_DATA_DIR`` or the platform's data dir."""
    env = os.environ.get("SENDSCOPE_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs  # only when needed: fast startup

    return Path(platformdirs.user_data_dir("sendscope"))


@dataclass(frozen=True, slots=True)
class LoginRecord:
    """Who signed in, where, with which public client; and MSAL's serialized cache."""

    login_url: str
    tenant: str
    client_id: str
    username: str
    msal_cache: str

    def __repr__(self) -> str:  # the cache holds refresh tokens
        return f"LoginRecord({self.username!r} in {self.tenant} at {self.login_url})"


class LoginCache:
    """The ``login.json`` file: read, written with mode 0600, deleted by ``logout``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / CACHE_FILE

    def load(self) -> LoginRecord | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return LoginRecord(
                str(raw["login_url"]),
                str(raw["tenant"]),
                str(raw["client_id"]),
                str(raw.get("username", "")),
                str(raw["msal_cache"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(
                f"the sign-in cache {self.path} is unreadable: run `sendscope logout`, then "
                "`sendscope login`"
            ) from None

    def prepare(self) -> None:
        """Make sure the cache can be written, before a sign-in the user would have to redo."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _can_write_in(self.path.parent)
        except OSError as exc:
            raise UsageError(
                f"cannot keep the sign-in cache in {self.path.parent} ({exc.strerror or exc}): "
                "set SENDSCOPE_DATA_DIR to a folder you can write"
            ) from None
        if self.path.is_dir():
            raise UsageError(
                f"the sign-in cache {self.path} is a folder: remove it, or set "
                "SENDSCOPE_DATA_DIR to another folder"
            )

    def save(self, record: LoginRecord) -> None:
        self.prepare()
        fields = {
            "login_url": record.login_url,
            "tenant": record.tenant,
            "client_id": record.client_id,
            "username": record.username,
            "msal_cache": record.msal_cache,
        }
        try:
            write_atomically(self.path, json.dumps(fields))
        except OSError as exc:
            raise UsageError(
                f"cannot write the sign-in cache {self.path} ({exc.strerror or exc}): set "
                "SENDSCOPE_DATA_DIR to a folder you can write"
            ) from None

    def delete(self) -> bool:
        """Remove the file; False when there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise UsageError(
                f"cannot delete the sign-in cache {self.path} ({exc.strerror or exc}): remove "
                "it by hand"
            ) from None
        return True


def _can_write_in(folder: Path) -> None:
    """Create and remove a file in ``folder``: the only sure test (permissions, ACLs,
    read-only mounts); OSError when it cannot be done."""
    import tempfile

    descriptor, probe = tempfile.mkstemp(dir=folder, prefix=".sendscope-", suffix=".probe")
    os.close(descriptor)
    Path(probe).unlink()


def _public_client(
    cloud: Cloud, tenant: str, client_id: str, http: httpx2.Client, cache: msal.TokenCache
) -> msal.PublicClientApplication:
    try:
        return msal.PublicClientApplication(
            client_id,
            authority=cloud.authority(tenant),
            http_client=MsalHttpClient(http),
            token_cache=cache,
            instance_discovery=False if cloud.is_emulator else None,
        )
    except ValueError:
        raise AuthenticationFailed(
            f"Entra ID at {cloud.login_url} did not accept tenant {tenant}. Check --tenant, "
            "and --cloud if the tenant is in GCC High, DoD or China."
        ) from None


def _failed(result: dict[str, Any], client_id: str, tenant: str) -> AuthenticationFailed:
    failure = failure_from_body(result) or TokenFailure(
        str(result.get("error", "")), str(result.get("error_description", "")), ()
    )
    if failure.aadsts == PUBLIC_CLIENT_NEEDED:
        return AuthenticationFailed(
            f"app {client_id} is not a public client, so it cannot sign a person in by device "
            "code: leave out --client-id (sendscope then uses Microsoft's Exchange PowerShell "
            "app), or turn on Authentication > 'Allow public client flows' for that app. "
            f"Entra ID said: AADSTS{PUBLIC_CLIENT_NEEDED}",
            aadsts=failure.aadsts,
        )
    message = explain(failure, app=client_id, tenant=tenant)
    return AuthenticationFailed(message, aadsts=failure.aadsts)


def _access_token(result: dict[str, Any]) -> AccessToken:
    value = str(result["access_token"])
    return AccessToken(value, time.time() + float(result.get("expires_in", 0)), token_claims(value))


def device_code_login(
    cloud: Cloud,
    tenant: str,
    client_id: str,
    http: httpx2.Client,
    show: Callable[[str], None],
    cache: LoginCache | None = None,
) -> LoginRecord:
    """Sign in by device code for Exchange, then Graph silently; save and return the record."""
    msal_cache = msal.SerializableTokenCache()
    app = _public_client(cloud, tenant, client_id, http, msal_cache)
    flow = app.initiate_device_flow(scopes=[cloud.exchange_scope])
    if "user_code" not in flow:
        raise _failed(flow, client_id, tenant)
    show(str(flow.get("message") or f"Open {flow['verification_uri']}: {flow['user_code']}"))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise _failed(result, client_id, tenant)
    account = app.get_accounts()[0]
    graph = app.acquire_token_silent([cloud.graph_scope], account=account)
    if not graph or "access_token" not in graph:
        raise _failed(graph or {}, client_id, tenant)
    claims = _access_token(result).claims
    record = LoginRecord(
        cloud.login_url,
        str(claims.get("tid") or tenant),
        client_id,
        str(account.get("username") or ""),
        msal_cache.serialize(),
    )
    (cache or LoginCache()).save(record)
    return record


class DelegatedTokenSource:
    """Tokens for the signed-in admin, from the login cache (MSAL refreshes them)."""

    def __init__(
        self, cloud: Cloud, record: LoginRecord, http: httpx2.Client, cache: LoginCache
    ) -> None:
        self.cloud = cloud
        self.record = record
        self._cache = cache
        self._msal_cache = msal.SerializableTokenCache()
        try:
            if not isinstance(json.loads(record.msal_cache), dict):
                raise ValueError("not an MSAL token cache")
            self._msal_cache.deserialize(record.msal_cache)
        except (ValueError, AttributeError, TypeError):  # the MSAL cache inside is not one
            raise UsageError(
                f"the sign-in cache {cache.path} is unreadable: run `sendscope logout`, then "
                "`sendscope login`"
            ) from None
        self._app = _public_client(cloud, record.tenant, record.client_id, http, self._msal_cache)

    def token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        accounts = self._app.get_accounts()
        if not accounts:
            raise NotSignedIn(NOT_SIGNED_IN)
        result = self._app.acquire_token_silent(
            [scope], account=accounts[0], force_refresh=force_refresh
        )
        if not result:
            raise UsageError(
                f"the sign-in of {self.record.username or 'the admin'} has expired: run "
                "`sendscope login` again"
            )
        if "access_token" not in result:
            raise _failed(result, self.record.client_id, self.record.tenant)
        self._persist()
        return _access_token(result)

    def _persist(self) -> None:
        if self._msal_cache.has_state_changed:
            record = LoginRecord(
                self.record.login_url,
                self.record.tenant,
                self.record.client_id,
                self.record.username,
                self._msal_cache.serialize(),
            )
            self._cache.save(record)
            self._msal_cache.has_state_changed = False
