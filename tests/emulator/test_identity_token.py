"""The token endpoint, client-credentials grant with secrets: success and every refusal."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

import jwt
import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.graph.auth import GRAPH_AUDIENCES

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"


def _form(app: Any, **changes: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "scope": GRAPH_DEFAULT,
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _token(client: TestClient, tenant_ref: str, form: dict[str, str], **kwargs: Any) -> Any:
    return client.post(f"/{tenant_ref}/oauth2/v2.0/token", data=form, **kwargs)


def _claims(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(jwt.decode(response.json()["access_token"], options={"verify_signature": False}))


def assert_entra_error(response: Any, status: int, error: str, code: int, text: str) -> None:
    """Status, OAuth error, AADSTS code, and the exact text before the trace suffix."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    description = body["error_description"]
    assert description.startswith(f"AADSTS{code}: "), description
    assert description.split(" Trace ID: ")[0] == f"AADSTS{code}: {text}"


@pytest.fixture
def mailer(tenant: Any) -> Any:
    return tenant.apps["Timesheet Mailer"]


# -- success ------------------------------------------------------------------------------


def test_secret_in_the_body_gets_an_app_only_graph_token(
    state: EmulatorState, client: TestClient, tenant: Any, mailer: Any
) -> None:
    response = _token(client, tenant.id, _form(mailer))
    body = response.json()
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3599
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-store, no-cache"
    claims = state.signing_key.verify(
        body["access_token"], audiences=GRAPH_AUDIENCES, now=state.clock.real_now()
    )
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["roles"] == ["Mail.Send"]
    assert claims["appid"] == mailer.client_id
    assert claims["appidacr"] == "1"
    assert claims["idtyp"] == "app"
    assert claims["tid"] == tenant.id


def test_client_secret_basic(client: TestClient, tenant: Any, mailer: Any) -> None:
    raw = f"{quote_plus(mailer.client_id)}:{quote_plus(mailer.client_secret)}"
    header = {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}
    form = _form(mailer, client_id=None, client_secret=None)
    claims = _claims(_token(client, tenant.id, form, headers=header))
    assert claims["appid"] == mailer.client_id


@pytest.mark.parametrize("ref", ["domain", "upper_guid"])
def test_tenant_by_domain_or_upper_case_guid(
    client: TestClient, tenant: Any, mailer: Any, ref: str
) -> None:
    tenant_ref = tenant.domain if ref == "domain" else tenant.id.upper()
    assert _claims(_token(client, tenant_ref, _form(mailer)))["tid"] == tenant.id


@pytest.mark.parametrize(
    ("scope", "aud"),
    [
        ("00000003-0000-0000-c000-000000000000/.default", "00000003-0000-0000-c000-000000000000"),
        ("https://graph.microsoft.com//.default", "https://graph.microsoft.com/"),
        ("https://outlook.office365.com/.default", "https://outlook.office365.com"),
    ],
)
def test_resource_named_by_app_id_or_uri_becomes_the_audience(
    client: TestClient, tenant: Any, mailer: Any, scope: str, aud: str
) -> None:
    assert _claims(_token(client, tenant.id, _form(mailer, scope=scope)))["aud"] == aud


def test_exchange_token_carries_exchange_roles(client: TestClient, tenant: Any) -> None:
    form = _form(tenant.admin, scope="https://outlook.office365.com/.default")
    claims = _claims(_token(client, tenant.id, form))
    assert claims["roles"] == ["Exchange.ManageAsApp"]
    assert claims["wids"] == ["29232cdf-9323-42fd-ade2-1d097af3e4de"]


# -- the envelope -------------------------------------------------------------------------


def test_error_envelope_keys_order_and_suffix(client: TestClient, tenant: Any, mailer: Any) -> None:
    response = _token(
        client,
        tenant.id,
        _form(mailer, client_secret="wrong"),
        headers={"client-request-id": "7f5c7c8e-3b4a-4a9e-9d3c-2f1e0d9c8b7a"},
    )
    body = response.json()
    assert list(body) == [
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    ]
    assert body["correlation_id"] == "7f5c7c8e-3b4a-4a9e-9d3c-2f1e0d9c8b7a"
    assert re.fullmatch(STAMP, body["timestamp"])
    assert re.fullmatch(UUID, body["trace_id"])
    assert body["error_description"].endswith(
        f" Trace ID: {body['trace_id']} Correlation ID: {body['correlation_id']} "
        f"Timestamp: {body['timestamp']}"
    )
    assert body["error_uri"] == "https://testserver/error?code=7000215"
    assert response.headers["client-request-id"] == body["correlation_id"]
    assert response.headers["content-type"] == "application/json; charset=utf-8"


