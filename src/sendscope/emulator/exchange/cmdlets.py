"""The cmdlets the emulator runs: name, rule, who may run it, and its parameters.

Names are matched case-insensitively (the module sends them as typed: ``get-mailbox`` works).
A call is checked in Exchange's order: the cmdlet exists (400), the caller may run it (401),
its parameters bind (400), then it runs.
"""

from __future__ import annotations

from typing import Any

from ..core.state import EmulatorState
from .exceptions import UnknownCmdlet
from .models import access_policies as aap
from .models import distribution_groups as groups
from .models import mailboxes
from .models.authorization import Access, AdminCaller, authorize
from .models.invocation import Cmdlet, CmdletCall, CmdletResult
from .models.parameters import Parameters

__all__ = ["CMDLETS", "find_cmdlet", "invoke"]

_BYPASS = "BypassSecurityGroupManagerCheck"

_TABLE = (
    Cmdlet(
        "Get-Recipient",
        mailboxes.get_recipient,
        Access.READ,
        ("Identity", "RecipientTypeDetails", "ResultSize"),
    ),
    Cmdlet(
        "Get-Mailbox",
        mailboxes.get_mailbox,
        Access.READ,
        ("Identity", "RecipientTypeDetails", "ResultSize"),
    ),
    Cmdlet(
        "New-Mailbox",
        mailboxes.new_shared_mailbox,
        Access.RECIPIENTS,
        ("Shared", "Name", "DisplayName", "Alias", "PrimarySmtpAddress"),
        ("Name",),
    ),
    Cmdlet(
        "New-DistributionGroup",
        groups.new_distribution_group,
        Access.RECIPIENTS,
        ("Name", "Type", "Alias", "DisplayName", "PrimarySmtpAddress", "Members", "ManagedBy"),
        ("Name",),
    ),
    Cmdlet(
        "Get-DistributionGroup",
        groups.get_distribution_group,
        Access.READ,
        ("Identity", "ResultSize"),
    ),
    Cmdlet(
        "Remove-DistributionGroup",
        groups.remove_distribution_group,
        Access.RECIPIENTS,
        ("Identity", _BYPASS),
        ("Identity",),
    ),
    Cmdlet(
        "Add-DistributionGroupMember",
        groups.add_member,
        Access.RECIPIENTS,
        ("Identity", "Member", _BYPASS),
        ("Identity", "Member"),
    ),
    Cmdlet(
        "Remove-DistributionGroupMember",
        groups.remove_member,
        Access.RECIPIENTS,
        ("Identity", "Member", _BYPASS),
        ("Identity", "Member"),
    ),
    Cmdlet(
        "Get-DistributionGroupMember",
        groups.get_members,
        Access.READ,
        ("Identity", "ResultSize"),
        ("Identity",),
    ),
    Cmdlet(
        "New-ApplicationAccessPolicy",
        aap.new_policy,
        Access.ORGANIZATION,
        ("AccessRight", "AppId", "PolicyScopeGroupId", "Description"),
        ("AccessRight", "AppId", "PolicyScopeGroupId"),
    ),
    Cmdlet("Get-ApplicationAccessPolicy", aap.get_policy, Access.READ, ("Identity",)),
    Cmdlet(
        "Set-ApplicationAccessPolicy",
        aap.set_policy,
        Access.ORGANIZATION,
        ("Identity", "Description"),
        ("Identity", "Description"),
    ),
    Cmdlet(
        "Remove-ApplicationAccessPolicy",
        aap.remove_policy,
        Access.ORGANIZATION,
        ("Identity",),
        ("Identity",),
    ),
    Cmdlet(
        "Test-ApplicationAccessPolicy",
        aap.test_policy,
        Access.READ,
        ("Identity", "AppId"),
        ("Identity", "AppId"),
    ),
)

CMDLETS: dict[str, Cmdlet] = {cmdlet.name.lower(): cmdlet for cmdlet in _TABLE}


def find_cmdlet(name: str) -> Cmdlet:
    found = CMDLETS.get(name.strip().lower())
    if found is None:
        raise UnknownCmdlet(name, [cmdlet.name for cmdlet in _TABLE])
    return found


def invoke(
    state: EmulatorState, tenant_id: str, caller: AdminCaller, name: str, parameters: Any
) -> CmdletResult:
    """Run one cmdlet for ``caller`` in ``tenant_id``."""
    cmdlet = find_cmdlet(name)
    authorize(caller, cmdlet.name, cmdlet.access)
    bound = Parameters.bind(parameters, cmdlet.parameters, cmdlet.required)
    return cmdlet.run(CmdletCall(state, tenant_id, caller, bound))
