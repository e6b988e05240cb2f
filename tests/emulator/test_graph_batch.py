"""POST /v1.0/$batch: sub-requests through the same app, dependsOn, and envelope errors."""

from __future__ import annotations

import base64
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.graph.models.batch import parse_batch
from sendscope.emulator.graph.models.mail_runtime import MailRuntime
from sendscope.emulator.graph.models.throttling import MailboxKey
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import (
    addr,
    app_token,
    error_of,
    folder_items,
    message,
    outbox,
)

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def mail_app(state: EmulatorState, tenant: Tenant) -> str:
    return app_token(state, tenant.id, "Mail.Send", "Mail.Read")


def _batch(client: TestClient, token: str, requests: Any) -> httpx.Response:
    return client.post("/v1.0/$batch", headers=bearer(token), json={"requests": requests})


def _responses(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["responses"]}


def _send(rid: str, mailbox: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "method": "POST",
        "url": f"/users/{mailbox}/sendMail",
        "headers": JSON,
        "body": {"message": message(addr("hr"), subject=f"batch {rid}")},
        **extra,
    }


def test_sub_requests_are_answered_each_on_its_own(
    client: TestClient, state: EmulatorState, tenant: Tenant, mail_app: str
) -> None:
    answers = _responses(
        _batch(
            client,
            mail_app,
            [
                _send("1", addr("payroll")),
                {"id": "2", "method": "GET", "url": f"/users/{addr('hr')}/mailFolders/inbox"},
                {"id": "3", "method": "GET", "url": f"/users/{addr('ghost')}/messages"},
                {
                    "id": "4",
                    "method": "GET",
                    "url": "/users/" + addr("hr") + "/messages?$top=1&$select=subject",
                },
            ],
        )
    )
    assert answers["1"]["status"] == 202 and "body" not in answers["1"]
    assert answers["2"]["status"] == 200
    assert answers["2"]["body"]["displayName"] == "Inbox"
    assert answers["2"]["headers"]["Content-Type"].startswith("application/json")
    assert answers["3"]["status"] == 404
    assert answers["3"]["body"]["error"]["code"] == "ErrorInvalidUser"
    assert set(answers["3"]["body"]["error"]["innerError"]) == {
        "date",
        "request-id",
        "client-request-id",
    }
    assert answers["4"]["status"] == 200
    assert len(folder_items(state, tenant.id, addr("hr"), "inbox")) == 1
    assert outbox(state)[0]["subject"] == "batch 1"


def test_responses_keep_request_order(client: TestClient, mail_app: str) -> None:
    requests = [
        {"id": str(i), "method": "GET", "url": f"/users/{addr('hr')}/mailFolders"}
        for i in range(1, 21)
    ]
    response = _batch(client, mail_app, requests)
    assert [r["id"] for r in response.json()["responses"]] == [str(i) for i in range(1, 21)]
    assert {r["status"] for r in response.json()["responses"]} == {200}


def test_each_sub_request_is_authorised_on_its_own(
    client: TestClient, token: Callable[..., str]
) -> None:
    answers = _responses(
        _batch(
            client,
            token("Timesheet Mailer"),
            [
                _send("1", addr("payroll")),
                {"id": "2", "method": "GET", "url": f"/users/{addr('hr')}/messages"},
                {
                    "id": "3",
                    "method": "POST",
                    "url": "/me/sendMail",
                    "headers": JSON,
                    "body": {"message": message(addr("hr"))},
                },
            ],
        )
    )
    assert answers["1"]["status"] == 202
    assert answers["2"]["status"] == 403
    assert answers["2"]["body"]["error"]["code"] == "ErrorAccessDenied"
    assert answers["3"]["status"] == 400


def test_depends_on_a_failed_request_is_424(
    client: TestClient, state: EmulatorState, mail_app: str
) -> None:
    answers = _responses(
        _batch(
            client,
            mail_app,
            [
                _send("1", addr("ghost")),
                _send("2", addr("payroll"), dependsOn=["1"]),
                _send("3", addr("payroll"), dependsOn=["2"]),
                _send("4", addr("payroll")),
            ],
        )
    )
    assert answers["1"]["status"] == 404
    for rid in ("2", "3"):
        assert answers[rid]["status"] == 424
        assert answers[rid]["body"]["error"]["code"] == "FailedDependency"
        assert answers[rid]["body"]["error"]["message"] == "Dependent request failed."
    assert answers["4"]["status"] == 202
    assert [e["subject"] for e in outbox(state)] == ["batch 4"]


def test_depends_on_runs_in_order(client: TestClient, state: EmulatorState, mail_app: str) -> None:
    answers = _responses(
        _batch(
            client,
            mail_app,
            [
                _send("c", addr("payroll"), dependsOn=["b"]),
                _send("b", addr("payroll"), dependsOn=["A"]),
                _send("a", addr("payroll")),
            ],
        )
    )
    assert {r["status"] for r in answers.values()} == {202}
    assert [e["subject"] for e in outbox(state)] == ["batch a", "batch b", "batch c"]


