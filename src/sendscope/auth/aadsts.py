"""AADSTS errors in plain words: what is wrong and how to fix it.

Texts and codes from learn.microsoft.com/entra/identity-platform/reference-error-codes and
captured responses (m365-domain.md §5.5, wire-facts.md §1). Entra's own description is kept
for support cases, without its trace and correlation ids, which Entra appends either after
``\\r\\n`` (older responses) or after a single space (current ones).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["TokenFailure", "explain", "failure_from_body"]

_REPORT = "This is a bug in sendscope: please report it (sendscope --version and this message)."


@dataclass(frozen=True, slots=True)
class TokenFailure:
    """What the token endpoint answered."""

    error: str
    description: str
    codes: tuple[int, ...]
    correlation_id: str = ""

    @property
    def aadsts(self) -> int | None:
        if self.codes:
            return self.codes[0]
        found = re.match(r"\s*AADSTS(\d+)", self.description)
        return int(found.group(1)) if found else None

    def entra_text(self) -> str:
        """Entra's sentence without the trace/correlation/timestamp tail."""
        return re.split(r"\s*(?:\r\n|\s)Trace ID:", self.description, maxsplit=1)[0].strip()


def failure_from_body(body: dict[str, Any] | str) -> TokenFailure | None:
    """The failure in an Entra error body (a token or a discovery answer), if it is one."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict) or "error" not in body:
        return None
    codes = tuple(int(c) for c in body.get("error_codes") or () if str(c).isdigit())
    return TokenFailure(
        error=str(body.get("error", "")),
        description=str(body.get("error_description", "")),
        codes=codes,
        correlation_id=str(body.get("correlation_id", "")),
    )


_SECRET_ID_NOT_VALUE = (
    "The client secret is wrong for app {app}. Most often the secret's ID was pasted instead "
    "of its Value: under Entra ID > App registrations > the app > Certificates & secrets, the "
    "Value is shown only once, right after the secret is created. Create a new secret and copy "
    "its Value (not the Secret ID)."
)
_NOT_IN_TENANT = (
    "App {app} does not exist in tenant {tenant}. Check --client-id (the Application (client) "
    "ID, not the Object ID) and --tenant; if the app belongs to another organisation, an admin "
    "of {tenant} must consent to it first."
)
_ASSERTION_BUG = "Entra ID rejected the signed client assertion sendscope built. " + _REPORT

_FIXES: dict[int, str] = {
    7000215: _SECRET_ID_NOT_VALUE,
    7000222: "The client secret of app {app} has expired. Create a new one under Certificates "
    "& secrets (or, better, switch to a certificate) and use its Value.",
    7000218: "No credential reached Entra ID: give the app's client secret "
    "(SENDSCOPE_CLIENT_SECRET or --client-secret-file) or its certificate (--certificate).",
    700016: _NOT_IN_TENANT,
    700011: _NOT_IN_TENANT,
    7000229: "App {app} has no service principal (enterprise application) in tenant {tenant}. "
    "An admin of {tenant} must create it: consent to the app, or run "
    "New-MgServicePrincipal -AppId {app}.",
    90002: "Tenant {tenant} does not exist in this cloud. Check --tenant, and pass --cloud "
    "usgov, usgovdod or china if the tenant is in GCC High, DoD or China (21Vianet).",
    900023: "{tenant} is not a tenant ID or domain. Use the tenant's GUID or a domain such as "
    "contoso.onmicrosoft.com.",
    90038: "Tenant {tenant} lives in another Microsoft cloud: pass --cloud usgov, usgovdod "
    "or china.",
    700027: "Entra ID does not accept the certificate for app {app}: it is not registered on the "
    "app, or it has expired there. Upload its public part (.cer or .pem) under Certificates & "
    "secrets > Certificates and check that the thumbprints match.",
    700024: "The client assertion is outside its valid time range: this machine's clock is "
    "probably wrong. Synchronise it and try again.",
    7000112: "App {app} is disabled in tenant {tenant}: its enterprise application has "
    "'Enabled for users to sign-in' set to No. An admin must enable it.",
    500011: "The API asked for is not known in tenant {tenant}: the tenant may be in another "
    "cloud (--cloud), or the service is not provisioned there.",
    700021: _ASSERTION_BUG,
    50012: _ASSERTION_BUG,
    5002723: _ASSERTION_BUG,
    5002738: _ASSERTION_BUG,
    90014: _ASSERTION_BUG,
    50027: _ASSERTION_BUG,
    900144: "The token request was incomplete. " + _REPORT,
    1002012: "The scope is not valid for app-only sign-in (it must end in /.default). " + _REPORT,
    70011: "The scope is not valid. " + _REPORT,
    700022: "The scope named more than one API. " + _REPORT,
    53003: "Conditional Access blocked the sign-in. An admin must exclude this app (workload "
    "identity) from the policy or allow this location.",
    50126: "The user name or password is wrong.",
    50034: "The user does not exist in tenant {tenant}: sign in with an account of that tenant.",
    50057: "The user account is disabled: an admin must enable it, or sign in as another user.",
    65004: "The sign-in was declined on the device login page: run the command again and "
    "accept it.",
    70019: "The sign-in code expired before it was used: run the command again and finish "
    "the sign-in within 15 minutes.",
    700082: "The saved sign-in has expired: sign in again.",
}


def explain(failure: TokenFailure, *, app: str, tenant: str) -> str:
    """One paragraph: what is wrong and what to do, then Entra's own words."""
    code = failure.aadsts
    fix = _FIXES.get(code or 0)
    entra = failure.entra_text()
    ref = f" (correlation ID {failure.correlation_id})" if failure.correlation_id else ""
    if fix is None:
        more = f" Look it up: https://login.microsoftonline.com/error?code={code}" if code else ""
        return f"Entra ID refused to issue a token for app {app} in {tenant}: {entra}{ref}{more}"
    return f"{fix.format(app=app, tenant=tenant)}\nEntra ID said: {entra}{ref}"
