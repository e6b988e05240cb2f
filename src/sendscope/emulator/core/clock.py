"""Emulator time: the clock propagation delays are measured on.

Token lifetimes and throttling windows use real time. Propagation uses emulator time:
``start + real elapsed × time_scale + manual advances`` (architecture.md, the emulator
contract), so a demo can compress a one-hour propagation into seconds and a test can jump
over it with ``advance``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["EmulatorClock"]


class EmulatorClock:
    """A clock that runs ``time_scale`` times faster than real time and can be advanced."""

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        real_time: Callable[[], float] = time.time,
        start: float | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time scale {time_scale} must be greater than 0")
        self._real_time = real_time
        self._time_scale = time_scale
        self._real_start = real_time()
        self._start = self._real_start if start is None else start
        self._advanced = 0.0
        self._lock = threading.Lock()

    @property
    def time_scale(self) -> float:
        return self._time_scale

    def real_now(self) -> float:
        """Real time (epoch seconds): for token lifetimes and throttling."""
        return self._real_time()

    def timestamp(self) -> float:
        """Emulator time (epoch seconds)."""
        elapsed = self._real_time() - self._real_start
        with self._lock:
            return self._start + elapsed * self._time_scale + self._advanced

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def advance(self, seconds: float) -> datetime:
        """Move emulator time forward (never back) and return the new time."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._advanced += seconds
        return self.now()

    @property
    def advanced(self) -> timedelta:
        with self._lock:
            return timedelta(seconds=self._advanced)
