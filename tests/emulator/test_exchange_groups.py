"""New-/Get-/Remove-DistributionGroup and Add-/Remove-/Get-DistributionGroupMember, and the
mail-enabled groups they make as Graph shows them (m365-domain.md §7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from tests.conftest import Tenant, bearer
from tests.emulator.exchange_helpers import (
    DC,
    NOT_FOUND_TYPE,
    addr,
    admin_app_token,
    assert_cmdlet_error,
    delegated_exchange_token,
    detail,
    one,
    run,
    values,
)

MANAGER_TYPE = "Microsoft.Exchange.Configuration.Tasks.OperationRequiresGroupManagerException"
MANAGER_TEXT = (
    "You don't have sufficient permissions. This operation can only be performed by a manager "
    "of the group."
)
BYPASS = {"BypassSecurityGroupManagerCheck": True}


@pytest.fixture
def admin(token: Callable[..., str]) -> str:
    return token(admin=True, resource="exchange")


@pytest.fixture
def graph_admin(token: Callable[..., str]) -> str:
    return token(admin=True)


def _security_group(client: TestClient, admin: str, **extra: object) -> dict[str, object]:
    return one(
        run(
            client,
            admin,
            "New-DistributionGroup",
            Name="Timesheet senders",
            Type="Security",
            PrimarySmtpAddress=addr("timesheet-senders"),
            **extra,
        )
    )


def _members(client: TestClient, admin: str, group: str) -> list[str]:
    found = values(run(client, admin, "Get-DistributionGroupMember", Identity=group))
    return sorted(r["Alias"] for r in found)


def test_new_security_group_shape(client: TestClient, admin: str) -> None:
    group = _security_group(client, admin, Members=[addr("noreply"), "payroll"])
    assert group["Name"] == "Timesheet senders"
    assert group["DisplayName"] == "Timesheet senders"
    assert group["Alias"] == "Timesheetsenders"
    assert group["PrimarySmtpAddress"] == addr("timesheet-senders")
    assert group["RecipientTypeDetails"] == group["RecipientType"] == "MailUniversalSecurityGroup"
    assert group["GroupType"] == "Universal, SecurityEnabled"
    assert group["ManagedBy"] == []
    assert group["ManagedBy@odata.type"] == "#Collection(String)"


def test_new_group_is_read_only_in_graph_with_the_same_id(
    client: TestClient, admin: str, graph_admin: str
) -> None:
    group = _security_group(client, admin, Members=[addr("noreply")])
    gid = group["ExternalDirectoryObjectId"]
    shown = client.get(f"/v1.0/groups/{gid}", headers=bearer(graph_admin)).json()
    assert (shown["mailEnabled"], shown["securityEnabled"], shown["groupTypes"]) == (True, True, [])
    assert shown["mail"] == addr("timesheet-senders")
    members = client.get(f"/v1.0/groups/{gid}/members", headers=bearer(graph_admin)).json()
    assert [m["userPrincipalName"] for m in members["value"]] == [addr("noreply")]
    refused = client.patch(
        f"/v1.0/groups/{gid}", headers=bearer(graph_admin), json={"displayName": "Renamed"}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "Cannot Update a mail-enabled security groups and or distribution list."
    )


def test_distribution_group_is_not_security_enabled(
    client: TestClient, admin: str, graph_admin: str
) -> None:
    group = one(run(client, admin, "New-DistributionGroup", Name="Newsletter"))
    assert group["RecipientTypeDetails"] == "MailUniversalDistributionGroup"
    assert group["GroupType"] == "Universal"
    assert group["PrimarySmtpAddress"] == addr("Newsletter")
    shown = client.get(
        f"/v1.0/groups/{group['ExternalDirectoryObjectId']}", headers=bearer(graph_admin)
    ).json()
    assert (shown["mailEnabled"], shown["securityEnabled"]) == (True, False)


def test_members_as_generic_hashtable(client: TestClient, admin: str) -> None:
    _security_group(
        client,
        admin,
        Members={
            "@odata.type": "#Exchange.GenericHashTable",
            "add": ["noreply", "it"],
            "remove": [],
        },
    )
    assert _members(client, admin, "Timesheet senders") == ["it", "noreply"]


def test_bad_type(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-DistributionGroup", Name="X", Type="Dynamic")
    assert response.status_code == 400
    assert detail(response)[2] == (
        "Cannot process argument transformation on parameter 'Type'. Cannot convert value "
        '"Dynamic" to type "Microsoft.Exchange.Data.Directory.Recipient.GroupType". Error: '
        '"Unable to match the identifier name Dynamic to a valid enumerator name. Specify one '
        'of the following enumerator names and try again: Distribution, Security"'
    )


def test_duplicate_name_and_address(client: TestClient, admin: str) -> None:
    _security_group(client, admin)
    again = run(client, admin, "New-DistributionGroup", Name="timesheet senders", Alias="ts2")
    assert detail(again)[1] == "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"
    taken = run(
        client,
        admin,
        "New-DistributionGroup",
        Name="Other",
        PrimarySmtpAddress=addr("timesheet-senders"),
    )
    assert detail(taken)[2] == (
        f'The proxy address "SMTP:{addr("timesheet-senders")}" is already being used by the '
        'proxy addresses or LegacyExchangeDN of "Timesheet senders". Please choose another '
        "proxy address."
    )


def test_name_over_64_characters(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-DistributionGroup", Name="n" * 65)
    assert detail(response)[0] == "ParameterArgumentValidationError"


def test_unknown_member_refuses_the_whole_group(client: TestClient, admin: str) -> None:
    response = run(
        client,
        admin,
        "New-DistributionGroup",
        Name="Ghosts",
        Members=["noreply", "ghost@contoso.onmicrosoft.com"],
    )
    assert_cmdlet_error(
        response,
        404,
        "NotFound",
        NOT_FOUND_TYPE,
        'Couldn\'t find object "ghost@contoso.onmicrosoft.com". Please make sure '
        "that it was spelled correctly or specify a different object.",
    )
    assert run(client, admin, "Get-DistributionGroup", Identity="Ghosts").status_code == 404


def test_more_than_10000_members(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-DistributionGroup", Name="Huge", Members=["noreply"] * 10001)
    assert response.status_code == 400
    assert detail(response)[2].startswith("The Members parameter takes at most 10000 entries")


def test_managed_by_and_default_owner(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    group = one(
        run(client, admin, "New-DistributionGroup", Name="Owned", Type="Security", ManagedBy=["it"])
    )
    assert group["ManagedBy"] == ["it"]
    user = delegated_exchange_token(state, tenant.id, addr("admin"))
    mine = one(run(client, user, "New-DistributionGroup", Name="Mine", Type="Security"))
    assert mine["ManagedBy"] == ["admin"]


def test_get_distribution_group_lists_mail_enabled_groups(client: TestClient, admin: str) -> None:
    _security_group(client, admin)
    found = values(run(client, admin, "Get-DistributionGroup"))
    assert [g["Name"] for g in found] == ["allstaff", "Timesheet senders"]


def test_get_unknown_group(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-DistributionGroup", Identity="ceo")
    assert_cmdlet_error(
        response,
        404,
        "NotFound",
        NOT_FOUND_TYPE,
        f"The operation couldn't be performed because object 'ceo' couldn't be found on '{DC}'.",
    )


# -- members and the manager check --------------------------------------------------------


def test_app_only_needs_the_bypass_switch_on_security_groups(
    client: TestClient, admin: str
) -> None:
    _security_group(client, admin)
    refused = run(
        client, admin, "Add-DistributionGroupMember", Identity="Timesheet senders", Member="noreply"
    )
    assert_cmdlet_error(refused, 400, "BadRequest", MANAGER_TYPE, MANAGER_TEXT)
    assert _members(client, admin, "Timesheet senders") == []
    added = run(
        client,
        admin,
        "Add-DistributionGroupMember",
        Identity="Timesheet senders",
        Member="noreply",
        **BYPASS,
    )
    assert added.status_code == 204
    assert _members(client, admin, "Timesheet senders") == ["noreply"]


def test_distribution_groups_need_no_bypass(client: TestClient, admin: str) -> None:
    added = run(client, admin, "Add-DistributionGroupMember", Identity="allstaff", Member="it")
    assert added.status_code == 204
    assert _members(client, admin, "allstaff") == ["ceo", "cfo", "hr", "it"]


def test_manager_needs_no_bypass(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    user = delegated_exchange_token(state, tenant.id, addr("admin"))
    run(client, user, "New-DistributionGroup", Name="Mine", Type="Security")
    assert (
        run(client, user, "Add-DistributionGroupMember", Identity="Mine", Member="ceo").status_code
        == 204
    )
    other = admin_app_token(state, tenant.id, directory_roles=["Exchange Administrator"])
    refused = run(client, other, "Remove-DistributionGroupMember", Identity="Mine", Member="ceo")
    assert detail(refused)[2] == MANAGER_TEXT


def test_add_existing_member(client: TestClient, admin: str) -> None:
    response = run(
        client, admin, "Add-DistributionGroupMember", Identity="allstaff", Member=addr("ceo")
    )
    assert_cmdlet_error(
        response,
        400,
        "BadRequest",
        "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
        'The recipient "ceo" is already a member of the group "allstaff".',
    )


def test_add_unknown_member(client: TestClient, admin: str) -> None:
    response = run(
        client, admin, "Add-DistributionGroupMember", Identity="allstaff", Member="ghost"
    )
    assert response.status_code == 404
    assert detail(response)[2].startswith('Couldn\'t find object "ghost".')


def test_add_group_to_itself(client: TestClient, admin: str) -> None:
    response = run(
        client, admin, "Add-DistributionGroupMember", Identity="allstaff", Member="allstaff"
    )
    assert detail(response)[2] == 'The group "allstaff" can\'t be a member of itself.'


def test_nested_group_member(client: TestClient, admin: str) -> None:
    _security_group(client, admin)
    run(
        client,
        admin,
        "Add-DistributionGroupMember",
        Identity="Timesheet senders",
        Member="allstaff",
        **BYPASS,
    )
    [member] = values(
        run(client, admin, "Get-DistributionGroupMember", Identity="Timesheet senders")
    )
    assert member["RecipientTypeDetails"] == "MailUniversalDistributionGroup"


def test_remove_member(client: TestClient, admin: str) -> None:
    assert (
        run(
            client, admin, "Remove-DistributionGroupMember", Identity="allstaff", Member="cfo"
        ).status_code
        == 204
    )
    assert _members(client, admin, "allstaff") == ["ceo", "hr"]
    again = run(client, admin, "Remove-DistributionGroupMember", Identity="allstaff", Member="cfo")
    assert_cmdlet_error(
        again,
        400,
        "BadRequest",
        "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
        'The recipient "cfo" isn\'t a member of the group "allstaff".',
    )


def test_get_members_result_size(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-DistributionGroupMember", Identity="allstaff", ResultSize=2)
    assert len(values(response)) == 2
    assert response.json()["@adminapi.warnings"]


def test_remove_group(client: TestClient, admin: str, graph_admin: str) -> None:
    group = _security_group(client, admin, Members=["noreply"])
    refused = run(client, admin, "Remove-DistributionGroup", Identity="Timesheet senders")
    assert detail(refused)[2] == MANAGER_TEXT
    assert (
        run(
            client, admin, "Remove-DistributionGroup", Identity="Timesheet senders", **BYPASS
        ).status_code
        == 204
    )
    assert (
        run(client, admin, "Get-DistributionGroup", Identity="Timesheet senders").status_code == 404
    )
    gone = client.get(
        f"/v1.0/groups/{group['ExternalDirectoryObjectId']}", headers=bearer(graph_admin)
    )
    assert gone.status_code == 404


def test_removing_a_nested_group_leaves_its_parent(client: TestClient, admin: str) -> None:
    _security_group(client, admin)
    run(
        client,
        admin,
        "Add-DistributionGroupMember",
        Identity="Timesheet senders",
        Member="allstaff",
        **BYPASS,
    )
    run(client, admin, "Remove-DistributionGroup", Identity="allstaff")
    assert _members(client, admin, "Timesheet senders") == []
