"""AADSTS errors in plain words: what is wrong and how to fix it.

Texts and codes from learn.microsoft.com/entra/identity-platform/reference-error-codes and
captured responses (m365-domain.md §5.5). Entra's own description is kept for support
cases, without its trace and correlation ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TokenFailure", "explain"]


@dataclass(frozen=True, slots=True)
class TokenFailure:
    """What the token endpoint answered."""

    error: str
    description: str
    codes: tuple[int, ...]
    correlation_id: str = ""

    @property
    def aadsts(self) -> int | None:
        return self.codes[0] if self.codes else None

    def entra_text(self) -> str:
        """Entra's sentence without the trace/correlation/timestamp tail."""
        return re.split(r"\s*(?:\r\n|\s)Trace ID:", self.description, maxsplit=1)[0].strip()


_FIXES: dict[int, str] = {
    7000215: "The client secret is wrong. Most often the secret's ID was pasted instead of its "
    "Value: in Entra ID > App registrations > {app} > Certificates & secrets, the Value is "
    "shown only once, when the secret is created — create a new secret and copy its Value.",
    7000222: "The client secret has expired. Create a new one under Certificates & secrets of "
    "app {app} (or, better, switch to a certificate) and use its Value.",
    7000218: "No credential reached Entra: give the app's client secret "
    "(SENDSCOPE_CLIENT_SECRET or --client-secret-file) or its certificate (--certificate).",
    700016: "App {app} does not exist in tenant {tenant}. Check --client-id (the Application "
    "(client) ID) and --tenant; if the app is another company's, an admin of {tenant} must "
    "consent to it first.",
    700011: "App {app} does not exist in tenant {tenant}. Check --client-id and --tenant.",
    90002: "Tenant {tenant} does not exist in this cloud. Check --tenant, and --cloud if the "
    "tenant is in GCC High, DoD or China.",
    900023: "{tenant} is not a tenant ID or domain. Use the tenant's GUID or a domain such as "
    "contoso.onmicrosoft.com.",
    90038: "Tenant {tenant} lives in another Microsoft cloud: pass --cloud usgov, usgovdod "
    "or china.",
    700027: "Entra does not accept the certificate: it is not registered on app {app}, or it "
    "has expired. Upload the public certificate (.cer/.pem) under Certificates & secrets.",
    700024: "The client assertion is outside its valid time range: this machine's clock is "
    "probably wrong. Synchronise it and try again.",
    7000112: "App {app} is disabled in tenant {tenant}: its enterprise application has "
    "'Enabled for users to sign-in' set to No. An admin must enable it.",
    500011: "The resource was not found in tenant {tenant}: the tenant may be in another "
    "cloud (--cloud), or the service is not provisioned.",
    1002012: "The scope is not valid for app-only sign-in (it must end in /.default). This is "
    "a bug in sendscope: please report it.",
    70011: "The scope is not valid. This is a bug in sendscope: please report it.",
    53003: "Conditional Access blocked the sign-in. An admin must exclude this app (workload "
    "identity) from the policy or allow this location.",
    50126: "The user name or password is wrong.",
    70019: "The sign-in code expired before it was used: run the command again and finish "
    "the sign-in within 15 minutes.",
}


def explain(failure: TokenFailure, *, app: str, tenant: str) -> str:
    """One paragraph: what is wrong and what to do, then Entra's own words."""
    fix = _FIXES.get(failure.aadsts or 0)
    entra = failure.entra_text()
    if fix is None:
        return f"Entra ID refused to issue a token for app {app} in {tenant}: {entra}"
    ref = f" (correlation ID {failure.correlation_id})" if failure.correlation_id else ""
    return f"{fix.format(app=app, tenant=tenant)}\nEntra ID said: {entra}{ref}"
