"""Entra's token-endpoint errors: one class per AADSTS code, one envelope for all.

Envelope, keys in the order Entra emits them (wire-facts.md §1.0)::

    {"error": "invalid_client",
     "error_description": "AADSTS7000215: … Trace ID: <guid> Correlation ID: <guid>
                           Timestamp: 2025-03-10 20:12:22Z",   (one line on the wire)
     "error_codes": [7000215], "timestamp": "2025-03-10 20:12:22Z",
     "trace_id": "<guid>", "correlation_id": "<guid>",
     "error_uri": "https://<this host>/error?code=7000215"}

``invalid_client`` answers 401, every other error 400. The correlation id is the
``client-request-id`` the client sent (MSAL and azure-identity send one), as Entra echoes it.
Texts come from captured responses; the ones marked *guess* in wire-facts.md are flagged
here too. Reference: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import EmulatorError
from ..core.ids import guid

__all__ = [
    "ApplicationDisabled",
    "ApplicationNotFound",
    "AssertionAudienceMismatch",
    "AssertionClientMismatch",
    "AssertionKeyInvalid",
    "AssertionNotInTimeRange",
    "AssertionThumbprintMissing",
    "AuthorizationDeclined",
    "AuthorizationPending",
    "ClientCredentialMissing",
    "ClientSecretExpired",
    "CredentialFieldMissing",
    "DeviceCodeExpired",
    "EndpointRequiresPost",
    "EntraError",
    "GrantInvalid",
    "InvalidClientSecret",
    "MalformedJwt",
    "MalformedRequest",
    "MalformedTenant",
    "MultipleResourcesScope",
    "NoSuchInstance",
    "NoTenantInformation",
    "ParameterMissing",
    "RefreshTokenExpired",
    "ResourceNotFound",
    "ScopeInvalid",
    "ScopeNotDefault",
    "ServicePrincipalMissing",
    "TenantNotFound",
    "UnsupportedAlgorithm",
    "UnsupportedGrantType",
    "UserAccountDisabled",
    "UserNotFound",
    "entra_timestamp",
]

_CERT_DOC = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials"
_OLD_CERT_DOC = (
    "https://docs.microsoft.com/azure/active-directory/develop/"
    "active-directory-certificate-credentials"
)


def entra_timestamp(moment: datetime | None = None) -> str:
    """``2025-03-10 20:12:22Z``: space, no fraction, ``Z``."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class EntraError(EmulatorError):
    """An error answer of the Entra token endpoint: OAuth ``error`` and AADSTS code."""

    status = 400
    error = "invalid_request"
    aadsts = 0

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.code = self.error

    @property
    def text(self) -> str:
        return self.message

    def body(self, request: Request) -> dict[str, object]:
        trace_id = guid()
        correlation_id = request.headers.get("client-request-id") or guid()
        stamp = entra_timestamp()
        description = (
            f"AADSTS{self.aadsts}: {self.message} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {stamp}"
        )
        return {
            "error": self.error,
            "error_description": description,
            "error_codes": [self.aadsts],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"{request.base_url}error?code={self.aadsts}",
        }

    def response(self, request: Request) -> Response:
        body = self.body(request)
        headers = {
            "Cache-Control": "no-store, no-cache",
            "Pragma": "no-cache",
            "x-ms-request-id": str(body["trace_id"]),
        }
        if "client-request-id" in request.headers:
            headers["client-request-id"] = request.headers["client-request-id"]
        response = JSONResponse(body, status_code=self.status, headers=headers)
        response.headers["content-type"] = "application/json; charset=utf-8"
        return response


class _InvalidClient(EntraError):
    status, error = 401, "invalid_client"


# -- request shape ------------------------------------------------------------------------


class ParameterMissing(EntraError):
    aadsts = 900144

    def __init__(self, name: str) -> None:
        super().__init__(f"The request body must contain the following parameter: '{name}'.")


class EndpointRequiresPost(EntraError):
    aadsts = 900561

    def __init__(self, method: str) -> None:
        super().__init__(f"The endpoint only accepts POST requests. Received a {method} request.")


class UnsupportedGrantType(EntraError):
    """AADSTS70003 UnsupportedGrantType (text a guess after the doc's name)."""

    error, aadsts = "unsupported_grant_type", 70003

    def __init__(self, grant_type: str) -> None:
        super().__init__(f"The app requested an unsupported grant type '{grant_type}'.")


class MalformedRequest(EntraError):
    """AADSTS9002313: a refresh token (or other grant) that is not one Entra issued."""

    error, aadsts = "invalid_grant", 9002313

    def __init__(self) -> None:
        super().__init__("Invalid request. Request is malformed or invalid.")


