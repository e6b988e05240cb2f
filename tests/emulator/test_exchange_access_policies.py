"""New-/Get-/Set-/Remove-/Test-ApplicationAccessPolicy (m365-domain.md §1.3–§1.7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.exchange.models.access_policies import POLICY_OVERHEAD, POLICY_SPACE
from tests.conftest import Tenant
from tests.emulator.exchange_helpers import (
    DC,
    NOT_FOUND_TYPE,
    addr,
    assert_cmdlet_error,
    detail,
    one,
    run,
    values,
)

APP = "11111111-2222-3333-4444-555555555555"
OTHER_APP = "99999999-8888-7777-6666-555555555555"
TASK_ARGUMENT = "Microsoft.Exchange.Configuration.Tasks.TaskArgumentException"
BYPASS = {"BypassSecurityGroupManagerCheck": True}


@pytest.fixture
def admin(token: Callable[..., str]) -> str:
    return token(admin=True, resource="exchange")


def _group(client: TestClient, admin: str, name: str, *members: str) -> dict[str, Any]:
    return one(
        run(
            client,
            admin,
            "New-DistributionGroup",
            Name=name,
            Type="Security",
            Members=list(members),
        )
    )


def _policy(
    client: TestClient,
    admin: str,
    scope: str,
    right: str = "RestrictAccess",
    app: Any = APP,
    **extra: Any,
) -> list[dict[str, Any]]:
    return values(
        run(
            client,
            admin,
            "New-ApplicationAccessPolicy",
            AppId=app,
            PolicyScopeGroupId=scope,
            AccessRight=right,
            **extra,
        )
    )


def _test(client: TestClient, admin: str, mailbox: str, app: str = APP) -> str:
    record = one(run(client, admin, "Test-ApplicationAccessPolicy", Identity=mailbox, AppId=app))
    result: str = record["AccessCheckResult"]
    return result


def test_new_policy_output(client: TestClient, admin: str, tenant: Tenant) -> None:
    group = _group(client, admin, "Senders", "noreply")
    [policy] = _policy(client, admin, "Senders", Description="Restrict to Senders")
    sid = policy["ScopeIdentityRaw"].split(";")[0]
    assert list(policy) == [
        "ScopeName",
        "ScopeIdentity",
        "Identity",
        "AppId",
        "ScopeIdentityRaw",
        "Description",
        "AccessRight",
        "ShardType",
        "IsValid",
        "ObjectState",
    ]
    assert policy["ScopeName"] == "Senders"
    assert policy["ScopeIdentity"] == "Senders"
    assert policy["AppId"] == APP
    assert sid.startswith("S-1-5-21-")
    assert policy["ScopeIdentityRaw"] == f"{sid};{group['ExternalDirectoryObjectId']}"
    assert policy["Identity"] == f"{tenant.id}\\{APP}:{policy['ScopeIdentityRaw']}"
    assert policy["Description"] == "Restrict to Senders"
    assert (
        policy["AccessRight"],
        policy["ShardType"],
        policy["IsValid"],
        policy["ObjectState"],
    ) == ("RestrictAccess", "All", True, "Unchanged")


def test_default_description(client: TestClient, admin: str) -> None:
    [policy] = _policy(client, admin, "ceo", "DenyAccess")
    sid, oid = policy["ScopeIdentityRaw"].split(";")
    assert policy["Description"] == (
        f"AppId: {APP}; ScopeIdentitySid: {sid}; ScopeIdentityOid: {oid}; "
        "AccessRight: DenyAccess; ShardType: All"
    )


def test_one_policy_per_app(client: TestClient, admin: str) -> None:
    made = _policy(client, admin, "ceo", app=f"{APP},{OTHER_APP.upper()}")
    assert [p["AppId"] for p in made] == [APP, OTHER_APP]
    listed = values(run(client, admin, "Get-ApplicationAccessPolicy"))
    assert [p["Identity"] for p in listed] == [p["Identity"] for p in made]


def test_app_ids_as_array_and_star(client: TestClient, admin: str) -> None:
    assert [p["AppId"] for p in _policy(client, admin, "ceo", app=[APP, "*"])] == [APP, "*"]


def test_access_right_is_case_insensitive(client: TestClient, admin: str) -> None:
    assert _policy(client, admin, "ceo", "denyaccess")[0]["AccessRight"] == "DenyAccess"


def test_bad_access_right(client: TestClient, admin: str) -> None:
    response = run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=APP,
        PolicyScopeGroupId="ceo",
        AccessRight="AllowAccess",
    )
    assert response.status_code == 400
    assert detail(response)[2].startswith(
        "Cannot process argument transformation on parameter 'AccessRight'. Cannot convert "
        'value "AllowAccess" to type "ApplicationAccessPolicyRight".'
    )


def test_non_guid_app_id(client: TestClient, admin: str) -> None:
    response = run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId="Timesheet Mailer",
        PolicyScopeGroupId="ceo",
        AccessRight="RestrictAccess",
    )
    assert_cmdlet_error(
        response,
        400,
        "BadRequest",
        TASK_ARGUMENT,
        "'Timesheet Mailer' is not a valid AppId: give application (client) IDs "
        "as GUIDs, or * for every application.",
    )


@pytest.mark.parametrize(
    ("scope", "kind"),
    [
        ("info", "SharedMailbox"),
        ("allstaff", "MailUniversalDistributionGroup"),
    ],
)
def test_scope_must_be_a_security_principal(
    client: TestClient, admin: str, scope: str, kind: str
) -> None:
    response = run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=APP,
        PolicyScopeGroupId=scope,
        AccessRight="RestrictAccess",
    )
    assert_cmdlet_error(
        response,
        400,
        "BadRequest",
        TASK_ARGUMENT,
        f"'{addr(scope)}' is a {kind}, which is not a security principal and can't be the "
        "PolicyScopeGroupId of an application access policy. Use a user mailbox, a mail user "
        "or a mail-enabled security group (to cover shared mailboxes, add them to a "
        "mail-enabled security group).",
    )
    assert values(run(client, admin, "Get-ApplicationAccessPolicy")) == []


def test_mail_user_and_user_mailbox_scopes(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    Directory(state.store).create_user(
        tenant.id,
        upn=addr("partner"),
        display_name="Partner",
        mailbox="MailUser",
        now=state.clock.now(),
    )
    assert len(_policy(client, admin, "partner")) == 1
    assert len(_policy(client, admin, "ceo")) == 1


def test_unknown_scope(client: TestClient, admin: str) -> None:
    response = run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=APP,
        PolicyScopeGroupId="nobody@contoso.onmicrosoft.com",
        AccessRight="DenyAccess",
    )
    assert_cmdlet_error(
        response,
        404,
        "NotFound",
        NOT_FOUND_TYPE,
        "The operation couldn't be performed because object "
        f"'nobody@contoso.onmicrosoft.com' couldn't be found on '{DC}'.",
    )


def test_same_app_and_scope_twice(client: TestClient, admin: str) -> None:
    [first] = _policy(client, admin, "ceo")
    response = run(
        client,
        admin,
        "New-ApplicationAccessPolicy",
        AppId=[OTHER_APP, APP],
        PolicyScopeGroupId="ceo",
        AccessRight="DenyAccess",
    )
    assert detail(response)[1:] == (
        "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
        f"Active Directory operation failed on {DC}. The object '{first['Identity']}' "
        "already exists.",
    )
    assert len(values(run(client, admin, "Get-ApplicationAccessPolicy"))) == 1


def _fill(client: TestClient, admin: str, description: str | None) -> int:
    """Create policies (one app each, scope ceo) until the space runs out; return how many."""
    extra = {} if description is None else {"Description": description}
    for count in range(400):
        app = f"00000000-0000-0000-0000-{count:012d}"
        response = run(
            client,
            admin,
            "New-ApplicationAccessPolicy",
            AppId=app,
            PolicyScopeGroupId="ceo",
            AccessRight="RestrictAccess",
            **extra,
        )
        if response.status_code != 200:
            assert (
                detail(response)[2] == "The total size of App Access Policies exceeded the limit."
            )
            return count
    raise AssertionError("the policy space never ran out")


def test_about_300_policies_with_one_space_descriptions(client: TestClient, admin: str) -> None:
    assert _fill(client, admin, " ") == POLICY_SPACE // (POLICY_OVERHEAD + 1) == 300


def test_about_100_policies_with_default_descriptions(client: TestClient, admin: str) -> None:
    assert 90 <= _fill(client, admin, None) <= 110


def test_longer_description_can_exceed_the_space(client: TestClient, admin: str) -> None:
    [policy] = _policy(client, admin, "ceo")
    response = run(
        client,
        admin,
        "Set-ApplicationAccessPolicy",
        Identity=policy["Identity"],
        Description="x" * POLICY_SPACE,
    )
    assert detail(response)[2] == "The total size of App Access Policies exceeded the limit."


# -- Get / Set / Remove -------------------------------------------------------------------


def test_get_by_identity_and_unknown_identity_returns_all(client: TestClient, admin: str) -> None:
    first = _policy(client, admin, "ceo")[0]
    _policy(client, admin, "cfo")
    assert values(
        run(client, admin, "Get-ApplicationAccessPolicy", Identity=first["Identity"].upper())
    ) == [first]
    assert len(values(run(client, admin, "Get-ApplicationAccessPolicy", Identity="nope"))) == 2


def test_set_description(client: TestClient, admin: str) -> None:
    [policy] = _policy(client, admin, "ceo")
    response = run(
        client,
        admin,
        "Set-ApplicationAccessPolicy",
        Identity=policy["Identity"],
        Description="Mail only",
    )
    assert response.status_code == 204
    [shown] = values(run(client, admin, "Get-ApplicationAccessPolicy"))
    assert shown["Description"] == "Mail only"


def test_set_same_description_warns(client: TestClient, admin: str) -> None:
    [policy] = _policy(client, admin, "ceo", Description="Same")
    response = run(
        client,
        admin,
        "Set-ApplicationAccessPolicy",
        Identity=policy["Identity"],
        Description="Same",
    )
    assert response.status_code == 200
    assert "value" not in response.json()
    assert response.json()["@adminapi.warnings"] == [
        f"The command completed successfully but no settings of '{policy['Identity']}' have "
        "been modified."
    ]


def test_set_and_remove_unknown_identity(client: TestClient, admin: str) -> None:
    for cmdlet, extra in (
        ("Set-ApplicationAccessPolicy", {"Description": "x"}),
        ("Remove-ApplicationAccessPolicy", {}),
    ):
        response = run(client, admin, cmdlet, Identity="nope", **extra)
        assert_cmdlet_error(
            response,
            404,
            "NotFound",
            NOT_FOUND_TYPE,
            "The operation couldn't be performed because object 'nope' "
            f"couldn't be found on '{DC}'.",
        )


def test_remove_policy(client: TestClient, admin: str) -> None:
    [policy] = _policy(client, admin, "ceo")
    assert (
        run(
            client, admin, "Remove-ApplicationAccessPolicy", Identity=policy["Identity"]
        ).status_code
        == 204
    )
    assert values(run(client, admin, "Get-ApplicationAccessPolicy")) == []
    assert _test(client, admin, "cfo") == "Granted"


def test_policy_on_a_removed_group_is_not_valid(client: TestClient, admin: str) -> None:
    _group(client, admin, "Senders", "noreply")
    _policy(client, admin, "Senders")
    run(client, admin, "Remove-DistributionGroup", Identity="Senders", **BYPASS)
    [policy] = values(run(client, admin, "Get-ApplicationAccessPolicy"))
    assert (policy["IsValid"], policy["ScopeName"]) == (False, "Senders")
    assert _test(client, admin, "noreply") == "Denied"


# -- Test-ApplicationAccessPolicy and the evaluation order ---------------------------------


def test_test_output(client: TestClient, admin: str, state: EmulatorState, tenant: Tenant) -> None:
    user = Directory(state.store).recipient_by_address(tenant.id, addr("ceo"))
    assert user is not None
    record = one(
        run(client, admin, "Test-ApplicationAccessPolicy", Identity=addr("ceo"), AppId=APP)
    )
    assert record == {
        "AppId": APP,
        "Mailbox": "ceo",
        "MailboxId": user["object_id"],
        "MailboxSid": user["sid"],
        "AccessCheckResult": "Granted",
    }


def test_test_needs_one_guid(client: TestClient, admin: str) -> None:
    star = run(client, admin, "Test-ApplicationAccessPolicy", Identity="ceo", AppId="*")
    assert detail(star)[1] == TASK_ARGUMENT
    two = run(client, admin, "Test-ApplicationAccessPolicy", Identity="ceo", AppId=[APP, OTHER_APP])
    assert detail(two)[2].startswith("Cannot process argument transformation on parameter 'AppId'.")


def test_test_unknown_mailbox(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Test-ApplicationAccessPolicy", Identity="ghost", AppId=APP)
    assert response.status_code == 404


def test_restrict_grants_members_and_denies_the_rest(client: TestClient, admin: str) -> None:
    _group(client, admin, "Senders", "noreply")
    _policy(client, admin, "Senders")
    assert _test(client, admin, "noreply") == "Granted"
    assert _test(client, admin, "ceo") == "Denied"
    assert _test(client, admin, "ceo", OTHER_APP) == "Granted"  # a policy names its app only


def test_deny_beats_restrict(client: TestClient, admin: str) -> None:
    _group(client, admin, "Senders", "noreply", "ceo")
    _policy(client, admin, "Senders")
    _policy(client, admin, "ceo", "DenyAccess")
    assert _test(client, admin, "ceo") == "Denied"
    assert _test(client, admin, "noreply") == "Granted"


def test_deny_alone_denies_its_scope_only(client: TestClient, admin: str) -> None:
    _policy(client, admin, "ceo", "DenyAccess")
    assert _test(client, admin, "ceo") == "Denied"
    assert _test(client, admin, "cfo") == "Granted"


def test_a_second_restrict_policy_widens(client: TestClient, admin: str) -> None:
    _policy(client, admin, "noreply")
    _policy(client, admin, "payroll")
    assert [_test(client, admin, m) for m in ("noreply", "payroll", "ceo")] == [
        "Granted",
        "Granted",
        "Denied",
    ]


def test_star_policies_apply_to_every_app(client: TestClient, admin: str) -> None:
    _policy(client, admin, "ceo", "DenyAccess", app="*")
    assert _test(client, admin, "ceo", APP) == "Denied"
    assert _test(client, admin, "ceo", OTHER_APP) == "Denied"
    assert _test(client, admin, "cfo", OTHER_APP) == "Granted"


def test_nested_members_count(client: TestClient, admin: str) -> None:
    _group(client, admin, "Inner", "payroll")
    _group(client, admin, "Middle", "Inner")
    _group(client, admin, "Outer", "Middle")
    _policy(client, admin, "Outer")
    assert _test(client, admin, "payroll") == "Granted"
    assert _test(client, admin, "cfo") == "Denied"


def test_shared_mailbox_through_a_security_group(client: TestClient, admin: str) -> None:
    _group(client, admin, "Shared senders", "info")
    _policy(client, admin, "Shared senders")
    assert _test(client, admin, "info") == "Granted"


def test_test_sees_changes_at_once(client: TestClient, admin: str) -> None:
    _group(client, admin, "Senders", "noreply")
    _policy(client, admin, "Senders")
    run(client, admin, "Add-DistributionGroupMember", Identity="Senders", Member="ceo", **BYPASS)
    assert _test(client, admin, "ceo") == "Granted"
    run(client, admin, "Remove-DistributionGroupMember", Identity="Senders", Member="ceo", **BYPASS)
    assert _test(client, admin, "ceo") == "Denied"
