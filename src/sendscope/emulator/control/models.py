"""The control plane's rules over the emulator's state: tenants, reset and the clock.

Nothing here sees a request: functions take the ``EmulatorState`` and plain values, and
raise the control plane's errors (exceptions.py). The outbox lives in outbox.py.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.durations import parse_duration
from ..core.ids import is_guid
from ..core.state import EmulatorState
from ..core.store import Row
from ..seeds.fixtures import FixtureError, SeedCredential, apply_fixture, load_credentials
from ..seeds.tenants import SEEDS
from .exceptions import InvalidFixture, InvalidRequest, NotFound

__all__ = [
    "MAX_ADVANCE_SECONDS",
    "ClockView",
    "TenantCounts",
    "TenantSummary",
    "TenantView",
    "advance_clock",
    "clock_view",
    "create_tenant",
    "delete_tenant",
    "find_tenant",
    "list_tenants",
    "reset",
    "tenant_view",
]

# Ten years: far beyond any propagation delay, and far from datetime's year 9999.
MAX_ADVANCE_SECONDS = 10 * 365 * 86400.0

# Only Exchange mailboxes count as mailboxes; mail users and groups are recipients only.
_SUMMARY_SQL = """
SELECT t.id, t.domain, t.display_name,
  (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id) AS user_count,
  (SELECT COUNT(*) FROM recipients r WHERE r.tenant_id = t.id
     AND r.recipient_type_details IN ('UserMailbox', 'SharedMailbox')) AS mailbox_count,
  (SELECT COUNT(*) FROM groups g WHERE g.tenant_id = t.id) AS group_count,
  (SELECT COUNT(*) FROM applications a WHERE a.tenant_id = t.id) AS app_count
FROM tenants t
"""


@dataclass(frozen=True, slots=True)
class TenantCounts:
    """How much a tenant holds, for a glance at ``GET /_emulator/tenants``."""

    users: int
    mailboxes: int
    groups: int
    apps: int


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """A tenant without its credentials."""

    id: str
    domain: str
    display_name: str
    counts: TenantCounts


@dataclass(frozen=True, slots=True)
class TenantView:
    """A tenant with the emulator's own test credentials for it (as in emulator.json)."""

    summary: TenantSummary
    admin: SeedCredential | None
    apps: tuple[SeedCredential, ...]


@dataclass(frozen=True, slots=True)
class ClockView:
    """Emulator time and the delays measured on it."""

    now: datetime
    real_now: datetime
    time_scale: float
    advanced_seconds: float
    propagation_delay_seconds: float
    removal_delay_seconds: float


# -- tenants -----------------------------------------------------------------------------


def list_tenants(state: EmulatorState) -> list[TenantSummary]:
    rows = state.store.all(_SUMMARY_SQL + " ORDER BY t.created, t.rowid")
    return [_summary(row) for row in rows]


def find_tenant(state: EmulatorState, ref: str) -> Row:
    """A tenant by GUID or domain, or NotFound naming what was asked for."""
    row = state.tenant(ref)
    if row is None:
        raise NotFound(
            f"There is no tenant {ref!r} in this emulator: GET /_emulator/tenants "
            "lists the tenants."
        )
    return row


def tenant_view(state: EmulatorState, ref: str) -> TenantView:
    tenant_id = find_tenant(state, ref)["id"]
    row = state.store.one(_SUMMARY_SQL + " WHERE t.id = ?", (tenant_id,))
    assert row is not None
    credentials = load_credentials(state, tenant_id)
    admin = next((c for c in credentials if c.kind == "admin"), None)
    return TenantView(_summary(row), admin, tuple(c for c in credentials if c.kind == "app"))


