"""App-only tokens through MSAL, with the trust and HTTP client set up explicitly.

MSAL reads the tenant's OpenID configuration when its application object is built, so the
object is built on the first token request: every failure — an unknown tenant, a network
that is down, an AADSTS refusal — then surfaces in one place and becomes one sentence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
import jwt
import msal

from ..clouds import Cloud
from ..errors import AuthenticationFailed, ServiceUnavailable
from .aadsts import TokenFailure, explain, failure_from_body
from .credentials import AppIdentity, CertificateCredential
from .msal_http import MsalHttpClient

__all__ = ["AccessToken", "AppTokenSource", "token_claims"]

_T = TypeVar("_T")

# appidacr (v1 tokens): how the client authenticated (learn.microsoft.com/entra/
# identity-platform/access-token-claims-reference).
_CLIENT_AUTHENTICATION = {"0": "public client", "1": "secret", "2": "certificate"}


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and what its claims say (read, not verified: it is ours to send)."""

    value: str
    expires_on: float
    claims: dict[str, Any]

    def __repr__(self) -> str:
        return f"AccessToken(expires_on={self.expires_on}, aud={self.claims.get('aud')!r})"

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.claims.get("roles", ()))

    @property
    def tenant_id(self) -> str:
        return str(self.claims.get("tid", ""))

    @property
    def app_id(self) -> str:
        return str(self.claims.get("appid") or self.claims.get("azp") or "")

    @property
    def app_display_name(self) -> str:
        return str(self.claims.get("app_displayname", ""))

    @property
    def credential_type(self) -> str:
        """``secret``, ``certificate`` or ``public client``, as Entra saw the sign-in."""
        acr = str(self.claims.get("appidacr") or self.claims.get("azpacr") or "")
        return _CLIENT_AUTHENTICATION.get(acr, "")


class AppTokenSource:
    """Tokens for one app identity in one cloud; MSAL caches them until they near expiry."""

    def __init__(self, identity: AppIdentity, cloud: Cloud, http: httpx2.Client) -> None:
        self.identity = identity
        self.cloud = cloud
        self._http = MsalHttpClient(http)
        self._msal: msal.ConfidentialClientApplication | None = None

    def token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        """A token for ``scope``; ``force_refresh`` asks Entra for a new one (after a 401)."""
        if force_refresh:
            self._forget(scope)
        result: dict[str, Any] = self._call(
            lambda: self._application().acquire_token_for_client([scope])
        )
        if "access_token" not in result:
            raise self._failure(result)
        value = str(result["access_token"])
        return AccessToken(
            value, time.time() + float(result.get("expires_in", 0)), token_claims(value)
        )

    def _forget(self, scope: str) -> None:
        """Drop the cached token: MSAL's acquire_token_for_client refuses ``force_refresh``
        ("Historically, this method does not support force_refresh behavior")."""
        if self._msal is None:
            return
        cache = self._msal.token_cache
        for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN, [scope])):
            cache.remove_at(item)

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._msal is None:
            try:
                self._msal = msal.ConfidentialClientApplication(
                    self.identity.client_id,
                    client_credential=_msal_credential(self.identity),
                    authority=self.cloud.authority(self.identity.tenant),
                    http_client=self._http,
                    # Instance discovery asks login.microsoftonline.com about the authority's
                    # host: pointless (and impossible) for the emulator. Real clouds keep it.
                    instance_discovery=False if self.cloud.is_emulator else None,
                )
            except ValueError:  # MSAL: the tenant's OpenID configuration was refused
                raise self._discovery_failed() from None
        return self._msal

    def _call(self, request: Callable[[], _T]) -> _T:
        try:
            return request()
        except httpx2.HTTPStatusError as exc:
            raise self._server_error(str(exc.response.status_code)) from None
        except msal.exceptions.MsalServiceError as exc:  # MSAL's own check of a 5xx answer
            raise self._server_error(str(exc).removeprefix("HTTP Error: ").split(":")[0]) from None
        except httpx2.TransportError as exc:
            raise ServiceUnavailable(self._unreachable(exc)) from None

    def _server_error(self, status: str) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"Entra ID at {self.cloud.login_url} answered {status} while signing in: the "
            "service is having trouble. Try again later."
        )

    def _unreachable(self, exc: httpx2.TransportError) -> str:
        reason = str(exc) or type(exc).__name__
        where = f"cannot reach Entra ID at {self.cloud.login_url} to sign in ({reason})."
        if "CERTIFICATE_VERIFY_FAILED" in reason:
            trust = "its emulator CA" if self.cloud.is_emulator else "this machine's trust store"
            return (
                f"{where} The server's TLS certificate is not trusted by {trust}; behind "
                "a TLS-inspecting proxy, its root CA must be in the operating system's "
                "trust store."
            )
        if self.cloud.is_emulator:
            return f"{where} Is the emulator running? Start it with: sendscope emulator serve"
        return f"{where} Check the network, proxy and DNS, then try again."

    def _discovery_failed(self) -> AuthenticationFailed:
        refusal = self._http.last_refusal
        failure = failure_from_body(refusal[1]) if refusal else None
        if failure is not None:
            return self._explained(failure)
        status = f" (HTTP {refusal[0]})" if refusal else ""
        return AuthenticationFailed(
            f"Entra ID at {self.cloud.login_url} did not accept tenant "
            f"{self.identity.tenant}{status}. Check --tenant, and --cloud if the tenant is in "
            "GCC High, DoD or China."
        )

    def _failure(self, result: dict[str, Any]) -> AuthenticationFailed:
        failure = failure_from_body(result) or TokenFailure(
            str(result.get("error", "")), str(result.get("error_description", "")), ()
        )
        return self._explained(failure)

    def _explained(self, failure: TokenFailure) -> AuthenticationFailed:
        message = explain(failure, app=self.identity.client_id, tenant=self.identity.tenant)
        return AuthenticationFailed(message, aadsts=failure.aadsts)


def token_claims(value: str) -> dict[str, Any]:
    try:
        return dict(jwt.decode(value, options={"verify_signature": False}))
    except jwt.InvalidTokenError:  # an opaque token: nothing to read, still usable
        return {}


def _msal_credential(identity: AppIdentity) -> str | dict[str, str]:
    credential = identity.credential
    if isinstance(credential, CertificateCredential):
        # RS256 with an x5t SHA-1 thumbprint: what every Entra cloud accepts today.
        return {
            "private_key": credential.private_key_pem.reveal(),
            "thumbprint": credential.thumbprint_sha1,
            "public_certificate": credential.certificate_pem,
        }
    return credential.value.reveal()