# -- client authentication ----------------------------------------------------------------


def test_wrong_secret_is_7000215(client: TestClient, tenant: Any, mailer: Any) -> None:
    response = _token(client, tenant.id, _form(mailer, client_secret="not-the-secret"))
    assert_entra_error(
        response,
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app "
        f"'{mailer.client_id}'.",
    )


def test_expired_secret_is_7000222(state: EmulatorState, client: TestClient, tenant: Any) -> None:
    directory = Directory(state.store)
    oid, app_id = directory.create_application(tenant.id, "Old App", now=state.clock.now())
    directory.create_service_principal(tenant.id, app_id, "Old App", now=state.clock.now())
    start = state.clock.now() - timedelta(days=800)
    secret = directory.add_password(
        tenant.id, oid, display_name="old", start=start, end=start + timedelta(days=730)
    )["secretText"]
    form = {
        "grant_type": "client_credentials",
        "client_id": app_id,
        "client_secret": secret,
        "scope": GRAPH_DEFAULT,
    }
    assert_entra_error(
        _token(client, tenant.id, form),
        401,
        "invalid_client",
        7000222,
        f"The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal "
        "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
        "certificate credentials for added security: https://aka.ms/certCreds.",
    )


def test_expired_secret_next_to_a_current_one_still_works(
    state: EmulatorState, client: TestClient, tenant: Any, mailer: Any
) -> None:
    app = Directory(state.store).application_by_app_id(tenant.id, mailer.client_id)
    assert app is not None
    start = state.clock.now() - timedelta(days=800)
    Directory(state.store).add_password(
        tenant.id, app["id"], display_name="old", start=start, end=start + timedelta(days=1)
    )
    assert _claims(_token(client, tenant.id, _form(mailer)))["appidacr"] == "1"


def test_no_credential_is_7000218(client: TestClient, tenant: Any, mailer: Any) -> None:
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, client_secret=None)),
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    )


def test_unknown_app_is_700016(client: TestClient, tenant: Any, mailer: Any) -> None:
    stranger = "3f2c9a1e-0000-4000-8000-000000000001"
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, client_id=stranger)),
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{stranger}' was not found in the directory "
        "'Contoso'. This can happen if the application has not been installed by the "
        "administrator of the tenant or consented to by any user in the tenant. You may have "
        "sent your authentication request to the wrong tenant.",
    )


def test_client_id_in_upper_case_works_and_is_echoed_as_sent(
    client: TestClient, tenant: Any, mailer: Any
) -> None:
    upper = mailer.client_id.upper()
    assert _claims(_token(client, tenant.id, _form(mailer, client_id=upper)))["appid"] == (
        mailer.client_id
    )
    response = _token(client, tenant.id, _form(mailer, client_id="NOT-A-GUID"))
    assert (
        "Application with identifier 'NOT-A-GUID' was not found"
        in (response.json()["error_description"])
    )


def test_app_of_another_tenant_is_700016(
    state: EmulatorState, client: TestClient, tenant: Any, mailer: Any
) -> None:
    other = Directory(state.store).create_tenant(
        "fabrikam.onmicrosoft.com", "Fabrikam", now=state.clock.now()
    )
    response = _token(client, other, _form(mailer))
    assert response.status_code == 400
    assert response.json()["error_codes"] == [700016]
    assert "directory 'Fabrikam'" in response.json()["error_description"]


def test_disabled_service_principal_is_7000112(
    state: EmulatorState, client: TestClient, tenant: Any, mailer: Any
) -> None:
    state.store.execute(
        "UPDATE service_principals SET account_enabled = 0 WHERE app_id = ?", (mailer.client_id,)
    )
    assert_entra_error(
        _token(client, tenant.id, _form(mailer)),
        400,
        "unauthorized_client",
        7000112,
        f"Application '{mailer.client_id}'(Timesheet Mailer) is disabled.",
    )


