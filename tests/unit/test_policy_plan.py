"""plan_effect: what a new policy would change, and the warnings restrict shows."""

from __future__ import annotations

from sendscope.policy import (
    AccessRight,
    ApplicationAccessPolicy,
    Recipient,
    equivalent_policy,
    plan_effect,
)
from tests.unit.test_policy_evaluate import (
    ALL_STAFF,
    CONTRACTOR,
    CRM,
    EXECUTIVES,
    NOREPLY,
    OPS,
    SENDERS,
    TIMESHEET,
    policy,
    tenant,
)

NEW_GROUP = "44444444-0000-0000-0000-000000000001"


def addresses(recipients: tuple[Recipient, ...]) -> set[str]:
    return {r.primary_smtp for r in recipients}


def test_first_restrict_policy_denies_everyone_outside_the_new_group() -> None:
    group = Recipient(
        NEW_GROUP,
        "timesheet-senders@contoso.com",
        "MailUniversalSecurityGroup",
        display_name="Timesheet senders",
    )
    context = tenant().with_recipient(group, [NOREPLY])
    new = ApplicationAccessPolicy(
        "new", (TIMESHEET,), NEW_GROUP, AccessRight.RESTRICT_ACCESS, scope_name="Timesheet senders"
    )
    effect = plan_effect(context, TIMESHEET, new)
    assert effect.existing is None
    assert addresses(effect.granted_after) == {"noreply@contoso.com"}
    assert addresses(effect.newly_denied) == {
        "ceo@contoso.com",
        "alex@contoso.com",
        "ops@contoso.com",
    }
    assert effect.newly_granted == ()
    assert effect.warnings == ()
    denied = next(c for c in effect.changes if c.mailbox.primary_smtp == "ceo@contoso.com")
    assert denied.before.granted
    assert not denied.after.granted


def test_running_the_same_plan_again_changes_nothing() -> None:
    existing = policy(SENDERS)
    again = ApplicationAccessPolicy(
        "", (TIMESHEET.upper(),), SENDERS.upper(), AccessRight.RESTRICT_ACCESS
    )
    context = tenant(existing)
    assert equivalent_policy(context, TIMESHEET, again) is existing
    effect = plan_effect(context, TIMESHEET, again)
    assert effect.existing is existing
    assert effect.changes == ()
    assert effect.warnings == ()


def test_second_restrict_policy_widens_and_says_so() -> None:
    context = tenant(policy(SENDERS))
    effect = plan_effect(context, TIMESHEET, policy(EXECUTIVES), ["ceo@contoso.com", OPS])
    assert addresses(effect.newly_granted) == {"ceo@contoso.com"}
    assert effect.warnings == (
        'The app already has RestrictAccess on "Mail senders": a second RestrictAccess policy '
        "widens the scope, so the app will reach the mailboxes of every one of them, not only "
        '"Executives".',
    )


def test_deny_overrides_restrict_in_both_directions() -> None:
    restricted = tenant(policy(ALL_STAFF))
    deny = plan_effect(restricted, TIMESHEET, policy(EXECUTIVES, AccessRight.DENY_ACCESS))
    assert addresses(deny.newly_denied) == {"ceo@contoso.com"}
    assert deny.warnings == (
        'This DenyAccess policy overrides RestrictAccess on "All staff" for mailboxes in both '
        "scopes.",
    )
    denied = tenant(policy(EXECUTIVES, AccessRight.DENY_ACCESS))
    restrict = plan_effect(denied, TIMESHEET, policy(SENDERS))
    assert restrict.warnings == (
        'DenyAccess on "Executives" overrides this policy: mailboxes in its scope stay denied '
        'even inside "Mail senders".',
    )


def test_deny_only_policy_warns_that_it_confines_nothing() -> None:
    effect = plan_effect(tenant(), TIMESHEET, policy(EXECUTIVES, AccessRight.DENY_ACCESS))
    assert addresses(effect.newly_denied) == {"ceo@contoso.com"}
    assert effect.warnings == (
        'A DenyAccess policy only keeps the app away from "Executives": every other mailbox '
        "stays reachable. To confine the app to some mailboxes, use RestrictAccess.",
    )


def test_star_policies_warn_about_every_app() -> None:
    star = plan_effect(tenant(), TIMESHEET, policy(SENDERS, apps=("*",)))
    assert star.warnings[0] == (
        f'This policy names "*": it applies to every app in the tenant, not only {TIMESHEET}.'
    )
    existing = tenant(policy(CONTRACTOR, apps=("*",)))
    effect = plan_effect(existing, CRM, policy(SENDERS, apps=(CRM,)))
    assert effect.warnings[0] == (
        f'RestrictAccess on "Contractor" names every app ("*"), so it applies to app {CRM} too.'
    )


def test_scope_problems_and_empty_scopes_are_warned() -> None:
    shared = plan_effect(tenant(), TIMESHEET, policy(OPS, name="Ops"))
    assert shared.warnings[0] == (
        "ops@contoso.com is a shared mailbox, which is not a security principal: add it to a "
        "mail-enabled security group instead."
    )
    empty_group = Recipient(NEW_GROUP, "empty@contoso.com", "MailUniversalSecurityGroup")
    context = tenant().with_recipient(empty_group, [])
    empty = plan_effect(context, TIMESHEET, policy(NEW_GROUP, name="Empty"))
    assert empty.warnings == (
        'The scope "Empty" holds no mailbox: a RestrictAccess policy on it denies the app '
        "every mailbox.",
    )
    missing = plan_effect(tenant(), TIMESHEET, policy("55555555", name="Nowhere"))
    assert missing.warnings[0] == 'The scope "Nowhere" is not a recipient in this tenant.'
