"""Who may run which cmdlet (m365-domain.md §6.5; architecture.md, the emulator contract):
Exchange.ManageAsApp and a directory role for app-only callers, Exchange.Manage and the
user's roles for delegated ones, 401 "User is not allowed to call <cmdlet>" otherwise."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from tests.conftest import Tenant
from tests.emulator.exchange_helpers import (
    addr,
    admin_app_token,
    assert_not_allowed,
    delegated_exchange_token,
    one,
    run,
    values,
)

MAILER_APP = "Timesheet Mailer"

# One call of each kind, runnable in the demo tenant as it is seeded.
READ = ("Get-Mailbox", {"Identity": "ceo"})
TEST = (
    "Test-ApplicationAccessPolicy",
    {"Identity": "ceo", "AppId": "00000000-0000-0000-0000-00000000abcd"},
)
RECIPIENT_WRITE = ("New-DistributionGroup", {"Name": "Readers test", "Type": "Security"})
ORGANIZATION_WRITE = (
    "New-ApplicationAccessPolicy",
    {
        "AppId": "00000000-0000-0000-0000-00000000abcd",
        "PolicyScopeGroupId": "ceo",
        "AccessRight": "DenyAccess",
    },
)
CALLS = {
    "read": READ,
    "test": TEST,
    "recipients": RECIPIENT_WRITE,
    "organization": ORGANIZATION_WRITE,
}

# role -> the kinds of call it may make
MATRIX = {
    "Global Administrator": {"read", "test", "recipients", "organization"},
    "Exchange Administrator": {"read", "test", "recipients", "organization"},
    "Exchange Recipient Administrator": {"read", "test", "recipients"},
    "Global Reader": {"read", "test"},
    "Security Reader": {"read", "test"},
    "Security Administrator": {"read", "test"},
    "Helpdesk Administrator": {"read", "test"},
    "Compliance Administrator": {"read", "test"},
    "User Administrator": set(),
    "Application Administrator": set(),
}


def _allowed(status: int) -> bool:
    return status in (200, 204)


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_app_only_matrix(
    client: TestClient, state: EmulatorState, tenant: Tenant, role: str
) -> None:
    admin = admin_app_token(state, tenant.id, directory_roles=[role])
    for kind, (cmdlet, params) in CALLS.items():
        response = run(client, admin, cmdlet, **params)
        if kind in MATRIX[role]:
            assert _allowed(response.status_code), (role, cmdlet, response.text)
        else:
            assert_not_allowed(response, cmdlet)


def test_app_without_a_directory_role_is_401(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    admin = admin_app_token(state, tenant.id)
    assert_not_allowed(run(client, admin, "Get-Mailbox", Identity="ceo"), "Get-Mailbox")


def test_app_without_manage_as_app_is_401(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    admin = admin_app_token(
        state, tenant.id, directory_roles=["Global Administrator"], manage_as_app=False
    )
    assert_not_allowed(run(client, admin, "Get-Recipient"), "Get-Recipient")


def test_not_allowed_names_the_canonical_cmdlet(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    reader = admin_app_token(state, tenant.id, directory_roles=["Global Reader"])
    response = run(client, reader, "remove-applicationaccesspolicy", Identity="x")
    assert_not_allowed(response, "Remove-ApplicationAccessPolicy")


def test_reader_is_refused_before_parameters_are_bound(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    reader = admin_app_token(state, tenant.id, directory_roles=["Global Reader"])
    assert_not_allowed(run(client, reader, "New-DistributionGroup"), "New-DistributionGroup")


def test_seeded_admin_app_runs_everything(client: TestClient, token: Callable[..., str]) -> None:
    admin = token(admin=True, resource="exchange")
    for cmdlet, params in CALLS.values():
        assert _allowed(run(client, admin, cmdlet, **params).status_code), cmdlet


def test_mailer_app_is_401(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    from sendscope.emulator.core.directory import EXCHANGE_APP_ID, EXCHANGE_RESOURCE
    from sendscope.emulator.identity.claims import issue_app_token

    mailer = issue_app_token(
        state, tenant.id, tenant.apps[MAILER_APP].client_id, EXCHANGE_APP_ID, EXCHANGE_RESOURCE
    )
    assert_not_allowed(run(client, mailer, "Get-Mailbox", Identity="ceo"), "Get-Mailbox")


# -- delegated ----------------------------------------------------------------------------


def test_delegated_global_admin_runs_everything(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    user = delegated_exchange_token(state, tenant.id, addr("admin"))
    for cmdlet, params in CALLS.values():
        assert _allowed(run(client, user, cmdlet, **params).status_code), cmdlet


def test_delegated_user_without_role_is_401(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    user = delegated_exchange_token(state, tenant.id, addr("ceo"))
    assert_not_allowed(run(client, user, "Get-Mailbox", Identity="ceo"), "Get-Mailbox")


def test_delegated_reader_reads_only(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    user = delegated_exchange_token(state, tenant.id, addr("it"), directory_roles=["Global Reader"])
    assert one(run(client, user, "Get-Mailbox", Identity="ceo"))["Alias"] == "ceo"
    assert_not_allowed(
        run(client, user, *RECIPIENT_WRITE[:1], **RECIPIENT_WRITE[1]), "New-DistributionGroup"
    )


def test_delegated_without_exchange_manage_scope_is_401(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    user = delegated_exchange_token(state, tenant.id, addr("admin"), scopes="User.Read")
    assert_not_allowed(run(client, user, "Get-Mailbox", Identity="ceo"), "Get-Mailbox")


def test_reader_lists_policies(
    client: TestClient, state: EmulatorState, tenant: Tenant, token: Callable[..., str]
) -> None:
    admin = token(admin=True, resource="exchange")
    run(client, admin, *ORGANIZATION_WRITE[:1], **ORGANIZATION_WRITE[1])
    reader = admin_app_token(state, tenant.id, directory_roles=["Security Reader"])
    assert len(values(run(client, reader, "Get-ApplicationAccessPolicy"))) == 1
