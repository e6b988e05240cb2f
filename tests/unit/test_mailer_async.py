"""``AsyncMailer`` against the in-process emulator over ``httpx2.ASGITransport``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx2
import pytest
import stamina

from sendscope.errors import (
    AccessPolicyDenied,
    AmbiguousOutcome,
    MailboxNotEnabled,
    SendscopeError,
    ServiceUnavailable,
    Throttled,
)
from sendscope.mail import AsyncMailer, OutgoingMessage, SendingLimits, SendStatus
from tests.unit.test_mailer_support import (
    RAOP,
    Bridge,
    FakeClock,
    addr,
    graph_error,
    large,
    mail_state,
    on,
    raising,
    session,
)

FROM = addr("noreply")
T = TypeVar("T")


@pytest.fixture
def bridge() -> Iterator[Bridge]:
    state = mail_state()
    yield Bridge(state)
    state.close()


@pytest.fixture(autouse=True)
def no_retry_waits() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


def message(sender: str = FROM, **extra: Any) -> OutgoingMessage:
    return OutgoingMessage(sender, (addr("ceo"),), "Timesheet due", "Please submit.", **extra)


def run(
    bridge: Bridge,
    use: Callable[[AsyncMailer], Awaitable[T]],
    app: str = "Timesheet Mailer",
    **settings: Any,
) -> T:
    async def main() -> T:
        mailer = AsyncMailer(
            session(bridge, app), owns_session=True, transport=bridge.async_transport(), **settings
        )
        async with mailer:
            return await use(mailer)

    return asyncio.run(main())


def refusal(bridge: Bridge, msg: OutgoingMessage | None = None, **settings: Any) -> SendscopeError:
    async def use(mailer: AsyncMailer) -> SendscopeError:
        with pytest.raises(SendscopeError) as caught:
            await mailer.send(msg or message())
        return caught.value

    return run(bridge, use, **settings)


def test_send_is_accepted(bridge: Bridge) -> None:
    receipt = run(bridge, lambda m: m.send(message()))
    assert (receipt.sender, receipt.method, len(receipt.request_id)) == (FROM, "sendMail", 36)
    [sent] = bridge.graph_requests("sendMail")
    assert sent.headers["authorization"].startswith("Bearer ")
    assert sent.headers["client-request-id"]
    assert json.loads(sent.content)["message"]["toRecipients"] == [
        {"emailAddress": {"address": addr("ceo")}}
    ]
    assert len(bridge.outbox()) == 1


def test_upload_session_path(bridge: Bridge) -> None:
    big = large(4_500_000)
    receipt = run(
        bridge,
        lambda m: m.send(message(attachments=(big,))),
        "Big Mailer",
        allow_upload_session=True,
    )
    assert receipt.method == "uploadSession"
    puts = [r for r in bridge.seen if r.method == "PUT"]
    assert len(puts) == 2
    assert all("authorization" not in r.headers for r in puts)
    assert b"".join(r.content for r in puts) == big.content
    assert len(bridge.outbox()) == 1


def test_access_policy(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", lambda r: graph_error(403, "ErrorAccessDenied", RAOP, r)))
    error = refusal(bridge)
    assert isinstance(error, AccessPolicyDenied)
    assert error.message.startswith(
        f"Sending as {FROM} was refused by Exchange: an Application Access Policy keeps app "
    )


def test_user_without_mailbox(bridge: Bridge) -> None:
    error = refusal(bridge, message(addr("contractor")))
    assert isinstance(error, MailboxNotEnabled) and error.exit_code == 5


def test_no_answer_is_unknown_and_never_retried(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", raising(httpx2.ReadTimeout)))
    error = refusal(bridge)
    assert isinstance(error, AmbiguousOutcome) and error.exit_code == 6
    assert error.message.startswith(
        f"The message from {FROM} may or may not have been sent: "
        "the send request was written but no answer came "
        "(ReadTimeout). sendscope does not resend;"
    )
    assert len(bridge.graph_requests("sendMail")) == 1


def test_waiting_for_a_connection_is_not_an_unknown_outcome(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", raising(httpx2.PoolTimeout)))
    error = refusal(bridge)
    assert type(error) is ServiceUnavailable
    assert error.message.startswith("Not sent: cannot connect to testserver: PoolTimeout.")


def _throttled(request: httpx2.Request) -> httpx2.Response:
    return graph_error(
        429,
        "ApplicationThrottled",
        "Application is over its MailboxConcurrency limit.",
        request,
        **{"Retry-After": "2"},
    )


def test_429_is_retried_then_given_up(bridge: Bridge) -> None:
    bridge.faults.append(on("sendMail", _throttled, times=1))
    assert run(bridge, lambda m: m.send(message())).method == "sendMail"
    assert len(bridge.graph_requests("sendMail")) == 2
    bridge.faults.append(on("sendMail", _throttled))
    error = refusal(bridge)
    assert isinstance(error, Throttled)
    assert "(Graph asked to wait 2 s)" in error.message
    assert len(bridge.graph_requests("sendMail")) == 2 + 3


def test_send_many_mixed(bridge: Bridge) -> None:
    bridge.faults.append(on(f"users/{addr('hr')}/sendMail", raising(httpx2.ReadTimeout)))
    batch = [message(), message(addr("contractor")), message(addr("hr")), message(addr("cfo"))]
    results = run(bridge, lambda m: m.send_many(batch))
    assert [r.status for r in results] == [
        SendStatus.ACCEPTED,
        SendStatus.REFUSED,
        SendStatus.UNKNOWN,
        SendStatus.ACCEPTED,
    ]
    assert [r.message for r in results] == batch


def test_paced_on_a_fake_clock(bridge: Bridge) -> None:
    clock = FakeClock()
    results = run(
        bridge,
        lambda m: m.send_many([message() for _ in range(5)]),
        limits=SendingLimits(messages_per_minute=2),
        clock=clock,
    )
    assert all(r.accepted for r in results)
    assert clock.sleeps == [60.0, 60.0]  # five messages at two a minute: two more minutes
    assert clock.now_s == 1_000.0 + 120.0
    assert len(bridge.outbox()) == 5


class _Gate(httpx2.AsyncBaseTransport):
    """Holds each sendMail until released, counting what is in flight per mailbox."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.open = asyncio.Event()
        self.changed = asyncio.Event()
        self.in_flight: dict[str, int] = {}
        self.most: dict[str, int] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/sendMail"):
            return await self.inner.handle_async_request(request)
        box = request.url.path.split("/")[3].lower()
        self.in_flight[box] = self.in_flight.get(box, 0) + 1
        self.most[box] = max(self.most.get(box, 0), self.in_flight[box])
        self.changed.set()
        await self.open.wait()
        self.in_flight[box] -= 1
        return await self.inner.handle_async_request(request)

    async def settle(self, total: int) -> None:
        while sum(self.in_flight.values()) < total:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)
        for _ in range(100):  # let anything else runnable run: nothing more may enter
            await asyncio.sleep(0)


