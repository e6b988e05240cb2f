"""Message building and delivery planning: pure, no network."""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path

import pytest

from sendscope.errors import UsageError
from sendscope.mail import Attachment, OutgoingMessage
from sendscope.mail.message import MAX_ATTACHMENT_BYTES, send_mail_payload
from sendscope.mail.plan import (
    MAX_REQUEST_BYTES,
    UPLOAD_CHUNK_BYTES,
    InlinePlan,
    UploadPlan,
    byte_ranges,
    encode_json,
    plan_delivery,
)
from sendscope.mail.steps import Action, delivery_flow
from tests.unit.test_mailer_support import large

FROM = "noreply@contoso.onmicrosoft.com"


def msg(**changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "sender": FROM,
        "to": ("ceo@contoso.onmicrosoft.com",),
        "subject": "Timesheet due",
        "body": "Please submit.",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def test_payload_is_graphs_send_mail_body() -> None:
    note = Attachment("note.txt", b"Hello World!", "text/plain")
    message = msg(
        cc=("cfo@contoso.onmicrosoft.com",),
        bcc=["hr@contoso.onmicrosoft.com"],
        reply_to="it@contoso.onmicrosoft.com",
        attachments=(note,),
    )
    assert send_mail_payload(message) == {
        "message": {
            "subject": "Timesheet due",
            "body": {"contentType": "Text", "content": "Please submit."},
            "toRecipients": [{"emailAddress": {"address": "ceo@contoso.onmicrosoft.com"}}],
            "ccRecipients": [{"emailAddress": {"address": "cfo@contoso.onmicrosoft.com"}}],
            "bccRecipients": [{"emailAddress": {"address": "hr@contoso.onmicrosoft.com"}}],
            "replyTo": [{"emailAddress": {"address": "it@contoso.onmicrosoft.com"}}],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": "note.txt",
                    "contentType": "text/plain",
                    "contentBytes": "SGVsbG8gV29ybGQh",
                }
            ],
        }
    }


def test_html_and_no_save_to_sent() -> None:
    payload = send_mail_payload(msg(body="<p>Hi</p>", html=True, save_to_sent_items=False))
    assert payload["message"]["body"] == {"contentType": "HTML", "content": "<p>Hi</p>"}
    assert payload["saveToSentItems"] is False
    assert "saveToSentItems" not in send_mail_payload(msg())  # only when false (the docs)
    assert "ccRecipients" not in payload["message"]


def test_addresses_split_on_commas_and_trimmed() -> None:
    message = msg(to="a@contoso.com, b@contoso.com", cc=["c@contoso.com,d@contoso.com"])
    assert message.to == ("a@contoso.com", "b@contoso.com")
    assert message.recipients == (
        "a@contoso.com",
        "b@contoso.com",
        "c@contoso.com",
        "d@contoso.com",
    )


@pytest.mark.parametrize(
    ("field", "option"),
    [
        ("sender", "--from"),
        ("to", "--to"),
        ("cc", "--cc"),
        ("bcc", "--bcc"),
        ("reply_to", "--reply-to"),
    ],
)
def test_bad_address_is_named_with_its_option(field: str, option: str) -> None:
    value = "ceo-at-contoso" if field == "sender" else ("ceo-at-contoso",)
    with pytest.raises(UsageError) as caught:
        msg(**{field: value})
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        f"{option} 'ceo-at-contoso' is not an email address: write it like ceo@contoso.com"
    )


def test_at_least_one_recipient() -> None:
    with pytest.raises(UsageError, match=r"^no recipient: give at least one --to"):
        msg(to=())
    assert msg(to=(), bcc=("hr@contoso.com",)).recipients == ("hr@contoso.com",)


def test_attachment_from_path_guesses_type(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / "data.unknownext").write_bytes(b"\x00")
    pdf = Attachment.from_path(tmp_path / "report.pdf")
    assert (pdf.name, pdf.content_type, pdf.size) == ("report.pdf", "application/pdf", 8)
    assert Attachment.from_path(tmp_path / "data.unknownext").content_type == (
        "application/octet-stream"
    )
    assert "PDF" not in repr(pdf)  # content stays out of reprs and logs


def test_attachment_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^--attach .*missing.txt: cannot read it \(No such "):
        Attachment.from_path(tmp_path / "missing.txt")
    with pytest.raises(UsageError, match=r"is a directory, not a file$"):
        Attachment.from_path(tmp_path)
    with pytest.raises(UsageError, match=r"^--attach needs a file's path, not '' or '\.'$"):
        Attachment.from_path(Path())  # --attach '' arrives as Path("") == Path(".")
    huge = tmp_path / "huge.iso"
    with huge.open("wb") as handle:  # sparse: nothing is written
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)
    with pytest.raises(UsageError, match=r"150.0 MB: Outlook takes attachments up to 150 MB"):
        Attachment.from_path(huge)


