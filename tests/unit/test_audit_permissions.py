"""The audit's read permissions, checked from token claims before anything is read."""

from __future__ import annotations

from typing import Any

import pytest

from sendscope.snapshot import READ_PERMISSIONS, missing_read_permissions

GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
LEAST = [p.name for p in READ_PERMISSIONS]
EXCHANGE_OK: dict[str, Any] = {"roles": ["Exchange.ManageAsApp"], "wids": [GLOBAL_READER]}


def test_the_least_privileged_set_is_read_only() -> None:
    assert LEAST == [
        "Application.Read.All",
        "RoleManagement.Read.Directory",
        "User.Read.All",
        "GroupMember.Read.All",
    ]
    assert missing_read_permissions({"roles": LEAST}, EXCHANGE_OK) == ()


def test_directory_read_all_covers_every_graph_read() -> None:
    assert missing_read_permissions({"roles": ["Directory.Read.All"]}, EXCHANGE_OK) == ()


@pytest.mark.parametrize("dropped", LEAST)
def test_each_missing_graph_permission_is_named_with_how_to_grant_it(dropped: str) -> None:
    roles = [r for r in LEAST if r != dropped]
    missing = missing_read_permissions({"roles": roles}, EXCHANGE_OK)
    assert len(missing) == 1
    assert missing[0].startswith(f"{dropped} (to read ")
    assert f"Application permissions > {dropped}, then Grant admin consent" in missing[0]


def test_exchange_needs_manage_as_app_and_a_reader_role() -> None:
    missing = missing_read_permissions({"roles": LEAST}, {"roles": [], "wids": []})
    assert [m.split(" (")[0] for m in missing] == [
        "Exchange.ManageAsApp",
        "an Exchange reader role",
    ]
    assert "Global Reader" in missing[1]


def test_a_role_that_may_not_run_get_cmdlets_does_not_count() -> None:
    user_admin = "fe930be7-5e62-47db-91af-98c3a49a38b1"
    exchange = {"roles": ["Exchange.ManageAsApp"], "wids": [user_admin]}
    assert missing_read_permissions({"roles": LEAST}, exchange)[0].startswith(
        "an Exchange reader role"
    )


def test_a_signed_in_admin_is_checked_on_exchange_only() -> None:
    exchange = {"scp": "Exchange.Manage", "wids": [GLOBAL_READER.upper()]}
    assert missing_read_permissions({"scp": "User.Read"}, exchange) == ()
    missing = missing_read_permissions({"scp": "User.Read"}, {"scp": "openid", "wids": []})
    assert missing[0].startswith("Exchange.Manage (delegated")
    assert len(missing) == 2


def test_the_role_goes_to_the_signed_in_user_by_upn_not_to_an_app() -> None:
    # Problem 8: a delegated admin is told to assign the role to themselves, by name.
    exchange = {"scp": "Exchange.Manage", "wids": [], "upn": "staff01@contoso.onmicrosoft.com"}
    missing = missing_read_permissions({"scp": "User.Read"}, exchange)
    assert missing == (
        "an Exchange reader role (to run Get-* cmdlets): the Global Reader directory role "
        "(least privileged; Exchange Administrator works too): Entra admin center > Roles and "
        "administrators > Global Reader > Add assignments > staff01@contoso.onmicrosoft.com",
    )
    app_only = missing_read_permissions({"roles": LEAST}, {"roles": ["Exchange.ManageAsApp"]})
    assert app_only[0].endswith("Add assignments > the admin app")
