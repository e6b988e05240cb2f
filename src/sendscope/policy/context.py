"""``PolicyContext``: what the evaluator knows about one tenant, built once from plain data.

It holds the Application Access Policies, the recipients (by object id, and findable by
address, Exchange GUID, SID, name or alias, case-insensitively) and group memberships, and
precomputes each policy scope's transitive members so evaluating many mailboxes stays cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import ApplicationAccessPolicy, Recipient
from .scope import GroupMembership

__all__ = ["PolicyContext", "UnknownRecipient"]


class UnknownRecipient(LookupError):
    """No recipient in the context answers to this identity."""

    def __init__(self, identity: str) -> None:
        super().__init__(
            f"{identity} is not a recipient in this tenant: check the address "
            "(Get-Recipient shows every recipient Exchange knows)."
        )
        self.identity = identity


def _key(value: str) -> str:
    return value.strip().lower()


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """A tenant's access policies, recipients and group memberships. Build with ``build``."""

    policies: tuple[ApplicationAccessPolicy, ...]
    recipients: Mapping[str, Recipient]
    membership: GroupMembership
    index: Mapping[str, str]
    scopes: Mapping[str, frozenset[str]]

    @classmethod
    def build(
        cls,
        policies: Iterable[ApplicationAccessPolicy] = (),
        recipients: Iterable[Recipient] = (),
        members: Mapping[str, Iterable[str]] | GroupMembership | None = None,
    ) -> PolicyContext:
        """From policies, recipients and ``{group object id: [direct member object ids]}``."""
        by_id = {r.object_id: r for r in recipients}
        membership = _membership(members)
        index = _index(by_id.values())
        return cls._assemble(tuple(policies), by_id, membership, index)

    @classmethod
    def from_cmdlets(
        cls,
        policies: Iterable[Mapping[str, Any]],
        recipients: Iterable[Mapping[str, Any]],
        members: Mapping[str, Iterable[str]] | None = None,
    ) -> PolicyContext:
        """From ``Get-ApplicationAccessPolicy`` and ``Get-Recipient`` output rows."""
        return cls.build(
            (ApplicationAccessPolicy.from_cmdlet(p) for p in policies),
            (Recipient.from_cmdlet(r) for r in recipients),
            members,
        )

    @classmethod
    def _assemble(
        cls,
        policies: tuple[ApplicationAccessPolicy, ...],
        recipients: Mapping[str, Recipient],
        membership: GroupMembership,
        index: Mapping[str, str],
    ) -> PolicyContext:
        half = cls(policies, recipients, membership, index, {})
        scope_ids = {half.scope_id(p) for p in policies}
        scopes = {s: frozenset({s}) | membership.transitive(s) for s in scope_ids}
        return dataclasses.replace(half, scopes=scopes)

    # -- finding recipients ------------------------------------------------------------

    def find(self, identity: str) -> Recipient | None:
        """The recipient with this object id, address, GUID, SID, name or alias, if any."""
        key = _key(identity)
        object_id = self.index.get(key, key)
        return self.recipients.get(object_id)

    def recipient(self, identity: str | Recipient) -> Recipient:
        """Like ``find``, but a miss raises ``UnknownRecipient`` with a sentence."""
        if isinstance(identity, Recipient):
            return identity
        found = self.find(identity)
        if found is None:
            raise UnknownRecipient(identity)
        return found

    def label(self, object_id: str) -> str:
        """How sentences name an object: a group by display name, a mailbox by address."""
        found = self.recipients.get(_key(object_id))
        if found is None:
            return object_id
        return (found.display_name or found.name or found.label) if found.is_group else found.label

    def mailboxes(self) -> tuple[Recipient, ...]:
        """Every recipient that has a mailbox (user, shared, room, equipment)."""
        return tuple(r for r in self.recipients.values() if r.has_mailbox)

    # -- policy scopes -----------------------------------------------------------------

    def scope_id(self, policy: ApplicationAccessPolicy) -> str:
        """The object id of the policy's scope, found by id, GUID, SID, address or name."""
        candidates = (policy.scope_object_id, policy.scope_sid, policy.scope_smtp)
        for candidate in (*candidates, policy.scope_identity):
            found = self.find(candidate) if candidate else None
            if found is not None:
                return found.object_id
        return policy.scope_object_id

    def scope_recipient(self, policy: ApplicationAccessPolicy) -> Recipient | None:
        """The recipient the policy is scoped to; None when it no longer exists."""
        return self.recipients.get(self.scope_id(policy))

    def scope_members(self, policy: ApplicationAccessPolicy) -> frozenset[str]:
        """Object ids inside the scope: the scope itself and its transitive members."""
        scope = self.scope_id(policy)
        cached = self.scopes.get(scope)
        return (
            cached if cached is not None else frozenset({scope}) | self.membership.transitive(scope)
        )

    def in_scope(self, policy: ApplicationAccessPolicy, mailbox: Recipient) -> bool:
        """Is ``mailbox`` the policy's scope or a (nested) member of its scope group?"""
        return mailbox.object_id in self.scope_members(policy)

    def policies_for_app(self, app_id: str) -> tuple[ApplicationAccessPolicy, ...]:
        """Policies that name the app (its AppId or ``*``), in the tenant's order."""
        return tuple(p for p in self.policies if p.names_app(app_id))

    # -- planning: copies with one thing more ------------------------------------------

    def with_policy(self, policy: ApplicationAccessPolicy) -> PolicyContext:
        """A copy with one more policy (what ``restrict`` would create)."""
        policies = (*self.policies, policy)
        return self._assemble(policies, self.recipients, self.membership, self.index)

    def with_recipient(
        self, recipient: Recipient, members: Iterable[str] | None = None
    ) -> PolicyContext:
        """A copy with one more (or replaced) recipient, and for a group its direct members."""
        recipients = {**self.recipients, recipient.object_id: recipient}
        membership = self.membership
        if members is not None:
            membership = membership.with_members(recipient.object_id, members)
        index = _index(recipients.values())
        return self._assemble(self.policies, recipients, membership, index)


def _membership(members: Mapping[str, Iterable[str]] | GroupMembership | None) -> GroupMembership:
    if isinstance(members, GroupMembership):
        return members
    return GroupMembership.from_members(members or {})


def _index(recipients: Iterable[Recipient]) -> dict[str, str]:
    # Strong identifiers first so a name never shadows someone else's address or id.
    strong: dict[str, str] = {}
    weak: dict[str, str] = {}
    for r in recipients:
        for key in (r.object_id, r.guid, r.sid, *r.addresses):
            if key:
                strong.setdefault(_key(key), r.object_id)
        for key in (r.name, r.alias):
            if key:
                weak.setdefault(_key(key), r.object_id)
    return {**weak, **strong}
