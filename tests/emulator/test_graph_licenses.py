"""Licences on the wire: subscribedSkus, assignLicense and the mailbox that comes and goes
with an Exchange plan; and GET /organization."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from tests.conftest import Tenant, bearer
from tests.emulator.directory_helpers import (
    E1,
    E3,
    EXCHANGE_PLAN1,
    EXCHANGE_PLAN2,
    POWER_BI,
    app_token,
    assert_error,
    fabrikam,
)

DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


@pytest.fixture
def fab(state: EmulatorState) -> tuple[str, dict[str, str]]:
    tid, token = fabrikam(state)
    return tid, bearer(token)


def assign(
    client: TestClient,
    headers: dict[str, str],
    nick: str,
    add: list[dict[str, Any]],
    remove: list[str] | None = None,
) -> Any:
    return client.post(
        f"/v1.0/users/{nick}@fabrikam.onmicrosoft.com/assignLicense",
        json={"addLicenses": add, "removeLicenses": remove or []},
        headers=headers,
    )


def lic(sku: str, *disabled: str) -> dict[str, Any]:
    return {"disabledPlans": list(disabled), "skuId": sku}


def recipient_type(state: EmulatorState, tid: str, nick: str) -> str | None:
    directory = Directory(state.store)
    user = directory.user(tid, f"{nick}@fabrikam.onmicrosoft.com")
    assert user is not None
    row = directory.recipient(tid, user["id"])
    return None if row is None else str(row["recipient_type_details"])


def consumed(client: TestClient, headers: dict[str, str]) -> dict[str, int]:
    body = client.get("/v1.0/subscribedSkus", headers=headers).json()
    return {s["skuPartNumber"]: s["consumedUnits"] for s in body["value"]}


# -- subscribedSkus --------------------------------------------------------------------


def test_subscribed_skus_shape(client: TestClient, fab: tuple[str, dict[str, str]]) -> None:
    tid, headers = fab
    body = client.get("/v1.0/subscribedSkus", headers=headers).json()
    assert body["@odata.context"] == "https://testserver/v1.0/$metadata#subscribedSkus"
    e3 = next(s for s in body["value"] if s["skuId"] == E3)
    assert e3 == {
        "accountName": "fabrikam",
        "accountId": tid,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": 0,
        "id": f"{tid}_{E3}",
        "prepaidUnits": {"enabled": 2, "lockedOut": 0, "suspended": 0, "warning": 0},
        "servicePlans": [
            {
                "servicePlanId": EXCHANGE_PLAN2,
                "servicePlanName": "EXCHANGE_S_ENTERPRISE",
                "provisioningStatus": "Success",
                "appliesTo": "User",
            }
        ],
        "skuId": E3,
        "skuPartNumber": "SPE_E3",
        "subscriptionIds": e3["subscriptionIds"],
    }
    assert len(e3["subscriptionIds"]) == 1
    one = client.get(f"/v1.0/subscribedSkus/{tid}_{E3}", headers=headers).json()
    assert one["skuPartNumber"] == "SPE_E3"
    assert one["@odata.context"].endswith("$metadata#subscribedSkus/$entity")
    assert_error(
        client.get(f"/v1.0/subscribedSkus/{tid}_nothing", headers=headers),
        404,
        "Request_ResourceNotFound",
        f"Resource '{tid}_nothing' does not exist or one of its queried "
        "reference-property objects are not present.",
    )


def test_subscribed_skus_need_a_permission(
    client: TestClient, state: EmulatorState, tenant: Tenant, token: Callable[..., str]
) -> None:
    assert_error(
        client.get("/v1.0/subscribedSkus", headers=bearer(token("Timesheet Mailer"))), 403, *DENIED
    )
    reader = bearer(app_token(state, tenant.id, ["LicenseAssignment.Read.All"]))
    assert client.get("/v1.0/subscribedSkus", headers=reader).status_code == 200


# -- assignLicense and the mailbox -----------------------------------------------------


def test_users_of_a_tenant_without_auto_mailbox_start_without_one(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assert recipient_type(state, tid, "ann") is None
    assert recipient_type(state, tid, "shared") == "SharedMailbox"
    body = client.get("/v1.0/users/ann@fabrikam.onmicrosoft.com", headers=headers).json()
    assert body["mail"] is None


def test_an_exchange_licence_brings_a_mailbox(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    response = assign(client, headers, "ann", [lic(E3)])
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == "https://testserver/v1.0/$metadata#users/$entity"
    assert (body["userPrincipalName"], body["mail"]) == (
        "ann@fabrikam.onmicrosoft.com",
        "ann@fabrikam.onmicrosoft.com",
    )
    assert recipient_type(state, tid, "ann") == "UserMailbox"
    selected = client.get(
        "/v1.0/users/ann@fabrikam.onmicrosoft.com?$select=assignedLicenses", headers=headers
    ).json()
    assert selected["assignedLicenses"] == [{"disabledPlans": [], "skuId": E3}]
    assert consumed(client, headers)["SPE_E3"] == 1


def test_assigned_licenses_in_a_list(client: TestClient, fab: tuple[str, dict[str, str]]) -> None:
    _, headers = fab
    assign(client, headers, "ann", [lic(E3), lic(POWER_BI)])
    body = client.get(
        "/v1.0/users?$select=userPrincipalName,assignedLicenses", headers=headers
    ).json()
    licences = {u["userPrincipalName"].split("@")[0]: u["assignedLicenses"] for u in body["value"]}
    assert licences["ann"] == [
        {"disabledPlans": [], "skuId": E3},
        {"disabledPlans": [], "skuId": POWER_BI},
    ]
    assert licences["bob"] == []


@pytest.mark.parametrize("licence", [lic(E3, EXCHANGE_PLAN2), lic(POWER_BI)])
def test_licences_without_an_enabled_exchange_plan_bring_no_mailbox(
    client: TestClient,
    fab: tuple[str, dict[str, str]],
    state: EmulatorState,
    licence: dict[str, Any],
) -> None:
    tid, headers = fab
    assert assign(client, headers, "ann", [licence]).status_code == 200
    assert recipient_type(state, tid, "ann") is None


def test_removing_the_last_exchange_licence_removes_the_mailbox(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assign(client, headers, "ann", [lic(E3), lic(E1), lic(POWER_BI)])
    assert assign(client, headers, "ann", [], [E3]).status_code == 200
    assert recipient_type(state, tid, "ann") == "UserMailbox"
    assert assign(client, headers, "ann", [], [E1]).status_code == 200
    assert recipient_type(state, tid, "ann") is None
    assert consumed(client, headers) == {"SPE_E3": 0, "STANDARDPACK": 0, "POWER_BI_STANDARD": 1}


def test_disabling_the_exchange_plan_removes_the_mailbox(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assign(client, headers, "ann", [lic(E1)])
    assert recipient_type(state, tid, "ann") == "UserMailbox"
    assert assign(client, headers, "ann", [lic(E1, EXCHANGE_PLAN1)]).status_code == 200
    assert recipient_type(state, tid, "ann") is None
    assert consumed(client, headers)["STANDARDPACK"] == 1


def test_a_shared_mailbox_keeps_its_mailbox(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assign(client, headers, "shared", [lic(E3)])
    assign(client, headers, "shared", [], [E3])
    assert recipient_type(state, tid, "shared") == "SharedMailbox"


def test_in_an_auto_mailbox_tenant_assign_license_still_decides(
    client: TestClient, token: Callable[..., str], state: EmulatorState, tenant: Tenant
) -> None:
    headers = bearer(token(admin=True))
    directory = Directory(state.store)
    user = directory.user(tenant.id, "payroll@contoso.onmicrosoft.com")
    assert user is not None and directory.mailbox(tenant.id, user["id"]) is not None
    client.patch(f"/v1.0/users/{user['id']}", json={"usageLocation": "US"}, headers=headers)
    url = f"/v1.0/users/{user['id']}/assignLicense"
    client.post(url, json={"addLicenses": [lic(E3)], "removeLicenses": []}, headers=headers)
    assert directory.mailbox(tenant.id, user["id"]) is not None
    client.post(url, json={"addLicenses": [], "removeLicenses": [E3]}, headers=headers)
    assert directory.mailbox(tenant.id, user["id"]) is None


# -- assignLicense errors --------------------------------------------------------------


def test_a_usage_location_is_required(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assert_error(
        assign(client, headers, "nolocation", [lic(E3)]),
        400,
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    )
    assert recipient_type(state, tid, "nolocation") is None


def test_unknown_sku(client: TestClient, fab: tuple[str, dict[str, str]]) -> None:
    _, headers = fab
    sku = "c7df2760-2c81-4ef7-b578-5b5392b571df"
    assert_error(
        assign(client, headers, "ann", [lic(sku)]),
        400,
        "Request_BadRequest",
        f"License {sku} does not correspond to a valid company License.",
    )
    assert_error(
        assign(client, headers, "ann", [], [sku]),
        400,
        "Request_BadRequest",
        f"License {sku} does not correspond to a valid company License.",
    )


def test_removing_a_licence_the_user_lacks(
    client: TestClient, fab: tuple[str, dict[str, str]]
) -> None:
    _, headers = fab
    assert_error(
        assign(client, headers, "ann", [], [E3]),
        400,
        "Request_BadRequest",
        "User does not have a corresponding license.",
    )


def test_seats_run_out(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assert assign(client, headers, "ann", [lic(E3)]).status_code == 200
    assert assign(client, headers, "bob", [lic(E3)]).status_code == 200
    assert assign(client, headers, "ann", [lic(E3)]).status_code == 200  # no new seat
    assert_error(
        assign(client, headers, "cat", [lic(E3)]),
        400,
        "Request_BadRequest",
        f"Subscription with SKU {E3} does not have any available licenses.",
    )
    assert recipient_type(state, tid, "cat") is None
    assert consumed(client, headers)["SPE_E3"] == 2


def test_a_failed_assignment_changes_nothing(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, headers = fab
    assign(client, headers, "ann", [lic(E1)])
    bad = assign(client, headers, "ann", [lic(POWER_BI)], [E1, E3])
    assert bad.status_code == 400
    assert consumed(client, headers) == {"SPE_E3": 0, "STANDARDPACK": 1, "POWER_BI_STANDARD": 0}
    assert recipient_type(state, tid, "ann") == "UserMailbox"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"addLicenses": [lic(E3)]},
            "Invalid value specified for property 'removeLicenses' of resource 'User'.",
        ),
        (
            {"addLicenses": "E3", "removeLicenses": []},
            "Invalid value specified for property 'addLicenses' of resource 'User'.",
        ),
        (
            {"addLicenses": [{"skuId": 3}], "removeLicenses": []},
            "Invalid value specified for property 'skuId' of resource 'User'.",
        ),
    ],
)
def test_malformed_assignment_bodies(
    client: TestClient, fab: tuple[str, dict[str, str]], body: dict[str, Any], message: str
) -> None:
    _, headers = fab
    response = client.post(
        "/v1.0/users/ann@fabrikam.onmicrosoft.com/assignLicense", json=body, headers=headers
    )
    assert_error(response, 400, "Request_BadRequest", message)


def test_assign_to_an_unknown_user(client: TestClient, fab: tuple[str, dict[str, str]]) -> None:
    _, headers = fab
    assert_error(
        assign(client, headers, "ghost", [lic(E3)]),
        404,
        "Request_ResourceNotFound",
        "Resource 'ghost@fabrikam.onmicrosoft.com' does not exist or one of its queried "
        "reference-property objects are not present.",
    )


@pytest.mark.parametrize("roles", [["User.Read.All"], ["Organization.Read.All"], ["Mail.Send"]])
def test_assign_needs_a_write_permission(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState, roles: list[str]
) -> None:
    tid, _ = fab
    headers = bearer(app_token(state, tid, roles))
    assert_error(assign(client, headers, "ann", [lic(E3)]), 403, *DENIED)


def test_licence_assignment_permission_suffices(
    client: TestClient, fab: tuple[str, dict[str, str]], state: EmulatorState
) -> None:
    tid, _ = fab
    headers = bearer(app_token(state, tid, ["LicenseAssignment.ReadWrite.All"]))
    assert assign(client, headers, "ann", [lic(E3)]).status_code == 200


# -- organization ----------------------------------------------------------------------


def test_organization(client: TestClient, fab: tuple[str, dict[str, str]]) -> None:
    tid, headers = fab
    body = client.get("/v1.0/organization", headers=headers).json()
    assert body["@odata.context"] == "https://testserver/v1.0/$metadata#organization"
    (org,) = body["value"]
    assert (org["id"], org["displayName"], org["tenantType"]) == (tid, "Fabrikam", "AAD")
    assert org["verifiedDomains"] == [
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": True,
            "isInitial": True,
            "name": "fabrikam.onmicrosoft.com",
            "type": "Managed",
        },
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": False,
            "isInitial": False,
            "name": "fabrikam.com",
            "type": "Managed",
        },
    ]
    one = client.get(f"/v1.0/organization/{tid}?$select=id,displayName", headers=headers).json()
    assert one == {
        "@odata.context": "https://testserver/v1.0/$metadata#organization(id,displayName)/$entity",
        "id": tid,
        "displayName": "Fabrikam",
    }


def test_organization_errors(
    client: TestClient, fab: tuple[str, dict[str, str]], token: Callable[..., str], tenant: Tenant
) -> None:
    _, headers = fab
    assert_error(
        client.get(f"/v1.0/organization/{tenant.id}", headers=headers),
        404,
        "Request_ResourceNotFound",
        f"Resource '{tenant.id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )
    assert_error(
        client.get("/v1.0/organization", headers=bearer(token("Timesheet Mailer"))), 403, *DENIED
    )