def test_app_without_service_principal_is_7000229(
    state: EmulatorState, client: TestClient, tenant: Any, mailer: Any
) -> None:
    state.store.execute("DELETE FROM service_principals WHERE app_id = ?", (mailer.client_id,))
    assert_entra_error(
        _token(client, tenant.id, _form(mailer)),
        401,
        "invalid_client",
        7000229,
        f"The client application {mailer.client_id} is missing service principal in the tenant "
        f"{tenant.id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
    )


# -- tenants ------------------------------------------------------------------------------


def test_unknown_tenant_guid_is_90002(client: TestClient, mailer: Any) -> None:
    ref = "11111111-2222-3333-4444-555555555555"
    assert_entra_error(
        _token(client, ref, _form(mailer)),
        400,
        "invalid_request",
        90002,
        f"Tenant '{ref}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may "
        "happen if there are no active subscriptions for the tenant.",
    )


def test_unknown_tenant_domain_is_90002(client: TestClient, mailer: Any) -> None:
    response = _token(client, "nowhere.onmicrosoft.com", _form(mailer))
    assert response.json()["error_codes"] == [90002]


def test_malformed_tenant_is_900023(client: TestClient, mailer: Any) -> None:
    assert_entra_error(
        _token(client, "asdf", _form(mailer)),
        400,
        "invalid_request",
        900023,
        "Specified tenant identifier 'asdf' is neither a valid DNS name, nor a valid external "
        "domain.",
    )


def test_client_credentials_on_organizations_is_50059(client: TestClient, mailer: Any) -> None:
    assert_entra_error(
        _token(client, "organizations", _form(mailer)),
        400,
        "invalid_request",
        50059,
        "No tenant-identifying information found in either the request or implied by any "
        "provided credentials.",
    )


# -- request shape ------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "scope"])
def test_missing_parameter_is_900144(
    client: TestClient, tenant: Any, mailer: Any, missing: str
) -> None:
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, **{missing: None})),
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{missing}'.",
    )


def test_json_body_reads_as_missing_grant_type(
    client: TestClient, tenant: Any, mailer: Any
) -> None:
    response = client.post(f"/{tenant.id}/oauth2/v2.0/token", json=_form(mailer))
    assert response.json()["error_codes"] == [900144]


def test_unsupported_grant_type(client: TestClient, tenant: Any, mailer: Any) -> None:
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, grant_type="password")),
        400,
        "unsupported_grant_type",
        70003,
        "The app requested an unsupported grant type 'password'.",
    )


def test_get_on_the_token_endpoint_is_900561(client: TestClient, tenant: Any) -> None:
    assert_entra_error(
        client.get(f"/{tenant.id}/oauth2/v2.0/token"),
        400,
        "invalid_request",
        900561,
        "The endpoint only accepts POST requests. Received a GET request.",
    )


# -- scopes -------------------------------------------------------------------------------


def test_scope_without_default_is_1002012(client: TestClient, tenant: Any, mailer: Any) -> None:
    scope = "https://graph.microsoft.com/Mail.Send"
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, scope=scope)),
        400,
        "invalid_scope",
        1002012,
        f"The provided value for scope {scope} is not valid. Client credential flows must have a "
        "scope value with /.default suffixed to the resource identifier (application ID URI).",
    )


def test_two_resources_is_70011(client: TestClient, tenant: Any, mailer: Any) -> None:
    scope = "https://graph.microsoft.com/.default https://outlook.office365.com/.default"
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, scope=scope)),
        400,
        "invalid_scope",
        70011,
        "The provided request must include a 'scope' input parameter. The provided value for the "
        f"input parameter 'scope' is not valid. The scope {scope} is not valid.",
    )


def test_unknown_resource_is_500011(client: TestClient, tenant: Any, mailer: Any) -> None:
    scope = "https://foo.example.com/.default"
    assert_entra_error(
        _token(client, tenant.id, _form(mailer, scope=scope)),
        400,
        "invalid_resource",
        500011,
        "The resource principal named https://foo.example.com was not found in the tenant named "
        "Contoso. This can happen if the application has not been installed by the administrator "
        "of the tenant or consented to by any user in the tenant. You might have sent your "
        "authentication request to the wrong tenant.",
    )
