"""Control plane: the outbox API (list with filters, get, clear).

The mail service writes outbox rows; these tests insert them directly, shaped as it does:
``recipients`` = ``{"to": [...], "cc": [...], "bcc": [...]}``, ``message`` = the Graph
message resource.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.ids import guid
from tests.conftest import Tenant


def add_sent(
    state: EmulatorState,
    tenant_id: str,
    mailbox: str,
    subject: str,
    *,
    to: tuple[str, ...] = ("someone@example.com",),
    cc: tuple[str, ...] = (),
    bcc: tuple[str, ...] = (),
    body: str = "Hello",
    content_type: str = "Text",
    app_id: str | None = "app-1",
    sent_at: str = "2025-02-13T10:17:05Z",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert an outbox row as the mail service writes it; return its id and seq."""
    message_id = guid()

    def listed(addresses: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"emailAddress": {"address": a, "name": a.split("@")[0]}} for a in addresses]

    message = {
        "subject": subject,
        "body": {"contentType": content_type, "content": body},
        "from": {"emailAddress": {"address": mailbox}},
        "toRecipients": listed(to),
        "ccRecipients": listed(cc),
        "bccRecipients": listed(bcc),
        **(extra or {}),
    }
    recipients = {"to": list(to), "cc": list(cc), "bcc": list(bcc)}
    seq = state.store.next_seq()
    state.store.execute(
        "INSERT INTO outbox (seq, id, tenant_id, sent_at, app_id, mailbox, subject, recipients, "
        "message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            message_id,
            tenant_id,
            sent_at,
            app_id,
            mailbox,
            subject,
            json.dumps(recipients),
            json.dumps(message),
        ),
    )
    return {"id": message_id, "seq": seq, "message": message, "recipients": recipients}


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def subjects(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["messages"])
    return [m["subject"] for m in body["messages"]]


@pytest.fixture
def second_tenant(client: TestClient) -> str:
    fixture = {"domain": "fabrikam.onmicrosoft.com", "users": [{"userPrincipalName": "ceo"}]}
    tenant_id: str = client.post("/_emulator/tenants", json=fixture).json()["id"]
    return tenant_id


# -- GET /_emulator/outbox -----------------------------------------------------------------


def test_outbox_is_empty_at_first(client: TestClient) -> None:
    assert client.get("/_emulator/outbox").json() == {"count": 0, "messages": []}


