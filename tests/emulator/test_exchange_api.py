"""POST /adminapi/beta/{tenant}/InvokeCommand: request, response, paging and error shapes
(m365-domain.md §6.2–§6.4), token checks, --latency."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import EXCHANGE_APP_ID
from sendscope.emulator.exchange import responses
from tests.conftest import Tenant, bearer
from tests.emulator.exchange_helpers import (
    DC,
    NOT_FOUND_TYPE,
    ODATA_EXCEPTION,
    addr,
    assert_cmdlet_error,
    body,
    delegated_exchange_token,
    detail,
    one,
    run,
    url,
    values,
)

WARNINGS_TYPE = "#Collection(String)"


@pytest.fixture
def admin(token: Callable[..., str]) -> str:
    return token(admin=True, resource="exchange")


def test_success_envelope_as_captured(client: TestClient, admin: str, tenant: Tenant) -> None:
    response = run(client, admin, "Get-Mailbox", Identity=addr("ceo"))
    assert response.status_code == 200
    data = response.json()
    assert list(data) == [
        "@odata.context",
        "adminapi.warnings@odata.type",
        "@adminapi.warnings",
        "value",
    ]
    assert data["@odata.context"] == (
        "https://testserver/adminapi/beta/contoso.onmicrosoft.com/"
        "$metadata#Collection(Exchange.GenericHashTable)"
    )
    assert data["adminapi.warnings@odata.type"] == WARNINGS_TYPE
    assert data["@adminapi.warnings"] == []
    assert response.headers["content-type"].startswith("application/json;odata.metadata=minimal")
    assert response.headers["request-id"]


def test_tenant_by_guid_and_context_names_it(
    client: TestClient, admin: str, tenant: Tenant
) -> None:
    response = run(client, admin, "Get-Mailbox", tenant=tenant.id, Identity=addr("ceo"))
    assert one(response)["PrimarySmtpAddress"] == addr("ceo")
    assert f"/adminapi/beta/{tenant.id}/$metadata#" in response.json()["@odata.context"]


def test_typed_properties_carry_annotations(client: TestClient, admin: str) -> None:
    record = one(run(client, admin, "Get-Recipient", Identity=addr("ceo")))
    assert record["EmailAddresses@odata.type"] == "#Collection(String)"
    assert record["Guid@data.type"] == "System.Guid"
    assert record["Guid@odata.type"] == "#Guid"
    assert record["WhenCreated@data.type"] == "System.DateTime"
    assert record["WhenCreated"].endswith(".0000000+00:00")


def test_cmdlet_and_parameter_names_are_case_insensitive(client: TestClient, admin: str) -> None:
    record = one(run(client, admin, "get-mailbox", identity=addr("ceo")))
    assert record["Alias"] == "ceo"


def test_select_keeps_only_named_properties(client: TestClient, admin: str) -> None:
    response = client.post(
        url() + "?$select=PrimarySmtpAddress,Guid",
        headers=bearer(admin),
        json=body("Get-Recipient", Identity=addr("ceo")),
    )
    assert set(one(response)) == {"PrimarySmtpAddress", "Guid", "Guid@data.type", "Guid@odata.type"}


def _pages(client: TestClient, admin: str, *, method: str, size: int) -> list[list[dict[str, Any]]]:
    headers = {**bearer(admin), "Prefer": f"odata.maxpagesize={size}"}
    request = body("Get-Mailbox", ResultSize="Unlimited")
    response = client.post(url() + "?$select=Alias", headers=headers, json=request)
    pages = [values(response)]
    while "@odata.nextLink" in response.json():
        link = response.json()["@odata.nextLink"]
        assert link.startswith(
            "https://testserver/adminapi/beta/contoso.onmicrosoft.com/"
            "InvokeCommand?$select=Alias&$skiptoken="
        )
        response = (
            client.post(link, headers=headers, json=request)
            if method == "POST"
            else client.get(link, headers=headers)
        )
        pages.append(values(response))
    return pages


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_next_link_pages_by_repost_or_get(client: TestClient, admin: str, method: str) -> None:
    everything = values(run(client, admin, "Get-Mailbox", ResultSize="Unlimited"))
    pages = _pages(client, admin, method=method, size=20)
    assert [len(p) for p in pages] == [20, 20, len(everything) - 40]
    assert [r["Alias"] for p in pages for r in p] == [r["Alias"] for r in everything]
    assert all(set(r) == {"Alias"} for p in pages for r in p)


def test_default_page_is_1000(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    state.store.execute("UPDATE tenants SET auto_mailbox = 1 WHERE id = ?", (tenant.id,))
    from sendscope.emulator.core.directory import Directory

    Directory(state.store).bulk_create_users(
        tenant.id,
        ((f"bulk{i:04d}@{tenant.domain}", f"Bulk {i}") for i in range(1100)),
        now=state.clock.now(),
    )
    response = run(client, admin, "Get-Mailbox", ResultSize="Unlimited")
    assert len(values(response)) == 1000
    assert "@odata.nextLink" in response.json()
    assert response.json()["@adminapi.warnings"] == []


def test_x_prefer_header_is_honoured(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Mailbox", headers={"X-Prefer": "odata.maxpagesize=5"})
    assert len(values(response)) == 5
    assert "@odata.nextLink" in response.json()


def test_result_size_cuts_with_exchanges_warning(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Recipient", ResultSize=3)
    assert len(values(response)) == 3
    assert response.json()["@adminapi.warnings"] == [
        "There are more results available than are currently displayed. To view them, "
        "increase the value for the ResultSize parameter."
    ]
    assert "@odata.nextLink" not in response.json()


def test_bad_skiptoken_is_400(client: TestClient, admin: str) -> None:
    token = base64.urlsafe_b64encode(b'{"o": -1, "i": {}}').decode().rstrip("=")
    response = client.get(url() + f"?$skiptoken={token}", headers=bearer(admin))
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["message"] == (
        "The $skiptoken of this request is not one this API gave out."
    )


def test_no_output_cmdlet_is_204(client: TestClient, admin: str) -> None:
    run(client, admin, "New-DistributionGroup", Name="Ops", Type="Distribution")
    response = run(client, admin, "Remove-DistributionGroup", Identity="Ops")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize(
    "payload",
    [{}, {"CmdletInput": {}}, {"CmdletInput": {"CmdletName": ""}}, [1, 2], "Get-Mailbox"],
)
def test_malformed_body_is_400(client: TestClient, admin: str, payload: Any) -> None:
    response = client.post(url(), headers=bearer(admin), json=payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["details"][0]["message"].startswith("The request body must be a JSON object")


def test_body_that_is_not_json_is_400(client: TestClient, admin: str) -> None:
    response = client.post(
        url(), headers={**bearer(admin), "Content-Type": "application/json"}, content=b"{nope"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


def test_unknown_cmdlet_is_400_and_lists_what_runs(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Set-Mailbox", Identity="ceo")
    assert response.status_code == 400
    error_id, exception_type, message = detail(response)
    assert exception_type == "System.Management.Automation.CommandNotFoundException"
    assert message.startswith("The term 'Set-Mailbox' is not recognized as a name of a cmdlet")
    assert "Test-ApplicationAccessPolicy" in message
    assert error_id == "CommandNotFoundException"


def test_missing_mandatory_parameter(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Test-ApplicationAccessPolicy", Identity=addr("ceo"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"] == "Invalid Operation"
    text = "Cannot process command because of one or more missing mandatory parameters: AppId."
    assert error["details"][0]["message"] == (
        f"MissingMandatoryParameter|System.Management.Automation.ParameterBindingException|{text}"
    )
    assert error["innererror"] == {
        "message": "Invalid Operation",
        "type": ODATA_EXCEPTION,
        "stacktrace": "",
        "internalexception": {
            "message": text,
            "stacktrace": "",
            "type": "System.Management.Automation.ParameterBindingException",
        },
    }


def test_several_missing_parameters_are_named_together(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-ApplicationAccessPolicy", AppId=EXCHANGE_APP_ID)
    assert detail(response)[2] == (
        "Cannot process command because of one or more missing mandatory parameters: "
        "AccessRight PolicyScopeGroupId."
    )


def test_unknown_parameter(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Mailbox", Identity="ceo", Filter="x")
    assert response.status_code == 400
    assert detail(response) == (
        "NamedParameterNotFound",
        "System.Management.Automation.ParameterBindingException",
        "A parameter cannot be found that matches parameter name 'Filter'.",
    )


def test_common_parameters_are_accepted(client: TestClient, admin: str) -> None:
    record = one(
        run(
            client,
            admin,
            "Get-Mailbox",
            Identity="ceo",
            Confirm=False,
            ErrorAction="Stop",
            WarningAction="SilentlyContinue",
        )
    )
    assert record["Alias"] == "ceo"


def test_null_parameter_counts_as_not_given(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Mailbox", Identity=None, ResultSize=2)
    assert len(values(response)) == 2


def test_not_found_shape(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Recipient", Identity="nobody@contoso.onmicrosoft.com")
    assert response.status_code == 404
    error = response.json()["error"]
    assert list(error) == ["code", "message", "details", "innererror"]
    assert error["message"] == "Error executing cmdlet"
    assert error["details"][0]["message"] == (
        f"Ex6F9304|{NOT_FOUND_TYPE}|The operation couldn't be performed because object "
        f"'nobody@contoso.onmicrosoft.com' couldn't be found on '{DC}'."
    )
    assert_cmdlet_error(response, 404, "NotFound", NOT_FOUND_TYPE, detail(response)[2])


# -- tokens -----------------------------------------------------------------------------------


def _token_error(response: Any) -> str:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "Unauthorized"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    message: str = response.json()["error"]["message"]
    return message


def test_no_token_is_401(client: TestClient) -> None:
    response = client.post(url(), json=body("Get-Mailbox"))
    assert _token_error(response) == "The request has no bearer token."


def test_graph_token_is_refused(client: TestClient, token: Callable[..., str]) -> None:
    response = run(client, token(admin=True), "Get-Mailbox")
    assert _token_error(response) == (
        "The bearer token is not for Exchange Online (audience https://outlook.office365.com)."
    )


def test_token_by_exchange_app_id_audience_is_accepted(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    user_token = delegated_exchange_token(state, tenant.id, addr("admin"), audience=EXCHANGE_APP_ID)
    assert one(run(client, user_token, "Get-Mailbox", Identity="ceo"))["Alias"] == "ceo"


def test_tampered_token_is_401(client: TestClient, admin: str) -> None:
    head, claims, signature = admin.split(".")
    forged = f"{head}.{claims}.{signature[:-4]}AAAA"
    assert _token_error(run(client, forged, "Get-Mailbox")) == (
        "The bearer token's signature is not valid."
    )


def test_expired_token_is_401(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    now = int(state.clock.real_now())
    expired = state.signing_key.sign(
        {
            "aud": "https://outlook.office365.com",
            "tid": tenant.id,
            "exp": now - 10,
            "nbf": now - 3600,
            "idtyp": "app",
        }
    )
    assert _token_error(run(client, expired, "Get-Mailbox")) == (
        "The bearer token has expired or is not yet valid."
    )


def test_token_of_another_tenant_is_401(
    client: TestClient, admin: str, state: EmulatorState
) -> None:
    from sendscope.emulator import apply_fixture

    apply_fixture(state, {"domain": "fabrikam.onmicrosoft.com"})
    response = run(client, admin, "Get-Mailbox", tenant="fabrikam.onmicrosoft.com")
    assert _token_error(response) == "The bearer token was issued for another tenant."


def test_unknown_tenant_is_401(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Mailbox", tenant="nowhere.onmicrosoft.com")
    assert _token_error(response) == "There is no tenant 'nowhere.onmicrosoft.com' for this token."


# -- latency --------------------------------------------------------------------------------


def test_latency_is_spent_on_each_call(
    state: EmulatorState, admin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from sendscope.emulator import create_app

    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(responses, "sleep", fake_sleep)
    state.settings = replace(state.settings, latency=0.25)
    with TestClient(create_app(state), base_url="https://testserver") as client:
        run(client, admin, "Get-Mailbox", Identity="ceo")
        run(client, admin, "Get-Mailbox", Identity="nobody")
    assert slept == [0.25, 0.25]


def test_no_latency_no_sleep(
    client: TestClient, admin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(seconds: float) -> None:
        raise AssertionError("slept")

    monkeypatch.setattr(responses, "sleep", fail)
    assert run(client, admin, "Get-Mailbox", Identity="ceo").status_code == 200
