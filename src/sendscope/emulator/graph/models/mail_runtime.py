"""What the mail service keeps in memory for one emulator: throttling and upload sessions.

Both are transient in Microsoft 365 too (a throttling window, an upload that has not
finished), so they live beside the app rather than in the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.state import EmulatorState
from .mail_upload import UploadSessions
from .throttling import MailboxThrottle

__all__ = ["MailRuntime"]


@dataclass(frozen=True, slots=True)
class MailRuntime:
    """The throttle and the upload sessions of one emulator, both on real time."""

    throttle: MailboxThrottle
    uploads: UploadSessions

    @classmethod
    def for_state(cls, state: EmulatorState) -> MailRuntime:
        return cls(MailboxThrottle(state.clock.real_now), UploadSessions(state.clock.real_now))
