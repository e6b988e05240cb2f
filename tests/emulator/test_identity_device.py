"""Device-code sign-in, the device login page, delegated tokens and refresh tokens."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState, create_app, seed_state
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.core.roles import GLOBAL_ADMINISTRATOR
from sendscope.emulator.core.state import EmulatorSettings
from sendscope.emulator.graph.auth import GRAPH_AUDIENCES, authenticate

from .test_identity_token import assert_entra_error

GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
EXO_POWERSHELL = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
MSAL_SCOPE = "https://graph.microsoft.com/.default offline_access openid profile"
ADMIN = "admin@contoso.onmicrosoft.com"


def _start(
    client: TestClient, tenant_ref: str, *, client_id: str = GRAPH_CLI, scope: str = MSAL_SCOPE
) -> Any:
    return client.post(
        f"/{tenant_ref}/oauth2/v2.0/devicecode", data={"client_id": client_id, "scope": scope}
    )


def _poll(
    client: TestClient,
    tenant_ref: str,
    device_code: str,
    *,
    client_id: str = GRAPH_CLI,
    **extra: str,
) -> Any:
    form = {
        "grant_type": DEVICE_GRANT,
        "client_id": client_id,
        "device_code": device_code,
        "client_info": "1",
        **extra,
    }
    return client.post(f"/{tenant_ref}/oauth2/v2.0/token", data=form)


def _approve(client: TestClient, user_code: str, upn: str = ADMIN) -> Any:
    return client.post(
        "/_emulator/devicelogin", data={"user_code": user_code, "upn": upn, "action": "approve"}
    )


def _sign_in(client: TestClient, tenant_ref: str, **kwargs: str) -> dict[str, Any]:
    flow = _start(client, tenant_ref, **kwargs).json()
    assert _approve(client, flow["user_code"]).status_code == 200
    response = _poll(
        client, tenant_ref, flow["device_code"], client_id=kwargs.get("client_id", GRAPH_CLI)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _decode(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


# -- the device authorization endpoint --------------------------------------------------


def test_devicecode_answers_entra_fields(client: TestClient, tenant: Any) -> None:
    body = _start(client, tenant.id).json()
    assert list(body) == [
        "user_code",
        "device_code",
        "verification_uri",
        "expires_in",
        "interval",
        "message",
    ]
    assert re.fullmatch(r"[A-Z0-9]{9}", body["user_code"])
    assert body["verification_uri"] == "https://testserver/_emulator/devicelogin"
    assert body["expires_in"] == 900
    assert body["interval"] == 5
    assert body["message"] == (
        "To sign in, use a web browser to open the page https://testserver/_emulator/devicelogin "
        f"and enter the code {body['user_code']} to authenticate."
    )


def test_devicecode_for_unknown_client_is_700016(client: TestClient, tenant: Any) -> None:
    response = _start(client, tenant.id, client_id="3f2c9a1e-0000-4000-8000-000000000001")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [700016]


def test_devicecode_for_two_resources_is_700022(client: TestClient, tenant: Any) -> None:
    scope = "https://graph.microsoft.com/User.Read https://outlook.office365.com/.default"
    assert_entra_error(
        _start(client, tenant.id, scope=scope),
        400,
        "invalid_scope",
        700022,
        "The provided value for the input parameter scope is not valid because it contains more "
        f"than one resource. Scope {scope} is not valid.",
    )


def test_devicecode_for_unknown_resource_is_500011(client: TestClient, tenant: Any) -> None:
    response = _start(client, tenant.id, scope="api://nothing/read openid")
    assert response.json()["error_codes"] == [500011]
    assert (
        "resource principal named api://nothing was not found"
        in response.json()["error_description"]
    )


def test_devicecode_without_scope_is_900144(client: TestClient, tenant: Any) -> None:
    response = client.post(f"/{tenant.id}/oauth2/v2.0/devicecode", data={"client_id": GRAPH_CLI})
    assert_entra_error(
        response,
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'scope'.",
    )


# -- polling ------------------------------------------------------------------------------


def test_polling_before_approval_is_authorization_pending(client: TestClient, tenant: Any) -> None:
    flow = _start(client, tenant.id).json()
    assert_entra_error(
        _poll(client, tenant.id, flow["device_code"]),
        400,
        "authorization_pending",
        70016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    )


def test_declined_is_authorization_declined(client: TestClient, tenant: Any) -> None:
    flow = _start(client, tenant.id).json()
    page = client.post(
        "/_emulator/devicelogin", data={"user_code": flow["user_code"], "action": "decline"}
    )
    assert "declined" in page.text
    assert_entra_error(
        _poll(client, tenant.id, flow["device_code"]),
        400,
        "authorization_declined",
        65004,
        "User declined to consent to access the app.",
    )


def test_expired_code_is_expired_token(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    flow = _start(client, tenant.id).json()
    state.store.execute("UPDATE device_codes SET expires = created - 1")
    assert_entra_error(
        _poll(client, tenant.id, flow["device_code"]),
        400,
        "expired_token",
        70019,
        "Verification code expired.",
    )


def test_unknown_and_spent_device_codes_are_bad_verification_code(
    client: TestClient, tenant: Any
) -> None:
    response = _poll(client, tenant.id, "DAQABnotacode")
    assert response.json()["error"] == "bad_verification_code"
    flow = _start(client, tenant.id).json()
    _approve(client, flow["user_code"])
    assert _poll(client, tenant.id, flow["device_code"]).status_code == 200
    again = _poll(client, tenant.id, flow["device_code"])
    assert_entra_error(
        again,
        400,
        "bad_verification_code",
        70000,
        "The provided value for the input parameter 'device_code' is not valid.",
    )


def test_another_client_cannot_redeem_the_code(client: TestClient, tenant: Any) -> None:
    flow = _start(client, tenant.id).json()
    _approve(client, flow["user_code"])
    response = _poll(client, tenant.id, flow["device_code"], client_id=EXO_POWERSHELL)
    assert_entra_error(
        response, 400, "invalid_grant", 70000, "Provided grant is invalid or malformed."
    )


def test_confidential_app_without_secret_is_7000218(client: TestClient, tenant: Any) -> None:
    mailer = tenant.apps["Timesheet Mailer"].client_id
    flow = _start(client, tenant.id, client_id=mailer).json()
    _approve(client, flow["user_code"])
    assert_entra_error(
        _poll(client, tenant.id, flow["device_code"], client_id=mailer),
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    )


def test_registered_public_client_needs_no_secret(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    directory = Directory(state.store)
    _, app_id = directory.create_application(
        tenant.id, "Desk Tool", now=state.clock.now(), props={"isFallbackPublicClient": True}
    )
    body = _sign_in(client, tenant.id, client_id=app_id)
    claims = _decode(body["access_token"])
    assert claims["appid"] == app_id
    assert claims["app_displayname"] == "Desk Tool"
    assert claims["appidacr"] == "0"


# -- the delegated token ------------------------------------------------------------------


def test_delegated_token_response_and_claims(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    body = _sign_in(client, tenant.domain)
    assert list(body) == [
        "token_type",
        "scope",
        "expires_in",
        "ext_expires_in",
        "access_token",
        "refresh_token",
        "id_token",
        "client_info",
    ]
    assert body["scope"].split() == [
        *(
            f"https://graph.microsoft.com/{s}"
            for s in (
                "User.Read",
                "Directory.ReadWrite.All",
                "Group.ReadWrite.All",
                "User.ReadWrite.All",
                "Application.ReadWrite.All",
                "AppRoleAssignment.ReadWrite.All",
                "RoleManagement.ReadWrite.Directory",
                "Mail.Send",
            )
        ),
        "https://graph.microsoft.com/.default",
        "openid",
        "profile",
        "offline_access",
    ]
    admin = Directory(state.store).user(tenant.id, ADMIN)
    assert admin is not None
    claims = state.signing_key.verify(
        body["access_token"], audiences=GRAPH_AUDIENCES, now=state.clock.real_now()
    )
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["idtyp"] == "user"
    assert claims["oid"] == admin["id"]
    assert claims["upn"] == claims["unique_name"] == ADMIN
    assert claims["name"] == "Contoso Admin"
    assert claims["appid"] == GRAPH_CLI
    assert claims["app_displayname"] == "Microsoft Graph Command Line Tools"
    assert claims["appidacr"] == "0"
    assert claims["wids"] == [GLOBAL_ADMINISTRATOR]
    assert "Mail.Send" in claims["scp"].split()
    assert "roles" not in claims
    assert claims["tid"] == tenant.id


def test_graph_sees_a_delegated_caller(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    body = _sign_in(client, tenant.id)
    header = f"Bearer {body['access_token']}".encode()
    caller = authenticate(Request({"type": "http", "headers": [(b"authorization", header)]}), state)
    admin = Directory(state.store).user(tenant.id, ADMIN)
    assert admin is not None
    assert not caller.is_app_only
    assert caller.user_id == admin["id"]
    assert caller.app_id == GRAPH_CLI
    assert {"Mail.Send", "User.ReadWrite.All"} <= caller.scopes


def test_id_token_and_client_info(state: EmulatorState, client: TestClient, tenant: Any) -> None:
    body = _sign_in(client, tenant.id)
    id_claims = jwt.decode(
        body["id_token"],
        state.signing_key.private_key.public_key(),
        algorithms=["RS256"],
        audience=GRAPH_CLI,
        issuer=f"https://testserver/{tenant.id}/v2.0",
    )
    access = _decode(body["access_token"])
    assert id_claims["oid"] == access["oid"]
    assert id_claims["preferred_username"] == ADMIN
    assert id_claims["tid"] == tenant.id
    assert id_claims["ver"] == "2.0"
    assert id_claims["sub"] == access["sub"]
    padded = body["client_info"] + "=" * (-len(body["client_info"]) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == {"uid": access["oid"], "utid": tenant.id}


def test_explicit_scope_is_granted_as_asked(client: TestClient, tenant: Any) -> None:
    body = _sign_in(client, tenant.id, scope="https://graph.microsoft.com/User.Read openid")
    assert _decode(body["access_token"])["scp"] == "User.Read openid"
    assert body["scope"] == "https://graph.microsoft.com/User.Read openid"
    assert "refresh_token" not in body


def test_exchange_default_is_exchange_manage(client: TestClient, tenant: Any) -> None:
    body = _sign_in(
        client,
        tenant.id,
        client_id=EXO_POWERSHELL,
        scope="https://outlook.office365.com/.default offline_access openid profile",
    )
    claims = _decode(body["access_token"])
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["scp"] == "Exchange.Manage"
    assert claims["app_displayname"] == "Microsoft Exchange REST API Based Powershell"


def test_sign_in_through_organizations(client: TestClient, tenant: Any) -> None:
    body = _sign_in(client, "organizations")
    assert _decode(body["access_token"])["tid"] == tenant.id


# -- auto-approval ------------------------------------------------------------------------


@pytest.fixture
def auto_client() -> Iterator[tuple[EmulatorState, TestClient]]:
    state = EmulatorState.create(settings=EmulatorSettings(auto_approve_device_codes=True))
    seed_state(state, "demo")
    with TestClient(create_app(state), base_url="https://testserver") as client:
        yield state, client
    state.close()


def test_auto_approval_signs_in_the_first_global_administrator(
    auto_client: tuple[EmulatorState, TestClient],
) -> None:
    _, client = auto_client
    flow = _start(client, "contoso.onmicrosoft.com").json()
    response = _poll(client, "contoso.onmicrosoft.com", flow["device_code"])
    assert response.status_code == 200, response.text
    assert _decode(response.json()["access_token"])["upn"] == ADMIN


# -- the device login page ------------------------------------------------------------------


def test_page_asks_for_the_code_then_lists_users(client: TestClient, tenant: Any) -> None:
    first = client.get("/_emulator/devicelogin")
    assert first.status_code == 200
    assert 'name="code"' in first.text
    flow = _start(client, tenant.id).json()
    second = client.get("/_emulator/devicelogin", params={"code": flow["user_code"].lower()})
    assert "Microsoft Graph Command Line Tools" in second.text
    assert f'<option value="{ADMIN}" selected>' in second.text
    assert 'value="ceo@contoso.onmicrosoft.com"' in second.text


def test_page_refuses_an_unknown_code(client: TestClient) -> None:
    response = client.get("/_emulator/devicelogin", params={"code": "ZZZZZZZZZ"})
    assert "recognize this code" in response.text
    posted = _approve(client, "ZZZZZZZZZ")
    assert posted.status_code == 400
    assert "recognize this code" in posted.text


def test_page_refuses_a_user_of_no_tenant_and_a_disabled_user(
    state: EmulatorState, client: TestClient, tenant: Any
) -> None:
    flow = _start(client, tenant.id).json()
    unknown = _approve(client, flow["user_code"], "nobody@contoso.onmicrosoft.com")
    assert unknown.status_code == 400
    assert "does not exist" in unknown.text
    disabled = _approve(client, flow["user_code"], "info@contoso.onmicrosoft.com")
    assert disabled.status_code == 400
    assert "is disabled" in disabled.text
    assert _poll(client, tenant.id, flow["device_code"]).json()["error"] == "authorization_pending"
