"""Shared fixtures: an in-process emulator on the demo tenant, and tokens for its apps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState, create_app, seed_state
from sendscope.emulator.core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
)
from sendscope.emulator.core.tokens import SigningKey
from sendscope.emulator.identity.claims import issue_app_token
from sendscope.emulator.seeds.fixtures import SeedCredential, load_credentials

# Property-based tests: a bounded profile for CI (2 cores, the whole run under 20 minutes).
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if __import__("os").environ.get("CI") else "dev")


@dataclass(frozen=True)
class Tenant:
    id: str
    domain: str
    admin: SeedCredential
    apps: dict[str, SeedCredential]


_SIGNING_KEY = SigningKey.generate()  # one RSA key for the whole run: tests stay fast


@pytest.fixture
def state() -> Iterator[EmulatorState]:
    emulator_state = EmulatorState.create(signing_key=_SIGNING_KEY)
    seed_state(emulator_state, "demo")
    yield emulator_state
    emulator_state.close()


@pytest.fixture
def tenant(state: EmulatorState) -> Tenant:
    row = state.store.one("SELECT id, domain FROM tenants")
    assert row is not None
    creds = load_credentials(state, row["id"])
    admin = next(c for c in creds if c.kind == "admin")
    return Tenant(row["id"], row["domain"], admin, {c.name: c for c in creds if c.kind == "app"})


@pytest.fixture
def client(state: EmulatorState) -> Iterator[TestClient]:
    with TestClient(create_app(state), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def token(state: EmulatorState, tenant: Tenant) -> Callable[..., str]:
    """``token("Timesheet Mailer")`` or ``token(admin=True, resource="exchange")``."""

    def make(app: str | None = None, *, admin: bool = False, resource: str = "graph") -> str:
        client_id = tenant.admin.client_id if admin else tenant.apps[app or ""].client_id
        resource_app, uri = (
            (GRAPH_APP_ID, GRAPH_RESOURCE)
            if resource == "graph"
            else (EXCHANGE_APP_ID, EXCHANGE_RESOURCE)
        )
        return issue_app_token(state, tenant.id, client_id, resource_app, uri)

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
