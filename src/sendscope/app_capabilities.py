"""What an app can do, seen through its own credentials: the use case behind ``connect``.

The app signs in (client credentials) for Microsoft Graph; the token's ``roles`` claim is the
list of application permissions an admin consented to. Those that reach mailboxes
(``Mail.*``, ``Calendars.*``, ``Contacts.*``, ``MailboxSettings.*``) reach *every* mailbox of
the tenant until an Exchange Application Access Policy (or RBAC for Applications) narrows
them (learn.microsoft.com/graph/auth-limit-mailbox-access); a few other roles let the app
undo any such restriction. Exchange's own permissions (EWS ``full_access_as_app``) live in
an Exchange token and are not seen here.

An app cannot read its own secrets' expiry without ``Application.Read.All`` (or a role that
includes it); when the token holds one, the app's ``passwordCredentials`` are read from
Graph. A certificate's expiry comes from the certificate file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .auth.credentials import CertificateCredential, ClientSecret
from .clients.graph import parse_graph_time
from .errors import SendscopeError

if TYPE_CHECKING:
    from .clouds import Cloud
    from .connection import AppSession

__all__ = [
    "APPLICATION_READERS",
    "EXPIRY_WARNING_DAYS",
    "LIFTING_ROLES",
    "AppCapabilities",
    "CertificateFile",
    "SecretExpiry",
    "inspect_app",
    "lifting_roles",
    "mailbox_reach",
    "mailbox_roles",
    "verdict",
]

EXPIRY_WARNING_DAYS = 30

# application-get, "Permissions": roles whose token may read any app registration.
APPLICATION_READERS = frozenset(
    {
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
# organization-get, "Permissions".
_ORGANIZATION_READERS = frozenset(
    {
        "Organization.Read.All",
        "Organization.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)

# Roles an access policy can restrict (m365-domain.md §1.2, learn.microsoft.com/graph/
# auth-limit-mailbox-access), by prefix, and what the mailbox holds for each.
_POLICY_SCOPED = {
    "Mail": "mail",
    "Calendars": "calendars",
    "Contacts": "contacts",
    "MailboxSettings": "mailbox settings",
}
# Newer mailbox roles that policies are not documented to cover (UNCONFIRMED either way).
_UNSCOPED = {
    "MailboxFolder": "mail folders",
    "MailboxItem": "mailbox items",
    "MailboxConfigItem": "mailbox configuration items",
    "Mail-Advanced": "mail",
}

LIFTING_ROLES: dict[str, str] = {
    "Application.ReadWrite.All": "add a secret or certificate to any app, then sign in as "
    "one that no policy restricts",
    "AppRoleAssignment.ReadWrite.All": "grant itself or any app any permission, Mail.Send included",
    "RoleManagement.ReadWrite.Directory": "make itself or anyone a Global Administrator, who "
    "can remove any policy",
    "RoleManagement.ReadWrite.Exchange": "give itself Exchange roles (RBAC for Applications) "
    "that reach every mailbox",
}


@dataclass(frozen=True, slots=True)
class SecretExpiry:
    """One client secret of the app, as Graph lists it (never its value)."""

    key_id: str
    display_name: str
    end: datetime | None
    maybe_in_use: bool  # its hint matches the first characters of the secret used


@dataclass(frozen=True, slots=True)
class CertificateFile:
    """The certificate the app signed in with, as read from its file."""

    path: Path
    subject: str
    thumbprint_sha1: str
    not_after: datetime


@dataclass(frozen=True, slots=True)
class AppCapabilities:
    """Who the app is, how it signed in, and what its token lets it do."""

    tenant_id: str
    tenant_domain: str | None
    client_id: str
    display_name: str
    service_principal_id: str
    cloud: Cloud
    credential_type: str  # "secret" or "certificate"
    certificate: CertificateFile | None
    secrets: tuple[SecretExpiry, ...] | None  # None: the app may not read them
    roles: tuple[str, ...]
    verdict: tuple[str, ...]
    warnings: tuple[str, ...]
    token_expires: datetime
    checked: datetime

    @property
    def mailbox_roles(self) -> tuple[str, ...]:
        return mailbox_roles(self.roles)

    @property
    def lifting_roles(self) -> tuple[str, ...]:
        return lifting_roles(self.roles)

    @property
    def where(self) -> str:
        return self.tenant_domain or f"tenant {self.tenant_id}"


def inspect_app(session: AppSession, *, now: datetime | None = None) -> AppCapabilities:
    """Sign in as the app and say what it can do; raises the sign-in's explained failure."""
    now = now or datetime.now(UTC)
    connection = session.connection
    token = session.tokens.token(connection.cloud.graph_scope)
    roles = tuple(sorted(token.roles))
    warnings: list[str] = []
    domain = connection.tenant_domain or _default_domain(session, roles, warnings)
    where = domain or f"tenant {token.tenant_id or connection.identity.tenant}"
    certificate, secrets = _credential(session, roles, warnings)
    warnings += _expiry_warnings(certificate, secrets, now)
    return AppCapabilities(
        tenant_id=token.tenant_id or connection.identity.tenant,
        tenant_domain=domain,
        client_id=token.app_id or connection.identity.client_id,
        display_name=token.app_display_name,
        service_principal_id=str(token.claims.get("oid", "")),
        cloud=connection.cloud,
        credential_type=connection.identity.credential.kind,
        certificate=certificate,
        secrets=secrets,
        roles=roles,
        verdict=verdict(roles, where),
        warnings=tuple(warnings),
        token_expires=datetime.fromtimestamp(token.expires_on, UTC),
        checked=now,
    )


# -- the verdict (pure) -------------------------------------------------------------------