def create_tenant(state: EmulatorState, fixture: Mapping[str, Any]) -> TenantView:
    """Apply a tenant fixture (all or nothing) and return the tenant with its credentials."""
    _check_fixture_id(state, fixture.get("id"))
    try:
        tenant_id = apply_fixture(state, dict(fixture))
    except FixtureError as exc:
        raise InvalidFixture(str(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError, sqlite3.Error) as exc:
        # apply_fixture validates the common mistakes; anything else of the wrong shape
        # surfaces here, and its transaction has been rolled back.
        raise InvalidFixture(
            f"The fixture could not be applied ({type(exc).__name__}: {exc}); nothing was "
            "created. Check it against the fixture format in docs/emulator.md (Fixtures)."
        ) from None
    return tenant_view(state, tenant_id)


def _check_fixture_id(state: EmulatorState, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not is_guid(value):
        raise InvalidFixture(f"fixture field 'id' must be a tenant GUID, not {value!r}")
    if state.tenant(value) is not None:
        raise InvalidFixture(
            f"a tenant with id {value!r} exists already: pick another id or leave it out"
        )


def delete_tenant(state: EmulatorState, ref: str) -> TenantSummary:
    """Remove a tenant and every row that belongs to it, its outbox included."""
    view = tenant_view(state, ref)
    with state.store.tx() as conn:
        for table in _tenant_tables(conn):
            conn.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (view.summary.id,))  # noqa: S608
        conn.execute("DELETE FROM tenants WHERE id = ?", (view.summary.id,))
        state.forget_tenants()
    return view.summary


def _tenant_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table with a tenant_id column, so services' new tables are covered too."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        name
        for name in names
        if any(col[1] == "tenant_id" for col in conn.execute(f"PRAGMA table_info({name})"))
    ]


def reset(state: EmulatorState, seed: str | None) -> list[TenantView]:
    """Wipe every tenant, then apply a seed if one is named; one transaction.

    The clock and the signing key stay: emulator time only moves forward, and tokens
    keep their signature (their tenants are gone, so they verify against nothing).
    """
    if seed is not None and seed not in SEEDS:
        raise InvalidRequest(f"seed {seed!r} is not one of: {', '.join(SEEDS)}")
    with state.store.tx():
        state.store.wipe()
        state.forget_tenants()
        if seed is not None:
            apply_fixture(state, SEEDS[seed]())
    return [tenant_view(state, tenant.id) for tenant in list_tenants(state)]


def _summary(row: Row) -> TenantSummary:
    counts = TenantCounts(
        row["user_count"], row["mailbox_count"], row["group_count"], row["app_count"]
    )
    return TenantSummary(row["id"], row["domain"], row["display_name"], counts)


# -- clock -------------------------------------------------------------------------------


def clock_view(state: EmulatorState) -> ClockView:
    clock = state.clock
    return ClockView(
        now=clock.now(),
        real_now=datetime.fromtimestamp(clock.real_now(), UTC),
        time_scale=clock.time_scale,
        advanced_seconds=clock.advanced.total_seconds(),
        propagation_delay_seconds=state.settings.propagation_delay,
        removal_delay_seconds=state.settings.removal_delay,
    )


def advance_clock(state: EmulatorState, body: Mapping[str, Any]) -> ClockView:
    """Move emulator time forward by ``{"seconds": n}`` or ``{"duration": "1h30m"}``."""
    seconds = _advance_seconds(body)
    try:
        datetime.fromtimestamp(state.clock.timestamp() + seconds, UTC)
    except (OverflowError, ValueError, OSError):
        raise InvalidRequest("Advancing the clock that far would pass the year 9999.") from None
    state.clock.advance(seconds)
    state.save_clock()
    return clock_view(state)


def _advance_seconds(body: Mapping[str, Any]) -> float:
    given = sorted(set(body) & {"seconds", "duration"})
    unknown = sorted(set(body) - {"seconds", "duration"})
    if unknown or len(given) != 1:
        raise InvalidRequest(
            'Send either {"seconds": 90} or {"duration": "1h30m"} to advance the clock'
            + (f" (unknown field {unknown[0]!r})." if unknown else ".")
        )
    if given == ["seconds"]:
        return _seconds(body["seconds"])
    return _cap(_duration(body["duration"]), body["duration"])


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'seconds' must be a number of seconds, not {value!r}.")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidRequest(f"'seconds' must be a finite number of seconds, not {value!r}.")
    if value < 0:
        raise InvalidRequest(
            f"'seconds' must not be negative ({value}): the emulator clock only moves forward."
        )
    return _cap(value, value)


def _cap(seconds: float, given: object) -> float:
    # Compared before any float() so that a huge JSON integer cannot overflow.
    if seconds > MAX_ADVANCE_SECONDS:
        raise InvalidRequest(
            f"Advance by at most {MAX_ADVANCE_SECONDS:.0f} seconds (ten years) "
            f"at a time, not {given}."
        )
    return float(seconds)


def _duration(value: Any) -> float:
    if not isinstance(value, str):
        raise InvalidRequest(f"'duration' must be a string such as \"1h30m\", not {value!r}.")
    if value.strip().startswith("-"):
        raise InvalidRequest(
            f"'duration' must not be negative ({value}): the emulator clock only moves forward."
        )
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise InvalidRequest(f"'duration': {exc}.") from None
