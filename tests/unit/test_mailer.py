"""``Mailer`` against the in-process emulator: sends, upload sessions, and every refusal."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import httpx2
import pytest
import stamina

from sendscope.errors import (
    AccessPolicyDenied,
    AmbiguousOutcome,
    AuthenticationFailed,
    MailboxNotEnabled,
    MailboxNotFound,
    PermissionMissing,
    RequestRejected,
    SendAsDenied,
    SendscopeError,
    ServiceUnavailable,
    Throttled,
)
from sendscope.mail import Attachment, Mailer, OutgoingMessage, SendingLimits, SendStatus
from sendscope.mail.plan import UPLOAD_CHUNK_BYTES
from tests.unit.test_mailer_support import (
    RAOP,
    Bridge,
    FakeClock,
    addr,
    credential,
    graph_error,
    large,
    mail_state,
    on,
    raising,
    session,
    tenant_id,
)

FROM = addr("noreply")


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    state = mail_state()
    yield Bridge(state)
    state.close()


@pytest.fixture(autouse=True)
def no_retry_waits() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


def message(sender: str = FROM, *to: str, **extra: object) -> OutgoingMessage:
    return OutgoingMessage(sender, to or (addr("ceo"),), "Timesheet due", "Please submit.", **extra)  # type: ignore[arg-type]


def mailer(bridge: Bridge, app: str = "Timesheet Mailer", **settings: object) -> Mailer:
    return Mailer(session(bridge, app), owns_session=True, **settings)


def refusal(
    bridge: Bridge,
    msg: OutgoingMessage | None = None,
    app: str = "Timesheet Mailer",
    **settings: object,
) -> SendscopeError:
    with mailer(bridge, app, **settings) as m, pytest.raises(SendscopeError) as caught:
        m.send(msg or message())
    return caught.value


def app_id(bridge: Bridge, name: str = "Timesheet Mailer") -> str:
    return credential(bridge.state, name).client_id


# -- accepted ------------------------------------------------------------------------------


def test_send_is_accepted_and_lands_in_the_outbox(bridge: Bridge) -> None:
    with mailer(bridge) as m:
        receipt = m.send(message(FROM, addr("ceo"), addr("cfo")))
    [sent] = bridge.graph_requests("sendMail")
    assert sent.url.path == f"/v1.0/users/{FROM}/sendMail"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["client-request-id"]
    assert json.loads(sent.content)["message"]["subject"] == "Timesheet due"
    assert (receipt.sender, receipt.recipients, receipt.method) == (FROM, 2, "sendMail")
    assert receipt.size == len(sent.content)
    assert len(receipt.request_id) == 36
    [row] = bridge.outbox()
    assert (row["mailbox"], row["subject"]) == (FROM, "Timesheet due")


def test_no_save_to_sent_reaches_graph(bridge: Bridge) -> None:
    with mailer(bridge) as m:
        m.send(message(save_to_sent_items=False))
    [sent] = bridge.graph_requests("sendMail")
    assert json.loads(sent.content)["saveToSentItems"] is False


def test_upload_session_path(bridge: Bridge, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    big = large(5_000_000, "scan.pdf")
    small = Attachment("note.txt", b"hello", "text/plain")
    with mailer(bridge, "Big Mailer", allow_upload_session=True) as m:
        receipt = m.send(message(attachments=(big, small)))
    assert receipt.method == "uploadSession"
    puts = [r for r in bridge.seen if r.method == "PUT"]
    assert [r.headers["content-range"] for r in puts] == [
        f"bytes 0-{UPLOAD_CHUNK_BYTES - 1}/5000000",
        f"bytes {UPLOAD_CHUNK_BYTES}-4999999/5000000",
    ]
    assert all("authorization" not in r.headers for r in puts)  # the URL carries its token
    assert all(r.headers["content-type"] == "application/octet-stream" for r in puts)
    assert b"".join(r.content for r in puts) == big.content
    order = [r.url.path.rsplit("/", 1)[-1] for r in bridge.graph_requests()]
    assert order[0] == "messages" and order[-1] == "send"
    [row] = bridge.outbox()
    sent = json.loads(row["message"])
    assert sorted(a["name"] for a in sent["attachments"]) == ["note.txt", "scan.pdf"]
    token = puts[0].url.params["authtoken"]
    assert token not in caplog.text  # httpx2 logs URLs; the upload token is redacted
    assert "authtoken=***" in caplog.text


def test_send_many_returns_one_result_per_message_in_order(bridge: Bridge) -> None:
    bridge.faults.append(on(f"users/{addr('hr')}/sendMail", raising(httpx2.ReadTimeout)))
    batch = [
        message(FROM),
        message(addr("contractor")),
        message(addr("nobody")),
        message(addr("hr")),
        message(addr("cfo")),
    ]
    with mailer(bridge) as m:
        results = m.send_many(batch)
    assert [r.message for r in results] == batch
    assert [r.status for r in results] == [
        SendStatus.ACCEPTED,
        SendStatus.REFUSED,
        SendStatus.REFUSED,
        SendStatus.UNKNOWN,
        SendStatus.ACCEPTED,
    ]
    assert [type(r.error).__name__ for r in results] == [
        "NoneType",
        "MailboxNotEnabled",
        "MailboxNotFound",
        "AmbiguousOutcome",
        "NoneType",
    ]
    assert results[0].receipt is not None and results[0].accepted
    assert len(bridge.outbox()) == 2


def test_send_many_of_nothing(bridge: Bridge) -> None:
    with mailer(bridge) as m:
        assert m.send_many([]) == []


# -- refusals: class, exit code and sentence -----------------------------------------------


def test_access_policy(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", lambda r: graph_error(403, "ErrorAccessDenied", RAOP, r)))
    error = refusal(bridge, message(addr("ceo")))
    app = app_id(bridge)
    assert isinstance(error, AccessPolicyDenied) and error.exit_code == 5
    assert error.message.startswith(
        f"Sending as {addr('ceo')} was refused by Exchange: an Application Access Policy keeps "
        f"app {app} away from this mailbox. Send as a mailbox inside the policy's scope, or ask "
        f"an admin (sendscope test-policy --app {app} {addr('ceo')} shows which policy decides)."
    )
    assert error.message.endswith(
        f"Graph said: 403 ErrorAccessDenied: {RAOP} (request-id req-fault-1)"
    )
    assert error.failure is not None and error.failure.request_id == "req-fault-1"


def test_missing_mail_send(bridge: Bridge) -> None:
    error = refusal(bridge, app="Mail Reader")
    assert isinstance(error, PermissionMissing) and error.exit_code == 5
    assert error.message.startswith(
        f"Sending as {FROM} was refused: app {app_id(bridge, 'Mail Reader')} does not hold the "
        f"Mail.Send application permission on Microsoft Graph in tenant "
        f"{tenant_id(bridge.state)} (its token's roles: Mail.Read). Add Mail.Send (Microsoft "
        "Graph, Application permission) to the app registration's API permissions and have an "
        "admin grant consent, then try again."
    )


def test_access_denied_although_mail_send_is_held(bridge: Bridge) -> None:
    bridge.faults.append(
        on(
            "sendMail",
            lambda r: graph_error(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", r
            ),
        )
    )
    error = refusal(bridge)
    assert isinstance(error, PermissionMissing)
    assert error.message.startswith(
        f"Sending as {FROM} was refused by Exchange although app {app_id(bridge)} holds "
        "Mail.Send: Exchange keeps the app away from this mailbox"
    )


def test_unknown_mailbox(bridge: Bridge) -> None:
    error = refusal(bridge, message(addr("nobody")))
    assert isinstance(error, MailboxNotFound) and error.exit_code == 5
    assert error.message.startswith(
        f"There is no mailbox {addr('nobody')} in tenant {tenant_id(bridge.state)}: Graph knows "
        "no user by that address. Check --from"
    )
    assert "404 ErrorInvalidUser" in error.message


def test_user_without_mailbox(bridge: Bridge) -> None:
    error = refusal(bridge, message(addr("contractor")))
    assert isinstance(error, MailboxNotEnabled) and error.exit_code == 5
    assert error.message.startswith(
        f"{addr('contractor')} exists in tenant {tenant_id(bridge.state)} but has no Exchange "
        "Online mailbox Graph can use (unlicensed, inactive, soft-deleted or on-premises). "
        "Assign it a licence that includes Exchange Online"
    )
    assert "404 MailboxNotEnabledForRESTAPI" in error.message


def test_send_as_denied(bridge: Bridge) -> None:
    text = (
        "The user account which was used to submit this request does not have the right "
        "to send mail on behalf of the specified sending account., Cannot submit message."
    )
    bridge.faults.append(on("sendMail", lambda r: graph_error(403, "ErrorSendAsDenied", text, r)))
    error = refusal(bridge)
    assert isinstance(error, SendAsDenied) and error.exit_code == 5
    assert error.message.startswith(
        f"Exchange refused to submit the message as {FROM}: the "
        "message names a From or Sender address"
    )


def test_invalid_recipients(bridge: Bridge) -> None:
    bridge.faults.append(
        on(
            "sendMail",
            lambda r: graph_error(
                400, "ErrorInvalidRecipients", "At least one recipient is not valid.", r
            ),
        )
    )
    error = refusal(bridge)
    assert isinstance(error, RequestRejected) and error.exit_code == 5
    assert error.message.startswith(
        f"Exchange refused the recipients of the message from "
        f"{FROM}. Check the --to, --cc and --bcc addresses; nothing "
        "was sent."
    )


def test_upload_session_needs_mail_readwrite(bridge: Bridge) -> None:
    error = refusal(bridge, message(attachments=(large(5_000_000),)), allow_upload_session=True)
    assert isinstance(error, PermissionMissing) and error.exit_code == 5
    assert error.message.startswith(
        f"Preparing the large attachments as {FROM} was refused: app {app_id(bridge)} does not "
        "hold the Mail.ReadWrite application permission"
    )
    assert (
        "Upload sessions need Mail.ReadWrite, which lets the app read and change every "
        "message in every mailbox it can reach" in error.message
    )
    assert "Drafts" not in error.message  # no draft was made
    assert bridge.outbox() == []


# -- throttling and unknown outcomes -------------------------------------------------------


def _throttled(request: httpx2.Request) -> httpx2.Response:
    return graph_error(
        429,
        "ApplicationThrottled",
        "Application is over its MailboxConcurrency limit.",
        request,
        **{"Retry-After": "1"},
    )


def test_one_429_is_retried(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", _throttled, times=1))
    with mailer(bridge) as m:
        assert m.send(message()).method == "sendMail"
    assert len(bridge.graph_requests("sendMail")) == 2
    assert len(bridge.outbox()) == 1


def test_throttled_past_the_budget_is_not_sent(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", _throttled))
    error = refusal(bridge)
    assert isinstance(error, Throttled) and error.exit_code == 6
    assert error.message.startswith(
        f"Not sent: Graph kept throttling requests as {FROM} past sendscope's retry budget "
        "(Graph asked to wait 1 s). A throttled request is not processed, so nothing was sent; "
        "try again later."
    )
    assert len(bridge.graph_requests("sendMail")) == 3  # stamina's test budget


@pytest.mark.parametrize(
    "kind", [httpx2.ReadTimeout, httpx2.RemoteProtocolError, httpx2.WriteError]
)
def test_no_answer_after_writing_is_unknown_and_never_retried(
    bridge: Bridge, kind: type[httpx2.TransportError]
) -> None:
    bridge.faults.append(on("sendMail", raising(kind)))
    error = refusal(bridge)
    assert isinstance(error, AmbiguousOutcome) and error.exit_code == 6
    assert error.message == (
        f"The message from {FROM} may or may not have been sent: the send request was written "
        f"but no answer came ({kind.__name__}). sendscope does not resend; look in the Sent "
        f"Items of {FROM} (or ask a recipient) before sending again."
    )
    assert len(bridge.graph_requests("sendMail")) == 1


def test_unknown_without_sent_items_copy(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", raising(httpx2.ReadTimeout)))
    error = refusal(bridge, message(save_to_sent_items=False))
    assert "ask a recipient (it was sent without a copy in Sent Items)" in error.message


def test_5xx_to_the_send_is_unknown(bridge: Bridge) -> None:
    bridge.faults.append(
        on("sendMail", lambda r: graph_error(503, "ServiceUnavailable", "Service Unavailable", r))
    )
    error = refusal(bridge)
    assert isinstance(error, AmbiguousOutcome)
    assert error.message.startswith(
        f"The message from {FROM} may or may not have been sent: "
        "Graph answered 503 ServiceUnavailable to the send request."
    )
    assert len(bridge.graph_requests("sendMail")) == 1


def test_no_connection_is_not_sent(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", raising(httpx2.ConnectError)))
    error = refusal(bridge)
    assert type(error) is ServiceUnavailable and error.exit_code == 6
    assert error.message == (
        "Not sent: cannot connect to testserver: ConnectError. Nothing was "
        "sent; check the network and try again."
    )


def test_timeout_while_creating_the_draft_is_not_sent(bridge: Bridge) -> None:
    bridge.faults.append(on("/messages", raising(httpx2.ReadTimeout), method="POST"))
    error = refusal(
        bridge, message(attachments=(large(5_000_000),)), "Big Mailer", allow_upload_session=True
    )
    assert type(error) is ServiceUnavailable
    assert error.message == (
        f"Not sent: a request preparing the message from {FROM} got no answer (ReadTimeout); "
        "the message itself was never sent. Try again. A draft may have been left in the "
        f"Drafts folder of {FROM}."
    )


def test_failed_upload_leaves_the_draft_and_says_so(bridge: Bridge) -> None:
    bridge.faults.append(
        on(
            "/AttachmentSessions",
            lambda r: graph_error(500, "InternalServerError", "Something went wrong.", r),
            method="PUT",
        )
    )
    error = refusal(
        bridge, message(attachments=(large(5_000_000),)), "Big Mailer", allow_upload_session=True
    )
    assert type(error) is ServiceUnavailable
    assert error.message.startswith(
        f"Not sent: Graph was unavailable while preparing the message from {FROM}; try again later."
    )
    assert error.message.endswith(
        f"A draft of the message stays in the Drafts folder of {FROM}; delete it."
    )
    assert error.failure is not None and "authtoken" not in error.failure.url
    assert bridge.outbox() == []


def test_timeout_on_the_draft_send_is_unknown(bridge: Bridge) -> None:
    bridge.faults.append(on("/send", raising(httpx2.ReadTimeout), method="POST"))
    error = refusal(
        bridge, message(attachments=(large(5_000_000),)), "Big Mailer", allow_upload_session=True
    )
    assert isinstance(error, AmbiguousOutcome)
    assert len(bridge.graph_requests("/send")) == 1


def test_graph_refusing_a_fresh_token(bridge: Bridge) -> None:
    bridge.faults.append(
        on(
            "sendMail",
            lambda r: graph_error(
                401, "InvalidAuthenticationToken", "Access token validation failure.", r
            ),
        )
    )
    error = refusal(bridge)
    assert isinstance(error, AuthenticationFailed) and error.exit_code == 4
    assert error.message.startswith(
        f"Graph refused the token of app {app_id(bridge)} even "
        "after a fresh one was fetched; nothing was sent."
    )
    assert len(bridge.graph_requests("sendMail")) == 2  # one refresh, then give up


def test_a_wrong_secret_is_entras_sentence_and_stops_send_many(bridge: Bridge) -> None:
    wrong = Mailer(session(bridge, secret="not-the-secret"), owns_session=True, max_concurrency=1)
    with wrong as m:
        results = m.send_many([message(), message(addr("hr")), message()])
    assert {r.status for r in results} == {SendStatus.REFUSED}
    assert len({id(r.error) for r in results}) == 1  # the first failure, not three attempts
    error = results[0].error
    assert isinstance(error, AuthenticationFailed) and error.exit_code == 4
    assert error.aadsts == 7000215
    assert "not-the-secret" not in error.message
    assert bridge.graph_requests() == []


# -- pacing and concurrency ----------------------------------------------------------------


def test_paced_to_messages_a_minute_on_a_fake_clock(bridge: Bridge) -> None:
    clock = FakeClock()
    with mailer(
        bridge, limits=SendingLimits(messages_per_minute=2), clock=clock, max_concurrency=1
    ) as m:
        results = m.send_many([message() for _ in range(5)])
    assert all(r.accepted for r in results)
    assert clock.sleeps == [60.0, 60.0]
    assert len(bridge.outbox()) == 5


def test_a_wait_past_max_wait_is_refused_not_waited(bridge: Bridge) -> None:
    clock = FakeClock()
    two = message(FROM, addr("ceo"), addr("cfo"))
    with mailer(bridge, limits=SendingLimits(recipients_per_day=2), clock=clock) as m:
        m.send(two)
        with pytest.raises(Throttled) as caught:
            m.send(two)
    assert caught.value.message == (
        f"Not sent: sending as {FROM} now would go over Exchange Online's limit of 2 "
        "recipients a day for one mailbox, and the next free slot is 24.0 h away — past the "
        "15 min this message may wait (waited 0 s already). Send it later, or raise max_wait."
    )
    assert clock.sleeps == []
    assert len(bridge.outbox()) == 1


def test_at_most_four_in_flight_per_mailbox(bridge: Bridge) -> None:
    gate = _Gate(bridge, expected=8)
    batch = [message(FROM) for _ in range(6)] + [message(addr("hr")) for _ in range(6)]
    with mailer(bridge) as m:
        m.session.tokens.token(m.session.tokens.cloud.graph_scope)  # no token race
        worker = threading.Thread(target=lambda: gate.results.extend(m.send_many(batch)))
        worker.start()
        assert gate.wait_full(), f"in flight: {gate.in_flight}"
        gate.release()
        worker.join(30)
    assert gate.most == {FROM.lower(): 4, addr("hr"): 4}
    assert len(gate.results) == 12 and all(r.accepted for r in gate.results)


def test_overall_cap(bridge: Bridge) -> None:
    gate = _Gate(bridge, expected=3)
    batch = [message(FROM) for _ in range(4)] + [message(addr("hr")) for _ in range(4)]
    with mailer(bridge, max_concurrency=3) as m:
        m.session.tokens.token(m.session.tokens.cloud.graph_scope)
        worker = threading.Thread(target=lambda: gate.results.extend(m.send_many(batch)))
        worker.start()
        assert gate.wait_full()
        gate.release()
        worker.join(30)
    assert sum(gate.most.values()) >= 3 and gate.peak == 3
    assert len(bridge.outbox()) == 8


class _Gate:
    """Holds sendMail requests until ``expected`` are in flight at once, then lets all go."""

    def __init__(self, bridge: Bridge, expected: int) -> None:
        self.expected = expected
        self.cond = threading.Condition()
        self.in_flight: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.peak = 0
        self.open = False
        self.results: list[object] = []
        bridge.faults.insert(0, self._hold)

    def _hold(self, request: httpx2.Request) -> None:
        if not request.url.path.endswith("/sendMail"):
            return None
        box = request.url.path.split("/")[3].lower()
        with self.cond:
            self.in_flight[box] = self.in_flight.get(box, 0) + 1
            self.most[box] = max(self.most.get(box, 0), self.in_flight[box])
            self.peak = max(self.peak, sum(self.in_flight.values()))
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.open, timeout=30)
            self.in_flight[box] -= 1
        return None

    def wait_full(self) -> bool:
        with self.cond:
            return self.cond.wait_for(
                lambda: sum(self.in_flight.values()) >= self.expected, timeout=30
            )

    def release(self) -> None:
        with self.cond:
            self.open = True
            self.cond.notify_all()
