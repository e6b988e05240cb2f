"""Refresh tokens: another resource, the same user and client, and every refusal."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory

from .test_identity_device import ADMIN, EXO_POWERSHELL, GRAPH_CLI, _decode, _sign_in
from .test_identity_token import assert_entra_error


def _refresh(
    client: TestClient,
    tenant_ref: str,
    token: str,
    *,
    client_id: str = GRAPH_CLI,
    scope: str | None = None,
) -> Any:
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "refresh_token": token,
        "client_info": "1",
    }
    if scope is not None:
        form["scope"] = scope
    return client.post(f"/{tenant_ref}/oauth2/v2.0/token", data=form)


def test_refresh_token_for_another_resource(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    body = _sign_in(client, tenant.id)
    stored = state.store.all("SELECT token_sha256 FROM refresh_tokens")
    assert body["refresh_token"] not in [r[0] for r in stored]
    response = _refresh(
        client,
        tenant.id,
        body["refresh_token"],
        scope="https://outlook.office365.com/.default offline_access openid",
    )
    assert response.status_code == 200, response.text
    claims = _decode(response.json()["access_token"])
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["upn"] == ADMIN
    assert response.json()["refresh_token"] != body["refresh_token"]


def test_refresh_without_scope_reuses_the_original(client: TestClient, tenant: Any) -> None:
    body = _sign_in(client, tenant.id)
    response = _refresh(client, tenant.id, body["refresh_token"])
    assert _decode(response.json()["access_token"])["aud"] == "https://graph.microsoft.com"


def test_unknown_refresh_token_is_9002313(client: TestClient, tenant: Any) -> None:
    assert_entra_error(
        _refresh(client, tenant.id, "1.AQnot-a-token"),
        400,
        "invalid_grant",
        9002313,
        "Invalid request. Request is malformed or invalid.",
    )


def test_refresh_token_of_another_client_is_70000(client: TestClient, tenant: Any) -> None:
    body = _sign_in(client, tenant.id)
    response = _refresh(client, tenant.id, body["refresh_token"], client_id=EXO_POWERSHELL)
    assert_entra_error(
        response, 400, "invalid_grant", 70000, "Provided grant is invalid or malformed."
    )


def test_expired_refresh_token_is_700082(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    body = _sign_in(client, tenant.id)
    state.store.execute("UPDATE refresh_tokens SET expires = 0")
    response = _refresh(client, tenant.id, body["refresh_token"])
    assert response.json()["error_codes"] == [700082]
    assert (
        "The refresh token has expired due to inactivity." in response.json()["error_description"]
    )


def test_refresh_for_a_disabled_user_is_50057(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    body = _sign_in(client, tenant.id)
    state.store.execute("UPDATE users SET account_enabled = 0 WHERE upn = ?", (ADMIN,))
    assert_entra_error(
        _refresh(client, tenant.id, body["refresh_token"]),
        400,
        "invalid_grant",
        50057,
        "The user account is disabled.",
    )


def test_refresh_token_is_bound_to_its_tenant(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    body = _sign_in(client, tenant.id)
    Directory(state.store).create_tenant(
        "fabrikam.onmicrosoft.com", "Fabrikam", now=state.clock.now()
    )
    response = _refresh(client, "fabrikam.onmicrosoft.com", body["refresh_token"])
    assert response.json()["error"] == "invalid_grant"