def mailbox_roles(roles: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The roles that reach mailbox content or settings, in the order given."""
    return tuple(r for r in roles if _area(r) is not None)


def lifting_roles(roles: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The roles with which an app can lift a restriction put on it."""
    return tuple(r for r in roles if r in LIFTING_ROLES)


def mailbox_reach(role: str) -> str | None:
    """What ``role`` lets an app do to a mailbox, as words after "it can"; None if nothing."""
    area = _area(role)
    if area is None:
        return None
    action = role.split(".", 1)[1] if "." in role else ""
    if action.startswith("Send"):
        return "send as"
    if "ReadWrite" in action:
        return f"read, change and delete the {area} of"
    if "Export" in action:
        return f"export the {area} of"
    if "ReadBasic" in action:
        return f"read the {area} (without their bodies) of"
    return f"read the {area} of"


def verdict(roles: tuple[str, ...] | list[str], where: str) -> tuple[str, ...]:
    """Plain sentences: which roles reach which mailboxes, and which can lift a restriction."""
    if not roles:
        return (
            "This app has no application permissions on Microsoft Graph: its token holds no "
            "roles, so it cannot reach any mailbox through Graph. If it should, admin consent "
            "is missing (Entra ID > App registrations > the app > API permissions > Grant "
            "admin consent).",
        )
    sentences = [_reach_sentence(role, where) for role in mailbox_roles(roles)]
    lifting = lifting_roles(roles)
    if not sentences:
        sentences.append(
            "This app holds no permission that reaches mailboxes through Microsoft Graph."
        )
    if mailbox_roles(roles):
        template = (
            "It also holds {role}: it can {what}; a restriction on its mailbox access would "
            "not hold it back."
        )
    else:
        template = "But it holds {role}: it can {what}; that is a way into mailboxes anyway."
    sentences += [template.format(role=role, what=LIFTING_ROLES[role]) for role in lifting]
    return tuple(sentences)


def _area(role: str) -> str | None:
    prefix = role.split(".", 1)[0]
    return _POLICY_SCOPED.get(prefix) or _UNSCOPED.get(prefix)


def _reach_sentence(role: str, where: str) -> str:
    reach = mailbox_reach(role)
    if role.split(".", 1)[0] in _UNSCOPED:
        return (
            f"This app holds {role}: it can {reach} ANY mailbox in {where}, and Exchange "
            "Application Access Policies are not documented to restrict it."
        )
    return (
        f"This app holds {role}: it can {reach} ANY mailbox in {where} unless an Exchange "
        "policy restricts it."
    )


# -- reading what the token allows -------------------------------------------------------


def _default_domain(session: AppSession, roles: tuple[str, ...], warnings: list[str]) -> str | None:
    if not _ORGANIZATION_READERS.intersection(roles):
        return None
    body = _optional_read(session, "organization", "verifiedDomains", warnings, "the domains")
    orgs = (body or {}).get("value") or [{}]
    domains = orgs[0].get("verifiedDomains") or []
    default = [d for d in domains if d.get("isDefault")] or domains
    return str(default[0]["name"]) if default else None


def _credential(
    session: AppSession, roles: tuple[str, ...], warnings: list[str]
) -> tuple[CertificateFile | None, tuple[SecretExpiry, ...] | None]:
    credential = session.connection.identity.credential
    if isinstance(credential, CertificateCredential):
        return CertificateFile(
            credential.path, credential.subject, credential.thumbprint_sha1, credential.not_after
        ), None
    if not APPLICATION_READERS.intersection(roles):
        return None, None
    client_id = session.connection.identity.client_id
    path = f"applications(appId='{quote(client_id)}')"
    body = _optional_read(session, path, "passwordCredentials", warnings, "the app's secrets")
    if body is None:
        return None, None
    return None, tuple(_secret(item, credential) for item in body.get("passwordCredentials") or [])


def _optional_read(
    session: AppSession, path: str, select: str, warnings: list[str], what: str
) -> dict[str, Any] | None:
    """A read that adds to the report; its failure is a warning, not the command's failure."""
    try:
        body = session.graph.get_json(path, params={"$select": select})
    except SendscopeError as exc:
        warnings.append(f"could not read {what} from Microsoft Graph: {exc.message}")
        return None
    return body if isinstance(body, dict) else None


def _secret(item: dict[str, Any], credential: ClientSecret) -> SecretExpiry:
    hint = str(item.get("hint") or "")
    return SecretExpiry(
        key_id=str(item.get("keyId", "")),
        display_name=str(item.get("displayName") or ""),
        end=parse_graph_time(item.get("endDateTime")),
        maybe_in_use=bool(hint) and credential.value.reveal().startswith(hint),
    )


def _expiry_warnings(
    certificate: CertificateFile | None, secrets: tuple[SecretExpiry, ...] | None, now: datetime
) -> list[str]:
    ends: list[tuple[str, datetime]] = []
    if certificate is not None:
        ends.append((f"The certificate {certificate.subject}", certificate.not_after))
    in_use = [s for s in secrets or () if s.maybe_in_use and s.end is not None]
    ends += [(f"The client secret {_secret_name(s)}", s.end) for s in in_use if s.end]
    return [w for label, end in ends if (w := _expiry_warning(label, end, now))]


def _secret_name(secret: SecretExpiry) -> str:
    return f"'{secret.display_name}'" if secret.display_name else f"{secret.key_id}"


def _expiry_warning(label: str, end: datetime, now: datetime) -> str | None:
    days = (end - now).days
    if end <= now:
        return f"{label} expired on {end:%Y-%m-%d}: replace it now."
    if days < EXPIRY_WARNING_DAYS:
        return (
            f"{label} expires on {end:%Y-%m-%d}, in {days} days: add a new one to the app "
            "and switch to it before then."
        )
    return None
