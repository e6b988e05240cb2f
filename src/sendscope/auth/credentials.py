"""The app's identity and credential, validated before any network call.

A secret is wrapped in ``Secret`` so it never shows in a repr, a log line or a traceback.
Certificates are read from PEM (certificate and private key in one file, or the key in a
second file) or PFX/PKCS#12 (with its password).
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import UsageError

__all__ = [
    "AppIdentity",
    "CertificateCredential",
    "ClientSecret",
    "Secret",
    "check_address",
    "check_client_id",
    "check_tenant",
    "load_certificate",
]

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class Secret:
    """A secret value that prints as ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class ClientSecret:
    value: Secret
    kind: str = field(default="secret", init=False)


@dataclass(frozen=True, slots=True)
class CertificateCredential:
    """A certificate the app signs its client assertions with."""

    path: Path
    private_key_pem: Secret
    certificate_pem: str
    thumbprint_sha1: str
    thumbprint_sha256: str
    not_after: datetime
    subject: str
    kind: str = field(default="certificate", init=False)


@dataclass(frozen=True, slots=True)
class AppIdentity:
    """Who the app is: tenant, client ID, and the credential it proves that with."""

    tenant: str
    client_id: str
    credential: ClientSecret | CertificateCredential


def check_tenant(value: str, option: str = "--tenant") -> str:
    text = value.strip()
    if _is_guid(text) or _DOMAIN.match(text):
        return text.lower()
    raise UsageError(
        f"{option} {value!r} is not a tenant: give the tenant ID (a GUID such as "
        "72f988bf-86f1-41af-91ab-2d7cd011db47) or a domain such as contoso.onmicrosoft.com"
    )


def check_client_id(value: str, option: str = "--client-id") -> str:
    text = value.strip()
    if _is_guid(text):
        return text.lower()
    raise UsageError(
        f"{option} {value!r} is not a client ID: it is the app's Application (client) ID, "
        "a GUID shown on the app registration's Overview page"
    )


def check_address(value: str, option: str) -> str:
    text = value.strip()
    if _ADDRESS.match(text):
        return text
    raise UsageError(f"{option} {value!r} is not an email address: write it like ceo@contoso.com")


def _is_guid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def load_certificate(path: Path, password: Secret | None = None) -> CertificateCredential:
    """Read a PEM (certificate + key) or PFX file; UsageError naming the file otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read certificate {path}: {exc.strerror}") from None
    if b"-----BEGIN" in data:
        cert, key = _from_pem(path, data, password)
    else:
        cert, key = _from_pfx(path, data, password)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return CertificateCredential(
        path=path,
        private_key_pem=Secret(key_pem),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        thumbprint_sha1=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - x5t
        thumbprint_sha256=base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).decode(),
        not_after=cert.not_valid_after_utc,
        subject=cert.subject.rfc4514_string(),
    )


def _from_pem(path: Path, data: bytes, password: Secret | None) -> tuple[x509.Certificate, PrivateKeyTypes]:
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise UsageError(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)") from None
    secret = password.reveal().encode() if password else None
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"{path} holds a certificate but no usable private key ({_why(exc)}): put the "
            "certificate and its private key in one PEM file, or use a PFX file"
        ) from None
    return cert, key


def _from_pfx(path: Path, data: bytes, password: Secret | None) -> tuple[x509.Certificate, PrivateKeyTypes]:
    secret = password.reveal().encode() if password else None
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
    except (ValueError, TypeError):
        hint = "set SENDSCOPE_CERTIFICATE_PASSWORD" if password is None else "check the password"
        raise UsageError(f"cannot open PFX file {path}: wrong password or not a PFX file "
                         f"({hint})") from None
    if cert is None or key is None:
        raise UsageError(f"PFX file {path} must hold both a certificate and its private key")
    return cert, key


def _why(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypted" in text:
        return "the key is encrypted: set SENDSCOPE_CERTIFICATE_PASSWORD"
    return "no key found"
