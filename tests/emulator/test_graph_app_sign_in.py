"""An app built through Graph alone signs in at the token endpoint, as in a real tenant.

Registration, certificate, secret, service principal and grant all go through Graph;
the token endpoint then reads what Graph wrote.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import GRAPH_APP_ID, Directory
from tests.cert_helpers import make_certificate
from tests.conftest import Tenant, bearer
from tests.emulator.graph_app_helpers import GRAPH, MAIL_SEND, claims, key_credential
from tests.emulator.test_identity_certs import JWT_BEARER, assertion_claims, sign_assertion

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True))


@pytest.fixture
def built(
    client: TestClient, admin: dict[str, str], state: EmulatorState, tenant: Tenant
) -> dict[str, Any]:
    """An app with a secret, a certificate, a service principal and Mail.Send."""
    app = client.post(f"{GRAPH}/applications", json={"displayName": "Built"}, headers=admin).json()
    secret = client.post(f"{GRAPH}/applications/{app['id']}/addPassword", headers=admin).json()
    certificate = make_certificate("sign-in test")
    key = base64.b64encode(certificate.der).decode()
    patched = client.patch(
        f"{GRAPH}/applications/{app['id']}",
        headers=admin,
        json={"keyCredentials": [key_credential(key)]},
    )
    assert patched.status_code == 204
    sp = client.post(
        f"{GRAPH}/servicePrincipals", json={"appId": app["appId"]}, headers=admin
    ).json()
    graph = Directory(state.store).service_principal_by_app_id(tenant.id, GRAPH_APP_ID)
    assert graph is not None
    granted = client.post(
        f"{GRAPH}/servicePrincipals/{graph['id']}/appRoleAssignedTo",
        headers=admin,
        json={"principalId": sp["id"], "resourceId": graph["id"], "appRoleId": MAIL_SEND},
    )
    assert granted.status_code == 201
    return {"app": app, "secret": secret, "certificate": certificate, "sp": sp}


def _token(client: TestClient, tenant: Tenant, client_id: str, **credential: str) -> Any:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "scope": GRAPH_DEFAULT,
        **credential,
    }
    return client.post(f"/{tenant.id}/oauth2/v2.0/token", data=form)


def test_secret_from_add_password_signs_in_with_the_granted_role(
    client: TestClient, tenant: Tenant, built: dict[str, Any]
) -> None:
    response = _token(
        client, tenant, built["app"]["appId"], client_secret=built["secret"]["secretText"]
    )
    assert response.status_code == 200, response.text
    token = claims(response.json()["access_token"])
    assert (token["roles"], token["oid"], token["appidacr"]) == (
        ["Mail.Send"],
        built["sp"]["id"],
        "1",
    )


def test_certificate_from_patch_signs_in(
    client: TestClient, tenant: Tenant, built: dict[str, Any]
) -> None:
    client_id = built["app"]["appId"]
    audience = f"https://testserver/{tenant.id}/oauth2/v2.0/token"
    assertion = sign_assertion(built["certificate"], assertion_claims(client_id, audience))
    response = _token(
        client, tenant, client_id, client_assertion_type=JWT_BEARER, client_assertion=assertion
    )
    assert response.status_code == 200, response.text
    assert claims(response.json()["access_token"])["appidacr"] == "2"


def test_removed_secret_no_longer_signs_in(
    client: TestClient, admin: dict[str, str], tenant: Tenant, built: dict[str, Any]
) -> None:
    removed = client.post(
        f"{GRAPH}/applications/{built['app']['id']}/removePassword",
        json={"keyId": built["secret"]["keyId"]},
        headers=admin,
    )
    assert removed.status_code == 204
    response = _token(
        client, tenant, built["app"]["appId"], client_secret=built["secret"]["secretText"]
    )
    assert response.status_code == 401
    assert response.json()["error_codes"] == [7000215]


def test_disabled_service_principal_cannot_sign_in(
    client: TestClient, admin: dict[str, str], tenant: Tenant, built: dict[str, Any]
) -> None:
    disabled = client.patch(
        f"{GRAPH}/servicePrincipals/{built['sp']['id']}",
        json={"accountEnabled": False},
        headers=admin,
    )
    assert disabled.status_code == 204
    response = _token(
        client, tenant, built["app"]["appId"], client_secret=built["secret"]["secretText"]
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error_codes"] == [7000112]
    assert body["error_description"].startswith(
        f"AADSTS7000112: Application '{built['app']['appId']}'(Built) is disabled."
    )
