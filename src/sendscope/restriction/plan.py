"""Pure planning for ``sendscope restrict``: validate the request and decide every step.

Given the app (its service principal and application permissions) and the tenant's access
policies, recipients and scope-group memberships (a ``PolicyContext``), ``plan_restriction``
refuses bad input with one sentence each (``UsageError``, exit 2) and otherwise returns the
``Plan``: the steps still to do and those already in place, the effect on every mailbox
(``policy.plan_effect``), and the warnings. No I/O here: the reader feeds it, the applier
and the renderers read it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from ..auth.credentials import check_address, is_guid
from ..errors import UsageError
from ..policy import (
    RBAC_RECOMMENDATION,
    ApplicationAccessPolicy,
    PlanEffect,
    PolicyContext,
    Recipient,
    VerdictChange,
    evaluate_access_policy,
    plan_effect,
    scope_problems,
)
from .model import (
    AppInfo,
    GroupTarget,
    Plan,
    PlanWarning,
    RestrictRequest,
    Step,
    StepAction,
    StepStatus,
)

__all__ = [
    "NOTHING_WRITTEN",
    "PROPAGATION_NOTE",
    "check_request",
    "plan_restriction",
    "resolve_group",
]

NOTHING_WRITTEN = "Nothing was written."

# "It can take up to an hour for the changes to take effect" (Graph enforcement), while
# Test-ApplicationAccessPolicy answers at once: https://learn.microsoft.com/graph/auth-limit-mailbox-access
PROPAGATION_NOTE = (
    "Test-ApplicationAccessPolicy sees the change at once, but Microsoft Graph can take up to "
    "an hour (sometimes longer) to enforce it: until then the app still reaches every mailbox "
    "it reached before. A real send proves it: sendscope verify --allowed ADDRESS --denied "
    "ADDRESS (docs/verify.md)."
)

# Recipients that can sit in a mail-enabled security group and count for a policy scope:
# mailboxes (shared ones included: "add the shared mailboxes as members of a mail-enabled
# security group"), mail users, and nested mail-enabled security groups.
# https://learn.microsoft.com/powershell/module/exchangepowershell/new-applicationaccesspolicy
_MEMBER_TYPES = frozenset(
    {
        "UserMailbox",
        "SharedMailbox",
        "RoomMailbox",
        "EquipmentMailbox",
        "LinkedMailbox",
        "MailUser",
        "MailUniversalSecurityGroup",
    }
)
_ALIAS_DROPPED = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")
_NAME_LIMIT = 64  # New-DistributionGroup -Name and -Alias: at most 64 characters.


def check_request(request: RestrictRequest) -> None:
    """What can be refused before reading the tenant: the app id and the option mix."""
    if not is_guid(request.app_id.strip()):
        raise UsageError(
            f"--app {request.app_id!r} is not an application (client) ID: give the app's GUID, "
            "like 3f2a1c4e-8b9d-4e6f-a1b2-c3d4e5f60718 (Entra admin center > App registrations)."
        )
    if not request.group:
        raise UsageError(
            "--group is missing: give the address of a mail-enabled security group (or of one "
            "mailbox), or a new address with --create-group."
        )
    if request.group_name is not None and not request.create_group:
        raise UsageError("--group-name names a group to create: use it with --create-group.")
    if request.create_group:
        check_address(request.group, "--group")
        _check_group_name(_group_name(request))


def plan_restriction(request: RestrictRequest, app: AppInfo, context: PolicyContext) -> Plan:
    """Validate ``request`` against the tenant and decide the steps, effect and warnings."""
    check_request(request)
    group = resolve_group(request, context)
    members = _resolve_members(request, group, context)
    steps = [*_group_steps(request, group), *_member_steps(group, members)]
    later = _with_members(context, group, members)
    policy = _new_policy(request, app, group)
    effect = _effect(context, later, app.app_id, policy)
    steps.append(_policy_step(policy, effect))
    warnings = _warnings(app, effect, policy_pending=steps[-1].status is StepStatus.PLANNED)
    inside, outside = _sides(later, policy)
    notes = (RBAC_RECOMMENDATION,)
    return Plan(request, app, group, tuple(steps), effect, warnings, notes, inside, outside)


def _effect(
    context: PolicyContext, later: PolicyContext, app_id: str, policy: ApplicationAccessPolicy
) -> PlanEffect:
    """``plan_effect`` on the tenant with the new members in the group, compared with the
    tenant as it is now: adding members to an existing scope changes verdicts too."""
    effect = plan_effect(later, app_id, policy)
    now = {m.object_id: evaluate_access_policy(context, app_id, m) for m in context.mailboxes()}
    changes = tuple(
        VerdictChange(after.mailbox, now[after.mailbox.object_id], after)
        for after in effect.after
        if now[after.mailbox.object_id].verdict is not after.verdict
    )
    return dataclasses.replace(effect, changes=changes)


def _sides(
    context: PolicyContext, policy: ApplicationAccessPolicy
) -> tuple[tuple[Recipient, ...], tuple[Recipient, ...]]:
    mailboxes = sorted(context.mailboxes(), key=lambda r: r.label.casefold())
    inside = tuple(m for m in mailboxes if context.in_scope(policy, m))
    outside = next((m for m in mailboxes if not context.in_scope(policy, m)), None)
    return inside, (outside,) if outside is not None else ()


# -- the scope group ----------------------------------------------------------------------


def resolve_group(request: RestrictRequest, context: PolicyContext) -> GroupTarget:
    """The scope as it is in the tenant, or the group ``--create-group`` will make."""
    address = (request.group or "").strip()
    found = context.find(address)
    if found is not None:
        return _existing_group(request, found, context)
    if not request.create_group:
        raise UsageError(
            f"--group {address} is not a recipient in this tenant: check the address, or add "
            "--create-group to create it as a mail-enabled security group. " + NOTHING_WRITTEN
        )
    return _new_group(request, address, context)


def _existing_group(
    request: RestrictRequest, found: Recipient, context: PolicyContext
) -> GroupTarget:
    for problem in scope_problems(found):
        raise UsageError(f"--group {request.group}: {problem} {NOTHING_WRITTEN}")
    if request.create_group and not found.is_group:
        raise UsageError(
            f"--group {request.group} is a {found.recipient_type_details}, not a group, so "
            "--create-group cannot make a group with that address: give the new group an "
            "address of its own, or drop --create-group to scope the policy to this one "
            f"mailbox. {NOTHING_WRITTEN}"
        )
    if request.members and not found.is_group:
        raise UsageError(
            f"--group {request.group} is a single mailbox, not a group: it cannot have members. "
            "Create a group for them with a new address and --create-group. " + NOTHING_WRITTEN
        )
    members = context.membership.members(found.object_id)
    name = found.name or found.display_name
    return GroupTarget(found.primary_smtp, name, found.alias, found, True, members)


def _new_group(request: RestrictRequest, address: str, context: PolicyContext) -> GroupTarget:
    name = _group_name(request)
    taken = next((r for r in context.recipients.values() if _same(r.name, name)), None)
    if taken is not None:
        raise UsageError(
            f"a recipient named {name!r} already exists ({taken.label}): group names are "
            "unique in Exchange, choose another with --group-name. " + NOTHING_WRITTEN
        )
    alias = _ALIAS_DROPPED.sub("", address.partition("@")[0])[:_NAME_LIMIT]
    recipient = Recipient(
        object_id=f"new-group:{address.lower()}",
        primary_smtp=address,
        recipient_type_details="MailUniversalSecurityGroup",
        name=name,
        alias=alias,
        display_name=name,
    )
    return GroupTarget(address, name, alias, recipient, exists=False)


def _group_name(request: RestrictRequest) -> str:
    given = request.group_name
    return given.strip() if given is not None else (request.group or "").partition("@")[0]


def _check_group_name(name: str) -> None:
    if not name or len(name) > _NAME_LIMIT:
        raise UsageError(
            f"--group-name {name!r} cannot be a group name: it needs 1 to {_NAME_LIMIT} characters."
        )


def _same(a: str, b: str) -> bool:
    return bool(a) and a.casefold() == b.casefold()


# -- members ------------------------------------------------------------------------------


def _resolve_members(
    request: RestrictRequest, group: GroupTarget, context: PolicyContext
) -> tuple[tuple[str, Recipient], ...]:
    resolved: dict[str, tuple[str, Recipient]] = {}
    for given in request.members:
        member = _member(given, group, context)
        resolved.setdefault(member.object_id, (given, member))
    return tuple(resolved.values())


def _member(given: str, group: GroupTarget, context: PolicyContext) -> Recipient:
    found = context.find(given)
    if found is None:
        raise UsageError(
            f"--member {given} is not a recipient in this tenant: check the address (a member "
            "must be a mailbox, a mail user or a mail-enabled security group). " + NOTHING_WRITTEN
        )
    if found.object_id == group.recipient.object_id:
        raise UsageError(f"--member {given} is the group itself. " + NOTHING_WRITTEN)
    if found.recipient_type_details not in _MEMBER_TYPES:
        raise UsageError(f"--member {given} {_why_not_member(found)} {NOTHING_WRITTEN}")
    return found


def _why_not_member(found: Recipient) -> str:
    kind = found.recipient_type_details or "recipient of unknown type"
    if found.is_group:
        return (
            f"is a {kind}, not a mail-enabled security group: an access policy does not count "
            "its members. Add its members one by one, or nest a mail-enabled security group."
        )
    return (
        f"is a {kind}: it has no mailbox in this tenant that an app could reach, so it "
        "cannot be part of a policy scope."
    )


def _group_steps(request: RestrictRequest, group: GroupTarget) -> list[Step]:
    summary = f'create the mail-enabled security group "{group.name}" <{group.address}>'
    step = Step(StepAction.CREATE_GROUP, group.address, summary)
    if not group.exists:
        return [step]
    # Shown as skipped so a re-run with --create-group lists the same steps as the first.
    return (
        [step.with_status(StepStatus.SKIPPED, "the group exists already")]
        if request.create_group
        else []
    )


def _member_steps(group: GroupTarget, members: Iterable[tuple[str, Recipient]]) -> list[Step]:
    steps = []
    for _given, member in members:
        step = Step(StepAction.ADD_MEMBER, member.label, f"add {member.label} to {group.address}")
        if member.object_id in group.members:
            step = step.with_status(StepStatus.SKIPPED, "already a member")
        steps.append(step)
    return steps


def _with_members(
    context: PolicyContext, group: GroupTarget, members: Iterable[tuple[str, Recipient]]
) -> PolicyContext:
    ids = group.members | {m.object_id for _g, m in members}
    return context.with_recipient(group.recipient, ids) if group.is_group else context


# -- the policy ---------------------------------------------------------------------------


def _new_policy(
    request: RestrictRequest, app: AppInfo, group: GroupTarget
) -> ApplicationAccessPolicy:
    scope = group.recipient
    return ApplicationAccessPolicy(
        identity="",
        app_ids=(app.app_id,),
        scope_object_id=scope.object_id,
        access_right=request.access_right,
        scope_name=scope.display_name or scope.name,
        scope_identity=scope.name,
        scope_smtp=group.address,
        description=request.description or "",
    )


def _policy_step(policy: ApplicationAccessPolicy, effect: PlanEffect) -> Step:
    summary = (
        f"create the access policy {policy.access_right.value} for the app on {policy.scope_smtp}"
    )
    step = Step(StepAction.CREATE_POLICY, policy.scope_smtp, summary)
    if effect.existing is not None:
        return step.with_status(StepStatus.SKIPPED, f"{effect.existing.label} already exists")
    return step


# -- warnings -----------------------------------------------------------------------------

# plan_effect's sentence for a DenyAccess policy with no RestrictAccess beside it: it says what
# --access-right deny means, which the admin chose, so it informs without asking for --yes.
_DENY_ONLY_PREFIX = "A DenyAccess policy only keeps"


def _warnings(app: AppInfo, effect: PlanEffect, *, policy_pending: bool) -> tuple[PlanWarning, ...]:
    found = [
        *_permission_warnings(app, policy_pending),
        *(
            PlanWarning(w, policy_pending and not w.startswith(_DENY_ONLY_PREFIX))
            for w in effect.warnings
        ),
    ]
    return tuple(found)


def _permission_warnings(app: AppInfo, policy_pending: bool) -> list[PlanWarning]:
    permissions = app.permissions
    found = []
    wider = permissions.restriction_warning()
    if wider is not None:
        found.append(PlanWarning(_calendar_hint(wider, permissions.beyond_sending), policy_pending))
    loose = permissions.unconstrained_warning()
    if loose is not None:
        found.append(PlanWarning(loose, needs_yes=False))
    if not permissions.constrained:
        found.append(
            PlanWarning(
                f"{app.label} holds no permission an access policy restricts: the policy "
                "changes nothing until the app is granted one (Mail.Send, for instance).",
                needs_yes=False,
            )
        )
    return found


def _calendar_hint(sentence: str, beyond: tuple[str, ...]) -> str:
    # The two-app connector case (architecture.md): restricting a combined app to its sender
    # address would cut off calendar sync for everyone else.
    if not any(p.casefold().startswith("calendars.") for p in beyond):
        return sentence
    return (
        f"{sentence} Calendar sync for everyone outside the group would stop: vendors use a "
        "separate app for mail (Mail.Send only) so each can have its own scope."
    )
