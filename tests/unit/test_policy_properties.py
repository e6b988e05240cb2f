"""Property-based tests: the evaluator against a transcription of the documented algorithm.

Random tenants: mailboxes, groups nested at random (cycles and self-membership included), apps
and Restrict/Deny/``*`` policies scoped to groups or single recipients.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from sendscope.policy import (
    AccessRight,
    ApplicationAccessPolicy,
    DecidingRule,
    PolicyContext,
    Recipient,
    Verdict,
    evaluate_access_policy,
    membership_path,
    plan_effect,
    policy_reach,
    transitive_members,
)

APPS = (
    "3f2c9a61-0d4e-4b7a-9c55-1e2f3a4b5c6d",
    "7d1e4f20-5a6b-4c8d-9e0f-a1b2c3d4e5f6",
    "0b5e8c3a-1111-4222-8333-944455556666",
)
RIGHTS = (AccessRight.RESTRICT_ACCESS, AccessRight.DENY_ACCESS)


@dataclass(frozen=True)
class Tenant:
    mailboxes: tuple[Recipient, ...]
    groups: tuple[Recipient, ...]
    members: dict[str, list[str]]
    policies: tuple[ApplicationAccessPolicy, ...]

    def context(self, *extra: ApplicationAccessPolicy) -> PolicyContext:
        recipients = (*self.mailboxes, *self.groups)
        return PolicyContext.build((*self.policies, *extra), recipients, self.members)


def recipient(object_id: str, kind: str) -> Recipient:
    return Recipient(object_id, f"{object_id}@contoso.com", kind, display_name=object_id.upper())


@st.composite
def policies(draw: st.DrawFn, scopes: list[str]) -> ApplicationAccessPolicy:
    apps = draw(
        st.one_of(
            st.just(("*",)),
            st.lists(st.sampled_from(APPS), min_size=1, max_size=2, unique=True).map(tuple),
        )
    )
    apps = tuple(a.upper() if draw(st.booleans()) else a for a in apps)
    scope = draw(st.sampled_from(scopes))
    right = draw(st.sampled_from(RIGHTS))
    number = draw(st.integers(0, 10**6))
    return ApplicationAccessPolicy(f"p{number}", apps, scope, right, scope_name=scope.upper())


@st.composite
def tenants(draw: st.DrawFn, max_policies: int = 5) -> Tenant:
    kinds = st.sampled_from(["UserMailbox", "UserMailbox", "SharedMailbox", "MailUser"])
    n_mailboxes = draw(st.integers(1, 8))
    mailboxes = tuple(recipient(f"m{i}", draw(kinds)) for i in range(n_mailboxes))
    n_groups = draw(st.integers(0, 6))
    groups = tuple(recipient(f"g{i}", "MailUniversalSecurityGroup") for i in range(n_groups))
    ids = [r.object_id for r in (*mailboxes, *groups)]
    members = {g.object_id: draw(st.lists(st.sampled_from(ids), max_size=5)) for g in groups}
    found = draw(st.lists(policies(ids), max_size=max_policies))
    return Tenant(mailboxes, groups, members, tuple(found))


def naive_members(members: dict[str, list[str]], scope: str) -> set[str]:
    """The scope and everything reachable from it, by fixed point (no cleverness)."""
    inside = {scope}
    while True:
        grown = inside | {m for g in inside for m in members.get(g, [])}
        if grown == inside:
            return inside
        inside = grown


def documented_verdict(tenant: Tenant, app: str, mailbox: str) -> Verdict:
    """§1.3's algorithm, transcribed."""
    mine = [p for p in tenant.policies if app in p.app_ids or "*" in p.app_ids]

    def hit(p: ApplicationAccessPolicy) -> bool:
        return mailbox in naive_members(tenant.members, p.scope_object_id)

    deny_hit = any(p.access_right is AccessRight.DENY_ACCESS and hit(p) for p in mine)
    restrict = [p for p in mine if p.access_right is AccessRight.RESTRICT_ACCESS]
    if deny_hit:
        return Verdict.DENIED
    if any(hit(p) for p in restrict):
        return Verdict.GRANTED
    return Verdict.DENIED if restrict else Verdict.GRANTED


@settings(max_examples=200)
@given(tenants(), st.sampled_from(APPS))
def test_verdicts_follow_the_documented_algorithm(tenant: Tenant, app: str) -> None:
    context = tenant.context()
    reach = policy_reach(context, app)
    granted = set()
    for mailbox in tenant.mailboxes:
        result = evaluate_access_policy(context, app, mailbox)
        assert result.verdict is documented_verdict(tenant, app, mailbox.object_id)
        assert reach.reaches(mailbox) == result.granted
        granted |= {mailbox.object_id} if result.granted else set()
    assert reach.granted_ids(m.object_id for m in tenant.mailboxes) == granted