def test_mime_body_in_base64(
    client: TestClient, state: EmulatorState, tenant: Tenant, mail_app: str
) -> None:
    mail = EmailMessage()
    mail["To"], mail["Subject"] = addr("hr"), "Batched MIME"
    mail.set_content("hello")
    wire = base64.b64encode(mail.as_bytes())  # the sendMail body: base64 MIME text
    answers = _responses(
        _batch(
            client,
            mail_app,
            [
                {
                    "id": "1",
                    "method": "POST",
                    "url": f"/users/{addr('payroll')}/sendMail",
                    "headers": {"Content-Type": "text/plain"},
                    "body": base64.b64encode(wire).decode(),
                }
            ],
        )
    )
    assert answers["1"]["status"] == 202
    assert folder_items(state, tenant.id, addr("hr"), "inbox")[0]["subject"] == "Batched MIME"


def test_sub_request_can_be_throttled(
    client: TestClient, state: EmulatorState, tenant: Tenant, token: Callable[..., str]
) -> None:
    from sendscope.emulator.core.directory import Directory

    runtime = MailRuntime.for_state(state)
    state.runtime["graph.mail"] = runtime
    user = Directory(state.store).user(tenant.id, addr("payroll"))
    assert user is not None
    key = MailboxKey(tenant.id, tenant.apps["Timesheet Mailer"].client_id, user["id"])
    for _ in range(4):
        runtime.throttle.acquire(key)
    answers = _responses(_batch(client, token("Timesheet Mailer"), [_send("1", addr("payroll"))]))
    assert answers["1"]["status"] == 429
    assert answers["1"]["headers"]["Retry-After"] == "1"
    assert answers["1"]["body"]["error"]["code"] == "ApplicationThrottled"


def test_unknown_url_in_a_sub_request(client: TestClient, mail_app: str) -> None:
    answers = _responses(
        _batch(
            client,
            mail_app,
            [
                {"id": "1", "method": "GET", "url": "/v1.0/users"},
                {"id": "2", "method": "GET", "url": "nowhere"},
            ],
        )
    )
    assert answers["1"]["status"] == 400
    assert answers["1"]["body"]["error"]["message"] == "Resource not found for the segment 'v1.0'."
    assert (
        answers["2"]["body"]["error"]["message"] == "Resource not found for the segment 'nowhere'."
    )


# -- the envelope --------------------------------------------------------------------------

INVALID = (400, "BadRequest", "Invalid batch payload format.")


def test_more_than_twenty_is_400(client: TestClient, mail_app: str) -> None:
    requests = [{"id": str(i), "method": "GET", "url": "/me"} for i in range(21)]
    assert error_of(_batch(client, mail_app, requests)) == (
        400,
        "BadRequest",
        "Number of requests inside batch exceed the limit",
    )


def test_duplicate_ids_are_400(client: TestClient, mail_app: str) -> None:
    requests = [
        {"id": "1", "method": "GET", "url": "/me"},
        {"id": "1", "method": "GET", "url": "/me"},
    ]
    assert error_of(_batch(client, mail_app, requests)) == (
        400,
        "BadRequest",
        "Request Id 1 has to be unique in a batch.",
    )


def test_ids_compare_case_insensitively(client: TestClient, mail_app: str) -> None:
    requests = [
        {"id": "Ab", "method": "GET", "url": "/me"},
        {"id": "aB", "method": "GET", "url": "/me"},
    ]
    assert (
        error_of(_batch(client, mail_app, requests))[2]
        == "Request Id aB has to be unique in a batch."
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"method": "GET", "url": "/me"},
        {"id": "1", "url": "/me"},
        {"id": "1", "method": "GET"},
        {"id": "", "method": "GET", "url": "/me"},
        {"id": "1", "method": "FETCH", "url": "/me"},
        {"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"},
        {"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]},
        "not an object",
    ],
)
def test_malformed_request_is_400(client: TestClient, mail_app: str, broken: Any) -> None:
    assert error_of(_batch(client, mail_app, [broken])) == INVALID


@pytest.mark.parametrize("requests", [[], None, {"id": "1"}])
def test_missing_or_empty_requests_is_400(client: TestClient, mail_app: str, requests: Any) -> None:
    assert error_of(_batch(client, mail_app, requests)) == INVALID


def test_dependency_cycle_is_400(client: TestClient, mail_app: str) -> None:
    requests = [
        {"id": "1", "method": "GET", "url": "/me", "dependsOn": ["2"]},
        {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]},
    ]
    assert error_of(_batch(client, mail_app, requests)) == INVALID


def test_body_without_content_type_is_400(client: TestClient, mail_app: str) -> None:
    requests = [{"id": "7", "method": "POST", "url": "/me/sendMail", "body": {"message": {}}}]
    assert error_of(_batch(client, mail_app, requests)) == (
        400,
        "BadRequest",
        "Write request id : 7 does not contain Content-Type header or body.",
    )


def test_batch_needs_a_token(client: TestClient) -> None:
    response = client.post(
        "/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/me"}]}
    )
    assert error_of(response)[:2] == (401, "InvalidAuthenticationToken")


def test_malformed_json_is_400(client: TestClient, mail_app: str) -> None:
    response = client.post("/v1.0/$batch", headers={**bearer(mail_app), **JSON}, content=b"{")
    assert error_of(response)[:2] == (400, "BadRequest")


def test_parse_keeps_bodies_and_dependencies() -> None:
    [first, second] = parse_batch(
        {
            "requests": [
                {
                    "id": "1",
                    "method": "post",
                    "url": "users/x/sendMail",
                    "headers": JSON,
                    "body": {"a": 1},
                },
                {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]},
            ]
        }
    )
    assert (first.method, first.url, first.body) == ("POST", "/users/x/sendMail", b'{"a": 1}')
    assert second.depends_on == ("1",) and second.body is None
