"""What to verify, checked before anything is sent: ``VerifyPlan`` and its durations.

Durations are written as the emulator writes them (``50ms``, ``3s``, ``45m``, ``2h``,
``1h30m``); the emulator's own parser may not be imported outside it, so this is a copy of
its grammar (architecture.md, import contracts).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..auth.credentials import check_address, check_client_id
from ..errors import UsageError
from .model import Role

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_TIMEOUT",
    "VerifyPlan",
    "format_duration",
    "new_run_id",
    "parse_duration",
    "plan_verification",
]

DEFAULT_TIMEOUT = 3 * 3600.0
DEFAULT_INTERVAL = 5 * 60.0

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str, option: str) -> float:
    """Seconds in ``text`` (``0``, ``90s``, ``1h30m`` …); UsageError naming the option."""
    value = text.strip().lower()
    if value == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value) or not value:
        raise UsageError(f"{option} {text!r} is not a duration: write it like 30s, 5m, 3h or 1h30m")
    return total


def format_duration(seconds: float) -> str:
    """``5400`` -> ``1h30m``; ``0.5`` -> ``500ms`` (for sentences and the display)."""
    if 0 < seconds < 1:
        return f"{round(seconds * 1000)}ms"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def new_run_id() -> str:
    """A short id that labels this run's mails (``sendscope verification <run id>``)."""
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True, slots=True)
class VerifyPlan:
    """A checked request: the app, the addresses by role, the recipient and the timing.

    ``app_id`` None means the sending app's own client ID. ``timeout`` 0 is one round.
    """

    allowed: tuple[str, ...]
    denied: tuple[str, ...]
    to: str
    app_id: str | None = None
    group: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    interval: float = DEFAULT_INTERVAL
    run_id: str = field(default_factory=new_run_id)

    @property
    def addresses(self) -> tuple[tuple[str, Role], ...]:
        """Every address with its role: allowed first, in the order given."""
        return (
            *((a, Role.ALLOWED) for a in self.allowed),
            *((d, Role.DENIED) for d in self.denied),
        )

    @property
    def subject(self) -> str:
        return f"sendscope verification {self.run_id}"


def plan_verification(
    *,
    allowed: Sequence[str],
    denied: Sequence[str],
    to: str | None = None,
    app_id: str | None = None,
    group: str | None = None,
    timeout: str | float = DEFAULT_TIMEOUT,
    interval: str | float = DEFAULT_INTERVAL,
    run_id: str | None = None,
) -> VerifyPlan:
    """Check everything that can be checked offline; UsageError naming the bad value."""
    allow = _addresses(allowed, "--allowed")
    deny = _addresses(denied, "--denied")
    if not allow and not deny:
        raise UsageError(
            "nothing to verify: give the mailboxes the app may send as (--allowed ADDRESS) "
            "and those it must not (--denied ADDRESS)"
        )
    _no_overlap(allow, deny)
    recipient = _recipient(to, allow, deny)
    timing = _timing(timeout, interval)
    return VerifyPlan(
        allow,
        deny,
        recipient,
        check_client_id(app_id, "--app") if app_id else None,
        check_address(group, "--group") if group else None,
        *timing,
        run_id or new_run_id(),
    )


def _addresses(values: Sequence[str], option: str) -> tuple[str, ...]:
    checked = (check_address(v, option) for v in values)
    unique: dict[str, str] = {}
    for address in checked:
        unique.setdefault(address.lower(), address)
    return tuple(unique.values())


def _no_overlap(allowed: tuple[str, ...], denied: tuple[str, ...]) -> None:
    both = {a.lower() for a in allowed} & {d.lower() for d in denied}
    if both:
        which = sorted(both)[0]
        raise UsageError(
            f"{which} is given both as --allowed and as --denied: the app either may send as "
            "it or must not; give it once"
        )


def _recipient(to: str | None, allowed: tuple[str, ...], denied: tuple[str, ...]) -> str:
    if to is None:
        if not allowed:
            raise UsageError(
                "no --to: with no --allowed address, give --to (a mailbox you read; a send "
                "that slips through lands there)"
            )
        return allowed[0]
    recipient = check_address(to, "--to")
    if recipient.lower() in {d.lower() for d in denied}:
        raise UsageError(
            f"--to {recipient} is a --denied address: verification mails go to a mailbox "
            "the app may use, so that a send that slips through never reaches a protected "
            "mailbox; leave --to out (the first --allowed address) or name another"
        )
    return recipient


# A verification sends real mail as every unproven address each round: never more often.
MIN_INTERVAL = 1.0


def _as_given(value: str | float) -> str:
    """A duration as the user wrote it (a number from code: formatted)."""
    return value if isinstance(value, str) else format_duration(value)


def _timing(timeout: str | float, interval: str | float) -> tuple[float, float]:
    wait = timeout if isinstance(timeout, float | int) else parse_duration(timeout, "--timeout")
    every = (
        interval if isinstance(interval, float | int) else parse_duration(interval, "--interval")
    )
    if wait < 0 or every < 0:
        raise UsageError("--timeout and --interval cannot be negative")
    if wait > 0 and every < MIN_INTERVAL:
        raise UsageError(
            f"--interval {_as_given(interval)} is too short: every round sends real mail; "
            "give at least 1s"
        )
    if every > wait > 0:
        raise UsageError(
            f"--interval {_as_given(interval)} is longer than --timeout "
            f"{_as_given(timeout)}: there would be only one try. Shorten --interval, or "
            "use --timeout 0 for a single check"
        )
    return float(wait), float(every)
