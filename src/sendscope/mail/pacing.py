"""Pacing to Exchange Online's limits, with the clock injected so tests never sleep.

Exchange Online sending limits, per mailbox: a message rate limit of 30 messages a minute
and a recipient rate limit of 10,000 recipients a day (learn.microsoft.com/office365/
servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits).
Both are counted here over sliding windows, at the moment each request starts; both are
settings, since tenants and plans differ.

Outlook's throttling limits, per app and mailbox: 4 concurrent requests (the 429 says
``MailboxConcurrency``; learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
The mailers hold at most ``MAILBOX_CONCURRENCY`` requests in flight per mailbox.

A pacer only knows the sends of its own mailer: other processes sending as the same
mailbox count against the same limits at Microsoft, unseen here.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import UsageError

__all__ = [
    "MAILBOX_CONCURRENCY",
    "Clock",
    "Hold",
    "Pacer",
    "SendingLimits",
    "SystemClock",
]

MAILBOX_CONCURRENCY = 4
MINUTE = 60.0
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class SendingLimits:
    """How much one mailbox may send: messages a minute, recipients a day (Exchange
    Online's defaults), and requests in flight at once (Outlook's per app and mailbox)."""

    messages_per_minute: int = 30
    recipients_per_day: int = 10_000
    concurrent_requests: int = MAILBOX_CONCURRENCY

    def __post_init__(self) -> None:
        for name in ("messages_per_minute", "recipients_per_day", "concurrent_requests"):
            if getattr(self, name) < 1:
                raise UsageError(f"SendingLimits.{name} must be at least 1")


class Clock(Protocol):
    """Time for the pacer: ``now`` in seconds (monotonic), and the two ways to wait."""

    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...
    async def asleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Hold:
    """Not yet: wait ``seconds`` because of ``limit`` (its words, for a message)."""

    seconds: float
    limit: str


@dataclass(slots=True)
class _Window:
    minute: deque[float] = field(default_factory=deque)
    day: deque[tuple[float, int]] = field(default_factory=deque)
    day_total: int = 0

    def forget_before(self, now: float) -> None:
        while self.minute and self.minute[0] <= now - MINUTE:
            self.minute.popleft()
        while self.day and self.day[0][0] <= now - DAY:
            self.day_total -= self.day.popleft()[1]


class Pacer:
    """Counts each mailbox's sends; ``try_start`` says go (and counts it) or how long to
    hold. Thread-safe; the lock is held only to count, never while waiting."""

    def __init__(self, limits: SendingLimits | None = None, clock: Clock | None = None) -> None:
        self.limits = limits or SendingLimits()
        self.clock: Clock = clock or SystemClock()
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def check(self, recipients: int) -> None:
        """Refuse a message no amount of waiting lets through."""
        if recipients > self.limits.recipients_per_day:
            raise UsageError(
                f"the message has {recipients} recipients, more than the "
                f"{self.limits.recipients_per_day:,} a mailbox may send to in a day "
                "(Exchange Online's recipient rate limit). Nothing was sent; split the list."
            )

    def try_start(self, mailbox: str, recipients: int) -> Hold | None:
        """None: go now, counted. A ``Hold``: not counted; try again after it."""
        with self._lock:
            now = self.clock.now()
            window = self._windows.setdefault(mailbox.lower(), _Window())
            window.forget_before(now)
            hold = self._hold(window, recipients, now)
            if hold is None:
                window.minute.append(now)
                window.day.append((now, recipients))
                window.day_total += recipients
            return hold

    def _hold(self, window: _Window, recipients: int, now: float) -> Hold | None:
        limits = self.limits
        if len(window.minute) >= limits.messages_per_minute:
            return Hold(
                window.minute[0] + MINUTE - now, f"{limits.messages_per_minute} messages a minute"
            )
        excess = window.day_total + recipients - limits.recipients_per_day
        if excess <= 0:
            return None
        for started, count in window.day:
            excess -= count
            if excess <= 0:
                return Hold(started + DAY - now, f"{limits.recipients_per_day:,} recipients a day")
        raise AssertionError("check() lets no message exceed the daily limit alone")