# -- tenants and instances ------------------------------------------------------------


class TenantNotFound(EntraError):
    aadsts = 90002

    def __init__(self, tenant: str, *, error: str = "invalid_request") -> None:
        super().__init__(
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, this "
            "may happen if there are no active subscriptions for the tenant."
        )
        self.error = self.code = error


class MalformedTenant(EntraError):
    aadsts = 900023

    def __init__(self, tenant: str, *, error: str = "invalid_request") -> None:
        super().__init__(
            f"Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid "
            "external domain."
        )
        self.error = self.code = error


class NoTenantInformation(EntraError):
    """AADSTS50059: a client-credentials request to ``/common`` or ``/organizations``."""

    aadsts = 50059

    def __init__(self) -> None:
        super().__init__(
            "No tenant-identifying information found in either the request or implied by any "
            "provided credentials."
        )


class NoSuchInstance(EntraError):
    """AADSTS50049 NoSuchInstanceForDiscovery (instance discovery of another host)."""

    error, aadsts = "invalid_instance", 50049

    def __init__(self) -> None:
        super().__init__("Unknown or invalid instance.")


# -- the client application -----------------------------------------------------------


class ApplicationNotFound(EntraError):
    error, aadsts = "unauthorized_client", 700016

    def __init__(self, client_id: str, tenant_name: str) -> None:
        super().__init__(
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant_name}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may have "
            "sent your authentication request to the wrong tenant."
        )


class ServicePrincipalMissing(EntraError):
    """AADSTS7000229: an app registration whose service principal was deleted (guess text)."""

    error, aadsts = "invalid_client", 7000229
    status = 401

    def __init__(self, client_id: str, tenant_id: str) -> None:
        super().__init__(
            f"The client application {client_id} is missing service principal in the tenant "
            f"{tenant_id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119"
        )


class ApplicationDisabled(EntraError):
    error, aadsts = "unauthorized_client", 7000112

    def __init__(self, client_id: str, display_name: str) -> None:
        super().__init__(f"Application '{client_id}'({display_name}) is disabled.")


class ClientCredentialMissing(_InvalidClient):
    aadsts = 7000218

    def __init__(self) -> None:
        super().__init__(
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'."
        )


class InvalidClientSecret(_InvalidClient):
    aadsts = 7000215

    def __init__(self, client_id: str) -> None:
        super().__init__(
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'."
        )


class ClientSecretExpired(_InvalidClient):
    aadsts = 7000222

    def __init__(self, client_id: str) -> None:
        super().__init__(
            f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure "
            "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
            "using certificate credentials for added security: https://aka.ms/certCreds."
        )


# -- client assertions (certificate credentials) ------------------------------------


class MalformedJwt(EntraError):
    aadsts = 50027

    def __init__(self) -> None:
        super().__init__("JWT token is invalid or malformed.")


class CredentialFieldMissing(EntraError):
    aadsts = 90014

    def __init__(self, field: str) -> None:
        super().__init__(
            f"The required field '{field}' is missing from the credential. Ensure that you have "
            "all the necessary parameters for the login request."
        )


class AssertionThumbprintMissing(_InvalidClient):
    aadsts = 5002723

    def __init__(self) -> None:
        super().__init__(
            "Invalid JWT token. No certificate SHA-1 thumbprint, certificate SHA-256 thumbprint, "
            "nor keyId specified in token header."
        )


class UnsupportedAlgorithm(_InvalidClient):
    aadsts = 5002738

    def __init__(self, algorithm: str) -> None:
        super().__init__(
            f"Invalid JWT token. '{algorithm}' is not a supported signature algorithm. Supported "
            "signing algorithms are: 'RS256,RS384,RS512'"
        )


class AssertionClientMismatch(_InvalidClient):
    aadsts = 700021

    def __init__(self) -> None:
        super().__init__(
            "Client assertion application identifier doesn't match 'client_id' parameter. "
            f"Review the documentation at {_OLD_CERT_DOC} ."
        )


class AssertionAudienceMismatch(_InvalidClient):
    """Wrong ``aud``: the legacy AADSTS50012 text (wire-facts.md: a guess for today's)."""

    aadsts = 50012

    def __init__(self) -> None:
        super().__init__("Client assertion audience claim does not match Realm issuer.")


class AssertionNotInTimeRange(_InvalidClient):
    aadsts = 700024

    def __init__(self, now: float, not_before: float | None, expires: float | None) -> None:
        super().__init__(
            f"Client assertion is not within its valid time range. Current time: {_ticks(now)}, "
            f"assertion valid from {_ticks(not_before or 0)}, expiry time of assertion "
            f"{_ticks(expires or 0)}. Review the documentation at {_CERT_DOC} ."
        )


