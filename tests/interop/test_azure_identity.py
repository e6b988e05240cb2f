"""azure-identity credentials, unchanged, against the emulator over HTTPS (wire-facts.md §4)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential

from .conftest import Emulator, RecordingSession

pytestmark = [pytest.mark.interop, pytest.mark.server]

GRAPH = "https://graph.microsoft.com/.default"


def _options(emulator: Emulator, http: RecordingSession) -> dict[str, Any]:
    # ``session`` reaches azure-core's RequestsTransport, so every URL is recorded.
    return {
        "authority": emulator.url,
        "disable_instance_discovery": True,
        "connection_verify": emulator.ca,
        "session": http,
    }


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_client_secret_credential(emulator: Emulator, http: RecordingSession) -> None:
    credential = ClientSecretCredential(
        emulator.tenant_id,
        emulator.app["client_id"],
        emulator.app["client_secret"],
        **_options(emulator, http),
    )
    token = credential.get_token(GRAPH)
    claims = _claims(token.token)
    assert claims["roles"] == ["Mail.Send"]
    assert claims["appidacr"] == "1"
    assert token.expires_on > claims["iat"]
    http.assert_only(emulator.url)


def test_client_secret_credential_wrong_secret(emulator: Emulator, http: RecordingSession) -> None:
    credential = ClientSecretCredential(
        emulator.tenant_id, emulator.app["client_id"], "wrong", **_options(emulator, http)
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token(GRAPH)


@pytest.mark.parametrize("send_chain", [False, True])
def test_certificate_credential(
    emulator: Emulator, http: RecordingSession, send_chain: bool
) -> None:
    cert = emulator.certificate
    pem = cert.key_pem + cert.cert_pem
    credential = CertificateCredential(
        emulator.domain,
        emulator.app["client_id"],
        certificate_data=pem,
        send_certificate_chain=send_chain,
        **_options(emulator, http),
    )
    claims = _claims(credential.get_token(GRAPH).token)
    assert claims["appidacr"] == "2"
    assert claims["tid"] == emulator.tenant_id
    http.assert_only(emulator.url)
