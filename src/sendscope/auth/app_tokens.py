"""App-only tokens through MSAL, with the trust and HTTP client set up explicitly."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx2
import jwt
import msal

from ..clouds import Cloud
from ..errors import AuthenticationFailed, ServiceUnavailable
from .aadsts import TokenFailure, explain
from .credentials import AppIdentity, CertificateCredential
from .msal_http import MsalHttpClient

__all__ = ["AccessToken", "AppTokenSource"]


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


class AppTokenSource:
    """Tokens for one app identity in one cloud; MSAL caches them until they near expiry."""

    def __init__(self, identity: AppIdentity, cloud: Cloud, http: httpx2.Client) -> None:
        self.identity = identity
        self.cloud = cloud
        self._app = msal.ConfidentialClientApplication(
            identity.client_id,
            client_credential=_msal_credential(identity),
            authority=cloud.authority(identity.tenant),
            http_client=MsalHttpClient(http),
            # Instance discovery asks login.microsoftonline.com about the authority's host:
            # pointless (and impossible) for the emulator.
            instance_discovery=False if cloud.is_emulator else None,
        )

    def token(self, scope: str, *, force_refresh: bool = False) -> AccessToken:
        try:
            result = self._app.acquire_token_for_client([scope], force_refresh=force_refresh)
        except httpx2.TransportError as exc:
            raise ServiceUnavailable(
                f"cannot reach {self.cloud.login_url} to sign in: {type(exc).__name__}"
            ) from None
        except ValueError as exc:  # MSAL: authority discovery failed
            raise AuthenticationFailed(
                f"Entra ID at {self.cloud.login_url} did not accept tenant "
                f"{self.identity.tenant}: {exc}".split(". Also")[0]
            ) from None
        if "access_token" not in result:
            raise self._failure(result)
        value = str(result["access_token"])
        claims = jwt.decode(value, options={"verify_signature": False})
        return AccessToken(value, time.time() + float(result.get("expires_in", 0)), claims)

    def _failure(self, result: dict[str, Any]) -> AuthenticationFailed:
        failure = TokenFailure(
            error=str(result.get("error", "")),
            description=str(result.get("error_description", "")),
            codes=tuple(int(c) for c in result.get("error_codes", ()) if str(c).isdigit()),
            correlation_id=str(result.get("correlation_id", "")),
        )
        message = explain(failure, app=self.identity.client_id, tenant=self.identity.tenant)
        return AuthenticationFailed(message, aadsts=failure.aadsts)


def _msal_credential(identity: AppIdentity) -> str | dict[str, str]:
    credential = identity.credential
    if isinstance(credential, CertificateCredential):
        # RS256 with an x5t SHA-1 thumbprint: what every Entra cloud accepts today.
        return {"private_key": credential.private_key_pem.reveal(),
                "thumbprint": credential.thumbprint_sha1,
                "public_certificate": credential.certificate_pem}
    return credential.value.reveal()
