"""sendMail in MIME format: base64 of an RFC 822 message, Content-Type text/plain."""

from __future__ import annotations

import base64
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import (
    GRAPH,
    addr,
    error_of,
    folder_items,
    outbox,
    send_mime,
)


@pytest.fixture
def mailer(token: Callable[..., str]) -> str:
    return token("Timesheet Mailer")


def _mime(**headers: str) -> EmailMessage:
    mail = EmailMessage()
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Plain part of the report.")
    mail.add_alternative("<p>HTML part of the <b>report</b></p>", subtype="html")
    return mail


def test_mime_send_is_parsed_into_subject_and_recipients(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    mail = _mime(
        Subject="Monthly report",
        From=f"Payroll <{addr('payroll')}>",
        To=f"Human Resources <{addr('hr')}>, outside@fabrikam.com",
        Cc=addr("cfo"),
        Bcc=addr("ceo"),
        X_Report_Id="r-42",
        Message_ID="<report-42@contoso.onmicrosoft.com>",
    )
    mail.add_attachment(b"col1,col2\n1,2\n", maintype="text", subtype="csv", filename="r.csv")
    response = send_mime(client, mailer, addr("payroll"), mail.as_bytes())
    assert response.status_code == 202 and response.content == b""
    [copy] = folder_items(state, tenant.id, addr("hr"), "inbox")
    assert copy["subject"] == "Monthly report"
    assert copy["body"]["contentType"] == "html"
    assert "HTML part of the <b>report</b>" in copy["body"]["content"]
    assert [r["emailAddress"]["address"] for r in copy["toRecipients"]] == [
        addr("hr"),
        "outside@fabrikam.com",
    ]
    assert copy["ccRecipients"][0]["emailAddress"]["address"] == addr("cfo")
    assert copy["bccRecipients"] == []
    assert copy["internetMessageId"] == "<report-42@contoso.onmicrosoft.com>"
    assert copy["internetMessageHeaders"] == [{"name": "X-Report-Id", "value": "r-42"}]
    [attachment] = copy["_attachments"]
    assert (attachment["name"], attachment["contentType"]) == ("r.csv", "text/csv")
    assert base64.b64decode(attachment["contentBytes"]) == b"col1,col2\n1,2\n"
    assert len(folder_items(state, tenant.id, addr("ceo"), "inbox")) == 1
    [sent] = folder_items(state, tenant.id, addr("payroll"), "sentitems")
    assert sent["bccRecipients"][0]["emailAddress"]["address"] == addr("ceo")
    deliveries = {r["address"]: r["delivery"] for r in outbox(state)[0]["recipients"]}
    assert deliveries == {
        addr("hr"): "internal",
        "outside@fabrikam.com": "external",
        addr("cfo"): "internal",
        addr("ceo"): "internal",
    }


def test_mime_with_wrapped_base64_lines(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    raw = _mime(Subject="Wrapped", To=addr("hr")).as_bytes()
    body = base64.encodebytes(raw)  # 76-character lines, as many clients send it
    response = client.post(
        f"{GRAPH}/users/{addr('payroll')}/sendMail",
        headers={**bearer(mailer), "Content-Type": "text/plain"},
        content=body,
    )
    assert response.status_code == 202
    assert folder_items(state, tenant.id, addr("hr"), "inbox")[0]["subject"] == "Wrapped"


def test_plain_text_only_mime(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    mail = EmailMessage()
    mail["To"], mail["Subject"] = addr("hr"), "Plain"
    mail.set_content("Just text.")
    assert send_mime(client, mailer, addr("payroll"), mail.as_bytes()).status_code == 202
    [copy] = folder_items(state, tenant.id, addr("hr"), "inbox")
    assert copy["body"] == {"contentType": "text", "content": "Just text.\n"}
    assert copy["hasAttachments"] is False


@pytest.mark.parametrize("body", [b"this is not base64!", b"", b"QUJD*"])
def test_bad_base64_is_400(client: TestClient, mailer: str, body: bytes) -> None:
    response = client.post(
        f"{GRAPH}/users/{addr('payroll')}/sendMail",
        headers={**bearer(mailer), "Content-Type": "text/plain"},
        content=body,
    )
    assert error_of(response) == (
        400,
        "ErrorMimeContentInvalidBase64String",
        "Invalid base64 string for MIME content.",
    )


def test_mime_without_recipients_is_400(client: TestClient, mailer: str) -> None:
    raw = _mime(Subject="Nobody").as_bytes()
    status, code, _ = error_of(send_mime(client, mailer, addr("payroll"), raw))
    assert (status, code) == (400, "ErrorInvalidRecipients")


def test_mime_from_another_mailbox_is_send_as_denied(client: TestClient, mailer: str) -> None:
    raw = _mime(Subject="Spoof", From=addr("ceo"), To=addr("hr")).as_bytes()
    status, code, _ = error_of(send_mime(client, mailer, addr("payroll"), raw))
    assert (status, code) == (403, "ErrorSendAsDenied")


def test_mime_over_4mb_is_400(client: TestClient, mailer: str) -> None:
    mail = _mime(Subject="Huge", To=addr("hr"))
    mail.add_attachment(
        b"\0" * (3 * 1024 * 1024),
        maintype="application",
        subtype="octet-stream",
        filename="huge.bin",
    )
    assert error_of(send_mime(client, mailer, addr("payroll"), mail.as_bytes())) == (
        400,
        "BadRequest",
        "The maximum request length supported is 4MB.",
    )
