"""Client assertions: the signed JWT a certificate credential presents.

Both forms the SDKs send are accepted (wire-facts.md §3, m365-domain.md §5.2):

- RS256 with ``x5t`` = base64url SHA-1 thumbprint (MSAL with ``thumbprint``, azure-identity's
  CertificateCredential), padded or not;
- PS256 with ``x5t#S256`` = base64url SHA-256 thumbprint, often with ``x5c`` (MSAL ≥ 1.34
  given ``public_certificate`` and no thumbprint, or a PFX).

Older azure-identity wrote every segment with ``=`` padding and signed the padded text, so
the signature is checked over the segments exactly as received, with ``cryptography``
rather than PyJWT (which refuses padded segments).
Reference: https://learn.microsoft.com/entra/identity-platform/certificate-credentials
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .exceptions import (
    AssertionAudienceMismatch,
    AssertionClientMismatch,
    AssertionNotInTimeRange,
    AssertionThumbprintMissing,
    CredentialFieldMissing,
    MalformedJwt,
    UnsupportedAlgorithm,
)

__all__ = [
    "JWT_BEARER",
    "REQUIRED_CLAIMS",
    "ClientAssertion",
    "KeyReference",
    "parse_assertion",
]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REQUIRED_CLAIMS = ("aud", "iss", "sub", "jti", "exp")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_ALGORITHMS = frozenset(f"{family}{bits}" for family in ("RS", "PS") for bits in _HASHES)
# Entra accepts an assertion whose nbf is a little ahead of its own clock.
_CLOCK_SKEW = 300


def _b64decode(segment: str) -> bytes:
    bare = segment.rstrip("=")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


@dataclass(frozen=True, slots=True)
class KeyReference:
    """Which certificate the assertion names: a thumbprint and its hash algorithm."""

    algorithm: str  # sha1 | sha256
    digest: bytes

    @property
    def hex(self) -> str:
        return self.digest.hex().upper()


@dataclass(frozen=True, slots=True)
class ClientAssertion:
    """A parsed, not yet trusted, client assertion."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def algorithm(self) -> str:
        return str(self.header.get("alg", ""))

    def check_algorithm(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise UnsupportedAlgorithm(self.algorithm or "none")

    def key_reference(self) -> KeyReference:
        """The thumbprint in the header (``x5t#S256``, else ``x5t``, else a hex ``kid``)."""
        for name, algorithm, size in (("x5t#S256", "sha256", 32), ("x5t", "sha1", 20)):
            value = self.header.get(name)
            if isinstance(value, str) and value:
                return KeyReference(algorithm, _thumbprint_bytes(value, size))
        kid = self.header.get("kid")
        if isinstance(kid, str) and kid:
            digest = _thumbprint_bytes(kid, 20 if len(kid) in (27, 28, 40) else 32)
            return KeyReference("sha1" if len(digest) == 20 else "sha256", digest)
        raise AssertionThumbprintMissing()

    def check_claims(self, client_id: str, audiences: Iterable[str], now: float) -> None:
        """Required claims (90014), iss/sub (700021), aud, then the time range (700024)."""
        for name in REQUIRED_CLAIMS:
            if name not in self.claims:
                raise CredentialFieldMissing(name)
        if {str(self.claims["iss"]).lower(), str(self.claims["sub"]).lower()} != {client_id}:
            raise AssertionClientMismatch()
        if _normal_url(str(self.claims["aud"])) not in {_normal_url(a) for a in audiences}:
            raise AssertionAudienceMismatch()
        expires, not_before = _number(self.claims.get("exp")), _number(self.claims.get("nbf"))
        if (
            expires is None
            or expires <= now
            or (not_before is not None and not_before > now + _CLOCK_SKEW)
        ):
            raise AssertionNotInTimeRange(now, not_before, expires)

    def signed_by(self, certificate_der: bytes) -> bool:
        """True if the certificate's RSA key made the signature (RS*: PKCS#1 v1.5, PS*: PSS)."""
        key = x509.load_der_x509_certificate(certificate_der).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        digest = _HASHES[self.algorithm[2:]]()
        scheme: padding.AsymmetricPadding = (
            padding.PKCS1v15()
            if self.algorithm.startswith("RS")
            else padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.AUTO)
        )
        try:
            key.verify(self.signature, self.signing_input, scheme, digest)
        except InvalidSignature:
            return False
        return True


def parse_assertion(token: str) -> ClientAssertion:
    """Split and decode a compact JWT, padding tolerated; AADSTS50027 if it is not one."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise MalformedJwt()
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    except (ValueError, binascii.Error, RecursionError):
        raise MalformedJwt() from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedJwt()
    return ClientAssertion(header, claims, signing_input, signature)


def _thumbprint_bytes(value: str, size: int) -> bytes:
    """A thumbprint header value: base64url (padded or not), or hex as some clients send."""
    if len(value) == size * 2:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    try:
        return _b64decode(value)
    except (ValueError, binascii.Error):
        return value.encode()


def _number(value: object) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond floats: as far as time goes, for ever
        return math.inf if value > 0 else -math.inf


def _normal_url(url: str) -> str:
    return url.strip().rstrip("/").lower()