def test_outbox_rows_are_shaped_and_parsed(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    sent = add_sent(
        state,
        tenant.id,
        "ceo@contoso.onmicrosoft.com",
        "Quarterly",
        cc=("cfo@contoso.onmicrosoft.com",),
        app_id="3f2c",
    )

    [row] = client.get("/_emulator/outbox").json()["messages"]

    assert row == {
        "id": sent["id"],
        "seq": sent["seq"],
        "tenant": tenant.id,
        "sentAt": "2025-02-13T10:17:05Z",
        "appId": "3f2c",
        "mailbox": "ceo@contoso.onmicrosoft.com",
        "subject": "Quarterly",
        "recipients": sent["recipients"],
        "message": sent["message"],
    }


def test_outbox_is_newest_first(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    for subject in ("first", "second", "third"):
        add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", subject)

    assert subjects(client.get("/_emulator/outbox")) == ["third", "second", "first"]


def test_outbox_filters_by_tenant_id_or_domain(
    client: TestClient, state: EmulatorState, tenant: Tenant, second_tenant: str
) -> None:
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "contoso")
    add_sent(state, second_tenant, "ceo@fabrikam.onmicrosoft.com", "fabrikam")

    assert subjects(client.get(f"/_emulator/outbox?tenant={second_tenant}")) == ["fabrikam"]
    assert subjects(client.get("/_emulator/outbox?tenant=contoso.onmicrosoft.com")) == ["contoso"]


def test_outbox_filters_by_mailbox_ignoring_case(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "from ceo")
    add_sent(state, tenant.id, "noreply@contoso.onmicrosoft.com", "from noreply")

    response = client.get(
        "/_emulator/outbox", params={"mailbox": "NoReply@Contoso.onmicrosoft.com"}
    )

    assert subjects(response) == ["from noreply"]


def test_outbox_filters_by_subject_containing_ignoring_case(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    for subject in ("Timesheet due", "Your TIMESHEET was approved", "Lunch", "100% done"):
        add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", subject)

    assert subjects(client.get("/_emulator/outbox?subject=timesheet")) == [
        "Your TIMESHEET was approved",
        "Timesheet due",
    ]
    # % is a character, not a wildcard.
    assert subjects(client.get("/_emulator/outbox", params={"subject": "%"})) == ["100% done"]


def test_outbox_limit_keeps_the_newest(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    for i in range(5):
        add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", f"m{i}")

    assert subjects(client.get("/_emulator/outbox?limit=2")) == ["m4", "m3"]


def test_outbox_limit_defaults_to_100(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    for i in range(101):
        add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", f"m{i}")

    assert len(subjects(client.get("/_emulator/outbox"))) == 100
    assert len(subjects(client.get("/_emulator/outbox?limit=1000"))) == 101


def test_outbox_after_seq_polls_for_new_mail(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    seen = add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "old")["seq"]
    add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "new 1")
    add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "new 2")

    assert subjects(client.get(f"/_emulator/outbox?after={seen}")) == ["new 2", "new 1"]
    last = client.get("/_emulator/outbox").json()["messages"][0]["seq"]
    assert subjects(client.get(f"/_emulator/outbox?after={last}")) == []


def test_outbox_filters_combine(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "Payslip March")
    add_sent(state, tenant.id, "payroll@contoso.onmicrosoft.com", "Payslip April")
    add_sent(state, tenant.id, "payroll@contoso.onmicrosoft.com", "Holiday")

    response = client.get(
        "/_emulator/outbox",
        params={
            "tenant": tenant.id,
            "mailbox": "payroll@contoso.onmicrosoft.com",
            "subject": "payslip",
        },
    )

    assert subjects(response) == ["Payslip April"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit=0 must be between 1 and 1000."),
        ("limit=1001", "limit=1001 must be between 1 and 1000."),
        ("limit=-3", "limit=-3 must be between 1 and 1000."),
        ("limit=ten", "limit='ten' is not a whole number."),
        ("limit=1.5", "limit='1.5' is not a whole number."),
        ("after=-1", "after=-1 must be 0 or more."),
        ("after=99999999999999999999", "after='99999999999999999999' is not a whole number."),
        (
            "tennant=x",
            "Unknown query parameter 'tennant': use tenant, mailbox, subject, limit, after.",
        ),
    ],
)
def test_outbox_bad_parameters_are_invalid_request(
    client: TestClient, query: str, message: str
) -> None:
    assert error(client.get(f"/_emulator/outbox?{query}")) == (400, "InvalidRequest", message)


def test_outbox_unknown_tenant_is_not_found(client: TestClient) -> None:
    assert error(client.get("/_emulator/outbox?tenant=nowhere.example")) == (
        404,
        "NotFound",
        "There is no tenant 'nowhere.example' in this emulator: GET /_emulator/tenants lists "
        "the tenants.",
    )


def test_outbox_row_with_unreadable_json_is_shown_raw_not_500(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    state.store.execute(
        "INSERT INTO outbox (id, tenant_id, sent_at, mailbox, subject, recipients, message) "
        "VALUES ('raw', ?, 'now', 'a@b', 's', 'not json', '{')",
        (tenant.id,),
    )

    row = client.get("/_emulator/outbox/raw").json()

    assert (row["recipients"], row["message"], row["appId"]) == ("not json", "{", None)


# -- GET /_emulator/outbox/{id} ------------------------------------------------------------


def test_get_message_by_id(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "other")
    sent = add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "wanted")

    response = client.get(f"/_emulator/outbox/{sent['id']}")

    assert response.status_code == 200
    assert response.json()["subject"] == "wanted"
    assert response.json()["message"] == sent["message"]


def test_get_unknown_message_is_not_found(client: TestClient) -> None:
    assert error(client.get("/_emulator/outbox/nope")) == (
        404,
        "NotFound",
        "There is no message 'nope' in the outbox: GET /_emulator/outbox lists them.",
    )


# -- DELETE /_emulator/outbox --------------------------------------------------------------


def test_delete_outbox_clears_all(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "a")
    add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "b")

    response = client.delete("/_emulator/outbox")

    assert response.json() == {"deleted": 2}
    assert subjects(client.get("/_emulator/outbox")) == []


def test_delete_outbox_of_one_tenant_keeps_the_others(
    client: TestClient, state: EmulatorState, tenant: Tenant, second_tenant: str
) -> None:
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "contoso")
    add_sent(state, second_tenant, "ceo@fabrikam.onmicrosoft.com", "fabrikam")

    response = client.delete("/_emulator/outbox?tenant=fabrikam.onmicrosoft.com")

    assert response.json() == {"deleted": 1}
    assert subjects(client.get("/_emulator/outbox")) == ["contoso"]


def test_delete_outbox_with_a_mistyped_filter_deletes_nothing(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "keep me")

    response = client.delete("/_emulator/outbox?tennant=contoso.onmicrosoft.com")

    assert error(response) == (
        400,
        "InvalidRequest",
        "Unknown query parameter 'tennant': use tenant.",
    )
    assert subjects(client.get("/_emulator/outbox")) == ["keep me"]


def test_delete_outbox_of_unknown_tenant_is_not_found(client: TestClient) -> None:
    assert error(client.delete("/_emulator/outbox?tenant=nowhere.example")) == (
        404,
        "NotFound",
        "There is no tenant 'nowhere.example' in this emulator: GET /_emulator/tenants lists "
        "the tenants.",
    )
