"""Distribution groups and mail-enabled security groups, and their members.

learn.microsoft.com/powershell/module/exchangepowershell/new-distributiongroup,
…/add-distributiongroupmember (m365-domain.md §7.2). A group made here is an Entra group too,
with the same object id (``mailEnabled`` true, ``securityEnabled`` per ``-Type``,
``groupTypes`` empty) that Graph shows read-only (§7.1).

Every membership change is also written to the access-policy change log
(core/propagation.py): a mail-enabled security group can be a policy's scope, and Graph
sees its new members only after the propagation delay.

``-BypassSecurityGroupManagerCheck``: "If you aren't defined in the ManagedBy property of
the group, you need to use this switch in commands that modify or delete the group." The
emulator asks for it on mail-enabled security groups only. An app-only caller is never in
``ManagedBy`` (owners are recipients), so it always needs the switch there — as clients that
manage scope groups app-only report.
"""

from __future__ import annotations

from typing import Any

from ...core.propagation import ADD, REMOVE, record_membership
from ...core.store import Row, loads
from ..exceptions import (
    GroupManagerRequired,
    InvalidArgument,
    InvalidCmdletArgument,
    MemberAlreadyExists,
    MemberNotInGroup,
    ObjectAlreadyExists,
    RecipientNotFound,
)
from .invocation import CmdletCall, CmdletResult, Record
from .mailboxes import bounded
from .recipients import GROUP_TYPES, Recipients, alias_from
from .records import listing, paged_listing

__all__ = [
    "MAX_MEMBERS",
    "add_member",
    "get_distribution_group",
    "get_members",
    "group_record",
    "new_distribution_group",
    "remove_distribution_group",
    "remove_member",
]

MAX_MEMBERS = 10000  # -Members: "The maximum number of entries for this parameter is 10000."
SECURITY_GROUP = "MailUniversalSecurityGroup"
DISTRIBUTION_GROUP = "MailUniversalDistributionGroup"
_GROUP_TYPE_VALUES = {"distribution": "Distribution", "security": "Security"}
# Who can own a group (-ManagedBy): "a mailbox, mail user, or mail-enabled security group".
_OWNER_TYPES = frozenset({"UserMailbox", "SharedMailbox", "MailUser", SECURITY_GROUP})


def new_distribution_group(call: CmdletCall) -> CmdletResult:
    params = call.params
    recipients = Recipients(call.state, call.tenant_id)
    name = bounded(params.required_text("Name"), "Name")
    security = _group_type(params.text("Type")) == "Security"
    alias = bounded(params.text("Alias") or alias_from(name), "Alias")
    if recipients.name_taken(name):
        raise ObjectAlreadyExists(recipients.distinguished_name_of(name))
    address = recipients.new_address(params.text("PrimarySmtpAddress"), alias)
    members = _resolve_members(recipients, params.values("Members"))
    owners = _owners(call, recipients)
    display = params.text("DisplayName") or name
    with call.state.store.tx():
        group_id = call.directory.create_group(
            call.tenant_id,
            display_name=display,
            mail_nickname=alias,
            mail=address,
            mail_enabled=True,
            security_enabled=security,
            group_types=[],
            now=call.now(),
        )
        call.directory.add_recipient(
            call.tenant_id,
            group_id,
            SECURITY_GROUP if security else DISTRIBUTION_GROUP,
            alias,
            display,
            address,
            name=name,
            props={"managedBy": owners},
            now=call.now(),
        )
        for member in members:
            _link(call, group_id, member)
    return CmdletResult([group_record(recipients, _group(recipients, group_id))])


def get_distribution_group(call: CmdletCall) -> CmdletResult:
    recipients = Recipients(call.state, call.tenant_id)
    identity = call.params.text("Identity")
    if identity is not None:
        return CmdletResult([group_record(recipients, recipients.find(identity, GROUP_TYPES))])
    limit = call.params.result_size()
    if limit is None:
        return paged_listing(
            lambda after, n: recipients.of_types_after(sorted(GROUP_TYPES), after, n),
            lambda rows: [group_record(recipients, row) for row in rows],
        )
    rows = recipients.of_types(sorted(GROUP_TYPES), limit)
    return listing(rows, limit, lambda row: group_record(recipients, row))


def remove_distribution_group(call: CmdletCall) -> CmdletResult:
    recipients = Recipients(call.state, call.tenant_id)
    group = recipients.find(call.params.required_text("Identity"), GROUP_TYPES)
    _check_manager(call, group)
    group_id, store = group["object_id"], call.state.store
    with store.tx():
        for member_id, member_type in call.directory.members(call.tenant_id, group_id):
            _unlink(call, group_id, member_id, member_type)
        parents = store.all(
            "SELECT group_id FROM group_members WHERE tenant_id = ? AND member_id = ?",
            (call.tenant_id, group_id),
        )
        for parent in parents:
            _unlink(call, parent[0], group_id, "group")
        call.directory.remove_recipient(call.tenant_id, group_id)
        store.execute(
            "DELETE FROM groups WHERE tenant_id = ? AND id = ?", (call.tenant_id, group_id)
        )
    return CmdletResult(None)


