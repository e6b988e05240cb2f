"""What the mail service keeps in memory for one emulator: throttling, upload sessions, and
the timer that writes delivered mail.

All are transient in Microsoft 365 too (a throttling window, an upload that has not
finished, a message in the submission queue), so they live beside the app rather than in the
store.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from ...core.state import EmulatorState
from .mail_upload import UploadSessions
from .throttling import MailboxThrottle

__all__ = ["DELIVERY_DELAY", "DeliveryTimer", "MailRuntime"]

# sendMail answers 202 once the message is accepted; its copies and outbox row are written
# in a batch within this many seconds (sooner when anything reads a mailbox or the outbox).
# Exchange too delivers after it accepts, from its submission queue.
DELIVERY_DELAY = 0.05


@dataclass
class DeliveryTimer:
    """Writes deferred mail (``Store.defer``) ``DELIVERY_DELAY`` after the first of a burst."""

    _armed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, state: EmulatorState) -> None:
        """Make sure a flush is coming; called on the event loop after each submission."""
        with self._lock:
            if self._armed:
                return
            self._armed = True
        asyncio.get_running_loop().call_later(DELIVERY_DELAY, self._fire, state)

    def _fire(self, state: EmulatorState) -> None:
        with self._lock:
            self._armed = False
        state.store.flush()


@dataclass(frozen=True, slots=True)
class MailRuntime:
    """The throttle, the upload sessions (both on real time) and the delivery timer."""

    throttle: MailboxThrottle
    uploads: UploadSessions
    delivery: DeliveryTimer

    @classmethod
    def for_state(cls, state: EmulatorState) -> MailRuntime:
        clock = state.clock.real_now
        return cls(MailboxThrottle(clock), UploadSessions(clock), DeliveryTimer())
