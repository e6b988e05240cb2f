"""Reading a mailbox: mailFolders, messages (all, per folder, one), paging, permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import (
    GRAPH,
    addr,
    app_token,
    delegated_token,
    error_of,
    message,
    send,
)

MESSAGE_KEYS = {
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "receivedDateTime",
    "sentDateTime",
    "subject",
    "bodyPreview",
    "body",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "hasAttachments",
    "internetMessageId",
    "parentFolderId",
    "isRead",
    "isDraft",
    "conversationId",
    "importance",
    "@odata.etag",
    "changeKey",
    "webLink",
    "flag",
}


@pytest.fixture
def reader(state: EmulatorState, tenant: Tenant) -> str:
    return app_token(state, tenant.id, "Mail.Read")


@pytest.fixture
def mailed(client: TestClient, token: Callable[..., str]) -> list[str]:
    """Three messages from payroll to hr, oldest first."""
    mailer = token("Timesheet Mailer")
    subjects = ["First", "Second", "Third"]
    for subject in subjects:
        assert (
            send(client, mailer, addr("payroll"), message(addr("hr"), subject=subject)).status_code
            == 202
        )
    return subjects


def _get(client: TestClient, token: str, path: str) -> Any:
    response = client.get(f"{GRAPH}{path}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_mail_folders_have_ids_and_counts(
    client: TestClient, reader: str, mailed: list[str]
) -> None:
    body = _get(client, reader, f"/users/{addr('hr')}/mailFolders")
    assert body["@odata.context"].endswith(
        f"/v1.0/$metadata#users('hr%40{addr('')[1:]}')/mailFolders"
    )
    folders = {f["displayName"]: f for f in body["value"]}
    assert {"Inbox", "Sent Items", "Drafts"} <= set(folders)
    assert folders["Inbox"]["totalItemCount"] == 3 and folders["Inbox"]["unreadItemCount"] == 3
    assert folders["Sent Items"]["totalItemCount"] == 0
    sent = {
        f["displayName"]: f
        for f in _get(client, reader, f"/users/{addr('payroll')}/mailFolders")["value"]
    }
    assert sent["Sent Items"]["totalItemCount"] == 3
    assert len({f["id"] for f in body["value"]}) == len(body["value"])


def test_folder_by_well_known_name_and_by_id(
    client: TestClient, reader: str, mailed: list[str]
) -> None:
    inbox = _get(client, reader, f"/users/{addr('hr')}/mailFolders/Inbox")
    assert inbox["displayName"] == "Inbox" and inbox["totalItemCount"] == 3
    assert (
        _get(client, reader, f"/users/{addr('hr')}/mailFolders/{inbox['id']}")["id"] == inbox["id"]
    )
    by_id = _get(client, reader, f"/users/{addr('hr')}/mailFolders/{inbox['id']}/messages")
    assert [m["subject"] for m in by_id["value"]] == ["Third", "Second", "First"]
    assert all(m["parentFolderId"] == inbox["id"] for m in by_id["value"])


@pytest.mark.parametrize("folder", ["inbox", "sentitems", "drafts"])
def test_folder_messages(client: TestClient, reader: str, mailed: list[str], folder: str) -> None:
    hr = _get(client, reader, f"/users/{addr('hr')}/mailFolders/{folder}/messages")["value"]
    payroll = _get(client, reader, f"/users/{addr('payroll')}/mailFolders/{folder}/messages")[
        "value"
    ]
    expected = {"inbox": (3, 0), "sentitems": (0, 3), "drafts": (0, 0)}[folder]
    assert (len(hr), len(payroll)) == expected


def test_messages_lists_all_folders_newest_first(
    client: TestClient, reader: str, token: Callable[..., str], mailed: list[str]
) -> None:
    send(client, token("Timesheet Mailer"), addr("hr"), message(addr("cfo"), subject="Reply"))
    body = _get(client, reader, f"/users/{addr('hr')}/messages")
    assert [m["subject"] for m in body["value"]] == ["Reply", "Third", "Second", "First"]
    assert "@odata.nextLink" not in body


def test_message_json_is_shaped_like_graphs(
    client: TestClient, reader: str, mailed: list[str]
) -> None:
    [newest] = _get(client, reader, f"/users/{addr('hr')}/messages?$top=1")["value"]
    assert set(newest) >= MESSAGE_KEYS
    assert not [k for k in newest if k.startswith("_")]
    assert "internetMessageHeaders" not in newest
    assert newest["sender"]["emailAddress"]["address"] == addr("payroll")
    assert newest["internetMessageId"].startswith("<") and newest["internetMessageId"].endswith(">")
    one = _get(client, reader, f"/users/{addr('hr')}/messages/{newest['id']}")
    assert one["@odata.context"].endswith("/messages/$entity")
    assert one["id"] == newest["id"] and one["subject"] == "Third"


def test_paging_with_top_and_skip(client: TestClient, reader: str, mailed: list[str]) -> None:
    first = _get(client, reader, f"/users/{addr('hr')}/messages?$top=2&$select=subject")
    assert [m["subject"] for m in first["value"]] == ["Third", "Second"]
    link = first["@odata.nextLink"]
    assert parse_qs(urlsplit(link).query)["$skip"] == ["2"]
    second = client.get(link, headers=bearer(reader)).json()
    assert [m["subject"] for m in second["value"]] == ["First"]
    assert "@odata.nextLink" not in second


def test_select_keeps_only_what_was_asked(
    client: TestClient, reader: str, mailed: list[str]
) -> None:
    [item] = _get(client, reader, f"/users/{addr('hr')}/messages?$top=1&$select=subject,from")[
        "value"
    ]
    assert set(item) == {"@odata.etag", "id", "subject", "from"}
    [headers] = _get(
        client, reader, f"/users/{addr('hr')}/messages?$top=1&$select=internetMessageHeaders"
    )["value"]
    assert headers["internetMessageHeaders"] == []


def test_filter_and_orderby(client: TestClient, reader: str, mailed: list[str]) -> None:
    found = _get(client, reader, f"/users/{addr('hr')}/messages?$filter=subject eq 'second'")
    assert [m["subject"] for m in found["value"]] == ["Second"]
    unread = _get(
        client,
        reader,
        f"/users/{addr('hr')}/messages?$filter=isRead eq false and "
        f"from/emailAddress/address eq '{addr('payroll')}'",
    )
    assert len(unread["value"]) == 3
    oldest = _get(client, reader, f"/users/{addr('hr')}/messages?$orderby=receivedDateTime asc")
    assert [m["subject"] for m in oldest["value"]] == ["First", "Second", "Third"]


def test_mail_readbasic_sees_no_body(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailed: list[str]
) -> None:
    basic = app_token(state, tenant.id, "Mail.ReadBasic.All")
    [item] = _get(client, basic, f"/users/{addr('hr')}/messages?$top=1")["value"]
    assert "body" not in item and "bodyPreview" not in item
    assert item["subject"] == "Third"


def test_delegated_reader_reads_own_mailbox(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailed: list[str]
) -> None:
    mine = delegated_token(state, tenant.id, addr("hr"), ["Mail.Read"])
    assert len(_get(client, mine, "/me/messages")["value"]) == 3
    assert error_of(client.get(f"{GRAPH}/users/{addr('ceo')}/messages", headers=bearer(mine)))[
        :2
    ] == (403, "ErrorAccessDenied")


# -- refusals ------------------------------------------------------------------------------


def test_mail_send_alone_cannot_read(client: TestClient, token: Callable[..., str]) -> None:
    response = client.get(
        f"{GRAPH}/users/{addr('hr')}/messages", headers=bearer(token("Timesheet Mailer"))
    )
    assert error_of(response) == (
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )


@pytest.mark.parametrize("path", ["/messages", "/mailFolders", "/mailFolders/inbox/messages"])
def test_reading_an_unknown_user_is_404(client: TestClient, reader: str, path: str) -> None:
    response = client.get(f"{GRAPH}/users/{addr('ghost')}{path}", headers=bearer(reader))
    assert error_of(response) == (
        404,
        "ErrorInvalidUser",
        f"The requested user '{addr('ghost')}' is invalid.",
    )


def test_me_messages_with_an_app_token_is_400(client: TestClient, reader: str) -> None:
    status, code, _ = error_of(client.get(f"{GRAPH}/me/messages", headers=bearer(reader)))
    assert (status, code) == (400, "BadRequest")


def test_unknown_message_is_404(client: TestClient, reader: str) -> None:
    missing = "AAMkAGI2TG93AAA" + "x" * 30 + "AAA="
    response = client.get(f"{GRAPH}/users/{addr('hr')}/messages/{missing}", headers=bearer(reader))
    assert error_of(response) == (
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )


def test_another_mailboxs_message_is_404(
    client: TestClient, reader: str, mailed: list[str]
) -> None:
    [item] = _get(client, reader, f"/users/{addr('hr')}/messages?$top=1")["value"]
    response = client.get(
        f"{GRAPH}/users/{addr('cfo')}/messages/{item['id']}", headers=bearer(reader)
    )
    assert error_of(response)[:2] == (404, "ErrorItemNotFound")


def test_malformed_ids_are_400(client: TestClient, reader: str) -> None:
    for path in ("/messages/bad", "/mailFolders/nope", "/mailFolders/nope/messages"):
        response = client.get(f"{GRAPH}/users/{addr('hr')}{path}", headers=bearer(reader))
        assert error_of(response) == (400, "ErrorInvalidIdMalformed", "Id is malformed."), path


def test_unknown_folder_id_is_404(client: TestClient, reader: str) -> None:
    response = client.get(
        f"{GRAPH}/users/{addr('hr')}/mailFolders/AAMkAZZZZZZZZZZZZZZZZZZZZAAA=",
        headers=bearer(reader),
    )
    assert error_of(response)[:2] == (404, "ErrorItemNotFound")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("$top=0", "ErrorInvalidUrlQuery"),
        ("$top=1001", "ErrorInvalidUrlQuery"),
        ("$top=ten", "ErrorInvalidUrlQuery"),
        ("$skip=-1", "ErrorInvalidUrlQuery"),
        ("$filter=startswith(subject,'a')", "ErrorInvalidUrlQueryFilter"),
        ("$orderby=subject", "ErrorInvalidUrlQuery"),
        ("$select=nonsense", "BadRequest"),
    ],
)
def test_bad_query_options_are_400(client: TestClient, reader: str, query: str, code: str) -> None:
    response = client.get(f"{GRAPH}/users/{addr('hr')}/messages?{query}", headers=bearer(reader))
    assert error_of(response)[:2] == (400, code)


def test_bad_select_names_the_property(client: TestClient, reader: str) -> None:
    response = client.get(
        f"{GRAPH}/users/{addr('hr')}/messages?$select=nonsense", headers=bearer(reader)
    )
    assert error_of(response)[2] == (
        "Parsing OData Select and Expand failed: Could not find a property named 'nonsense' on "
        "type 'microsoft.graph.message'."
    )
