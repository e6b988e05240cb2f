"""Drafts, small attachments, upload sessions for large ones, and sending the draft."""

from __future__ import annotations

import base64
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import (
    GRAPH,
    addr,
    app_token,
    error_of,
    folder_items,
    message,
    outbox,
)

MB = 1024 * 1024
SENDER = f"{GRAPH}/users/{addr('payroll')}"


@pytest.fixture
def writer(state: EmulatorState, tenant: Tenant) -> str:
    return app_token(state, tenant.id, "Mail.ReadWrite", "Mail.Send")


@pytest.fixture
def draft(client: TestClient, writer: str) -> dict[str, Any]:
    response = client.post(
        f"{SENDER}/messages",
        headers=bearer(writer),
        json=message(addr("hr"), subject="Quarterly report"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _session(client: TestClient, token: str, message_id: str, size: int) -> httpx.Response:
    item = {
        "AttachmentItem": {
            "attachmentType": "file",
            "name": "report.pdf",
            "size": size,
            "contentType": "application/pdf",
        }
    }
    return client.post(
        f"{SENDER}/messages/{message_id}/attachments/createUploadSession",
        headers=bearer(token),
        json=item,
    )


def _put(client: TestClient, url: str, data: bytes, start: int, total: int) -> httpx.Response:
    headers = {
        "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}",
        "Content-Type": "application/octet-stream",
    }
    return client.put(url, content=data, headers=headers)


def _file(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def test_create_draft(
    client: TestClient, draft: dict[str, Any], state: EmulatorState, tenant: Tenant
) -> None:
    assert draft["isDraft"] is True and draft["subject"] == "Quarterly report"
    assert draft["@odata.context"].endswith("/messages/$entity")
    assert draft["toRecipients"] == [{"emailAddress": {"name": addr("hr"), "address": addr("hr")}}]
    [stored] = folder_items(state, tenant.id, addr("payroll"), "drafts")
    assert stored["id"] == draft["id"]
    assert outbox(state) == []


def test_draft_needs_mail_readwrite(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    sender = app_token(state, tenant.id, "Mail.Send", "Mail.Read")
    response = client.post(f"{SENDER}/messages", headers=bearer(sender), json=message(addr("hr")))
    assert error_of(response) == (
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )


def test_small_attachment(client: TestClient, writer: str, draft: dict[str, Any]) -> None:
    item = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": "notes.txt",
        "contentType": "text/plain",
        "contentBytes": base64.b64encode(b"notes").decode(),
    }
    response = client.post(
        f"{SENDER}/messages/{draft['id']}/attachments", headers=bearer(writer), json=item
    )
    assert response.status_code == 201
    added = response.json()
    assert (added["name"], added["size"], added["isInline"]) == ("notes.txt", 5, False)
    listed = client.get(
        f"{SENDER}/messages/{draft['id']}/attachments", headers=bearer(writer)
    ).json()
    assert [a["id"] for a in listed["value"]] == [added["id"]]
    one = client.get(
        f"{SENDER}/messages/{draft['id']}/attachments/{added['id']}", headers=bearer(writer)
    ).json()
    assert base64.b64decode(one["contentBytes"]) == b"notes"
    message_now = client.get(f"{SENDER}/messages/{draft['id']}", headers=bearer(writer)).json()
    assert message_now["hasAttachments"] is True


def test_upload_session_shape(client: TestClient, writer: str, draft: dict[str, Any]) -> None:
    response = _session(client, writer, draft["id"], 4 * MB)
    assert response.status_code == 201
    session = response.json()
    assert session["@odata.context"].endswith("/v1.0/$metadata#microsoft.graph.uploadSession")
    assert session["nextExpectedRanges"] == ["0-"]
    assert session["expirationDateTime"].endswith("Z")
    url = httpx.URL(session["uploadUrl"])
    assert url.host == "testserver"
    assert url.path.startswith("/api/v2.0/Users('")
    assert f"/Messages('{draft['id']}')/AttachmentSessions('" in url.path
    assert url.params["authtoken"]


def test_upload_in_chunks_then_send(
    client: TestClient, writer: str, draft: dict[str, Any], state: EmulatorState, tenant: Tenant
) -> None:
    data = _file(int(5.5 * MB))
    url = _session(client, writer, draft["id"], len(data)).json()["uploadUrl"]
    first = _put(client, url, data[: 3 * MB], 0, len(data))
    assert first.status_code == 200
    assert first.json()["nextExpectedRanges"] == [str(3 * MB)]
    assert "ExpirationDateTime" in first.json()
    last = _put(client, url, data[3 * MB :], 3 * MB, len(data))
    assert last.status_code == 201 and last.content == b""
    location = last.headers["location"]
    assert f"/Messages('{draft['id']}')/Attachments('" in location
    attachment_id = location.rsplit("('", 1)[1].rstrip("')")
    got = client.get(
        f"{SENDER}/messages/{draft['id']}/attachments/{attachment_id}", headers=bearer(writer)
    ).json()
    assert got["size"] == len(data) and got["contentType"] == "application/pdf"
    assert base64.b64decode(got["contentBytes"]) == data

    sent = client.post(f"{SENDER}/messages/{draft['id']}/send", headers=bearer(writer))
    assert sent.status_code == 202 and sent.content == b""
    assert folder_items(state, tenant.id, addr("payroll"), "drafts") == []
    [filed] = folder_items(state, tenant.id, addr("payroll"), "sentitems")
    assert filed["subject"] == "Quarterly report" and filed["isDraft"] is False
    [received] = folder_items(state, tenant.id, addr("hr"), "inbox")
    assert received["hasAttachments"] is True
    assert base64.b64decode(received["_attachments"][0]["contentBytes"]) == data
    assert outbox(state)[0]["subject"] == "Quarterly report"
    gone = client.get(f"{SENDER}/messages/{draft['id']}", headers=bearer(writer))
    assert error_of(gone)[:2] == (404, "ErrorItemNotFound")


def test_upload_put_carries_no_authorization(
    client: TestClient, writer: str, draft: dict[str, Any]
) -> None:
    url = _session(client, writer, draft["id"], 3 * MB).json()["uploadUrl"]
    data = _file(3 * MB)
    response = client.put(
        url,
        content=data,
        headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}", **bearer("not-a-token")},
    )
    assert response.status_code == 201  # the URL's own token counts, not a header


@pytest.mark.parametrize(
    ("start", "end", "total", "text"),
    [
        (
            1024,
            2047,
            3 * MB,
            "The byte range starts at 1024, but the next expected range starts at "
            "0: upload bytes in order.",
        ),
        (
            0,
            1023,
            5 * MB,
            f"The upload session is for {3 * MB} total bytes, but the Content-Range "
            f"header declares a total of {5 * MB}.",
        ),
        (
            0,
            2047,
            3 * MB,
            "The Content-Range header length does not match the provided number of bytes.",
        ),
    ],
)
def test_wrong_range_is_400(
    client: TestClient,
    writer: str,
    draft: dict[str, Any],
    start: int,
    end: int,
    total: int,
    text: str,
) -> None:
    url = _session(client, writer, draft["id"], 3 * MB).json()["uploadUrl"]
    response = client.put(
        url, content=_file(1024), headers={"Content-Range": f"bytes {start}-{end}/{total}"}
    )
    assert error_of(response) == (400, "ErrorInvalidRequest", text)


def test_missing_content_range_is_400(
    client: TestClient, writer: str, draft: dict[str, Any]
) -> None:
    url = _session(client, writer, draft["id"], 3 * MB).json()["uploadUrl"]
    status, code, _ = error_of(client.put(url, content=b"abc"))
    assert (status, code) == (400, "ErrorInvalidRequest")


def test_chunk_over_4mb_is_400(client: TestClient, writer: str, draft: dict[str, Any]) -> None:
    url = _session(client, writer, draft["id"], 6 * MB).json()["uploadUrl"]
    response = _put(client, url, _file(4 * MB + 1), 0, 6 * MB)
    assert error_of(response) == (400, "BadRequest", "The maximum request length supported is 4MB.")


def test_upload_token_is_checked(client: TestClient, writer: str, draft: dict[str, Any]) -> None:
    url = httpx.URL(_session(client, writer, draft["id"], 3 * MB).json()["uploadUrl"])
    other = httpx.URL(_session(client, writer, draft["id"], 3 * MB).json()["uploadUrl"])
    data = _file(1024)
    headers = {"Content-Range": f"bytes 0-1023/{3 * MB}"}
    missing = client.put(str(url.copy_remove_param("authtoken")), content=data, headers=headers)
    assert error_of(missing) == (401, "InvalidAuthenticationToken", "Access token is empty.")
    swapped = url.copy_set_param("authtoken", other.params["authtoken"])
    assert error_of(client.put(str(swapped), content=data, headers=headers)) == (
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure.",
    )
    graph_token = url.copy_set_param("authtoken", writer)
    assert error_of(client.put(str(graph_token), content=data, headers=headers))[:2] == (
        401,
        "InvalidAuthenticationToken",
    )


def test_cancel_upload(client: TestClient, writer: str, draft: dict[str, Any]) -> None:
    url = _session(client, writer, draft["id"], 3 * MB).json()["uploadUrl"]
    assert client.delete(url).status_code == 204
    response = _put(client, url, _file(1024), 0, 3 * MB)
    assert error_of(response) == (
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )


def test_session_under_3mb_is_refused(
    client: TestClient, writer: str, draft: dict[str, Any]
) -> None:
    assert error_of(_session(client, writer, draft["id"], 3 * MB - 1)) == (
        400,
        "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
        "Attachment size must be greater than the minimum size.",
    )


def test_session_over_150mb_is_refused(
    client: TestClient, writer: str, draft: dict[str, Any]
) -> None:
    status, code, _ = error_of(_session(client, writer, draft["id"], 150 * MB + 1))
    assert (status, code) == (400, "ErrorAttachmentSizeLimitExceeded")


def test_session_needs_mail_readwrite(
    client: TestClient, state: EmulatorState, tenant: Tenant, draft: dict[str, Any]
) -> None:
    sender = app_token(state, tenant.id, "Mail.Send")
    assert error_of(_session(client, sender, draft["id"], 4 * MB))[:2] == (403, "ErrorAccessDenied")


def test_session_needs_attachment_item(
    client: TestClient, writer: str, draft: dict[str, Any]
) -> None:
    response = client.post(
        f"{SENDER}/messages/{draft['id']}/attachments/createUploadSession",
        headers=bearer(writer),
        json={"name": "x"},
    )
    assert error_of(response) == (
        400,
        "ErrorInvalidRequest",
        "Required parameter 'AttachmentItem' is missing.",
    )


def test_session_for_unknown_message_is_404(client: TestClient, writer: str) -> None:
    status, code, _ = error_of(_session(client, writer, "AAMkA" + "q" * 40 + "AAA=", 4 * MB))
    assert (status, code) == (404, "ErrorItemNotFound")


def test_send_needs_mail_send(
    client: TestClient, state: EmulatorState, tenant: Tenant, draft: dict[str, Any]
) -> None:
    only_write = app_token(state, tenant.id, "Mail.ReadWrite")
    response = client.post(f"{SENDER}/messages/{draft['id']}/send", headers=bearer(only_write))
    assert error_of(response)[:2] == (403, "ErrorAccessDenied")


def test_sending_a_non_draft_is_400(
    client: TestClient, writer: str, draft: dict[str, Any], state: EmulatorState, tenant: Tenant
) -> None:
    client.post(f"{SENDER}/messages/{draft['id']}/send", headers=bearer(writer))
    [filed] = folder_items(state, tenant.id, addr("payroll"), "sentitems")
    response = client.post(f"{SENDER}/messages/{filed['id']}/send", headers=bearer(writer))
    assert error_of(response) == (400, "ErrorInvalidRequest", "Only a draft message can be sent.")


def test_draft_without_recipients_cannot_be_sent(client: TestClient, writer: str) -> None:
    created = client.post(f"{SENDER}/messages", headers=bearer(writer), json={"subject": "x"})
    response = client.post(f"{SENDER}/messages/{created.json()['id']}/send", headers=bearer(writer))
    assert error_of(response)[:2] == (400, "ErrorInvalidRecipients")
