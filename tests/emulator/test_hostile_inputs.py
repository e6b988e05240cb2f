"""Inputs the route-drawn fuzzing (test_fuzz.py) cannot reach, each once a 500: numbers past
what SQLite, floats or .NET's DateTime hold, in headers, query options, skip tokens, client
assertions and bodies. Each is refused as the service refuses bad input (or ignored, where
HTTP says a preference may be), never answered 5xx."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx2 as httpx
import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.identity.responses import _basic
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import delegated_token

INVOKE = "/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand"
CEO = "ceo@contoso.onmicrosoft.com"
GET_MAILBOX = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": "1"}}}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


@pytest.fixture
def exchange(token: Callable[..., str]) -> dict[str, str]:
    return bearer(token(admin=True, resource="exchange"))


@pytest.mark.parametrize(
    "prefer", ["odata.maxpagesize=9223372036854775807", "odata.maxpagesize=" + "9" * 5000]
)
def test_a_page_size_past_nine_digits_is_a_preference_ignored(
    client: TestClient, exchange: dict[str, str], prefer: str
) -> None:
    body = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}}
    response = client.post(INVOKE, json=body, headers={**exchange, "Prefer": prefer})
    assert response.status_code == 200
    unpreferred = client.post(INVOKE, json=body, headers=exchange)
    assert len(response.json()["value"]) == len(unpreferred.json()["value"])


@pytest.mark.parametrize("size", [2**63, 2**32, "²", "0", -1])
def test_a_result_size_outside_uint32_is_exchanges_conversion_error(
    client: TestClient, exchange: dict[str, str], size: object
) -> None:
    body = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": size}}}
    response = client.post(INVOKE, json=body, headers=exchange)
    assert response.status_code == 400
    assert "The value must be a positive number or Unlimited." in response.text


def test_the_largest_uint32_result_size_is_taken(
    client: TestClient, exchange: dict[str, str]
) -> None:
    body = {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": 2**32 - 1}}}
    assert client.post(INVOKE, json=body, headers=exchange).status_code == 200


@pytest.mark.parametrize(
    "skiptoken",
    [
        b'{"o":1e400,"i":{}}',
        b'{"o":0,"s":18446744073709551616,"i":{"CmdletName":"Get-Mailbox","Parameters":{}}}',
        b'{"o":"1","i":{"CmdletName":"Get-Mailbox","Parameters":{}}}',
        b'{"o":true,"i":{"CmdletName":"Get-Mailbox","Parameters":{}}}',
    ],
)
def test_an_exchange_skip_token_with_numbers_it_never_holds_is_refused(
    client: TestClient, exchange: dict[str, str], skiptoken: bytes
) -> None:
    response = client.get(INVOKE, params={"$skiptoken": _b64(skiptoken)}, headers=exchange)
    assert response.status_code == 400
    assert "The $skiptoken of this request is not one this API gave out." in response.text


def test_an_exchange_skip_token_with_a_lone_surrogate_is_read(
    client: TestClient, exchange: dict[str, str]
) -> None:
    saved = b'{"o":0,"i":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"\\ud800"}}}'
    response = client.get(INVOKE, params={"$skiptoken": _b64(saved)}, headers=exchange)
    assert response.status_code == 404  # no mailbox "\ufffd", as Exchange says it


def test_a_graph_skip_token_past_sqlite_integers_is_invalid(
    client: TestClient, token: Callable[..., str]
) -> None:
    skip = _b64(b"seq:99999999999999999999999")
    response = client.get(f"/v1.0/users?$skiptoken={skip}", headers=bearer(token(admin=True)))
    assert (response.status_code, _error_code(response)) == (400, "Request_BadRequest")


def test_a_message_skip_past_int32_is_invalid(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    user = delegated_token(state, tenant.id, CEO, ["Mail.Read"])
    for skip, status in (
        ("99999999999999999999", 400),
        (str(2**31), 400),
        ("-1", 400),
        (str(2**31 - 1), 200),
    ):
        response = client.get(f"/v1.0/me/messages?$skip={skip}", headers=bearer(user))
        assert response.status_code == status, skip
        if status == 400:
            assert _error_code(response) == "ErrorInvalidUrlQuery"


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_a_number_json_cannot_hold_is_malformed_json(
    client: TestClient, state: EmulatorState, tenant: Tenant, number: bytes
) -> None:
    user = delegated_token(state, tenant.id, CEO, ["Mail.ReadWrite"])
    response = client.post(
        "/v1.0/me/messages",
        content=b'{"subject": "s", "flag": {"flagStatus": ' + number + b"}}",
        headers={**bearer(user), "Content-Type": "application/json"},
    )
    assert (response.status_code, _error_code(response)) == (400, "BadRequest")
    drafts = client.get("/v1.0/me/mailFolders/drafts/messages", headers=bearer(user))
    assert drafts.json()["value"] == []  # nothing half-written


@pytest.mark.parametrize(
    ("times", "code"),
    [
        ({"exp": 10**400}, "AADSTS"),
        ({"exp": 1, "nbf": 1e15}, "AADSTS700024"),
        ({"exp": -9999999999999}, "AADSTS700024"),
        ({"exp": 1, "nbf": 1e300}, "AADSTS700024"),
    ],
)
def test_a_client_assertion_with_times_past_datetime_is_refused(
    client: TestClient, tenant: Tenant, times: dict[str, object], code: str
) -> None:
    client_id = tenant.apps["Timesheet Mailer"].client_id
    header = {"alg": "RS256", "x5t": _b64(bytes(20))}
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"https://testserver/{tenant.id}/oauth2/v2.0/token",
        "jti": "x",
        **times,
    }
    assertion = ".".join(
        [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(b"sig")]
    )
    response = client.post(
        f"/{tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "scope": "https://graph.microsoft.com/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error_description"].startswith(code)


def test_a_basic_header_that_is_not_ascii_is_no_basic_credential() -> None:
    for value in (b"Basic \xe9\xe9", b"Basic \xff", b"Basic Zm9vOmJhcg\xe9"):
        request = Request({"type": "http", "headers": [(b"authorization", value)]})
        assert _basic(request) is None


@pytest.mark.parametrize(
    "headers", [{"X": "\u20ac"}, {"X-Line": "a\r\nb: c"}, {"Bad Name": "v"}, {"\u00e9": "v"}]
)
def test_a_batch_step_header_no_http_request_could_carry_is_a_bad_batch(
    client: TestClient, token: Callable[..., str], headers: dict[str, str]
) -> None:
    body = {"requests": [{"id": "1", "method": "GET", "url": "/users", "headers": headers}]}
    response = client.post("/v1.0/$batch", json=body, headers=bearer(token(admin=True)))
    assert (response.status_code, _error_code(response)) == (400, "BadRequest")