@given(tenants(), st.sampled_from(APPS))
def test_deny_always_beats_restrict(tenant: Tenant, app: str) -> None:
    context = tenant.context()
    for mailbox in tenant.mailboxes:
        denies = [
            p
            for p in context.policies_for_app(app)
            if p.access_right is AccessRight.DENY_ACCESS and context.in_scope(p, mailbox)
        ]
        result = evaluate_access_policy(context, app, mailbox)
        if denies:
            assert result.verdict is Verdict.DENIED
            assert result.rule is DecidingRule.DENY_ACCESS_MATCH
            assert result.policy in denies


@given(tenants(max_policies=0), st.sampled_from(APPS))
def test_with_no_policies_everything_is_granted(tenant: Tenant, app: str) -> None:
    context = tenant.context()
    for mailbox in tenant.mailboxes:
        result = evaluate_access_policy(context, app, mailbox)
        assert result.verdict is Verdict.GRANTED
        assert result.rule is DecidingRule.NO_POLICY


@given(tenants(), st.sampled_from(APPS), st.data())
def test_adding_restrict_never_grants_outside_the_restrict_scopes(
    tenant: Tenant, app: str, data: st.DataObject
) -> None:
    ids = [r.object_id for r in (*tenant.mailboxes, *tenant.groups)]
    scope = data.draw(st.sampled_from(ids))
    new = ApplicationAccessPolicy("new", (app,), scope, AccessRight.RESTRICT_ACCESS)
    before, after = tenant.context(), tenant.context(new)
    union = set().union(
        *(
            after.scope_members(p)
            for p in after.policies_for_app(app)
            if p.access_right is AccessRight.RESTRICT_ACCESS
        )
    )
    for mailbox in tenant.mailboxes:
        now = evaluate_access_policy(after, app, mailbox)
        if now.granted:
            assert mailbox.object_id in union
        if now.granted and not evaluate_access_policy(before, app, mailbox).granted:
            assert after.in_scope(new, mailbox)


@given(tenants(), st.sampled_from(APPS), st.data())
def test_plan_effect_agrees_with_evaluating_after(
    tenant: Tenant, app: str, data: st.DataObject
) -> None:
    ids = [r.object_id for r in (*tenant.mailboxes, *tenant.groups)]
    new = ApplicationAccessPolicy(
        "new", (app,), data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(RIGHTS))
    )
    effect = plan_effect(tenant.context(), app, new)
    later = tenant.context() if effect.existing else tenant.context(new)
    for result in effect.after:
        assert result.verdict is evaluate_access_policy(later, app, result.mailbox).verdict
    changed = {c.mailbox.object_id for c in effect.changes}
    for mailbox in (m for m in tenant.mailboxes if m.has_mailbox):  # a MailUser has none
        before = evaluate_access_policy(tenant.context(), app, mailbox).verdict
        after = evaluate_access_policy(later, app, mailbox).verdict
        assert (before is not after) == (mailbox.object_id in changed)


@settings(max_examples=200)
@given(tenants())
def test_transitive_membership_handles_cycles_and_depth(tenant: Tenant) -> None:
    context = tenant.context()
    direct = context.membership.direct
    for group in tenant.groups:
        expected = naive_members(tenant.members, group.object_id) - {group.object_id}
        assert transitive_members(direct, group.object_id) == expected
        for member in expected:
            path = membership_path(direct, group.object_id, member)
            assert path is not None
            assert path[0] == group.object_id
            chain = (*path, member)
            assert all(b in direct[a] for a, b in pairwise(chain))


@given(tenants(), st.sampled_from(APPS))
def test_the_sentence_names_the_deciding_policy_and_the_path(tenant: Tenant, app: str) -> None:
    context = tenant.context()
    for mailbox in tenant.mailboxes:
        result = evaluate_access_policy(context, app, mailbox)
        assert result.reason.startswith(f"{result.verdict.value}: ")
        assert mailbox.label in result.reason
        if result.policy is not None:
            assert result.policy.label in result.reason
            assert all(name in result.reason for name in result.path_names)
        if result.rule is DecidingRule.OUTSIDE_RESTRICT_ACCESS:
            assert result.restrict_policies
            assert all(p.label in result.reason for p in result.restrict_policies)
