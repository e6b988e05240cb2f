"""Support for the audit's emulator tests (no tests here): an ``AdminSession`` whose HTTP
goes to an in-process emulator, through the mailer tests' bridge."""

from __future__ import annotations

from sendscope.admin import AdminConnection, AdminSession
from sendscope.auth.credentials import AppIdentity, ClientSecret, Secret
from sendscope.clouds import emulator_cloud
from sendscope.emulator import EmulatorState
from sendscope.emulator.seeds.fixtures import load_credentials
from tests.unit.test_mailer_support import BASE, Bridge

__test__ = False

__all__ = ["BASE", "Bridge", "admin_session", "tenant_id"]


def tenant_id(state: EmulatorState) -> str:
    return str(state.store.scalar("SELECT id FROM tenants"))


def admin_session(
    bridge: Bridge, *, name: str | None = None, domain: str | None = None
) -> AdminSession:
    """The tenant's admin app (or the app called ``name``) signed in through the bridge."""
    tid = tenant_id(bridge.state)
    creds = load_credentials(bridge.state, tid)
    cred = next(c for c in creds if (c.name == name if name else c.kind == "admin"))
    identity = AppIdentity(tid, cred.client_id, ClientSecret(Secret(cred.client_secret)))
    connection = AdminConnection(emulator_cloud(BASE), tid, identity, None, None, domain)
    return AdminSession(connection, transport=bridge.transport())
