"""Outlook's per-mailbox throttling: concurrent requests and requests per window.

learn.microsoft.com/graph/throttling-limits#outlook-service-limits: "4 concurrent
requests" and "10,000 API requests in a 10 minute period" per app ID and mailbox; a
throttled request gets 429 with ``Retry-After`` (m365-domain.md §3.7). The current page
words the concurrency limit per app ID only; older revisions and Microsoft Q&A word it
per app and mailbox, which is what is emulated (the doc's own "at minimum").

Windows run on real time (the emulator contract): ``now`` is injected, so tests drive
the limiter with a fake clock and never sleep.
"""

from __future__ import annotations

import math
import threading
from asyncio import sleep
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import NamedTuple

from ..exceptions import ApplicationThrottled
from .mail_errors import MailboxRequestLimitThrottled

__all__ = [
    "CONCURRENCY_RETRY_AFTER",
    "MAILBOX_CONCURRENCY_LIMIT",
    "MAILBOX_REQUEST_LIMIT",
    "MAILBOX_REQUEST_WINDOW",
    "MailboxKey",
    "MailboxThrottle",
]

MAILBOX_CONCURRENCY_LIMIT = 4
MAILBOX_REQUEST_LIMIT = 10_000
MAILBOX_REQUEST_WINDOW = 600.0
# Seconds a client is told to wait when over the concurrency limit. Real values vary;
# one second lets a polite client retry at once when a slot frees (UNCONFIRMED).
CONCURRENCY_RETRY_AFTER = 1


class MailboxKey(NamedTuple):
    """What Outlook throttles on: one app against one mailbox of one tenant. A named tuple:
    every mail request hashes and compares one twice, which a dataclass does in Python."""

    tenant_id: str
    app_id: str
    mailbox_id: str


@dataclass(slots=True)
class _Usage:
    in_flight: int = 0
    started: deque[float] = field(default_factory=deque)


class MailboxThrottle:
    """Counts requests per ``MailboxKey`` and refuses the ones over a limit."""

    def __init__(
        self,
        now: Callable[[], float],
        *,
        concurrency: int = MAILBOX_CONCURRENCY_LIMIT,
        limit: int = MAILBOX_REQUEST_LIMIT,
        window: float = MAILBOX_REQUEST_WINDOW,
    ) -> None:
        self._now = now
        self._concurrency = concurrency
        self._limit = limit
        self._window = window
        self._usage: dict[MailboxKey, _Usage] = {}
        self._lock = threading.Lock()

    def acquire(self, key: MailboxKey) -> None:
        """Start one request, or raise 429 ``ApplicationThrottled`` (not counted then)."""
        with self._lock:
            usage = self._usage.get(key)
            if usage is None:
                usage = self._usage[key] = _Usage()
            if usage.in_flight >= self._concurrency:
                raise ApplicationThrottled(CONCURRENCY_RETRY_AFTER)
            now = self._now()
            started = usage.started
            if started and started[0] <= now - self._window:
                self._forget_before(usage, now - self._window)
            if len(started) >= self._limit:
                wait = usage.started[0] + self._window - now
                raise MailboxRequestLimitThrottled(max(1, math.ceil(wait)))
            usage.started.append(now)
            usage.in_flight += 1

    def release(self, key: MailboxKey) -> None:
        """End one request started with ``acquire``."""
        with self._lock:
            usage = self._usage.get(key)
            if usage is not None and usage.in_flight > 0:
                usage.in_flight -= 1

    def slot(self, key: MailboxKey, latency: float = 0.0) -> AbstractAsyncContextManager[None]:
        """One request's slot (``async with``), with ``latency`` seconds spent holding it."""
        return _Slot(self, key, latency)

    def in_flight(self, key: MailboxKey) -> int:
        with self._lock:
            usage = self._usage.get(key)
            return 0 if usage is None else usage.in_flight

    def requests_in_window(self, key: MailboxKey) -> int:
        with self._lock:
            usage = self._usage.get(key)
            if usage is None:
                return 0
            self._forget_before(usage, self._now() - self._window)
            return len(usage.started)

    @staticmethod
    def _forget_before(usage: _Usage, cutoff: float) -> None:
        while usage.started and usage.started[0] <= cutoff:
            usage.started.popleft()


class _Slot:
    """A slot held for one request. A class rather than ``@asynccontextmanager``: every mail
    request takes one, and a generator costs several times as much
    (bench/emulator_throughput.py)."""

    __slots__ = ("_key", "_latency", "_throttle")

    def __init__(self, throttle: MailboxThrottle, key: MailboxKey, latency: float) -> None:
        self._throttle, self._key, self._latency = throttle, key, latency

    async def __aenter__(self) -> None:
        self._throttle.acquire(self._key)
        if self._latency > 0:
            try:
                await sleep(self._latency)
            except BaseException:  # cancelled while waiting: the slot is not held
                self._throttle.release(self._key)
                raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._throttle.release(self._key)
