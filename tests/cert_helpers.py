"""Self-signed RSA certificates for tests, written as PEM or PFX, and registered on an
emulator app by a direct ``key_credentials`` insert: one helper for the unit, emulator,
end-to-end and interop tests."""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.ids import iso_utc

__all__ = ["Certificate", "make_certificate", "register_certificate"]


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate and its RSA key, as an app owner would make one."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def sha1_hex(self) -> str:
        return hashlib.sha1(self.der).hexdigest().upper()

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.der).hexdigest().upper()

    def write_pem(self, path: Path) -> Path:
        path.write_bytes(self.cert_pem + self.key_pem)
        return path

    def write_pfx(self, path: Path, password: str | None) -> Path:
        encryption = (
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption()
        )
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(b"app", self.key, self.cert, None, encryption)
        )
        return path


@functools.cache
def _rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def make_certificate(name: str = "sendscope test", days: int = 365) -> Certificate:
    """One certificate per (name, lifetime) for the whole run (RSA keys are slow to make)."""
    key = _rsa_key(name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return Certificate(key, cert)


def register_certificate(
    state: EmulatorState,
    tenant_id: str,
    client_id: str,
    certificate: Certificate,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> str:
    """Add the certificate to the app's keyCredentials (a direct insert); return its keyId."""
    app = state.store.one(
        "SELECT id FROM applications WHERE tenant_id = ? AND app_id = ?", (tenant_id, client_id)
    )
    assert app is not None, f"no application {client_id}"
    now = state.clock.now()
    key_id = str(uuid.uuid4())
    state.store.execute(
        "INSERT INTO key_credentials (tenant_id, application_id, key_id, thumbprint_sha1, "
        "thumbprint_sha256, cert_der, display_name, start, end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant_id,
            app["id"],
            key_id,
            certificate.sha1_hex,
            certificate.sha256_hex,
            certificate.der,
            certificate.cert.subject.rfc4514_string(),
            iso_utc(start or now - timedelta(days=1)),
            iso_utc(end or now + timedelta(days=365)),
        ),
    )
    return key_id