class AssertionKeyInvalid(_InvalidClient):
    """AADSTS700027: the key is unknown, expired, or the signature does not verify."""

    aadsts = 700027

    def __init__(
        self, *, reason: str, thumbprint: str, client_id: str, found_key: str | None = None
    ) -> None:
        head = (
            "The certificate with identifier used to sign the client assertion is not registered "
            "on application."
            if found_key is None
            else "Client assertion contains an invalid signature."
        )
        found = "" if found_key is None else f", Found key '{found_key}'"
        super().__init__(
            f"{head} [Reason - {reason}, Thumbprint of key used by client: '{thumbprint}'{found}, "
            "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
            f"configured keys for app Id '{client_id}'. Review the documentation at "
            "https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding "
            "service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?"
            "view=graph-rest-1.0&tabs=http to build a query request URL, such as "
            f"'https://graph.microsoft.com/beta/applications/{client_id}']"
        )


def _ticks(epoch: float) -> str:
    """.NET's round-trip form with seven fraction digits: ``2024-10-02T22:05:03.6755165Z``;
    a time beyond .NET's DateTime (years 1–9999) is shown at its end, as DateTime clamps."""
    if math.isnan(epoch):
        epoch = 0.0
    moment = _EPOCH + timedelta(seconds=min(max(epoch, _FIRST_TICK), _LAST_TICK))
    fraction = f"{moment.microsecond:06d}0Z"
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + fraction


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST_TICK = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()
_LAST_TICK = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds()


# -- scopes and resources -------------------------------------------------------------


class ScopeInvalid(EntraError):
    error, aadsts = "invalid_scope", 70011

    def __init__(self, scope: str) -> None:
        super().__init__(
            "The provided request must include a 'scope' input parameter. The provided value for "
            f"the input parameter 'scope' is not valid. The scope {scope} is not valid."
        )


class ScopeNotDefault(EntraError):
    error, aadsts = "invalid_scope", 1002012

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier (application "
            "ID URI)."
        )


class MultipleResourcesScope(EntraError):
    """AADSTS700022 InvalidMultipleResourcesScope, delegated flows (text a guess)."""

    error, aadsts = "invalid_scope", 700022

    def __init__(self, scope: str) -> None:
        super().__init__(
            "The provided value for the input parameter scope is not valid because it contains "
            f"more than one resource. Scope {scope} is not valid."
        )


class ResourceNotFound(EntraError):
    error, aadsts = "invalid_resource", 500011

    def __init__(self, resource: str, tenant_name: str) -> None:
        super().__init__(
            f"The resource principal named {resource} was not found in the tenant named "
            f"{tenant_name}. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You might "
            "have sent your authentication request to the wrong tenant."
        )


# -- device code and refresh token grants -------------------------------------------


class AuthorizationPending(EntraError):
    error, aadsts = "authorization_pending", 70016

    def __init__(self) -> None:
        super().__init__("OAuth 2.0 device flow error. Authorization is pending. Continue polling.")


class DeviceCodeExpired(EntraError):
    error, aadsts = "expired_token", 70019

    def __init__(self) -> None:
        super().__init__("Verification code expired.")


class AuthorizationDeclined(EntraError):
    """The user pressed Decline: AADSTS65004 UserDeclinedConsent (pairing a guess)."""

    error, aadsts = "authorization_declined", 65004

    def __init__(self) -> None:
        super().__init__("User declined to consent to access the app.")


class GrantInvalid(EntraError):
    """AADSTS70000 InvalidGrant: an unknown or spent device code, a grant of another client."""

    aadsts = 70000

    def __init__(self, text: str, *, error: str = "invalid_grant") -> None:
        super().__init__(text)
        self.error = self.code = error


class RefreshTokenExpired(EntraError):
    error, aadsts = "invalid_grant", 700082

    def __init__(self, issued: str, inactive_days: int) -> None:
        super().__init__(
            f"The refresh token has expired due to inactivity. The token was issued on {issued} "
            f"and was inactive for {inactive_days}.00:00:00."
        )


class UserNotFound(EntraError):
    error, aadsts = "invalid_grant", 50034

    def __init__(self, tenant_name: str) -> None:
        super().__init__(
            f"The user account {{EUII Hidden}} does not exist in the {tenant_name} directory. To "
            "sign into this application, the account must be added to the directory."
        )


class UserAccountDisabled(EntraError):
    error, aadsts = "invalid_grant", 50057

    def __init__(self) -> None:
        super().__init__("The user account is disabled.")
