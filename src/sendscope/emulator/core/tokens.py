"""The emulator's token signing key, and signing and verifying access tokens.

Access tokens are RS256 JWTs shaped like Entra's v1.0 tokens: the header carries ``kid``
and ``x5t`` (the same value, as Entra's do), and the key is published with its
certificate in JWKS. The key is kept in the store, so tokens survive a restart.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from .ids import b64url
from .store import Store

__all__ = ["SigningKey", "TokenProblem", "TokenRejected"]


class TokenProblem(Enum):
    """Why a presented access token was not accepted."""

    MISSING = "missing"
    MALFORMED = "malformed"
    SIGNATURE = "signature"
    EXPIRED = "expired"
    AUDIENCE = "audience"
    TENANT = "tenant"


class TokenRejected(Exception):
    def __init__(self, problem: TokenProblem, detail: str = "") -> None:
        super().__init__(detail or problem.value)
        self.problem = problem


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    @property
    def kid(self) -> str:
        return b64url(self.certificate.fingerprint(hashes.SHA1()))  # noqa: S303 - x5t is SHA-1 by spec

    @classmethod
    def load_or_create(cls, store: Store) -> SigningKey:
        pem = store.meta("signing_key")
        cert_pem = store.meta("signing_cert")
        if pem and cert_pem:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return cls(key, x509.load_pem_x509_certificate(cert_pem.encode()))
        made = cls.generate()
        store.set_meta("signing_key", made.private_pem())
        store.set_meta(
            "signing_cert", made.certificate.public_bytes(serialization.Encoding.PEM).decode()
        )
        return made

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "accounts.accesscontrol.windows.net")]
        )
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def jwk(self) -> dict[str, Any]:
        """The key as Entra publishes it in ``discovery/v2.0/keys``."""
        numbers = self.private_key.public_key().public_numbers()
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            "x5c": [base64.b64encode(der).decode()],
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
        }

    def sign(self, claims: dict[str, Any]) -> str:
        headers = {"typ": "JWT", "x5t": self.kid, "kid": self.kid}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)

    def verify_bearer(
        self, authorization: str, *, audiences: frozenset[str], now: float
    ) -> dict[str, Any]:
        """``verify`` for an ``Authorization`` header: MISSING unless it is ``Bearer <token>``."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected(TokenProblem.MISSING)
        return self.verify(token.strip(), audiences=audiences, now=now)

    def verify(self, token: str, *, audiences: frozenset[str], now: float) -> dict[str, Any]:
        """Return the claims of a token this emulator signed, or raise TokenRejected.

        The signature of a token is checked once and remembered, as Graph's front ends
        cache validated tokens; lifetime and audience are checked on every call.
        """
        claims = self._verified.get(token)
        if claims is None:
            claims = self._check_signature(token)
            if len(self._verified) >= _VERIFIED_CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = claims
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if (
            not isinstance(exp, int | float)
            or exp <= now
            or (isinstance(nbf, int | float) and nbf > now)
        ):
            raise TokenRejected(TokenProblem.EXPIRED)
        if claims.get("aud") not in audiences:
            raise TokenRejected(TokenProblem.AUDIENCE)
        return claims

    def _check_signature(self, token: str) -> dict[str, Any]:
        # By hand rather than jwt.decode: PyJWT checks base64 character by character, which
        # made token checks the emulator's largest cost (bench/emulator_throughput).
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected(TokenProblem.MALFORMED)
        try:
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise TokenRejected(TokenProblem.MALFORMED) from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenRejected(TokenProblem.MALFORMED)
        if header.get("alg") != "RS256":
            raise TokenRejected(TokenProblem.SIGNATURE)
        signed = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
        try:
            self._public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise TokenRejected(TokenProblem.SIGNATURE) from None
        return claims


_VERIFIED_CACHE_SIZE = 4096


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
