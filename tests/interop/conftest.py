"""A real HTTPS emulator for the real Microsoft client libraries, and proof they call only it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sendscope.emulator.core.state import EmulatorSettings
from sendscope.emulator.server import ThreadedEmulator
from tests.cert_helpers import Certificate, make_certificate, register_certificate


@dataclass(frozen=True)
class Emulator:
    """The running emulator and what the tests need from emulator.json."""

    server: ThreadedEmulator
    url: str
    ca: str
    tenant_id: str
    domain: str
    app: dict[str, Any]  # Timesheet Mailer: client_id, client_secret, roles
    admin: dict[str, Any]
    certificate: Certificate  # registered on Timesheet Mailer


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with ThreadedEmulator(seed="demo") as server:
        tenant = server.info["tenants"][0]
        app = tenant["apps"][0]
        certificate = make_certificate("Timesheet Mailer")
        register_certificate(server.state, tenant["id"], app["client_id"], certificate)
        yield Emulator(
            server,
            server.url,
            str(server.ca_cert),
            tenant["id"],
            tenant["domain"],
            app,
            tenant["admin"],
            certificate,
        )


@pytest.fixture
def auto_approve(emulator: Emulator) -> Iterator[None]:
    """Device codes approved at once for the tenant's first Global Administrator."""
    state = emulator.server.state
    before = state.settings
    state.settings = dataclasses.replace(before, auto_approve_device_codes=True)
    yield
    state.settings = before


class RecordingSession(requests.Session):
    """A requests session that remembers every URL it was asked for."""

    def __init__(self, ca: str) -> None:
        super().__init__()
        self.verify = ca
        self.urls: list[str] = []

    def request(
        self,
        method: str | bytes,
        url: str | bytes,
        *args: Any,  # type: ignore[override]
        **kwargs: Any,
    ) -> requests.Response:
        self.urls.append(url if isinstance(url, str) else url.decode())
        # requests lets REQUESTS_CA_BUNDLE override a session's verify, not a request's.
        if kwargs.get("verify") in (None, True):
            kwargs["verify"] = self.verify
        return super().request(method, url, *args, **kwargs)

    def assert_only(self, base: str) -> None:
        assert self.urls, "no request was made"
        strangers = [u for u in self.urls if not u.startswith(base + "/")]
        assert not strangers, f"requests left the emulator: {strangers}"


@pytest.fixture
def http(emulator: Emulator) -> Iterator[RecordingSession]:
    session = RecordingSession(emulator.ca)
    yield session
    session.close()


__all__ = ["Emulator", "EmulatorSettings", "RecordingSession"]
