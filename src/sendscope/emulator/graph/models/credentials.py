"""An app registration's credentials: certificates (``keyCredentials``) and client
secrets (``passwordCredentials``), as Graph takes and shows them.

Certificates arrive by ``PATCH /applications/{id}`` with the whole ``keyCredentials``
collection: entries with a ``key`` (base64 DER) are new, entries naming an existing
``keyId`` without a key are kept, and anything left out is removed
(learn.microsoft.com/graph/api/resources/keycredential). Thumbprints are stored as
upper-case hex, the form Entra prints in AADSTS700027. Secrets come only from
``addPassword`` (learn.microsoft.com/graph/api/application-addpassword); the secret text
is shown once, then only its three-character hint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from ...core.directory import default_secret_lifetime
from ...core.ids import guid, iso_utc
from ...core.store import Row, Store
from ..exceptions import BadRequest, RequestBadRequest
from .app_queries import check_guid

__all__ = [
    "KeyCredentialPlan",
    "NewCertificate",
    "PasswordRequest",
    "apply_key_plan",
    "key_credential_json",
    "key_credentials",
    "parse_password_request",
    "password_credential_json",
    "plan_key_credentials",
    "remove_password",
]

KEY_TYPE, KEY_USAGE = "AsymmetricX509Cert", "Verify"
_INVALID_KEY = "Invalid certificate: Key value is invalid certificate"  # doc (saml-sso-api)


@dataclass(frozen=True, slots=True)
class NewCertificate:
    """A certificate to add to an app registration."""

    key_id: str
    der: bytes
    display_name: str | None
    start: datetime
    end: datetime

    @property
    def thumbprint_sha1(self) -> str:
        return hashlib.sha1(self.der).hexdigest().upper()  # noqa: S324 - x5t is SHA-1 by spec

    @property
    def thumbprint_sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest().upper()


@dataclass(frozen=True, slots=True)
class KeyCredentialPlan:
    """What a PATCH of ``keyCredentials`` does: the key ids kept, the certificates added."""

    keep: frozenset[str]
    add: tuple[NewCertificate, ...]


@dataclass(frozen=True, slots=True)
class PasswordRequest:
    """The ``passwordCredential`` of an addPassword call, defaults applied."""

    display_name: str | None
    start: datetime
    end: datetime


# -- certificates ------------------------------------------------------------------------


def plan_key_credentials(value: Any, existing: Sequence[Row]) -> KeyCredentialPlan:
    """Check a ``keyCredentials`` collection against the app's current certificates."""
    if not isinstance(value, list):
        raise BadRequest(
            "Property keyCredentials in payload has a value that does not match schema."
        )
    by_id = {row["key_id"]: row for row in existing}
    keep: set[str] = set()
    add: list[NewCertificate] = []
    for item in value:
        entry = _entry(item, by_id)
        if isinstance(entry, str):
            keep.add(entry)
        else:
            add.append(entry)
    return KeyCredentialPlan(frozenset(keep), tuple(add))


def _entry(item: Any, existing: Mapping[str, Row]) -> str | NewCertificate:
    if not isinstance(item, dict):
        raise BadRequest(
            "Property keyCredentials in payload has a value that does not match schema."
        )
    _check_kind(item)
    key_id = check_guid(item["keyId"]) if item.get("keyId") is not None else None
    key = item.get("key")
    if key_id is not None and key_id in existing:
        if key is None or _der(key) == bytes(existing[key_id]["cert_der"]):
            return key_id
        # AAD Graph's answer to a changed key under an existing keyId (observed).
        raise RequestBadRequest("Update to existing credential with KeyId is not allowed.")
    der = _der(key)
    certificate = _certificate(der)
    start, end = _validity(item, certificate)
    name = item.get("displayName") or certificate.subject.rfc4514_string() or None
    return NewCertificate(key_id or guid(), der, name, start, end)


def _check_kind(item: Mapping[str, Any]) -> None:
    usage, kind = item.get("usage"), item.get("type")
    if usage not in ("Sign", "Verify"):
        # Observed text (msgraph-sdk-java#1823).
        raise RequestBadRequest(
            'The value for the property "usage" in one of your credentials '
            "is invalid. Acceptable values are Sign, Verify."
        )
    if kind not in (KEY_TYPE, "X509CertAndPassword", "Symmetric"):
        # Guess, by analogy with the "usage" text.
        raise RequestBadRequest(
            'The value for the property "type" in one of your credentials '
            "is invalid. Acceptable values are AsymmetricX509Cert, "
            "X509CertAndPassword, Symmetric."
        )
    if (kind, usage) != (KEY_TYPE, KEY_USAGE):
        # Emulator limit: signing keys and symmetric keys (SAML, legacy) are not modelled.
        raise RequestBadRequest(
            "The emulator supports only certificate credentials of type "
            "AsymmetricX509Cert with usage Verify."
        )


