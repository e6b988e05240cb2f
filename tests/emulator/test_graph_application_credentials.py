"""Graph application credentials in the emulator: certificates by PATCH, secrets by addPassword."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.ids import iso_utc
from tests.conftest import bearer
from tests.emulator.graph_app_helpers import (
    CERT_END,
    CERT_START,
    GRAPH,
    assert_graph_error,
    certificate,
    key_credential,
)

INVALID_KEY = "Invalid certificate: Key value is invalid certificate"


@pytest.fixture
def admin(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True))


@pytest.fixture
def created(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        f"{GRAPH}/applications", json={"displayName": "Payroll Sync"}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _get(client: TestClient, admin: dict[str, str], app_id: str, query: str = "") -> Any:
    response = client.get(f"{GRAPH}/applications/{app_id}{query}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


# -- certificates --------------------------------------------------------------------------


def _add_certificate(
    client: TestClient, admin: dict[str, str], app: dict[str, Any], *entries: dict[str, Any]
) -> None:
    response = client.patch(
        f"{GRAPH}/applications/{app['id']}", headers=admin, json={"keyCredentials": list(entries)}
    )
    assert response.status_code == 204, response.text


def test_patch_adds_a_certificate(
    client: TestClient, admin: dict[str, str], created: dict[str, Any], state: EmulatorState
) -> None:
    cert, key = certificate("payroll-sync")
    _add_certificate(client, admin, created, key_credential(key, displayName="CN=payroll"))
    [credential] = _get(client, admin, created["id"])["keyCredentials"]
    sha1 = cert.fingerprint(hashes.SHA1())  # what Entra uses
    assert credential == {
        "customKeyIdentifier": base64.b64encode(sha1).decode(),
        "displayName": "CN=payroll",
        "endDateTime": iso_utc(CERT_END),
        "key": None,
        "keyId": credential["keyId"],
        "startDateTime": iso_utc(CERT_START),
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }
    row = state.store.one("SELECT * FROM key_credentials WHERE key_id = ?", (credential["keyId"],))
    assert row is not None
    der = cert.public_bytes(serialization.Encoding.DER)
    assert row["thumbprint_sha1"] == sha1.hex().upper()
    assert row["thumbprint_sha256"] == hashlib.sha256(der).hexdigest().upper()
    assert bytes(row["cert_der"]) == der


def test_certificate_key_only_on_select_of_one_object(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    _, key = certificate()
    _add_certificate(client, admin, created, key_credential(key))
    selected = _get(client, admin, created["id"], "?$select=keyCredentials")
    assert selected["keyCredentials"][0]["key"] == key
    assert selected["keyCredentials"][0]["displayName"] == "CN=sendscope test"
    listed = client.get(
        f"{GRAPH}/applications?$select=keyCredentials&$filter=appId eq '{created['appId']}'",
        headers=admin,
    ).json()["value"]
    assert listed[0]["keyCredentials"][0]["key"] is None


def test_patch_keeps_named_certificates_and_drops_the_rest(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    _, first = certificate("first")
    _, second = certificate("second")
    _add_certificate(client, admin, created, key_credential(first))
    [kept] = _get(client, admin, created["id"])["keyCredentials"]
    existing = {k: v for k, v in kept.items() if k != "key"}
    _add_certificate(client, admin, created, existing, key_credential(second))
    names = [k["displayName"] for k in _get(client, admin, created["id"])["keyCredentials"]]
    assert sorted(names) == ["CN=first", "CN=second"]
    same_key = key_credential(first, keyId=kept["keyId"])
    _add_certificate(client, admin, created, same_key)
    assert [k["keyId"] for k in _get(client, admin, created["id"])["keyCredentials"]] == [
        kept["keyId"]
    ]
    _add_certificate(client, admin, created)
    assert _get(client, admin, created["id"])["keyCredentials"] == []


def _end(days: int) -> str:
    return iso_utc(CERT_END + timedelta(days=days))


@pytest.mark.parametrize(
    ("entry", "code", "message"),
    [
        (
            {"type": "AsymmetricX509Cert", "usage": "Verify", "key": "not base64!"},
            "Request_BadRequest",
            INVALID_KEY,
        ),
        (
            {"type": "AsymmetricX509Cert", "usage": "Verify", "key": "aGVsbG8="},
            "Request_BadRequest",
            INVALID_KEY,
        ),
        ({"type": "AsymmetricX509Cert", "usage": "Verify"}, "Request_BadRequest", INVALID_KEY),
        (
            {"type": "AsymmetricX509Cert", "usage": "Encrypt", "key": "x"},
            "Request_BadRequest",
            'The value for the property "usage" in one of your credentials is invalid. '
            "Acceptable values are Sign, Verify.",
        ),
        (
            {"type": "Certificate", "usage": "Verify", "key": "x"},
            "Request_BadRequest",
            'The value for the property "type" in one of your credentials is invalid. Acceptable '
            "values are AsymmetricX509Cert, X509CertAndPassword, Symmetric.",
        ),
        (
            {"type": "AsymmetricX509Cert", "usage": "Sign", "key": "x"},
            "Request_BadRequest",
            "The emulator supports only certificate credentials of type AsymmetricX509Cert with "
            "usage Verify.",
        ),
        (
            "a string",
            "BadRequest",
            "Property keyCredentials in payload has a value that does not match schema.",
        ),
        (
            {"type": "AsymmetricX509Cert", "usage": "Verify", "keyId": "nope"},
            "BadRequest",
            "Cannot convert the literal 'nope' to the expected type 'Edm.Guid'.",
        ),
    ],
)
def test_patch_refuses_bad_certificates(
    client: TestClient,
    admin: dict[str, str],
    created: dict[str, Any],
    entry: Any,
    code: str,
    message: str,
) -> None:
    response = client.patch(
        f"{GRAPH}/applications/{created['id']}", headers=admin, json={"keyCredentials": [entry]}
    )
    assert_graph_error(response, 400, code, message)
    assert _get(client, admin, created["id"])["keyCredentials"] == []


@pytest.mark.parametrize(
    ("dates", "code", "message"),
    [
        ({"endDateTime": _end(1)}, "Request_BadRequest", "Key credential end date is invalid."),
        (
            {"startDateTime": iso_utc(CERT_START - timedelta(days=1))},
            "Request_BadRequest",
            "Key credential start date is invalid.",
        ),
        (
            {"startDateTime": "2027-01-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"},
            "Request_BadRequest",
            "Key credential end date is invalid.",
        ),
        (
            {"endDateTime": "soon"},
            "BadRequest",
            "Cannot convert the literal 'soon' to the expected type 'Edm.DateTimeOffset'.",
        ),
    ],
)
def test_patch_refuses_dates_outside_the_certificate(
    client: TestClient,
    admin: dict[str, str],
    created: dict[str, Any],
    dates: dict[str, str],
    code: str,
    message: str,
) -> None:
    _, key = certificate()
    response = client.patch(
        f"{GRAPH}/applications/{created['id']}",
        headers=admin,
        json={"keyCredentials": [key_credential(key, **dates)]},
    )
    assert_graph_error(response, 400, code, message)


def test_patch_takes_narrower_dates(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    _, key = certificate()
    entry = key_credential(
        key, startDateTime="2026-01-01T00:00:00Z", endDateTime="2027-06-30T12:00:00.1234567Z"
    )
    _add_certificate(client, admin, created, entry)
    [credential] = _get(client, admin, created["id"])["keyCredentials"]
    assert (credential["startDateTime"], credential["endDateTime"]) == (
        "2026-01-01T00:00:00Z",
        "2027-06-30T12:00:00Z",
    )


def test_patch_refuses_a_new_key_under_an_existing_key_id(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    _, first = certificate("first")
    _, other = certificate("other")
    _add_certificate(client, admin, created, key_credential(first))
    [kept] = _get(client, admin, created["id"])["keyCredentials"]
    response = client.patch(
        f"{GRAPH}/applications/{created['id']}",
        headers=admin,
        json={"keyCredentials": [key_credential(other, keyId=kept["keyId"])]},
    )
    assert_graph_error(
        response,
        400,
        "Request_BadRequest",
        "Update to existing credential with KeyId is not allowed.",
    )


# -- secrets -------------------------------------------------------------------------------


def test_add_password_shows_the_secret_once(
    client: TestClient, admin: dict[str, str], created: dict[str, Any], state: EmulatorState
) -> None:
    before = state.clock.now().replace(microsecond=0)
    response = client.post(f"{GRAPH}/applications/{created['id']}/addPassword", headers=admin)
    assert response.status_code == 200, response.text
    secret = response.json()
    assert secret["@odata.context"].endswith("$metadata#microsoft.graph.passwordCredential")
    assert len(secret["secretText"]) == 40 and secret["hint"] == secret["secretText"][:3]
    start = datetime.fromisoformat(secret["startDateTime"])
    end = datetime.fromisoformat(secret["endDateTime"])
    assert before <= start <= state.clock.now() and end - start == timedelta(days=730)
    [shown] = _get(client, admin, created["id"])["passwordCredentials"]
    assert shown == {
        "customKeyIdentifier": None,
        "displayName": None,
        "endDateTime": secret["endDateTime"],
        "hint": secret["hint"],
        "keyId": secret["keyId"],
        "secretText": None,
        "startDateTime": secret["startDateTime"],
    }
    stored = state.store.scalar(
        "SELECT secret_sha256 FROM password_credentials WHERE key_id = ?", (secret["keyId"],)
    )
    assert stored == hashlib.sha256(secret["secretText"].encode()).hexdigest()


def test_add_password_by_app_id_with_its_own_dates(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    body = {
        "passwordCredential": {
            "displayName": "rotation 2026",
            "startDateTime": "2026-02-01T00:00:00Z",
            "endDateTime": "2026-08-01T00:00:00Z",
        }
    }
    response = client.post(
        f"{GRAPH}/applications(appId='{created['appId']}')/addPassword", json=body, headers=admin
    )
    secret = response.json()
    assert (secret["displayName"], secret["startDateTime"], secret["endDateTime"]) == (
        "rotation 2026",
        "2026-02-01T00:00:00Z",
        "2026-08-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {
                "passwordCredential": {
                    "startDateTime": "2026-02-01T00:00:00Z",
                    "endDateTime": "2026-01-01T00:00:00Z",
                }
            },
            "Request_BadRequest",
            "Password credential end date is invalid.",
        ),
        (
            {"passwordCredential": "secret"},
            "BadRequest",
            "Property passwordCredential in payload has a value that does not match schema.",
        ),
        (
            {"passwordCredential": {"displayName": 7}},
            "BadRequest",
            "Cannot convert the literal '7' to the expected type 'Edm.String'.",
        ),
        (
            {"passwordCredential": {"endDateTime": "tomorrow"}},
            "BadRequest",
            "Cannot convert the literal 'tomorrow' to the expected type 'Edm.DateTimeOffset'.",
        ),
    ],
)
def test_add_password_refuses_bad_bodies(
    client: TestClient,
    admin: dict[str, str],
    created: dict[str, Any],
    body: dict[str, Any],
    code: str,
    message: str,
) -> None:
    response = client.post(
        f"{GRAPH}/applications/{created['id']}/addPassword", json=body, headers=admin
    )
    assert_graph_error(response, 400, code, message)


def test_remove_password(
    client: TestClient, admin: dict[str, str], created: dict[str, Any]
) -> None:
    url = f"{GRAPH}/applications/{created['id']}"
    key_id = client.post(f"{url}/addPassword", headers=admin).json()["keyId"]
    response = client.post(f"{url}/removePassword", json={"keyId": key_id}, headers=admin)
    assert response.status_code == 204
    assert _get(client, admin, created["id"])["passwordCredentials"] == []
    again = client.post(f"{url}/removePassword", json={"keyId": key_id}, headers=admin)
    assert_graph_error(
        again, 400, "Request_BadRequest", f"No password credential found with keyId '{key_id}'."
    )


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({}, "Request_BadRequest", "A value is required for property 'keyId'."),
        (
            {"keyId": "abc"},
            "BadRequest",
            "Cannot convert the literal 'abc' to the expected type 'Edm.Guid'.",
        ),
    ],
)
def test_remove_password_refuses_bad_bodies(
    client: TestClient,
    admin: dict[str, str],
    created: dict[str, Any],
    body: dict[str, Any],
    code: str,
    message: str,
) -> None:
    response = client.post(
        f"{GRAPH}/applications/{created['id']}/removePassword", json=body, headers=admin
    )
    assert_graph_error(response, 400, code, message)
