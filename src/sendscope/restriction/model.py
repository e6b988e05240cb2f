"""The values ``sendscope restrict`` works with: the request, the app, the steps, the plan.

Everything here is plain data built before anything is written, so the plan can be shown,
rendered as PowerShell, turned into JSON, and applied, all from the same values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from ..policy import AccessRight, MailboxPermissions, PlanEffect, Recipient

__all__ = [
    "TEST_LIMIT",
    "AppInfo",
    "GroupTarget",
    "Plan",
    "PlanWarning",
    "RestrictRequest",
    "Step",
    "StepAction",
    "StepStatus",
]

# How many scope mailboxes the check after applying tests (plus one mailbox outside).
TEST_LIMIT = 20


@dataclass(frozen=True, slots=True)
class RestrictRequest:
    """What the admin asked for, as given on the command line."""

    app_id: str
    group: str | None
    create_group: bool = False
    group_name: str | None = None
    members: tuple[str, ...] = ()
    access_right: AccessRight = AccessRight.RESTRICT_ACCESS
    description: str | None = None


@dataclass(frozen=True, slots=True)
class AppInfo:
    """The app's service principal in the tenant and the application permissions it holds."""

    app_id: str
    display_name: str
    service_principal_id: str
    roles: tuple[str, ...]
    permissions: MailboxPermissions

    @property
    def label(self) -> str:
        """How sentences name the app: its display name, else its app id."""
        return self.display_name or self.app_id


@dataclass(frozen=True, slots=True)
class GroupTarget:
    """The policy's scope: an existing recipient, or the group ``--create-group`` makes.

    ``recipient`` is the recipient as it is (or as it will be, for a new group, with a
    placeholder object id); ``name`` and ``alias`` are what ``New-DistributionGroup`` gets.
    """

    address: str
    name: str
    alias: str
    recipient: Recipient
    exists: bool
    members: frozenset[str] = frozenset()

    @property
    def is_group(self) -> bool:
        """True when the scope is a group (members can be added), not a single mailbox."""
        return self.recipient.is_group or not self.exists


class StepAction(Enum):
    """What one step of the plan does, named after its cmdlet."""

    CREATE_GROUP = "New-DistributionGroup"
    ADD_MEMBER = "Add-DistributionGroupMember"
    CREATE_POLICY = "New-ApplicationAccessPolicy"


class StepStatus(Enum):
    """Where a step stands: still to do, done in this run, or found already in place."""

    PLANNED = "planned"
    DONE = "done"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Step:
    """One write of the plan. ``target`` is the group address, member address or scope."""

    action: StepAction
    target: str
    summary: str
    status: StepStatus = StepStatus.PLANNED
    reason: str = ""

    def with_status(self, status: StepStatus, reason: str = "") -> Step:
        """A copy with a new status (``reason`` says why it was skipped)."""
        return replace(self, status=status, reason=reason or self.reason)


@dataclass(frozen=True, slots=True)
class PlanWarning:
    """A sentence the admin must read; ``needs_yes`` ones block a run without ``--yes``."""

    text: str
    needs_yes: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything ``restrict`` will do and what it changes, decided before any write.

    ``inside`` are the mailboxes in the policy's scope once applied (what the post-apply test
    checks), ``outside`` one mailbox outside it (the test's counter-example), when there is one.
    """

    request: RestrictRequest
    app: AppInfo
    group: GroupTarget
    steps: tuple[Step, ...]
    effect: PlanEffect
    warnings: tuple[PlanWarning, ...]
    notes: tuple[str, ...] = field(default=())
    inside: tuple[Recipient, ...] = field(default=())
    outside: tuple[Recipient, ...] = field(default=())

    @property
    def pending(self) -> tuple[Step, ...]:
        """Steps that still write something."""
        return tuple(s for s in self.steps if s.status is StepStatus.PLANNED)

    @property
    def nothing_to_do(self) -> bool:
        """True when every step is already in place: a re-run that changes nothing."""
        return not self.pending

    @property
    def needs_yes(self) -> tuple[PlanWarning, ...]:
        """Warnings that need ``--yes`` before anything is written."""
        return tuple(w for w in self.warnings if w.needs_yes)

    @property
    def granted_before(self) -> int:
        """How many mailboxes the app reaches now."""
        effect = self.effect
        after = len(effect.granted_after)
        return after + len(effect.newly_denied) - len(effect.newly_granted)

    @property
    def granted_after(self) -> int:
        """How many mailboxes the app reaches once the plan is applied."""
        return len(self.effect.granted_after)

    @property
    def mailbox_count(self) -> int:
        """How many mailboxes were evaluated (every mailbox of the tenant)."""
        return len(self.effect.after)