@pytest.mark.parametrize(("cap", "expected"), [(None, {FROM: 4, addr("hr"): 4}), (3, None)])
def test_concurrency_per_mailbox_and_overall(
    bridge: Bridge, cap: int | None, expected: dict[str, int] | None
) -> None:
    batch = [message() for _ in range(7)] + [message(addr("hr")) for _ in range(7)]

    async def main() -> tuple[_Gate, list[Any]]:
        mailer = AsyncMailer(
            session(bridge),
            owns_session=True,
            max_concurrency=cap,
            transport=bridge.async_transport(),
        )
        gate = _Gate(mailer.http._transport)  # type: ignore[attr-defined]
        mailer.http._transport = gate  # type: ignore[attr-defined]
        async with mailer:
            await mailer.graph._token(False)  # one token fetch up front
            task = asyncio.ensure_future(mailer.send_many(batch))
            await gate.settle(8 if cap is None else cap)
            in_flight = dict(gate.in_flight)
            gate.open.set()
            return gate, [in_flight, await task]

    gate, (in_flight, results) = asyncio.run(main())
    if expected is not None:
        assert in_flight == expected and gate.most == expected
    else:
        assert sum(in_flight.values()) == 3
        assert max(gate.most.values()) <= 3
    assert all(r.accepted for r in results)
    assert len(bridge.outbox()) == 14


def test_a_wrong_secret_refuses_all_with_one_error(bridge: Bridge) -> None:
    async def main() -> list[Any]:
        mailer = AsyncMailer(
            session(bridge, secret="not-the-secret"),
            owns_session=True,
            transport=bridge.async_transport(),
        )
        async with mailer:
            return await mailer.send_many([message() for _ in range(6)] + [message(addr("hr"))])

    results = asyncio.run(main())
    assert {r.status for r in results} == {SendStatus.REFUSED}
    assert len({id(r.error) for r in results}) == 1
    error = results[0].error
    assert type(error).__name__ == "AuthenticationFailed" and error.exit_code == 4
    assert "not-the-secret" not in error.message
    assert bridge.graph_requests() == []