def test_small_message_goes_inline_with_exact_bytes() -> None:
    message = msg(attachments=(Attachment("a.txt", b"abc", "text/plain"),))
    plan = plan_delivery(message, allow_upload_session=False)
    assert isinstance(plan, InlinePlan)
    assert plan.body == encode_json(send_mail_payload(message))
    assert json.loads(plan.body)["message"]["attachments"][0]["contentBytes"] == "YWJj"
    assert plan.size == len(plan.body)


def _filler(total: int) -> OutgoingMessage:
    """A message whose sendMail body is exactly ``total`` bytes."""
    base = len(encode_json(send_mail_payload(msg(body=""))))
    return msg(body="x" * (total - base))


def test_the_4mb_limit_is_inclusive() -> None:
    at_limit = _filler(MAX_REQUEST_BYTES)
    assert plan_delivery(at_limit, allow_upload_session=False).size == MAX_REQUEST_BYTES
    with pytest.raises(UsageError, match=r"^The message is 4.0 MB as one Graph request"):
        plan_delivery(_filler(MAX_REQUEST_BYTES + 1), allow_upload_session=False)


def test_too_large_is_refused_with_the_reason() -> None:
    message = msg(attachments=(large(3_500_000, "scan.pdf"),))
    with pytest.raises(UsageError) as caught:
        plan_delivery(message, allow_upload_session=False)
    text = caught.value.message
    assert text.startswith(
        "The message is 4.5 MB as one Graph request, over Graph's 4 MB request limit"
    )
    assert "the largest attachment, scan.pdf, is 3.3 MB" in text
    assert "Nothing was sent." in text
    assert (
        "needs the Mail.ReadWrite application permission, which lets the app read and "
        "change every message in every mailbox it can reach"
    ) in text
    assert text.endswith("pass --allow-upload-session (allow_upload_session=True in the library).")


def test_upload_plan_keeps_small_files_in_the_draft() -> None:
    big, small = large(5_000_000), Attachment("small.txt", b"hello", "text/plain")
    plan = plan_delivery(msg(attachments=(big, small)), allow_upload_session=True)
    assert isinstance(plan, UploadPlan)
    assert plan.large == (big,)
    assert plan.posted == ()
    draft = json.loads(plan.draft)
    assert "message" not in draft  # a draft is the message resource itself
    assert [a["name"] for a in draft["attachments"]] == ["small.txt"]
    assert plan.uploaded(big) and not plan.uploaded(small)


def test_small_files_that_do_not_fit_the_draft_are_posted_one_by_one() -> None:
    parts = tuple(large(2_000_000, f"part{i}.bin") for i in range(3))
    plan = plan_delivery(msg(attachments=parts), allow_upload_session=True)
    assert isinstance(plan, UploadPlan)
    assert len(plan.draft) <= MAX_REQUEST_BYTES
    assert plan.large == ()
    assert len(plan.posted) == 2  # one fits in the draft with the text
    assert sorted(a.name for a in plan.posted) == ["part1.bin", "part2.bin"]


def test_upload_session_cannot_skip_sent_items() -> None:
    message = msg(attachments=(large(5_000_000),), save_to_sent_items=False)
    with pytest.raises(UsageError, match=r"^--no-save-to-sent cannot be honoured"):
        plan_delivery(message, allow_upload_session=True)


def test_a_body_over_4mb_cannot_be_uploaded() -> None:
    message = msg(body="x" * (MAX_REQUEST_BYTES + 10))
    with pytest.raises(UsageError, match=r"^The message text alone is 4.0 MB"):
        plan_delivery(message, allow_upload_session=True)


def test_chunks_are_multiples_of_320_kib_under_4_mb() -> None:
    assert UPLOAD_CHUNK_BYTES % (320 * 1024) == 0
    assert UPLOAD_CHUNK_BYTES < 4 * 1024 * 1024
    ranges = list(byte_ranges(10_000_000))
    assert ranges[0] == (0, UPLOAD_CHUNK_BYTES)
    assert ranges[-1][1] == 10_000_000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_upload_flow_order() -> None:
    big = large(5_000_000)
    parts = (big, *(large(2_000_000, f"p{i}") for i in range(2)))
    plan = plan_delivery(msg(attachments=parts), allow_upload_session=True)
    flow = delivery_flow(FROM, plan)
    actions, answer = [], None
    step = next(flow)
    try:
        while True:
            actions.append(step.action)
            answer = {
                "createDraft": "draft-1",
                "createUploadSession": "https://u/?authtoken=t",
                "send": "req-9",
            }.get(step.action.value, "")
            step = flow.send(answer)
    except StopIteration as stop:
        done = stop.value
    assert actions == [
        Action.CREATE_DRAFT,
        Action.ADD_ATTACHMENT,
        Action.CREATE_UPLOAD_SESSION,
        Action.UPLOAD_RANGE,
        Action.UPLOAD_RANGE,
        Action.SEND_DRAFT,
    ]
    assert (done.request_id, done.method) == ("req-9", "uploadSession")


def test_base64_is_what_graph_gets() -> None:
    blob = large(1000)
    sent = send_mail_payload(msg(attachments=(blob,)))["message"]["attachments"][0]
    assert base64.b64decode(sent["contentBytes"]) == blob.content
