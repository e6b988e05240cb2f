"""The app's identity and credential, validated before any network call.

A secret is wrapped in ``Secret`` so it never shows in a repr, a log line or a traceback.
Certificates are read from PEM (certificate and private key in one file) or PFX/PKCS#12
(with its password). Entra signs nothing but RSA client assertions (RS256/PS256,
learn.microsoft.com/entra/identity-platform/certificate-credentials), so other keys are
refused here rather than by Entra later.

``cryptography`` is imported only when a certificate is read: the CLI must start fast.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = [
    "AppIdentity",
    "CertificateCredential",
    "ClientSecret",
    "Secret",
    "check_address",
    "check_client_id",
    "check_tenant",
    "is_guid",
    "load_certificate",
]

# Labels of letters, digits and inner dashes; the top-level label is letters (or an IDN's
# xn--), as Entra requires: "contoso.com1" is AADSTS900023 there, so it is refused here.
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$"
)
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DER_SEQUENCE = 0x30  # every DER structure (PFX, X.509) starts with an ASN.1 SEQUENCE


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
    """A client secret (the *Value* of a secret under Certificates & secrets)."""

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
    if is_guid(text) or _DOMAIN.match(text):
        return text.lower()
    raise UsageError(
        f"{option} {value!r} is not a tenant: give the tenant ID (a GUID such as "
        "72f988bf-86f1-41af-91ab-2d7cd011db47) or a domain such as contoso.onmicrosoft.com"
    )


def check_client_id(value: str, option: str = "--client-id") -> str:
    text = value.strip()
    if is_guid(text):
        return text.lower()
    if _looks_like_a_secret(text):
        # Not echoed, not even in part: a secret on the command line is bad enough.
        where = _SECRET_OPTIONS.get(option)
        instead = f" Give the secret by {where}." if where else ""
        raise UsageError(
            f"{option} holds what looks like a client secret, not a client ID: give the app's "
            f"Application (client) ID, a GUID.{instead} Consider rotating that secret: it has "
            "been typed where secrets should not go"
        )
    raise UsageError(
        f"{option} {value!r} is not a client ID: it is the app's Application (client) ID, "
        "a GUID shown on the app registration's Overview page"
    )


def _looks_like_a_secret(text: str) -> bool:
    """Entra client secrets are 40 characters with ``Q~`` near the start (``abc8Q~…``); a
    long value holding ``Q~`` anywhere may be one cut short."""
    return len(text) >= 20 and "Q~" in text


_SECRET_OPTIONS = {
    "--client-id": "SENDSCOPE_CLIENT_SECRET, --client-secret-file or the prompt",
    "--admin-client-id": "SENDSCOPE_ADMIN_CLIENT_SECRET, --admin-client-secret-file or the prompt",
}


def check_address(value: str, option: str) -> str:
    text = value.strip()
    if _ADDRESS.match(text):
        return text
    raise UsageError(f"{option} {value!r} is not an email address: write it like ceo@contoso.com")


def is_guid(text: str) -> bool:
    """True for a GUID in its usual 8-4-4-4-12 form (either case)."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def load_certificate(path: Path, password: Secret | None = None) -> CertificateCredential:
    """Read a PEM (certificate + key) or PFX file; UsageError naming the file otherwise."""
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read certificate {path}: {exc.strerror}. Check --certificate "
            "(or SENDSCOPE_CERTIFICATE)."
        ) from None
    if b"-----BEGIN" in data:
        cert, key = _from_pem(path, data, password)
    else:
        cert, key = _from_pfx(path, data, password)
    _check_key(path, cert, key)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return CertificateCredential(
        path=path,
        private_key_pem=Secret(key_pem),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        thumbprint_sha1=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - x5t
        thumbprint_sha256=base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).decode(),
        not_after=cert.not_valid_after_utc,
        subject=cert.subject.rfc4514_string(),
    )


def _from_pem(
    path: Path, data: bytes, password: Secret | None
) -> tuple[x509.Certificate, PrivateKeyTypes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

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


def _from_pfx(
    path: Path, data: bytes, password: Secret | None
) -> tuple[x509.Certificate, PrivateKeyTypes]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    if not data or data[0] != _DER_SEQUENCE:
        raise UsageError(
            f"{path} is neither a PEM nor a PFX file: give the certificate with "
            "its private key, as PEM (cert + key in one file) or PFX (.pfx/.p12)"
        )
    secret = password.reveal().encode() if password else None
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
    except (ValueError, TypeError):
        if _is_der_certificate(data):
            raise UsageError(
                f"{path} is a certificate without its private key (a .cer file): "
                "sendscope signs with the key, so give a PFX or a PEM with the "
                "key"
            ) from None
        hint = (
            "it needs a password: set SENDSCOPE_CERTIFICATE_PASSWORD"
            if password is None
            else "check SENDSCOPE_CERTIFICATE_PASSWORD"
        )
        raise UsageError(
            f"cannot open PFX file {path}: wrong password or not a PFX file ({hint})"
        ) from None
    if cert is None or key is None:
        raise UsageError(f"PFX file {path} must hold both a certificate and its private key")
    return cert, key


def _is_der_certificate(data: bytes) -> bool:
    from cryptography import x509

    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return False
    return True


def _check_key(path: Path, cert: x509.Certificate, key: PrivateKeyTypes) -> None:
    """Entra verifies RSA signatures only, with the public key of the certificate."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, rsa.RSAPrivateKey):
        raise UsageError(
            f"{path} holds a non-RSA key ({_key_kind(key)}): Entra ID accepts only RSA "
            "certificates for app sign-in (make an RSA one, 2048 bits or more)"
        )
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki):
        raise UsageError(f"{path}: the private key does not belong to the certificate in it")


def _key_kind(key: PrivateKeyTypes) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "elliptic-curve (EC)"
    return type(key).__name__.removesuffix("PrivateKey")


def _why(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypted" in text:
        return "the key is encrypted: set SENDSCOPE_CERTIFICATE_PASSWORD"
    return "no key found"
