"""MSAL Python, unchanged, against the emulator over HTTPS (wire-facts.md §2–3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import msal
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .conftest import Emulator, RecordingSession

pytestmark = [pytest.mark.interop, pytest.mark.server]

GRAPH = "https://graph.microsoft.com/.default"
EXCHANGE = "https://outlook.office365.com/.default"
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
ADMIN = "admin@contoso.onmicrosoft.com"


def _confidential(
    emulator: Emulator, http: RecordingSession, credential: Any, tenant: str | None = None
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        emulator.app["client_id"],
        client_credential=credential,
        authority=f"{emulator.url}/{tenant or emulator.tenant_id}",
        instance_discovery=False,
        http_client=http,
    )


def _claims(result: dict[str, Any]) -> dict[str, Any]:
    assert "access_token" in result, result
    return dict(jwt.decode(result["access_token"], options={"verify_signature": False}))


def test_secret(emulator: Emulator, http: RecordingSession) -> None:
    app = _confidential(emulator, http, emulator.app["client_secret"], tenant=emulator.domain)
    claims = _claims(app.acquire_token_for_client(scopes=[GRAPH]))
    assert claims["roles"] == ["Mail.Send"]
    assert claims["appidacr"] == "1"
    assert claims["tid"] == emulator.tenant_id
    http.assert_only(emulator.url)


def test_wrong_secret_is_explained(emulator: Emulator, http: RecordingSession) -> None:
    result = _confidential(emulator, http, "wrong").acquire_token_for_client(scopes=[GRAPH])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_certificate_rs256_with_sha1_thumbprint(emulator: Emulator, http: RecordingSession) -> None:
    cert = emulator.certificate
    credential = {"private_key": cert.key_pem.decode(), "thumbprint": cert.sha1_hex}
    claims = _claims(
        _confidential(emulator, http, credential).acquire_token_for_client(scopes=[GRAPH])
    )
    assert claims["appidacr"] == "2"
    http.assert_only(emulator.url)


def test_certificate_ps256_with_public_certificate(
    emulator: Emulator, http: RecordingSession
) -> None:
    cert = emulator.certificate
    credential = {
        "private_key": cert.key_pem.decode(),
        "public_certificate": cert.cert_pem.decode(),
    }
    claims = _claims(
        _confidential(emulator, http, credential).acquire_token_for_client(scopes=[GRAPH])
    )
    assert claims["appidacr"] == "2"


def test_certificate_from_pfx(emulator: Emulator, http: RecordingSession, tmp_path: Path) -> None:
    cert = emulator.certificate
    pfx = tmp_path / "mailer.pfx"
    pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"mailer", cert.key, cert.cert, None, serialization.BestAvailableEncryption(b"pfx-pass")
        )
    )
    credential = {"private_key_pfx_path": str(pfx), "passphrase": "pfx-pass"}
    claims = _claims(
        _confidential(emulator, http, credential).acquire_token_for_client(scopes=[EXCHANGE])
    )
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["appidacr"] == "2"


def _public(emulator: Emulator, http: RecordingSession) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        GRAPH_CLI,
        authority=f"{emulator.url}/{emulator.domain}",
        instance_discovery=False,
        http_client=http,
    )


@pytest.mark.usefixtures("auto_approve")
def test_device_flow_and_silent_refresh(emulator: Emulator, http: RecordingSession) -> None:
    app = _public(emulator, http)
    flow = app.initiate_device_flow(scopes=[GRAPH])
    assert flow["verification_uri"] == f"{emulator.url}/_emulator/devicelogin"
    assert flow["message"].startswith("To sign in, use a web browser to open the page")
    result = app.acquire_token_by_device_flow(flow)
    claims = _claims(result)
    assert claims["upn"] == ADMIN
    assert claims["idtyp"] == "user"
    assert result["id_token_claims"]["preferred_username"] == ADMIN
    [account] = app.get_accounts()
    assert account["username"] == ADMIN
    assert account["home_account_id"] == f"{claims['oid']}.{emulator.tenant_id}"
    cached = app.acquire_token_silent([GRAPH], account=account)
    assert cached is not None
    assert cached["access_token"] == result["access_token"]
    exchange = app.acquire_token_silent([EXCHANGE], account=account)
    assert exchange is not None
    assert _claims(exchange)["aud"] == "https://outlook.office365.com"
    assert _claims(exchange)["scp"] == "Exchange.Manage"
    refreshed = app.acquire_token_silent([GRAPH], account=account, force_refresh=True)
    assert refreshed is not None
    assert refreshed["access_token"] != result["access_token"]
    http.assert_only(emulator.url)


def test_device_flow_pending_then_approved_on_the_page(
    emulator: Emulator, http: RecordingSession
) -> None:
    app = _public(emulator, http)
    flow = app.initiate_device_flow(scopes=["https://graph.microsoft.com/User.Read"])
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True)
    assert pending["error"] == "authorization_pending"
    page = requests.post(
        flow["verification_uri"],
        verify=emulator.ca,
        data={
            "user_code": flow["user_code"],
            "upn": "ceo@contoso.onmicrosoft.com",
            "action": "approve",
        },
        timeout=10,
    )
    assert page.status_code == 200
    flow["latest_attempt_at"] = 0  # MSAL's own pacing; the test does not wait five seconds
    claims = _claims(app.acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True))
    assert claims["upn"] == "ceo@contoso.onmicrosoft.com"
    assert claims["scp"] == "User.Read openid profile"
    assert "wids" not in claims
