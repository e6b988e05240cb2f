"""Get-Recipient, Get-Mailbox and New-Mailbox -Shared over InvokeCommand."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from tests.conftest import Tenant, bearer
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

TASK_ARGUMENT = "Microsoft.Exchange.Configuration.Tasks.TaskArgumentException"


@pytest.fixture
def admin(token: Callable[..., str]) -> str:
    return token(admin=True, resource="exchange")


def test_get_recipient_shape(
    client: TestClient, admin: str, state: EmulatorState, tenant: Tenant
) -> None:
    user = Directory(state.store).user(tenant.id, addr("ceo"))
    assert user is not None
    record = one(run(client, admin, "Get-Recipient", Identity=addr("ceo")))
    assert record["Name"] == record["Identity"] == record["Alias"] == "ceo"
    assert record["DisplayName"] == "Chief Executive"
    assert record["PrimarySmtpAddress"] == addr("ceo")
    assert record["EmailAddresses"] == [f"SMTP:{addr('ceo')}"]
    assert record["RecipientType"] == record["RecipientTypeDetails"] == "UserMailbox"
    assert record["ExternalDirectoryObjectId"] == user["id"]
    assert record["IsValidSecurityPrincipal"] is True
    assert record["DistinguishedName"] == (
        "CN=ceo,OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,"
        "DC=NAMPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
    )
    assert len(record["Guid"]) == 36 and record["Guid"] != user["id"]


@pytest.mark.parametrize("ref", ["ceo", "CEO", "Chief Executive", "CEO@contoso.onmicrosoft.com"])
def test_identity_by_name_alias_display_name_address(
    client: TestClient, admin: str, ref: str
) -> None:
    assert one(run(client, admin, "Get-Recipient", Identity=ref))["Alias"] == "ceo"


def test_identity_by_guid_object_id_and_dn(client: TestClient, admin: str) -> None:
    record = one(run(client, admin, "Get-Recipient", Identity="ceo"))
    for ref in (
        record["Guid"],
        record["ExternalDirectoryObjectId"].upper(),
        record["DistinguishedName"],
    ):
        assert one(run(client, admin, "Get-Recipient", Identity=ref))["Alias"] == "ceo"


def test_ambiguous_identity(client: TestClient, admin: str) -> None:
    run(client, admin, "New-Mailbox", Shared=True, Name="Payroll desk", DisplayName="Payroll")
    response = run(client, admin, "Get-Recipient", Identity="Payroll")
    assert_cmdlet_error(
        response,
        400,
        "BadRequest",
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException",
        "The operation couldn't be performed because 'Payroll' matches multiple entries.",
    )


def test_type_filter_as_array_or_commas(client: TestClient, admin: str) -> None:
    shared = values(run(client, admin, "Get-Recipient", RecipientTypeDetails="SharedMailbox"))
    assert [r["Alias"] for r in shared] == ["info"]
    groups = values(
        run(
            client,
            admin,
            "Get-Recipient",
            RecipientTypeDetails=["MailUniversalDistributionGroup", "SharedMailbox"],
        )
    )
    assert {r["Alias"] for r in groups} == {"info", "allstaff"}
    same = values(
        run(
            client,
            admin,
            "Get-Recipient",
            RecipientTypeDetails="SharedMailbox,MailUniversalDistributionGroup",
        )
    )
    assert {r["Alias"] for r in same} == {"info", "allstaff"}


def test_valid_security_principal_by_type(client: TestClient, admin: str) -> None:
    found = {
        r["Alias"]: r for r in values(run(client, admin, "Get-Recipient", ResultSize="Unlimited"))
    }
    assert found["info"]["RecipientType"] == "UserMailbox"
    assert found["info"]["IsValidSecurityPrincipal"] is False
    assert found["allstaff"]["RecipientTypeDetails"] == "MailUniversalDistributionGroup"
    assert found["allstaff"]["IsValidSecurityPrincipal"] is False
    assert "contractor" not in found  # no mailbox, so no recipient


def test_bad_type_filter(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Recipient", RecipientTypeDetails="Mailbox")
    assert response.status_code == 400
    assert detail(response)[2].startswith(
        "Cannot process argument transformation on parameter 'RecipientTypeDetails'. Cannot "
        'convert value "Mailbox" to type'
    )


def test_get_recipient_identity_of_filtered_out_type_is_not_found(
    client: TestClient, admin: str
) -> None:
    response = run(
        client, admin, "Get-Recipient", Identity="ceo", RecipientTypeDetails="SharedMailbox"
    )
    assert_cmdlet_error(
        response,
        404,
        "NotFound",
        NOT_FOUND_TYPE,
        f"The operation couldn't be performed because object 'ceo' couldn't be found on '{DC}'.",
    )


@pytest.mark.parametrize("value", ["0", "-3", "lots", True])
def test_bad_result_size(client: TestClient, admin: str, value: object) -> None:
    response = run(client, admin, "Get-Recipient", ResultSize=value)
    assert response.status_code == 400
    assert detail(response)[2].startswith(
        "Cannot process argument transformation on parameter 'ResultSize'."
    )


# -- Get-Mailbox --------------------------------------------------------------------------


def test_get_mailbox_lists_user_and_shared_mailboxes_only(client: TestClient, admin: str) -> None:
    found = values(run(client, admin, "Get-Mailbox", ResultSize="Unlimited"))
    kinds = {r["RecipientTypeDetails"] for r in found}
    assert kinds == {"UserMailbox", "SharedMailbox"}
    assert len(found) == 49  # 48 user mailboxes and info@


def test_get_mailbox_shape(client: TestClient, admin: str) -> None:
    record = one(run(client, admin, "Get-Mailbox", Identity="info"))
    assert record["RecipientTypeDetails"] == "SharedMailbox"
    assert record["RecipientType"] == "UserMailbox"
    assert record["IsShared"] is True
    assert record["AccountDisabled"] is True
    assert record["UserPrincipalName"] == addr("info")
    assert record["ExchangeGuid@odata.type"] == "#Guid"
    assert "IsValidSecurityPrincipal" not in record


def test_get_mailbox_by_type(client: TestClient, admin: str) -> None:
    found = values(run(client, admin, "Get-Mailbox", RecipientTypeDetails="SharedMailbox"))
    assert [r["Alias"] for r in found] == ["info"]
    assert values(run(client, admin, "Get-Mailbox", RecipientTypeDetails="MailUser")) == []


def test_get_mailbox_of_a_group_is_not_found(client: TestClient, admin: str) -> None:
    response = run(client, admin, "Get-Mailbox", Identity="allstaff")
    assert response.status_code == 404
    assert detail(response)[0] == "Ex6F9304"


# -- New-Mailbox -Shared ------------------------------------------------------------------


def test_new_shared_mailbox_is_a_disabled_user_and_a_recipient(
    client: TestClient,
    admin: str,
    token: Callable[..., str],
    state: EmulatorState,
    tenant: Tenant,
) -> None:
    record = one(
        run(
            client,
            admin,
            "New-Mailbox",
            Shared=True,
            Name="Support desk",
            Alias="support",
            DisplayName="Contoso Support",
            PrimarySmtpAddress=addr("support"),
        )
    )
    assert record["Name"] == "Support desk"
    assert record["Alias"] == "support"
    assert record["RecipientTypeDetails"] == "SharedMailbox"
    user = client.get(
        f"/v1.0/users/{record['ExternalDirectoryObjectId']}",
        headers=bearer(token(admin=True)),
        params={"$select": "accountEnabled,mail,displayName"},
    )
    assert user.status_code == 200
    assert user.json()["accountEnabled"] is False
    assert user.json()["mail"] == addr("support")
    assert user.json()["displayName"] == "Contoso Support"
    assert Directory(state.store).mailbox(tenant.id, record["ExternalDirectoryObjectId"])


def test_new_shared_mailbox_defaults(client: TestClient, admin: str) -> None:
    record = one(run(client, admin, "New-Mailbox", Shared=True, Name="Front Desk"))
    assert record["Alias"] == "FrontDesk"
    assert record["DisplayName"] == "Front Desk"
    assert record["PrimarySmtpAddress"] == "FrontDesk@contoso.onmicrosoft.com"


def test_new_mailbox_needs_shared(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-Mailbox", Name="Someone")
    assert response.status_code == 400
    assert detail(response)[1:] == (
        "System.NotSupportedException",
        "The sendscope emulator creates shared mailboxes only (New-Mailbox -Shared); create "
        "users with mailboxes through Graph (POST /v1.0/users).",
    )


def test_new_mailbox_address_in_use(client: TestClient, admin: str) -> None:
    response = run(
        client, admin, "New-Mailbox", Shared=True, Name="Boss", PrimarySmtpAddress=addr("ceo")
    )
    assert response.status_code == 400
    assert detail(response)[2] == (
        f'The proxy address "SMTP:{addr("ceo")}" is already being used by the proxy addresses '
        'or LegacyExchangeDN of "ceo". Please choose another proxy address.'
    )


def test_new_mailbox_name_in_use(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-Mailbox", Shared=True, Name="ceo", Alias="ceo2")
    assert response.status_code == 400
    assert detail(response)[1:] == (
        "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
        f"Active Directory operation failed on {DC}. The object 'CN=ceo,OU=contoso.onmicrosoft"
        ".com,OU=Microsoft Exchange Hosted Organizations,DC=NAMPR01A001,DC=PROD,DC=OUTLOOK,"
        "DC=COM' already exists.",
    )


def test_new_mailbox_foreign_domain(client: TestClient, admin: str) -> None:
    response = run(
        client, admin, "New-Mailbox", Shared=True, Name="Ext", PrimarySmtpAddress="ext@fabrikam.com"
    )
    assert_cmdlet_error(
        response,
        400,
        "BadRequest",
        TASK_ARGUMENT,
        'The domain "fabrikam.com" of the address "ext@fabrikam.com" isn\'t an accepted domain '
        "of this organization (contoso.onmicrosoft.com).",
    )


def test_new_mailbox_malformed_address(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-Mailbox", Shared=True, Name="Bad", PrimarySmtpAddress="bad")
    assert detail(response)[2].startswith('The email address "bad" isn\'t correct.')


def test_new_mailbox_name_too_long(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-Mailbox", Shared=True, Name="x" * 65)
    assert response.status_code == 400
    assert detail(response)[2] == (
        "Cannot validate argument on parameter 'Name'. The length of the argument is too long. "
        'Shorten the length of the argument to less than or equal to "64" and then try the '
        "command again."
    )


def test_new_mailbox_missing_name(client: TestClient, admin: str) -> None:
    response = run(client, admin, "New-Mailbox", Shared=True)
    assert detail(response)[2] == (
        "Cannot process command because of one or more missing mandatory parameters: Name."
    )


def test_switch_given_as_text(client: TestClient, admin: str) -> None:
    record = one(run(client, admin, "New-Mailbox", Shared="true", Name="Desk2"))
    assert record["IsShared"] is True
    response = run(client, admin, "New-Mailbox", Shared="maybe", Name="Desk3")
    assert detail(response)[2].startswith(
        "Cannot process argument transformation on parameter 'Shared'."
    )
