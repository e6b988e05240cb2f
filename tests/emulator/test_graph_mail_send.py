"""POST /users/{id}/sendMail (JSON): delivery, the outbox, and every refusal of §3.5."""

from __future__ import annotations

import base64
from collections.abc import Callable

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
    folder_items,
    message,
    outbox,
    send,
)

MAILER = "Timesheet Mailer"


@pytest.fixture
def mailer(token: Callable[..., str]) -> str:
    return token(MAILER)


def test_send_is_202_with_an_empty_body(client: TestClient, mailer: str) -> None:
    response = send(client, mailer, addr("ceo"))
    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["request-id"]


def test_internal_recipient_finds_it_in_inbox(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    send(client, mailer, addr("payroll"), message(addr("lee.gu"), subject="Pay slips"))
    [received] = folder_items(state, tenant.id, addr("lee.gu"), "inbox")
    assert received["subject"] == "Pay slips"
    assert received["isRead"] is False
    assert received["from"]["emailAddress"] == {"name": "Payroll", "address": addr("payroll")}
    assert received["toRecipients"][0]["emailAddress"]["name"] == "Lee Gu"
    assert received["body"] == {"contentType": "text", "content": "Please submit your timesheet."}


def test_sender_copy_goes_to_sent_items(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    send(client, mailer, addr("payroll"), message(addr("lee.gu")))
    [sent] = folder_items(state, tenant.id, addr("payroll"), "sentitems")
    assert sent["isRead"] is True and sent["isDraft"] is False
    assert folder_items(state, tenant.id, addr("payroll"), "inbox") == []


@pytest.mark.parametrize("flag", [False, "false", "False"])
def test_save_to_sent_items_false_leaves_sent_items_empty(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str, flag: object
) -> None:
    assert send(client, mailer, addr("hr"), saveToSentItems=flag).status_code == 202
    assert folder_items(state, tenant.id, addr("hr"), "sentitems") == []
    assert len(folder_items(state, tenant.id, addr("cfo"), "inbox")) == 1


def test_external_recipient_goes_to_the_outbox_only(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    send(client, mailer, addr("noreply"), message("someone@fabrikam.com", subject="Receipt"))
    [entry] = outbox(state)
    assert entry["tenant_id"] == tenant.id
    assert entry["mailbox"] == addr("noreply")
    assert entry["subject"] == "Receipt"
    assert entry["app_id"] == tenant.apps[MAILER].client_id
    assert entry["sent_at"].endswith("Z")
    assert entry["recipients"] == [
        {
            "type": "to",
            "address": "someone@fabrikam.com",
            "name": "",
            "delivery": "external",
            "mailboxes": [],
        }
    ]
    assert entry["message"]["toRecipients"][0]["emailAddress"]["address"] == "someone@fabrikam.com"
    stored = state.store.scalar("SELECT COUNT(*) FROM messages WHERE folder = 'inbox'")
    assert stored == 0


def test_group_expands_to_its_members_mailboxes(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    send(client, mailer, addr("it"), message(addr("allstaff")))
    for member in ("ceo", "cfo", "hr"):
        assert len(folder_items(state, tenant.id, addr(member), "inbox")) == 1, member
    assert folder_items(state, tenant.id, addr("payroll"), "inbox") == []
    [entry] = outbox(state)
    [group] = entry["recipients"]
    assert group["delivery"] == "group" and group["name"] == "All Staff"
    assert sorted(group["mailboxes"]) == [addr("ceo"), addr("cfo"), addr("hr")]


def test_nested_group_members_receive_once(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    from sendscope.emulator.core.directory import Directory

    directory = Directory(state.store)
    outer = directory.recipient_by_address(tenant.id, addr("allstaff"))
    inner_id = directory.create_group(
        tenant.id,
        display_name="Leads",
        mail_nickname="leads",
        mail=addr("leads"),
        mail_enabled=True,
        security_enabled=True,
        now=state.clock.now(),
    )
    directory.add_recipient(
        tenant.id,
        inner_id,
        "MailUniversalSecurityGroup",
        "leads",
        "Leads",
        addr("leads"),
        now=state.clock.now(),
    )
    lee = directory.user(tenant.id, addr("lee.gu"))
    assert outer is not None and lee is not None
    directory.add_member(tenant.id, inner_id, lee["id"], "user")
    directory.add_member(tenant.id, outer["object_id"], inner_id, "group")
    send(client, mailer, addr("it"), message(addr("allstaff"), addr("lee.gu"), addr("leads")))
    assert len(folder_items(state, tenant.id, addr("lee.gu"), "inbox")) == 1


def test_shared_mailbox_recipient_and_sender(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    assert send(client, mailer, addr("info"), message(addr("info"))).status_code == 202
    assert len(folder_items(state, tenant.id, addr("info"), "inbox")) == 1
    assert len(folder_items(state, tenant.id, addr("info"), "sentitems")) == 1
    assert outbox(state)[0]["recipients"][0]["delivery"] == "internal"


def test_mailbox_by_object_id(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    from sendscope.emulator.core.directory import Directory

    user = Directory(state.store).user(tenant.id, addr("cfo"))
    assert user is not None
    assert send(client, mailer, user["id"].upper()).status_code == 202
    assert outbox(state)[0]["mailbox"] == addr("cfo")


def test_bcc_is_kept_only_in_the_senders_copy(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    payload = message(
        addr("hr"),
        ccRecipients=[{"emailAddress": {"address": addr("cfo")}}],
        bccRecipients=[{"emailAddress": {"address": addr("ceo"), "name": "Boss"}}],
        replyTo=[{"emailAddress": {"address": addr("noreply")}}],
    )
    send(client, mailer, addr("payroll"), payload)
    for member in ("hr", "cfo", "ceo"):
        [copy] = folder_items(state, tenant.id, addr(member), "inbox")
        assert copy["bccRecipients"] == []
        assert copy["ccRecipients"][0]["emailAddress"]["address"] == addr("cfo")
        assert copy["replyTo"][0]["emailAddress"]["address"] == addr("noreply")
    [sent] = folder_items(state, tenant.id, addr("payroll"), "sentitems")
    assert sent["bccRecipients"] == [{"emailAddress": {"name": "Boss", "address": addr("ceo")}}]
    assert [r["type"] for r in outbox(state)[0]["recipients"]] == ["to", "cc", "bcc"]


def test_html_body_headers_and_attachments_are_kept(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    payload = message(
        addr("hr"),
        body={"contentType": "HTML", "content": "<p>Hello <b>team</b></p>"},
        internetMessageHeaders=[{"name": "x-custom-header-group-name", "value": "timesheets"}],
        attachments=[
            {
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": "attachment.txt",
                "contentType": "text/plain",
                "contentBytes": "SGVsbG8gV29ybGQh",
            }
        ],
    )
    assert send(client, mailer, addr("payroll"), payload).status_code == 202
    [copy] = folder_items(state, tenant.id, addr("hr"), "inbox")
    assert copy["body"]["contentType"] == "html"
    assert copy["bodyPreview"] == "Hello team"
    assert copy["hasAttachments"] is True
    assert copy["internetMessageHeaders"] == [
        {"name": "x-custom-header-group-name", "value": "timesheets"}
    ]
    [attachment] = copy["_attachments"]
    assert attachment["name"] == "attachment.txt" and attachment["size"] == 12
    assert base64.b64decode(attachment["contentBytes"]) == b"Hello World!"
    assert outbox(state)[0]["message"]["attachments"][0]["name"] == "attachment.txt"


def test_from_the_mailbox_itself_is_allowed(client: TestClient, mailer: str) -> None:
    payload = message(addr("hr")) | {"from": {"emailAddress": {"address": addr("payroll")}}}
    assert send(client, mailer, addr("payroll"), payload).status_code == 202


@pytest.mark.parametrize("sender", ["ceo", "someone@fabrikam.com"])
def test_from_another_address_is_send_as_denied(
    client: TestClient, state: EmulatorState, mailer: str, sender: str
) -> None:
    address = sender if "@" in sender else addr(sender)
    payload = message(addr("hr")) | {"from": {"emailAddress": {"address": address}}}
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        403,
        "ErrorSendAsDenied",
        "The user account which was used to submit this request does not have the right to "
        "send mail on behalf of the specified sending account., Cannot submit message.",
    )
    assert outbox(state) == []


def test_delegated_me_sends_as_the_signed_in_user(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    token = delegated_token(state, tenant.id, addr("admin"), ["Mail.Send", "User.Read"])
    response = client.post(
        f"{GRAPH}/me/sendMail", headers=bearer(token), json={"message": message(addr("hr"))}
    )
    assert response.status_code == 202
    assert outbox(state)[0]["mailbox"] == addr("admin")
    assert outbox(state)[0]["app_id"] == "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def test_delegated_other_mailbox_needs_mail_send_shared(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    plain = delegated_token(state, tenant.id, addr("admin"), ["Mail.Send"])
    assert error_of(send(client, plain, addr("ceo")))[:2] == (403, "ErrorAccessDenied")
    shared = delegated_token(state, tenant.id, addr("admin"), ["Mail.Send.Shared"])
    assert send(client, shared, addr("ceo")).status_code == 202


# -- refusals ------------------------------------------------------------------------------


def test_me_with_an_app_token_is_400(client: TestClient, mailer: str) -> None:
    response = client.post(
        f"{GRAPH}/me/sendMail", headers=bearer(mailer), json={"message": message(addr("hr"))}
    )
    assert error_of(response) == (
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )


def test_unknown_user_is_404(client: TestClient, mailer: str) -> None:
    assert error_of(send(client, mailer, addr("nobody"))) == (
        404,
        "ErrorInvalidUser",
        f"The requested user '{addr('nobody')}' is invalid.",
    )


def test_user_without_a_mailbox_is_404(client: TestClient, mailer: str) -> None:
    assert error_of(send(client, mailer, addr("contractor"))) == (
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    )


def test_without_mail_send_is_403(client: TestClient, token: Callable[..., str]) -> None:
    assert error_of(send(client, token(admin=True), addr("hr"))) == (
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )


def test_mail_read_cannot_send(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    reader = app_token(state, tenant.id, "Mail.Read", "Mail.ReadWrite")
    assert error_of(send(client, reader, addr("hr")))[:2] == (403, "ErrorAccessDenied")


def test_without_a_token_is_401(client: TestClient) -> None:
    response = client.post(f"{GRAPH}/users/{addr('hr')}/sendMail", json={"message": {}})
    assert error_of(response) == (401, "InvalidAuthenticationToken", "Access token is empty.")


def test_no_recipients_is_400(client: TestClient, state: EmulatorState, mailer: str) -> None:
    assert error_of(send(client, mailer, addr("hr"), message())) == (
        400,
        "ErrorInvalidRecipients",
        "At least one recipient is not valid., A message can't be sent because it contains no "
        "recipients.",
    )
    assert outbox(state) == []


@pytest.mark.parametrize("bad", ["not-an-address", "name.@fabrikam.com", "a@@b.com", "x@y", ""])
def test_malformed_address_is_400(client: TestClient, mailer: str, bad: str) -> None:
    assert error_of(send(client, mailer, addr("hr"), message(addr("cfo"), bad))) == (
        400,
        "ErrorInvalidRecipients",
        f"At least one recipient is not valid., Recipient '{bad}' is not resolved. All "
        "recipients must be resolved before a message can be submitted.",
    )


def test_request_over_4mb_is_400(client: TestClient, mailer: str) -> None:
    content = base64.b64encode(b"x" * (3 * 1024 * 1024 + 200_000)).decode()
    payload = message(
        addr("hr"),
        attachments=[
            {
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": "big.bin",
                "contentBytes": content,
            }
        ],
    )
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        400,
        "BadRequest",
        "The maximum request length supported is 4MB.",
    )


def test_request_just_under_4mb_is_accepted(client: TestClient, mailer: str) -> None:
    content = base64.b64encode(b"x" * (2 * 1024 * 1024)).decode()
    payload = message(
        addr("hr"),
        attachments=[
            {
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": "ok.bin",
                "contentBytes": content,
            }
        ],
    )
    assert send(client, mailer, addr("payroll"), payload).status_code == 202


def test_malformed_json_is_400(client: TestClient, mailer: str) -> None:
    response = client.post(
        f"{GRAPH}/users/{addr('hr')}/sendMail",
        headers={**bearer(mailer), "Content-Type": "application/json"},
        content=b'{"message": {',
    )
    assert error_of(response) == (
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and "
        "payload is of valid JSON format.",
    )


def test_unknown_message_property_is_request_body_read(client: TestClient, mailer: str) -> None:
    payload = message(addr("hr"), saveToSentItems=False)
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        400,
        "RequestBodyRead",
        "The property 'saveToSentItems' does not exist on type 'microsoft.graph.message'. Make "
        "sure to only use property names that are defined by the type or mark the type as "
        "open type.",
    )


def test_unknown_parameter_is_request_body_read(client: TestClient, mailer: str) -> None:
    response = client.post(
        f"{GRAPH}/users/{addr('hr')}/sendMail",
        headers=bearer(mailer),
        json={"subject": "flat", "message": message(addr("cfo"))},
    )
    assert error_of(response) == (
        400,
        "RequestBodyRead",
        "The parameter 'subject' in the request payload is not a valid parameter for the "
        "operation 'sendMail'.",
    )


def test_missing_message_is_400(client: TestClient, mailer: str) -> None:
    response = client.post(
        f"{GRAPH}/users/{addr('hr')}/sendMail",
        headers=bearer(mailer),
        json={"saveToSentItems": True},
    )
    assert error_of(response) == (
        400,
        "ErrorInvalidRequest",
        "Required parameter 'Message' is missing.",
    )


def test_bad_save_to_sent_items_is_400(client: TestClient, mailer: str) -> None:
    assert error_of(send(client, mailer, addr("hr"), saveToSentItems="maybe")) == (
        400,
        "RequestBodyRead",
        "Cannot convert the literal 'maybe' to the expected type 'Edm.Boolean'.",
    )


def test_bad_body_content_type_is_400(client: TestClient, mailer: str) -> None:
    payload = message(addr("hr"), body={"contentType": "markdown", "content": "*hi*"})
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        400,
        "RequestBodyRead",
        "Requested value 'markdown' was not found.",
    )


def test_recipients_must_be_an_array(client: TestClient, mailer: str) -> None:
    payload = message(toRecipients={"emailAddress": {"address": addr("hr")}})
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        400,
        "RequestBodyRead",
        "An unexpected 'StartObject' node was found when reading from the JSON reader. A "
        "'StartArray' node was expected.",
    )


def test_custom_header_must_start_with_x(client: TestClient, mailer: str) -> None:
    payload = message(addr("hr"), internetMessageHeaders=[{"name": "In-Reply-To", "value": "<a>"}])
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        400,
        "InvalidInternetMessageHeader",
        "The internet message header name 'In-Reply-To' should start with 'x-' or 'X-'.",
    )


def test_more_than_five_custom_headers_is_400(client: TestClient, mailer: str) -> None:
    headers = [{"name": f"x-h{i}", "value": "v"} for i in range(6)]
    payload = message(addr("hr"), internetMessageHeaders=headers)
    assert error_of(send(client, mailer, addr("payroll"), payload)) == (
        400,
        "InvalidInternetMessageHeaderCollection",
        "Maximum number of headers in one message should be less than or equal to 5.",
    )


def test_attachment_with_bad_base64_is_400(client: TestClient, mailer: str) -> None:
    payload = message(
        addr("hr"),
        attachments=[
            {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a", "contentBytes": "@@@"}
        ],
    )
    status, code, text = error_of(send(client, mailer, addr("payroll"), payload))
    assert (status, code) == (400, "RequestBodyRead")
    assert text.startswith("The input is not a valid Base-64 string")
