"""Who is inside a policy's scope: group membership, nesting, and which recipients may be scopes.

An access policy's scope counts nested group members ("users or groups, including nested
groups", New-ApplicationAccessPolicy -PolicyScopeGroupId), so membership here is transitive.
Groups can contain each other in a loop; every walk below keeps a visited set so a cycle ends
the walk instead of the program. (RBAC for Applications group scopes count direct members
only: that reader will use ``GroupMembership.members``, not ``transitive``.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .model import Recipient

__all__ = [
    "GroupMembership",
    "membership_path",
    "scope_problems",
    "transitive_closure",
    "transitive_members",
]

Direct = Mapping[str, frozenset[str]]

_NONE: frozenset[str] = frozenset()


def _key(value: str) -> str:
    return value.strip().lower()


def transitive_members(direct: Direct, group_id: str) -> frozenset[str]:
    """Every member of ``group_id`` through nested groups, each once; never the group itself."""
    start = _key(group_id)
    seen: set[str] = set()
    queue = deque(direct.get(start, _NONE))
    while queue:
        member = queue.popleft()
        if member not in seen:
            seen.add(member)
            queue.extend(direct.get(member, _NONE))
    seen.discard(start)
    return frozenset(seen)


def transitive_closure(
    direct: Direct, groups: Iterable[str] | None = None
) -> dict[str, frozenset[str]]:
    """Transitive members of each group in ``groups`` (default: every group in ``direct``)."""
    wanted = direct.keys() if groups is None else (_key(g) for g in groups)
    return {group: transitive_members(direct, group) for group in wanted}


def membership_path(direct: Direct, group_id: str, member_id: str) -> tuple[str, ...] | None:
    """The shortest chain of groups from ``group_id`` down to the one holding ``member_id``.

    ``(group_id,)`` for a direct member, ``(group_id, nested, …)`` through nesting, None when
    the member is not inside. Ties are broken by object id so the answer is reproducible.
    """
    start, target = _key(group_id), _key(member_id)
    parent: dict[str, str] = {start: ""}
    queue = deque([start])
    while queue:
        group = queue.popleft()
        members = direct.get(group, _NONE)
        if target in members:
            return _chain(parent, group)
        for nested in sorted(m for m in members if m in direct and m not in parent):
            parent[nested] = group
            queue.append(nested)
    return None


def _chain(parent: Mapping[str, str], last: str) -> tuple[str, ...]:
    chain = [last]
    while parent[chain[-1]]:
        chain.append(parent[chain[-1]])
    return tuple(reversed(chain))


@dataclass(frozen=True, slots=True)
class GroupMembership:
    """Direct members of each group by object id (``Get-DistributionGroupMember``, Graph
    ``/groups/{id}/members``). A member that has an entry of its own is a nested group."""

    direct: Mapping[str, frozenset[str]]

    @classmethod
    def from_members(cls, members: Mapping[str, Iterable[str]]) -> GroupMembership:
        """From ``{group object id: [member object ids]}``; ids compared case-insensitively."""
        return cls({_key(g): frozenset(map(_key, ms)) for g, ms in members.items()})

    def members(self, group_id: str) -> frozenset[str]:
        """Direct members only."""
        return self.direct.get(_key(group_id), _NONE)

    def transitive(self, group_id: str) -> frozenset[str]:
        """Members through nested groups (see ``transitive_members``)."""
        return transitive_members(self.direct, group_id)

    def path(self, group_id: str, member_id: str) -> tuple[str, ...] | None:
        """The nesting chain through which ``member_id`` is in ``group_id`` (see
        ``membership_path``)."""
        return membership_path(self.direct, group_id, member_id)

    def with_members(self, group_id: str, member_ids: Iterable[str]) -> GroupMembership:
        """A copy where ``group_id`` has these direct members (for planning a new group)."""
        direct = dict(self.direct)
        direct[_key(group_id)] = frozenset(map(_key, member_ids))
        return GroupMembership(direct)


# Why each recipient type cannot be a scope, with what to do instead (New-ApplicationAccessPolicy
# -PolicyScopeGroupId lists the types; "If you need to scope the policy to shared mailboxes, you
# can add the shared mailboxes as members of a mail-enabled security group.")
_GROUP_INSTEAD = "use a mail-enabled security group"
_ADD_TO_GROUP = "add it to a mail-enabled security group instead"
_WHY_NOT: Mapping[str, str] = {
    "SharedMailbox": f"is a shared mailbox, which is not a security principal: {_ADD_TO_GROUP}",
    "RoomMailbox": f"is a room mailbox, which is not a security principal: {_ADD_TO_GROUP}",
    "EquipmentMailbox": f"is an equipment mailbox, not a security principal: {_ADD_TO_GROUP}",
    "MailUniversalDistributionGroup": f"is a distribution group, not a security principal: "
    f"{_GROUP_INSTEAD}",
    "DynamicDistributionGroup": f"is a dynamic distribution group, not a security principal: "
    f"{_GROUP_INSTEAD}",
    "GroupMailbox": f"is a Microsoft 365 group, not a security principal: {_GROUP_INSTEAD}",
    "MailNonUniversalGroup": f"is a non-universal group, not a security principal: "
    f"{_GROUP_INSTEAD}",
    "MailContact": "is a mail contact (an address outside the organization), not a security "
    "principal: it has no mailbox in this tenant an app could reach",
    "DiscoveryMailbox": "is a discovery mailbox, which Exchange does not accept as a policy "
    f"scope: {_GROUP_INSTEAD}",
    "PublicFolder": "is a mail-enabled public folder, which Exchange does not accept as a "
    f"policy scope: {_GROUP_INSTEAD}",
}


def scope_problems(recipient: Recipient) -> tuple[str, ...]:
    """Why ``recipient`` cannot be an access policy's scope; empty when it can.

    Valid scopes are security principals: a user mailbox, a mail user, or a mail-enabled
    security group (whose nested members count).
    """
    if recipient.is_valid_security_principal:
        return ()
    kind = recipient.recipient_type_details or "recipient of unknown type"
    why = _WHY_NOT.get(
        recipient.recipient_type_details,
        f"is a {kind}, not a security principal Exchange accepts as a policy scope: "
        f"{_GROUP_INSTEAD}, a user mailbox or a mail user",
    )
    return (f"{recipient.label} {why}.",)
