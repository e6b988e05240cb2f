"""The emulator's whole state: store, clock, signing key, settings.

``EmulatorState`` is what ``create_app(state)`` serves. Nothing in the emulator is
module-global: two states in one process are two independent emulators.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from .clock import EmulatorClock
from .ids import guid, is_guid
from .store import Row, Store
from .tokens import SigningKey

__all__ = [
    "DEFAULT_PROPAGATION_DELAY",
    "DEFAULT_REMOVAL_DELAY",
    "EmulatorSettings",
    "EmulatorState",
    "emulator_state",
    "header",
    "request_ids",
]

# Graph: "Changes to application access policies can take longer than 1 hour to take effect"
# (learn.microsoft.com/graph/auth-limit-mailbox-access); Remove-ApplicationAccessPolicy:
# "might take up to 30 minutes to go live".
DEFAULT_PROPAGATION_DELAY = 3600.0
DEFAULT_REMOVAL_DELAY = 1800.0


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    propagation_delay: float = DEFAULT_PROPAGATION_DELAY
    removal_delay: float = DEFAULT_REMOVAL_DELAY
    time_scale: float = 1.0
    latency: float = 0.0
    auto_approve_device_codes: bool = False


@dataclass
class EmulatorState:
    store: Store
    clock: EmulatorClock
    signing_key: SigningKey
    settings: EmulatorSettings = field(default_factory=EmulatorSettings)
    data_dir: Path | None = None
    # What services keep in memory only (throttle counters, upload sessions), by service.
    runtime: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        data_dir: Path | None = None,
        settings: EmulatorSettings | None = None,
        *,
        signing_key: SigningKey | None = None,
    ) -> EmulatorState:
        """A state in ``data_dir`` (in memory without one). ``signing_key`` is for tests,
        which share one key rather than making an RSA key per test."""
        settings = settings or EmulatorSettings()
        store = Store(data_dir / "state.db" if data_dir is not None else None)
        clock = EmulatorClock(time_scale=settings.time_scale, start=_saved_clock(store))
        key = signing_key or SigningKey.load_or_create(store)
        return cls(store, clock, key, settings, data_dir)

    def tenant(self, ref: str) -> Row | None:
        """A tenant by GUID or by any of its domains (GUID hits are cached: every Graph
        request checks its token's tenant; ``forget_tenants`` after deleting one)."""
        cache: dict[str, Row] = self.runtime.setdefault("tenants", {})
        key = ref.lower()
        row = cache.get(key)
        if row is not None:
            return row
        if is_guid(ref):
            row = self.store.one("SELECT * FROM tenants WHERE id = ?", (key,))
            if row is not None:
                cache[key] = row
            return row
        row = self.store.one("SELECT * FROM tenants WHERE domain = ?", (ref,))
        if row is not None:
            return row
        return self.store.one(
            "SELECT t.* FROM tenants t, json_each(t.props, '$.domains') d WHERE d.value = ? "
            "COLLATE NOCASE",
            (ref,),
        )

    def forget_tenants(self) -> None:
        """Drop cached tenant rows: call after deleting or changing tenants."""
        self.runtime.pop("tenants", None)

    def save_clock(self) -> None:
        """Keep emulator time across restarts, so pending propagation stays pending."""
        self.store.set_meta("clock", repr(self.clock.timestamp()))

    def close(self) -> None:
        self.save_clock()
        self.store.close()


def _saved_clock(store: Store) -> float | None:
    """Where emulator time resumes: where it stopped, unless real time is already past it
    (Microsoft 365 keeps running while the emulator is off)."""
    saved = store.meta("clock")
    return None if saved is None else max(float(saved), time.time())


def emulator_state(request: Request) -> EmulatorState:
    """The state an app created by ``create_app(state)`` serves."""
    state: EmulatorState = request.app.state.emulator
    return state


def request_ids(request: Request) -> tuple[str, str]:
    """(request-id, client-request-id) of this request, made once and kept on it."""
    ids: tuple[str, str] | None = request.scope.get("sendscope.request_ids")
    if ids is None:
        mine = guid()
        ids = (mine, header(request, "client-request-id") or mine)
        request.scope["sendscope.request_ids"] = ids
    return ids


def header(request: Request, name: str) -> str | None:
    """The value of a request header (the first, as ``request.headers.get``); ``name`` in
    lower case. The headers are read into a dict once per request: Starlette's ``Headers``
    walks the whole list on every lookup, and every Graph request looks up four."""
    scope = request.scope
    found: dict[bytes, bytes] | None = scope.get("sendscope.headers")
    if found is None:
        found = scope["sendscope.headers"] = dict(reversed(scope["headers"]))
    value = found.get(name.encode("latin-1"))
    return None if value is None else value.decode("latin-1")