def _der(key: Any) -> bytes:
    if not isinstance(key, str) or not key.strip():
        raise RequestBadRequest(_INVALID_KEY)
    try:
        return base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise RequestBadRequest(_INVALID_KEY) from None


def _certificate(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise RequestBadRequest(_INVALID_KEY) from None


def _validity(item: Mapping[str, Any], certificate: x509.Certificate) -> tuple[datetime, datetime]:
    """The credential's dates: the certificate's own unless narrower ones are given."""
    not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    start = _timestamp(item.get("startDateTime")) or not_before
    end = _timestamp(item.get("endDateTime")) or not_after
    if start < not_before:
        raise RequestBadRequest("Key credential start date is invalid.")  # guess, mirrors end
    if end > not_after or end <= start:
        raise RequestBadRequest("Key credential end date is invalid.")  # observed (azure-cli#11146)
    return start, end


def apply_key_plan(
    store: Store, tenant_id: str, application_id: str, plan: KeyCredentialPlan
) -> None:
    """Remove the certificates not kept and add the new ones, in the caller's transaction."""
    for row in key_credentials(store, tenant_id, application_id):
        if row["key_id"] not in plan.keep:
            store.execute(
                "DELETE FROM key_credentials WHERE tenant_id = ? AND application_id = ? "
                "AND key_id = ?",
                (tenant_id, application_id, row["key_id"]),
            )
    for cert in plan.add:
        store.execute(
            "INSERT INTO key_credentials (tenant_id, application_id, key_id, thumbprint_sha1, "
            "thumbprint_sha256, cert_der, display_name, start, end) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                application_id,
                cert.key_id,
                cert.thumbprint_sha1,
                cert.thumbprint_sha256,
                cert.der,
                cert.display_name,
                iso_utc(cert.start),
                iso_utc(cert.end),
            ),
        )


def key_credentials(store: Store, tenant_id: str, application_id: str) -> list[Row]:
    return store.all(
        "SELECT * FROM key_credentials WHERE tenant_id = ? AND application_id = ? ORDER BY start",
        (tenant_id, application_id),
    )


def key_credential_json(row: Row, *, with_key: bool) -> dict[str, Any]:
    """Graph's keyCredential; ``key`` only when asked for by ``$select`` on one object."""
    thumbprint = bytes.fromhex(row["thumbprint_sha1"])
    return {
        "customKeyIdentifier": base64.b64encode(thumbprint).decode("ascii"),
        "displayName": row["display_name"],
        "endDateTime": row["end"],
        "key": base64.b64encode(bytes(row["cert_der"])).decode("ascii") if with_key else None,
        "keyId": row["key_id"],
        "startDateTime": row["start"],
        "type": KEY_TYPE,
        "usage": KEY_USAGE,
    }


# -- secrets -----------------------------------------------------------------------------


def parse_password_request(body: Mapping[str, Any], now: datetime) -> PasswordRequest:
    """addPassword's optional body: start defaults to now, end to start + two years."""
    credential = body.get("passwordCredential") or {}
    if not isinstance(credential, dict):
        raise BadRequest(
            "Property passwordCredential in payload has a value that does not match schema."
        )
    name = credential.get("displayName")
    if name is not None and not isinstance(name, str):
        raise BadRequest(f"Cannot convert the literal '{name}' to the expected type 'Edm.String'.")
    start = _timestamp(credential.get("startDateTime")) or now
    end = _timestamp(credential.get("endDateTime")) or start + default_secret_lifetime()
    if end <= start:
        raise RequestBadRequest("Password credential end date is invalid.")  # guess
    return PasswordRequest(name, start, end)


def password_credential_json(row: Row) -> dict[str, Any]:
    """A stored secret as GET shows it: the hint, never the secret."""
    return {
        "customKeyIdentifier": None,
        "displayName": row["display_name"],
        "endDateTime": row["end"],
        "hint": row["hint"],
        "keyId": row["key_id"],
        "secretText": None,
        "startDateTime": row["start"],
    }


def remove_password(
    store: Store, tenant_id: str, application_id: str, body: Mapping[str, Any]
) -> None:
    """removePassword: drop the secret ``keyId`` names."""
    if body.get("keyId") in (None, ""):
        raise RequestBadRequest("A value is required for property 'keyId'.")  # guess
    key_id = check_guid(body["keyId"])
    removed = store.execute(
        "DELETE FROM password_credentials WHERE tenant_id = ? AND application_id = ? "
        "AND key_id = ?",
        (tenant_id, application_id, key_id),
    )
    if not removed:
        # Observed prefix "No password credential found with keyId" (400); the tail is a guess.
        raise RequestBadRequest(f"No password credential found with keyId '{key_id}'.")


# -- shared --------------------------------------------------------------------------------


def _timestamp(value: Any) -> datetime | None:
    """An Edm.DateTimeOffset, or None when absent."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'."
        ) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)
