"""Control plane: reset, tenants (list, create from a fixture, get, delete)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.ids import guid
from tests.conftest import Tenant
from tests.emulator.test_control_outbox import add_sent


def fabrikam(**extra: Any) -> dict[str, Any]:
    return {
        "domain": "fabrikam.onmicrosoft.com",
        "displayName": "Fabrikam",
        "users": [
            {"userPrincipalName": "ceo"},
            {"userPrincipalName": "info", "mailbox": "SharedMailbox"},
            {"userPrincipalName": "guest", "mailbox": "none"},
        ],
        "groups": [{"displayName": "Senders", "kind": "mailEnabledSecurity", "members": ["ceo"]}],
        "apps": [
            {"displayName": "Fab Mailer", "roles": ["Mail.Send"]},
            {"displayName": "Fab admin", "admin": True, "roles": ["User.Read.All"]},
        ],
        **extra,
    }


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def tenant_count(state: EmulatorState) -> int:
    return int(state.store.scalar("SELECT COUNT(*) FROM tenants"))


# -- GET /_emulator/tenants ----------------------------------------------------------------


def test_tenants_lists_the_demo_tenant_with_its_counts(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/_emulator/tenants")

    assert response.status_code == 200
    assert response.json() == {
        "tenants": [
            {
                "id": tenant.id,
                "domain": "contoso.onmicrosoft.com",
                "displayName": "Contoso",
                # 50 users; the contractor has no mailbox, info is a shared mailbox.
                "counts": {"users": 50, "mailboxes": 49, "groups": 2, "apps": 2},
            }
        ]
    }


def test_tenants_do_not_show_secrets(client: TestClient, tenant: Tenant) -> None:
    text = client.get("/_emulator/tenants").text

    assert tenant.admin.client_secret not in text
    assert tenant.apps["Timesheet Mailer"].client_secret not in text


# -- POST /_emulator/tenants ---------------------------------------------------------------


def test_post_tenant_creates_it_and_answers_its_credentials(
    client: TestClient, state: EmulatorState
) -> None:
    response = client.post("/_emulator/tenants", json=fabrikam())

    assert response.status_code == 201
    body = response.json()
    assert body["domain"] == "fabrikam.onmicrosoft.com"
    assert response.headers["location"] == f"/_emulator/tenants/{body['id']}"
    assert set(body) == {"id", "domain", "admin", "apps"}
    assert set(body["admin"]) == {"client_id", "client_secret"}
    assert [(a["name"], a["roles"]) for a in body["apps"]] == [("Fab Mailer", ["Mail.Send"])]
    assert len(body["apps"][0]["client_secret"]) == 40
    assert state.tenant("fabrikam.onmicrosoft.com")["id"] == body["id"]


def test_post_tenant_credentials_are_the_stored_ones(
    client: TestClient, state: EmulatorState
) -> None:
    body = client.post("/_emulator/tenants", json=fabrikam()).json()

    listed = client.get(f"/_emulator/tenants/{body['id']}").json()
    assert listed["admin"] == body["admin"]
    assert listed["apps"] == body["apps"]
    assert listed["counts"] == {"users": 3, "mailboxes": 2, "groups": 1, "apps": 2}


def test_post_tenant_with_an_id_keeps_it(client: TestClient) -> None:
    tenant_id = guid()

    response = client.post("/_emulator/tenants", json=fabrikam(id=tenant_id.upper()))

    assert response.status_code == 201
    assert response.json()["id"] == tenant_id


def test_post_tenant_with_a_taken_domain_is_invalid_fixture(
    client: TestClient, state: EmulatorState
) -> None:
    response = client.post("/_emulator/tenants", json={"domain": "contoso.onmicrosoft.com"})

    assert error(response) == (
        400,
        "InvalidFixture",
        "a tenant with domain 'contoso.onmicrosoft.com' exists already: pick another domain",
    )
    assert tenant_count(state) == 1


def test_post_tenant_with_a_taken_id_is_invalid_fixture(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/_emulator/tenants", json=fabrikam(id=tenant.id))

    assert error(response) == (
        400,
        "InvalidFixture",
        f"a tenant with id '{tenant.id}' exists already: pick another id or leave it out",
    )


def test_post_tenant_with_an_id_that_is_no_guid_is_invalid_fixture(client: TestClient) -> None:
    response = client.post("/_emulator/tenants", json=fabrikam(id="fabrikam"))

    assert error(response) == (
        400,
        "InvalidFixture",
        "fixture field 'id' must be a tenant GUID, not 'fabrikam'",
    )


def test_post_tenant_without_domain_is_invalid_fixture(client: TestClient) -> None:
    response = client.post("/_emulator/tenants", json={"displayName": "Nameless"})

    assert error(response) == (
        400,
        "InvalidFixture",
        "fixture field 'domain' must be a non-empty string: the tenant's domain, "
        "e.g. contoso.onmicrosoft.com",
    )


def test_post_tenant_with_an_unknown_permission_creates_nothing(
    client: TestClient, state: EmulatorState
) -> None:
    fixture = fabrikam(apps=[{"displayName": "Odd", "roles": ["Mail.SendEverything"]}])

    response = client.post("/_emulator/tenants", json=fixture)

    assert error(response) == (
        400,
        "InvalidFixture",
        "app Odd: 'Mail.SendEverything' is not an application permission of Microsoft Graph",
    )
    assert tenant_count(state) == 1
    assert state.store.scalar("SELECT COUNT(*) FROM users WHERE upn LIKE '%fabrikam%'") == 0


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            {"domain": "f.example", "users": "ceo"},
            "fixture field 'users' must be a list of objects",
        ),
        (
            {"domain": "f.example", "bulkUsers": {"count": "many"}},
            "fixture field 'bulkUsers' must be an object like",
        ),
        (
            {"domain": "f.example", "users": [{"userPrincipalName": "a"}] * 2},
            "user a@f.example is defined twice",
        ),
    ],
)
def test_post_tenant_of_the_wrong_shape_is_invalid_fixture_not_500(
    client: TestClient, state: EmulatorState, fixture: dict[str, Any], expected: str
) -> None:
    status, code, message = error(client.post("/_emulator/tenants", json=fixture))

    assert (status, code) == (400, "InvalidFixture")
    assert message.startswith(expected)
    assert state.tenant("f.example") is None


def test_post_tenant_with_bad_json_is_invalid_json(client: TestClient) -> None:
    response = client.post("/_emulator/tenants", content=b'{"domain": ')

    status, code, message = error(response)
    assert (status, code) == (400, "InvalidJson")
    assert message.startswith("The request body is not valid JSON: Expecting value")


def test_post_tenant_with_an_array_is_invalid_request(client: TestClient) -> None:
    response = client.post("/_emulator/tenants", json=[fabrikam()])

    assert error(response) == (
        400,
        "InvalidRequest",
        "The request body must be a JSON object, not an array.",
    )


def test_post_tenant_with_no_body_is_invalid_request(client: TestClient) -> None:
    response = client.post("/_emulator/tenants")

    assert error(response) == (
        400,
        "InvalidRequest",
        "The request body is empty: send a JSON object.",
    )


# -- GET / DELETE /_emulator/tenants/{id} --------------------------------------------------


def test_get_tenant_by_domain_has_credentials(client: TestClient, tenant: Tenant) -> None:
    body = client.get("/_emulator/tenants/contoso.onmicrosoft.com").json()

    assert body["id"] == tenant.id
    assert body["admin"] == {
        "client_id": tenant.admin.client_id,
        "client_secret": tenant.admin.client_secret,
    }
    assert body["apps"][0]["name"] == "Timesheet Mailer"
    assert body["apps"][0]["roles"] == ["Mail.Send"]


def test_get_unknown_tenant_is_not_found(client: TestClient) -> None:
    response = client.get("/_emulator/tenants/nowhere.example")

    assert error(response) == (
        404,
        "NotFound",
        "There is no tenant 'nowhere.example' in this emulator: GET /_emulator/tenants lists "
        "the tenants.",
    )


def test_delete_tenant_removes_everything_of_it_and_nothing_else(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    other = client.post("/_emulator/tenants", json=fabrikam()).json()["id"]
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "stays")
    add_sent(state, other, "ceo@fabrikam.onmicrosoft.com", "goes")

    response = client.delete(f"/_emulator/tenants/{other}")

    assert response.status_code == 200
    assert response.json()["deleted"]["domain"] == "fabrikam.onmicrosoft.com"
    for table in (
        "users",
        "recipients",
        "groups",
        "applications",
        "service_principals",
        "app_role_assignments",
        "seed_credentials",
        "outbox",
    ):
        assert (
            state.store.scalar(f"SELECT COUNT(*) FROM {table} WHERE tenant_id = ?", (other,)) == 0
        ), table
    assert state.tenant(other) is None
    assert [t["id"] for t in client.get("/_emulator/tenants").json()["tenants"]] == [tenant.id]
    assert state.store.scalar("SELECT COUNT(*) FROM outbox") == 1


def test_delete_unknown_tenant_is_not_found(client: TestClient) -> None:
    missing = guid()

    response = client.delete(f"/_emulator/tenants/{missing}")

    assert error(response) == (
        404,
        "NotFound",
        f"There is no tenant '{missing}' in this emulator: GET /_emulator/tenants lists "
        "the tenants.",
    )


# -- POST /_emulator/reset -----------------------------------------------------------------


def test_reset_without_body_wipes_everything(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "hello")

    response = client.post("/_emulator/reset")

    assert response.status_code == 200
    assert response.json() == {"tenants": []}
    for table in ("tenants", "users", "outbox", "seed_credentials", "applications"):
        assert state.store.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table


def test_reset_keeps_the_signing_key(client: TestClient, state: EmulatorState) -> None:
    before = dict(state.store.all("SELECT key, value FROM meta"))

    client.post("/_emulator/reset")

    assert dict(state.store.all("SELECT key, value FROM meta")) == before


@pytest.mark.parametrize(
    ("seed", "counts", "apps"),
    [
        ("demo", {"users": 50, "mailboxes": 49, "groups": 2, "apps": 2}, ["Timesheet Mailer"]),
        ("empty", {"users": 0, "mailboxes": 0, "groups": 0, "apps": 1}, []),
    ],
)
def test_reset_with_a_seed_answers_the_new_tenant_with_credentials(
    client: TestClient, tenant: Tenant, seed: str, counts: dict[str, int], apps: list[str]
) -> None:
    response = client.post("/_emulator/reset", json={"seed": seed})

    assert response.status_code == 200
    [new] = response.json()["tenants"]
    assert new["id"] != tenant.id
    assert new["domain"] == "contoso.onmicrosoft.com"
    assert new["counts"] == counts
    assert [a["name"] for a in new["apps"]] == apps
    assert new["admin"]["client_secret"] != tenant.admin.client_secret
    listed = client.get("/_emulator/tenants").json()["tenants"]
    assert [t["id"] for t in listed] == [new["id"]]


def test_reset_with_an_unknown_seed_changes_nothing(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    response = client.post("/_emulator/reset", json={"seed": "huge"})

    assert error(response) == (400, "InvalidRequest", "seed 'huge' is not one of: demo, empty")
    assert state.tenant(tenant.id) is not None


def test_reset_with_a_seed_that_is_no_string_is_invalid(client: TestClient) -> None:
    response = client.post("/_emulator/reset", json={"seed": 1})

    assert error(response) == (
        400,
        "InvalidRequest",
        "'seed' must be a string such as \"demo\", not 1.",
    )


def test_reset_with_bad_json_is_invalid_json(client: TestClient, state: EmulatorState) -> None:
    response = client.post("/_emulator/reset", content=b"{seed: demo}")

    status, code, message = error(response)
    assert (status, code) == (400, "InvalidJson")
    assert message.startswith("The request body is not valid JSON: Expecting property name")
    assert tenant_count(state) == 1
