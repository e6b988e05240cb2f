"""Support for the mailer and ``send`` tests (no tests here): the in-process emulator
behind httpx2 transports, with faults, a fake clock, and the tenant's app credentials.

The bridge forwards each ``httpx2`` request to the emulator's Starlette app (sync: through
Starlette's TestClient; async: ``httpx2.ASGITransport``) after giving each fault a chance
to answer instead — so a test can make Graph say what the emulator does not do yet (the
Application Access Policy refusal, a 503, a timeout after the request was written).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from starlette.testclient import TestClient

from sendscope.auth.credentials import AppIdentity, ClientSecret, Secret
from sendscope.clouds import emulator_cloud
from sendscope.connection import AppConnection, AppSession
from sendscope.emulator import EmulatorState, apply_fixture, create_app
from sendscope.emulator.seeds.fixtures import SeedCredential, load_credentials
from sendscope.emulator.seeds.tenants import demo_fixture
from sendscope.emulator.server import build_info, write_info

__test__ = False  # support code: nothing to collect

BASE = "https://testserver"
DOMAIN = "contoso.onmicrosoft.com"
EXTRA_APPS: list[dict[str, Any]] = [
    {"displayName": "Big Mailer", "roles": ["Mail.Send", "Mail.ReadWrite"]},
    {"displayName": "Mail Reader", "roles": ["Mail.Read"]},
]
RAOP = (
    "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly "
    "AccessPolicy settings."
)

Fault = Callable[[httpx2.Request], httpx2.Response | None]


def addr(local: str) -> str:
    return f"{local}@{DOMAIN}"


def mail_state() -> EmulatorState:
    """The demo tenant plus an app with Mail.ReadWrite and one without Mail.Send."""
    state = EmulatorState.create()
    fixture = demo_fixture()
    fixture["apps"] = [*fixture["apps"], *EXTRA_APPS]
    apply_fixture(state, fixture)
    return state


def tenant_id(state: EmulatorState) -> str:
    row = state.store.one("SELECT id FROM tenants")
    assert row is not None
    return str(row["id"])


def credential(state: EmulatorState, name: str = "Timesheet Mailer") -> SeedCredential:
    return next(c for c in load_credentials(state, tenant_id(state)) if c.name == name)


def secrets(state: EmulatorState) -> list[str]:
    return [c.client_secret for c in load_credentials(state, tenant_id(state))]


def graph_error(
    status: int, code: str, message: str, request: httpx2.Request, **headers: str
) -> httpx2.Response:
    """Graph's error envelope (m365-domain §3.6)."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2025-02-13T10:17:05",
                "request-id": "req-fault-1",
                "client-request-id": request.headers.get("client-request-id", ""),
            },
        }
    }
    return httpx2.Response(
        status, json=body, request=request, headers={"request-id": "req-fault-1", **headers}
    )


def on(
    path_part: str,
    answer: Callable[[httpx2.Request], httpx2.Response],
    *,
    times: int | None = None,
    method: str | None = None,
) -> Fault:
    """A fault for requests whose path contains ``path_part`` (``times`` at most)."""
    left = [times]

    def fault(request: httpx2.Request) -> httpx2.Response | None:
        if path_part not in request.url.path or (method and request.method != method):
            return None
        if left[0] is not None:
            if left[0] <= 0:
                return None
            left[0] -= 1
        return answer(request)

    return fault


def raising(kind: type[httpx2.TransportError]) -> Callable[[httpx2.Request], httpx2.Response]:
    def answer(request: httpx2.Request) -> httpx2.Response:
        raise kind("simulated", request=request)

    return answer


@dataclass
class Bridge:
    """The emulator in-process, behind sync and async httpx2 transports."""

    state: EmulatorState
    faults: list[Fault] = field(default_factory=list)
    seen: list[httpx2.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = create_app(self.state)
        self.client = TestClient(self.app, base_url=BASE)

    def _fault(self, request: httpx2.Request) -> httpx2.Response | None:
        with self.lock:
            self.seen.append(request)
        for fault in self.faults:
            answer = fault(request)
            if answer is not None:
                return answer
        return None

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        faulted = self._fault(request)
        if faulted is not None:
            return faulted
        request.read()
        answer = self.client.request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.content,
        )
        return httpx2.Response(
            answer.status_code,
            headers=list(answer.headers.multi_items()),
            content=answer.content,
            request=request,
        )

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def async_transport(self) -> httpx2.AsyncBaseTransport:
        return _AsyncBridge(self)

    def graph_requests(self, path_part: str = "") -> list[httpx2.Request]:
        return [r for r in self.seen if "/v1.0/" in r.url.path and path_part in r.url.path]

    def outbox(self) -> list[Any]:
        return self.state.store.all("SELECT * FROM outbox ORDER BY seq")


class _AsyncBridge(httpx2.AsyncBaseTransport):
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.asgi = httpx2.ASGITransport(bridge.app)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        faulted = self.bridge._fault(request)
        if faulted is not None:
            return faulted
        return await self.asgi.handle_async_request(request)


def connection(
    state: EmulatorState, app: str = "Timesheet Mailer", secret: str | None = None
) -> AppConnection:
    cred = credential(state, app)
    value = ClientSecret(Secret(secret or cred.client_secret))
    identity = AppIdentity(tenant_id(state), cred.client_id, value)
    return AppConnection(emulator_cloud(BASE), identity, None)


def session(bridge: Bridge, app: str = "Timesheet Mailer", secret: str | None = None) -> AppSession:
    return AppSession(connection(bridge.state, app, secret), transport=bridge.transport())


def write_emulator_json(state: EmulatorState, directory: Path) -> Path:
    """An emulator.json for ``--emulator DIR`` pointing at the in-process emulator."""
    write_info(directory / "emulator.json", build_info(state, BASE, directory / "ca.pem"))
    return directory


def connect_through(bridge: Bridge) -> Callable[..., AppSession]:
    """A stand-in for ``connection.connect_app``: the real option resolution, then the
    bridge as transport (no CA needed in-process)."""
    from sendscope.connection import resolve_app

    def connect(options: Any, *, prompt: Any = None) -> AppSession:
        resolved = dataclasses.replace(resolve_app(options, prompt=prompt), ca_file=None)
        return AppSession(resolved, transport=bridge.transport())

    return connect


@dataclass
class FakeClock:
    """Time that moves only when someone sleeps: pacing tests never wait."""

    now_s: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def large(n: int, name: str = "big.bin") -> Any:
    from sendscope.mail import Attachment

    return Attachment(
        name, bytes(range(256)) * (n // 256) + b"x" * (n % 256), "application/octet-stream"
    )


def iter_exc(exc: BaseException) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
