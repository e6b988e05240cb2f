"""Discovery documents: OpenID configuration, keys, instance discovery."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from .test_identity_token import assert_entra_error

BASE = "https://testserver"


@pytest.mark.parametrize("ref", ["id", "domain"])
def test_openid_configuration_of_a_tenant(client: TestClient, tenant: Any, ref: str) -> None:
    tenant_ref = tenant.id if ref == "id" else tenant.domain
    response = client.get(f"/{tenant_ref}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    root = f"{BASE}/{tenant.id}"
    assert doc["token_endpoint"] == f"{root}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{root}/oauth2/v2.0/authorize"
    assert doc["device_authorization_endpoint"] == f"{root}/oauth2/v2.0/devicecode"
    assert doc["jwks_uri"] == f"{root}/discovery/v2.0/keys"
    assert doc["issuer"] == f"{root}/v2.0"
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
    ]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


@pytest.mark.parametrize("alias", ["common", "organizations"])
def test_openid_configuration_of_an_alias(client: TestClient, alias: str) -> None:
    doc = client.get(f"/{alias}/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == f"{BASE}/{alias}/oauth2/v2.0/token"
    assert doc["issuer"] == f"{BASE}/{{tenantid}}/v2.0"
    assert doc["tenant_region_scope"] is None


def test_openid_configuration_of_unknown_tenant_is_invalid_tenant(client: TestClient) -> None:
    response = client.get("/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert_entra_error(
        response,
        400,
        "invalid_tenant",
        90002,
        "Tenant 'nowhere.onmicrosoft.com' not found. Check to make sure you have the correct "
        "tenant ID and are signing into the correct cloud. Check with your subscription "
        "administrator, this may happen if there are no active subscriptions for the tenant.",
    )


@pytest.mark.parametrize("path", ["discovery/v2.0/keys", "discovery/keys"])
def test_keys_verify_the_emulators_tokens(
    client: TestClient, tenant: Any, token: Any, path: str
) -> None:
    keys = client.get(f"/{tenant.id}/{path}").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["use"] == "sig"
    assert keys[0]["issuer"] == f"{BASE}/{tenant.id}/v2.0"
    access_token = token("Timesheet Mailer")
    assert jwt.get_unverified_header(access_token)["kid"] == keys[0]["kid"]
    public_key = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(
        access_token, public_key, algorithms=["RS256"], audience="https://graph.microsoft.com"
    )
    assert claims["tid"] == tenant.id


def test_keys_of_common(client: TestClient) -> None:
    keys = client.get("/common/discovery/v2.0/keys").json()["keys"]
    assert keys[0]["issuer"] == f"{BASE}/{{tenantid}}/v2.0"


def test_instance_discovery_points_at_this_host(client: TestClient, tenant: Any) -> None:
    response = client.get(
        "/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": f"{BASE}/{tenant.domain}/oauth2/v2.0/authorize",
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "tenant_discovery_endpoint": (
            f"{BASE}/{tenant.domain}/v2.0/.well-known/openid-configuration"
        ),
        "api-version": "1.1",
        "metadata": [
            {
                "preferred_network": "testserver",
                "preferred_cache": "testserver",
                "aliases": ["testserver"],
            }
        ],
    }


def test_instance_discovery_of_another_host_is_50049(client: TestClient) -> None:
    response = client.get(
        "/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": "https://login.example.com/x/oauth2/v2.0/authorize",
        },
    )
    assert_entra_error(response, 400, "invalid_instance", 50049, "Unknown or invalid instance.")