def add_member(call: CmdletCall) -> CmdletResult:
    recipients = Recipients(call.state, call.tenant_id)
    group = recipients.find(call.params.required_text("Identity"), GROUP_TYPES)
    member = recipients.find(call.params.required_text("Member"), missing=RecipientNotFound)
    _check_manager(call, group)
    if member["object_id"] == group["object_id"]:
        raise InvalidCmdletArgument(
            f'The group "{group["name"]}" can\'t be a member of itself.'  # text UNCONFIRMED
        )
    if _is_member(call, group["object_id"], member["object_id"]):
        raise MemberAlreadyExists(member["name"], group["name"])
    _link(call, group["object_id"], member)
    return CmdletResult(None)


def remove_member(call: CmdletCall) -> CmdletResult:
    recipients = Recipients(call.state, call.tenant_id)
    group = recipients.find(call.params.required_text("Identity"), GROUP_TYPES)
    member = recipients.find(call.params.required_text("Member"), missing=RecipientNotFound)
    _check_manager(call, group)
    if not _is_member(call, group["object_id"], member["object_id"]):
        raise MemberNotInGroup(member["name"], group["name"])
    _unlink(call, group["object_id"], member["object_id"], _member_type(member))
    return CmdletResult(None)


def get_members(call: CmdletCall) -> CmdletResult:
    """Direct members that are recipients, as ``Get-DistributionGroupMember`` lists them."""
    recipients = Recipients(call.state, call.tenant_id)
    group = recipients.find(call.params.required_text("Identity"), GROUP_TYPES)
    limit = call.params.result_size()
    return listing(recipients.members_of(group["object_id"]), limit, recipients.record)


def group_record(recipients: Recipients, row: Row) -> Record:
    """A group as ``Get-DistributionGroup`` shows it."""
    record = recipients.record(row)
    del record["IsValidSecurityPrincipal"]
    security = row["recipient_type_details"] == SECURITY_GROUP
    owners = [recipients.by_id(owner) for owner in _props(row).get("managedBy", [])]
    record.update(
        {
            "GroupType": "Universal, SecurityEnabled" if security else "Universal",
            "ManagedBy": [owner["name"] for owner in owners if owner is not None],
            "MemberJoinRestriction": "Closed",
            "MemberDepartRestriction": "Closed" if security else "Open",
            "RequireSenderAuthenticationEnabled": True,
        }
    )
    return record


# -- helpers -------------------------------------------------------------------------------


def _group_type(value: str | None) -> str:
    if value is None:
        return "Distribution"
    found = _GROUP_TYPE_VALUES.get(value.strip().lower())
    if found is None:
        raise InvalidArgument(
            "Type",
            f'Cannot convert value "{value}" to type '
            '"Microsoft.Exchange.Data.Directory.Recipient.GroupType". Error: "Unable to match '
            f"the identifier name {value} to a valid enumerator name. Specify one of the "
            'following enumerator names and try again: Distribution, Security"',
        )
    return found


def _resolve_members(recipients: Recipients, refs: list[str]) -> list[Row]:
    if len(refs) > MAX_MEMBERS:
        raise InvalidCmdletArgument(
            f"The Members parameter takes at most {MAX_MEMBERS} entries ({len(refs)} given): "
            "add the others with Add-DistributionGroupMember."  # text UNCONFIRMED
        )
    found: dict[str, Row] = {}
    for ref in refs:
        row = recipients.find(ref, missing=RecipientNotFound)
        found.setdefault(row["object_id"], row)
    return list(found.values())


def _owners(call: CmdletCall, recipients: Recipients) -> list[str]:
    """``-ManagedBy`` as object ids; without it, the signed-in user who creates the group
    (an app-only caller has no recipient, so the group has no owner)."""
    refs = call.params.values("ManagedBy")
    if refs:
        return list(
            dict.fromkeys(
                recipients.find(ref, _OWNER_TYPES, missing=RecipientNotFound)["object_id"]
                for ref in refs
            )
        )
    user_id = call.caller.user_id
    return [user_id] if user_id and recipients.by_id(user_id) is not None else []


def _check_manager(call: CmdletCall, group: Row) -> None:
    if group["recipient_type_details"] != SECURITY_GROUP:
        return
    if call.params.switch("BypassSecurityGroupManagerCheck"):
        return
    if call.caller.object_id not in _props(group).get("managedBy", []):
        raise GroupManagerRequired()


def _props(row: Row) -> dict[str, Any]:
    return dict(loads(row["props"])) if row["props"] else {}


def _member_type(row: Row) -> str:
    return "group" if row["recipient_type_details"] in GROUP_TYPES else "user"


def _is_member(call: CmdletCall, group_id: str, member_id: str) -> bool:
    return bool(
        call.state.store.scalar(
            "SELECT 1 FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id = ?",
            (call.tenant_id, group_id, member_id),
        )
    )


def _link(call: CmdletCall, group_id: str, member: Row) -> None:
    kind = _member_type(member)
    with call.state.store.tx():
        if call.directory.add_member(call.tenant_id, group_id, member["object_id"], kind):
            record_membership(
                call.state,
                call.tenant_id,
                group_id,
                member["object_id"],
                kind,
                ADD,
                at=call.timestamp(),
            )


def _unlink(call: CmdletCall, group_id: str, member_id: str, member_type: str) -> None:
    with call.state.store.tx():
        if call.directory.remove_member(call.tenant_id, group_id, member_id):
            record_membership(
                call.state,
                call.tenant_id,
                group_id,
                member_id,
                member_type,
                REMOVE,
                at=call.timestamp(),
            )


def _group(recipients: Recipients, group_id: str) -> Row:
    row = recipients.by_id(group_id)
    assert row is not None
    return row
