"""Certificate credentials at the token endpoint: client assertions in every form SDKs send.

The certificates come from tests/cert_helpers.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from tests.cert_helpers import Certificate, make_certificate, register_certificate

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def b64url(data: bytes, *, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if pad else text.rstrip("=")


def thumbprint_header(
    certificate: Certificate, *, sha256: bool = False, pad: bool = True
) -> dict[str, str]:
    if sha256:
        return {"x5t#S256": b64url(hashlib.sha256(certificate.der).digest(), pad=pad)}
    return {"x5t": b64url(hashlib.sha1(certificate.der).digest(), pad=pad)}


def assertion_claims(client_id: str, audience: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign_assertion(
    certificate: Certificate,
    claims: dict[str, Any],
    *,
    algorithm: str = "RS256",
    headers: dict[str, Any] | None = None,
) -> str:
    return jwt.encode(
        claims,
        certificate.key,
        algorithm=algorithm,
        headers=headers if headers is not None else thumbprint_header(certificate),
    )


def padded_assertion(certificate: Certificate, claims: dict[str, Any]) -> str:
    """RS256 with every segment ``=``-padded and the padded text signed (older azure-identity)."""
    header = {"typ": "JWT", "alg": "RS256", **thumbprint_header(certificate)}
    head = b64url(json.dumps(header).encode(), pad=True)
    body = b64url(json.dumps(claims).encode(), pad=True)
    signature = certificate.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(signature, pad=True)}"


# -- tests -------------------------------------------------------------------------------


@pytest.fixture
def mailer(tenant: Any) -> str:
    return str(tenant.apps["Timesheet Mailer"].client_id)


@pytest.fixture
def certificate(state: EmulatorState, tenant: Any, mailer: str) -> Certificate:
    made = make_certificate()
    register_certificate(state, tenant.id, mailer, made)
    return made


def _endpoint(tenant: Any) -> str:
    return f"https://testserver/{tenant.id}/oauth2/v2.0/token"


def _post(client: TestClient, tenant: Any, mailer: str, assertion: str, **extra: str) -> Any:
    form = {
        "grant_type": "client_credentials",
        "client_id": mailer,
        "scope": GRAPH_DEFAULT,
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **extra,
    }
    return client.post(f"/{tenant.id}/oauth2/v2.0/token", data=form)


def _claims_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(jwt.decode(response.json()["access_token"], options={"verify_signature": False}))


def _assert_error(response: Any, status: int, error: str, code: int, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: {text}")


@pytest.mark.parametrize("pad", [True, False])
def test_rs256_with_sha1_thumbprint_gets_a_certificate_token(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate, pad: bool
) -> None:
    assertion = sign_assertion(
        certificate,
        assertion_claims(mailer, _endpoint(tenant)),
        headers=thumbprint_header(certificate, pad=pad),
    )
    claims = _claims_of(_post(client, tenant, mailer, assertion))
    assert claims["appidacr"] == "2"
    assert claims["roles"] == ["Mail.Send"]
    assert claims["appid"] == mailer


def test_ps256_with_sha256_thumbprint_and_x5c(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    x5c = [base64.b64encode(certificate.der).decode()]
    headers = {**thumbprint_header(certificate, sha256=True), "x5c": x5c}
    assertion = sign_assertion(
        certificate, assertion_claims(mailer, _endpoint(tenant)), algorithm="PS256", headers=headers
    )
    assert _claims_of(_post(client, tenant, mailer, assertion))["appidacr"] == "2"


def test_padded_segments_signed_as_sent_are_accepted(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    assertion = padded_assertion(certificate, assertion_claims(mailer, _endpoint(tenant)))
    assert "=" in assertion.split(".")[0] + assertion.split(".")[2]
    assert _claims_of(_post(client, tenant, mailer, assertion))["appidacr"] == "2"


@pytest.mark.parametrize(
    "audience",
    [
        "https://testserver/{domain}/oauth2/v2.0/token",
        "https://testserver/{id}/oauth2/token",
        "https://TESTSERVER/{id}/oauth2/v2.0/token/",
    ],
)
def test_audience_may_name_the_tenant_by_domain_or_the_v1_endpoint(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate, audience: str
) -> None:
    aud = audience.format(domain=tenant.domain, id=tenant.id)
    assertion = sign_assertion(certificate, assertion_claims(mailer, aud))
    assert _claims_of(_post(client, tenant, mailer, assertion))["appidacr"] == "2"


def test_wrong_audience_is_refused(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    aud = f"https://login.microsoftonline.com/{tenant.id}/oauth2/v2.0/token"
    response = _post(
        client, tenant, mailer, sign_assertion(certificate, assertion_claims(mailer, aud))
    )
    _assert_error(
        response,
        401,
        "invalid_client",
        50012,
        "Client assertion audience claim does not match Realm issuer.",
    )


def test_unknown_certificate_is_700027_key_not_found(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    stranger = make_certificate("stranger")
    response = _post(
        client,
        tenant,
        mailer,
        sign_assertion(stranger, assertion_claims(mailer, _endpoint(tenant))),
    )
    _assert_error(
        response,
        401,
        "invalid_client",
        700027,
        "The certificate with identifier used to sign the client assertion is not "
        "registered on application. [Reason - The key was not found., Thumbprint of key "
        f"used by client: '{stranger.sha1_hex}', Please visit the Azure Portal",
    )
    assert f"configured keys for app Id '{mailer}'" in response.json()["error_description"]


def test_expired_certificate_is_700027_with_the_reason(
    state: EmulatorState, client: TestClient, tenant: Any, mailer: str
) -> None:
    old = make_certificate("old")
    past = datetime(2021, 6, 29, 21, 13, 15, tzinfo=UTC)
    register_certificate(state, tenant.id, mailer, old, start=past, end=past + timedelta(days=730))
    response = _post(
        client, tenant, mailer, sign_assertion(old, assertion_claims(mailer, _endpoint(tenant)))
    )
    _assert_error(
        response,
        401,
        "invalid_client",
        700027,
        "Client assertion contains an invalid signature. [Reason - The key used is "
        f"expired., Thumbprint of key used by client: '{old.sha1_hex}', Found key "
        "'Start=06/29/2021 21:13:15, End=06/29/2023 21:13:15'",
    )


def test_signature_by_another_key_is_refused(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    impostor = make_certificate("impostor")
    assertion = sign_assertion(
        impostor,
        assertion_claims(mailer, _endpoint(tenant)),
        headers=thumbprint_header(certificate),
    )
    response = _post(client, tenant, mailer, assertion)
    _assert_error(
        response,
        401,
        "invalid_client",
        700027,
        "Client assertion contains an invalid signature. [Reason - The provided "
        "signature value did not match the expected signature value.",
    )


def test_issuer_other_than_client_is_700021(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    claims = assertion_claims(mailer, _endpoint(tenant), iss=str(uuid.uuid4()))
    response = _post(client, tenant, mailer, sign_assertion(certificate, claims))
    _assert_error(
        response,
        401,
        "invalid_client",
        700021,
        "Client assertion application identifier doesn't match 'client_id' parameter. "
        "Review the documentation at https://docs.microsoft.com/azure/active-directory/"
        "develop/active-directory-certificate-credentials .",
    )


def test_expired_assertion_is_700024_valid_from_1970_without_nbf(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    exp = int(time.time()) - 60
    claims = assertion_claims(mailer, _endpoint(tenant), exp=exp)
    response = _post(client, tenant, mailer, sign_assertion(certificate, claims))
    expiry = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    _assert_error(
        response,
        401,
        "invalid_client",
        700024,
        "Client assertion is not within its valid time range. Current time: ",
    )
    description = response.json()["error_description"]
    assert (
        "assertion valid from 1970-01-01T00:00:00.0000000Z, expiry time of assertion "
        f"{expiry}.0000000Z. Review the documentation at "
        "https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
        in description
    )


def test_assertion_not_yet_valid_is_700024(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    claims = assertion_claims(mailer, _endpoint(tenant), nbf=int(time.time()) + 3600)
    response = _post(client, tenant, mailer, sign_assertion(certificate, claims))
    _assert_error(
        response,
        401,
        "invalid_client",
        700024,
        "Client assertion is not within its valid time range.",
    )


def test_missing_issuer_is_90014(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    claims = assertion_claims(mailer, _endpoint(tenant), iss=None)
    response = _post(client, tenant, mailer, sign_assertion(certificate, claims))
    _assert_error(
        response,
        400,
        "invalid_request",
        90014,
        "The required field 'iss' is missing from the credential. Ensure that you have "
        "all the necessary parameters for the login request.",
    )


def test_no_thumbprint_in_header_is_5002723(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    assertion = sign_assertion(certificate, assertion_claims(mailer, _endpoint(tenant)), headers={})
    _assert_error(
        _post(client, tenant, mailer, assertion),
        401,
        "invalid_client",
        5002723,
        "Invalid JWT token. No certificate SHA-1 thumbprint, certificate SHA-256 "
        "thumbprint, nor keyId specified in token header.",
    )


def test_hs256_is_5002738(client: TestClient, tenant: Any, mailer: str) -> None:
    assertion = jwt.encode(
        assertion_claims(mailer, _endpoint(tenant)),
        "a" * 32,
        algorithm="HS256",
        headers={"x5t": "abc"},
    )
    _assert_error(
        _post(client, tenant, mailer, assertion),
        401,
        "invalid_client",
        5002738,
        "Invalid JWT token. 'HS256' is not a supported signature algorithm. Supported "
        "signing algorithms are: 'RS256,RS384,RS512'",
    )


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b", "e30.bm90IGpzb24.c2ln"])
def test_malformed_assertion_is_50027(
    client: TestClient, tenant: Any, mailer: str, garbage: str
) -> None:
    _assert_error(
        _post(client, tenant, mailer, garbage),
        400,
        "invalid_request",
        50027,
        "JWT token is invalid or malformed.",
    )


def test_assertion_without_its_type_is_900144(
    client: TestClient, tenant: Any, mailer: str, certificate: Certificate
) -> None:
    assertion = sign_assertion(certificate, assertion_claims(mailer, _endpoint(tenant)))
    response = _post(client, tenant, mailer, assertion, client_assertion_type="")
    _assert_error(
        response,
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_assertion_type'.",
    )
