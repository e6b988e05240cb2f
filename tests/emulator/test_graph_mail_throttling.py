"""Outlook throttling per (app, mailbox): 4 concurrent, 10,000 per 10 minutes; latency.

The limiter is driven directly with a fake clock: nothing here waits on real time.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.graph.exceptions import ApplicationThrottled
from sendscope.emulator.graph.models import throttling
from sendscope.emulator.graph.models.mail_errors import MailboxRequestLimitThrottled
from sendscope.emulator.graph.models.mail_runtime import MailRuntime
from sendscope.emulator.graph.models.throttling import (
    MAILBOX_CONCURRENCY_LIMIT,
    MAILBOX_REQUEST_LIMIT,
    MAILBOX_REQUEST_WINDOW,
    MailboxKey,
    MailboxThrottle,
)
from tests.conftest import Tenant
from tests.emulator.graph_mail_helpers import addr, error_of, send

KEY = MailboxKey("tenant", "app", "mailbox")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_limits_are_graphs() -> None:
    assert (MAILBOX_CONCURRENCY_LIMIT, MAILBOX_REQUEST_LIMIT, MAILBOX_REQUEST_WINDOW) == (
        4,
        10_000,
        600.0,
    )


def test_fifth_concurrent_request_is_throttled() -> None:
    throttle = MailboxThrottle(FakeClock())
    for _ in range(4):
        throttle.acquire(KEY)
    with pytest.raises(ApplicationThrottled) as raised:
        throttle.acquire(KEY)
    assert raised.value.status == 429
    assert raised.value.message == "Application is over its MailboxConcurrency limit."
    assert raised.value.headers() == {"Retry-After": "1"}
    throttle.release(KEY)
    throttle.acquire(KEY)
    assert throttle.in_flight(KEY) == 4


def test_other_mailbox_and_other_app_are_not_affected() -> None:
    throttle = MailboxThrottle(FakeClock())
    for _ in range(4):
        throttle.acquire(KEY)
    throttle.acquire(KEY._replace(mailbox_id="other"))
    throttle.acquire(KEY._replace(app_id="other"))
    assert throttle.in_flight(KEY) == 4


def test_slot_is_released_on_error() -> None:
    throttle = MailboxThrottle(FakeClock())

    async def failing_handler() -> None:
        async with throttle.slot(KEY):
            assert throttle.in_flight(KEY) == 1
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        asyncio.run(failing_handler())
    assert throttle.in_flight(KEY) == 0


def test_slot_is_released_when_cancelled_during_its_latency() -> None:
    throttle = MailboxThrottle(FakeClock())

    async def cancelled() -> None:
        task = asyncio.create_task(_hold(throttle, latency=30.0))
        await asyncio.sleep(0)
        assert throttle.in_flight(KEY) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled())
    assert throttle.in_flight(KEY) == 0


async def _hold(throttle: MailboxThrottle, *, latency: float) -> None:
    async with throttle.slot(KEY, latency):
        pass


def test_request_window_limit_and_retry_after() -> None:
    clock = FakeClock()
    throttle = MailboxThrottle(clock, limit=3, window=600)
    for step in range(3):
        clock.now = 1_000.0 + step * 100
        asyncio.run(_hold(throttle, latency=0.0))
    clock.now = 1_250.0
    with pytest.raises(MailboxRequestLimitThrottled) as raised:
        throttle.acquire(KEY)
    assert raised.value.code == "ApplicationThrottled"
    assert raised.value.headers() == {"Retry-After": "350"}  # the first leaves at 1,600
    clock.now = 1_600.0
    throttle.acquire(KEY)
    assert throttle.requests_in_window(KEY) == 3


def test_throttled_requests_are_not_counted() -> None:
    throttle = MailboxThrottle(FakeClock(), concurrency=1)
    throttle.acquire(KEY)
    for _ in range(3):
        with pytest.raises(ApplicationThrottled):
            throttle.acquire(KEY)
    assert throttle.requests_in_window(KEY) == 1


def test_default_window_allows_ten_thousand() -> None:
    throttle = MailboxThrottle(FakeClock())
    for _ in range(MAILBOX_REQUEST_LIMIT):
        throttle.acquire(KEY)
        throttle.release(KEY)
    with pytest.raises(MailboxRequestLimitThrottled) as raised:
        throttle.acquire(KEY)
    assert raised.value.headers() == {"Retry-After": "600"}


# -- on the wire ---------------------------------------------------------------------------


def _runtime(client: TestClient, state: EmulatorState) -> MailRuntime:
    runtime = MailRuntime.for_state(state)
    state.runtime["graph.mail"] = runtime
    return runtime


def _key(state: EmulatorState, tenant: Tenant, upn: str) -> MailboxKey:
    user = Directory(state.store).user(tenant.id, upn)
    assert user is not None
    return MailboxKey(tenant.id, tenant.apps["Timesheet Mailer"].client_id, user["id"])


def test_send_over_the_concurrency_limit_is_429(
    client: TestClient, state: EmulatorState, tenant: Tenant, token: Callable[..., str]
) -> None:
    runtime, key = _runtime(client, state), _key(state, tenant, addr("payroll"))
    for _ in range(4):
        runtime.throttle.acquire(key)
    mailer = token("Timesheet Mailer")
    response = send(client, mailer, addr("payroll"))
    assert error_of(response) == (
        429,
        "ApplicationThrottled",
        "Application is over its MailboxConcurrency limit.",
    )
    assert response.headers["Retry-After"] == "1"
    assert send(client, mailer, addr("hr")).status_code == 202
    runtime.throttle.release(key)
    assert send(client, mailer, addr("payroll")).status_code == 202
    assert runtime.throttle.in_flight(key) == 3


def test_latency_is_spent_inside_the_slot(
    client: TestClient,
    state: EmulatorState,
    tenant: Tenant,
    token: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime, key = _runtime(client, state), _key(state, tenant, addr("payroll"))
    state.settings = dataclasses.replace(state.settings, latency=0.75)
    slept: list[tuple[float, int]] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append((seconds, runtime.throttle.in_flight(key)))

    monkeypatch.setattr(throttling, "sleep", fake_sleep)
    assert send(client, token("Timesheet Mailer"), addr("payroll")).status_code == 202
    assert slept == [(0.75, 1)]
    assert runtime.throttle.in_flight(key) == 0


def test_no_latency_no_sleep(
    client: TestClient, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(throttling, "sleep", fake_sleep)
    assert send(client, token("Timesheet Mailer"), addr("payroll")).status_code == 202
    assert slept == []
