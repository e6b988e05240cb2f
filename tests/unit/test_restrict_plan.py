"""``restrict``'s pure planning: validation sentences, steps, effect and warnings."""

from __future__ import annotations

import pytest

from sendscope.errors import UsageError
from sendscope.policy import RBAC_RECOMMENDATION, AccessRight, PolicyContext
from sendscope.restriction import (
    Plan,
    RestrictRequest,
    StepAction,
    StepStatus,
    check_request,
    plan_restriction,
)
from tests.unit.test_restrict_fakes import (
    CALENDAR,
    MAILER,
    READER,
    FakeExchange,
    addr,
    app_info,
    new_group_request,
    oid,
    policy_row,
    recipient_row,
)


def plan_for(request: RestrictRequest, exchange: FakeExchange | None = None) -> Plan:
    ex = exchange or FakeExchange()
    context = PolicyContext.from_cmdlets(ex.policies, ex.recipients, ex.members)
    return plan_restriction(request, app_info(request.app_id), context)


def refused(request: RestrictRequest, exchange: FakeExchange | None = None) -> str:
    with pytest.raises(UsageError) as caught:
        plan_for(request, exchange)
    assert caught.value.exit_code == 2
    return caught.value.message


# -- check_request: before reading anything --------------------------------------------------


@pytest.mark.parametrize("app_id", ["timesheet", "0d7c8a4e5b1f4c2a9e3d6f8a1b2c3d4e0", "", "{x}"])
def test_a_non_guid_app_id_is_refused_with_a_sentence(app_id: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_request(new_group_request(app_id=app_id))
    assert caught.value.message.startswith(f"--app {app_id!r} is not an application (client) ID")
    assert caught.value.exit_code == 2


def test_a_missing_group_is_refused() -> None:
    with pytest.raises(UsageError, match=r"^--group is missing: give the address"):
        check_request(RestrictRequest(app_id=MAILER, group=None))


def test_group_name_needs_create_group() -> None:
    request = RestrictRequest(app_id=MAILER, group=addr("finance"), group_name="Senders")
    with pytest.raises(UsageError, match=r"^--group-name names a group to create: use it with"):
        check_request(request)


def test_a_new_group_needs_an_address() -> None:
    with pytest.raises(UsageError, match=r"^--group 'senders' is not an email address"):
        check_request(new_group_request(group="senders"))


def test_a_new_group_name_over_64_characters_is_refused() -> None:
    with pytest.raises(UsageError, match=r"cannot be a group name: it needs 1 to 64 characters"):
        check_request(new_group_request(group_name="x" * 65))


def test_a_valid_request_passes() -> None:
    check_request(new_group_request())  # no exception


# -- the plan --------------------------------------------------------------------------------


def test_a_new_group_plans_three_steps_and_narrows_to_one_mailbox() -> None:
    plan = plan_for(new_group_request())
    assert [(s.action, s.status) for s in plan.steps] == [
        (StepAction.CREATE_GROUP, StepStatus.PLANNED),
        (StepAction.ADD_MEMBER, StepStatus.PLANNED),
        (StepAction.CREATE_POLICY, StepStatus.PLANNED),
    ]
    assert plan.steps[1].target == addr("noreply")
    assert (plan.mailbox_count, plan.granted_before, plan.granted_after) == (11, 11, 1)
    assert [m.label for m in plan.inside] == [addr("noreply")]
    assert [m.label for m in plan.outside] == [addr("alex")]
    assert plan.group.name == "senders" and plan.group.alias == "senders"
    assert plan.warnings == () and plan.notes == (RBAC_RECOMMENDATION,)
    assert not plan.needs_yes and not plan.nothing_to_do


def test_group_name_is_used_for_the_new_group() -> None:
    plan = plan_for(new_group_request(group_name="Timesheet senders"))
    assert plan.group.name == "Timesheet senders"
    assert plan.steps[0].summary.startswith('create the mail-enabled security group "Timesheet')


def test_a_new_group_whose_name_is_taken_is_refused() -> None:
    message = refused(new_group_request(group_name="Finance"))
    assert message.startswith("a recipient named 'Finance' already exists (finance@contoso.com)")
    assert message.endswith("Nothing was written.")


def test_an_existing_security_group_gets_only_the_missing_members() -> None:
    request = RestrictRequest(
        app_id=MAILER, group=addr("finance"), members=(addr("cfo"), addr("hr"))
    )
    plan = plan_for(request)
    assert [(s.action, s.target, s.status) for s in plan.steps] == [
        (StepAction.ADD_MEMBER, addr("cfo"), StepStatus.SKIPPED),
        (StepAction.ADD_MEMBER, addr("hr"), StepStatus.PLANNED),
        (StepAction.CREATE_POLICY, addr("finance"), StepStatus.PLANNED),
    ]
    assert plan.steps[0].reason == "already a member"
    assert {m.label for m in plan.inside} == {addr("cfo"), addr("payroll"), addr("hr")}
    assert plan.granted_after == 3


def test_create_group_on_an_existing_group_shows_it_skipped() -> None:
    plan = plan_for(new_group_request(group=addr("finance"), members=()))
    assert plan.steps[0].action is StepAction.CREATE_GROUP
    assert plan.steps[0].status is StepStatus.SKIPPED
    assert plan.steps[0].reason == "the group exists already"


def test_an_equivalent_policy_means_nothing_to_do() -> None:
    exchange = FakeExchange()
    exchange.policies.append(policy_row(MAILER, exchange.find("finance") or {}, "RestrictAccess"))
    plan = plan_for(RestrictRequest(app_id=MAILER, group=addr("finance")), exchange)
    assert plan.nothing_to_do
    assert plan.steps[-1].reason == 'RestrictAccess on "Finance" already exists'
    assert plan.granted_before == plan.granted_after == 2


def test_a_single_user_mailbox_can_be_the_scope() -> None:
    plan = plan_for(RestrictRequest(app_id=MAILER, group=addr("noreply")))
    assert [s.action for s in plan.steps] == [StepAction.CREATE_POLICY]
    assert plan.granted_after == 1 and not plan.group.is_group


def test_members_for_a_single_mailbox_scope_are_refused() -> None:
    message = refused(RestrictRequest(app_id=MAILER, group=addr("ceo"), members=(addr("hr"),)))
    assert message.startswith(f"--group {addr('ceo')} is a single mailbox, not a group")


def test_create_group_at_a_mailbox_address_is_refused() -> None:
    message = refused(new_group_request(group=addr("noreply"), members=()))
    assert message == (
        f"--group {addr('noreply')} is a UserMailbox, not a group, so --create-group cannot make "
        "a group with that address: give the new group an address of its own, or drop "
        "--create-group to scope the policy to this one mailbox. Nothing was written."
    )


# -- the group must be a security principal ---------------------------------------------------


def test_a_distribution_group_as_group_is_refused() -> None:
    message = refused(RestrictRequest(app_id=MAILER, group=addr("allstaff")))
    assert message == (
        f"--group {addr('allstaff')}: {addr('allstaff')} is a distribution group, not a security "
        "principal: use a mail-enabled security group. Nothing was written."
    )


def test_a_shared_mailbox_as_group_is_refused_even_with_create_group() -> None:
    message = refused(new_group_request(group=addr("info"), members=()))
    assert message == (
        f"--group {addr('info')}: {addr('info')} is a shared mailbox, which is not a security "
        "principal: add it to a mail-enabled security group instead. Nothing was written."
    )


def test_an_unknown_group_without_create_group_is_refused() -> None:
    message = refused(RestrictRequest(app_id=MAILER, group=addr("nobody")))
    assert message == (
        f"--group {addr('nobody')} is not a recipient in this tenant: check the address, or add "
        "--create-group to create it as a mail-enabled security group. Nothing was written."
    )


# -- members ----------------------------------------------------------------------------------


def test_an_unknown_member_is_refused() -> None:
    message = refused(new_group_request(members=(addr("noreply"), addr("ghost"))))
    assert message.startswith(f"--member {addr('ghost')} is not a recipient in this tenant")


def test_a_distribution_group_member_is_refused() -> None:
    message = refused(new_group_request(members=(addr("allstaff"),)))
    assert message.startswith(
        f"--member {addr('allstaff')} is a MailUniversalDistributionGroup, not a mail-enabled "
        "security group: an access policy does not count its members."
    )


def test_a_mail_contact_member_is_refused() -> None:
    message = refused(new_group_request(members=(addr("vendor"),)))
    assert message.startswith(f"--member {addr('vendor')} is a MailContact: it has no mailbox")


def test_the_group_as_its_own_member_is_refused() -> None:
    message = refused(RestrictRequest(app_id=MAILER, group=addr("finance"), members=("Finance",)))
    assert message == "--member Finance is the group itself. Nothing was written."


def test_shared_mailboxes_mail_users_and_security_groups_may_be_members() -> None:
    members = (addr("info"), addr("partner"), addr("finance"), addr("INFO"))
    plan = plan_for(new_group_request(members=members))
    added = [s.target for s in plan.steps if s.action is StepAction.ADD_MEMBER]
    assert added == [addr("info"), addr("partner"), addr("finance")]  # the duplicate once
    # The nested group's mailboxes count; a mail user holds no mailbox here.
    assert {m.label for m in plan.inside} == {addr("info"), addr("cfo"), addr("payroll")}


# -- warnings ---------------------------------------------------------------------------------


def test_an_app_with_calendar_permissions_needs_yes() -> None:
    plan = plan_for(new_group_request(app_id=CALENDAR))
    assert len(plan.needs_yes) == 1
    text = plan.needs_yes[0].text
    assert text.startswith(
        "An access policy restricts every mailbox permission of this app, not only Mail.Send: "
        "Calendars.ReadWrite will also stop working"
    )
    assert "Calendar sync for everyone outside the group would stop" in text


def test_a_second_restrict_policy_widens_and_needs_yes() -> None:
    exchange = FakeExchange()
    exchange.policies.append(policy_row(MAILER, exchange.find("finance") or {}, "RestrictAccess"))
    plan = plan_for(new_group_request(), exchange)
    assert [w.text for w in plan.needs_yes] == [
        'The app already has RestrictAccess on "Finance": a second RestrictAccess policy widens '
        'the scope, so the app will reach the mailboxes of every one of them, not only "senders".'
    ]
    assert plan.granted_before == 2 and plan.granted_after == 3
    assert [m.label for m in plan.effect.newly_granted] == [addr("noreply")]


def test_an_existing_deny_policy_overrides_and_needs_yes() -> None:
    exchange = FakeExchange()
    exchange.policies.append(policy_row(MAILER, exchange.find("noreply") or {}, "DenyAccess"))
    plan = plan_for(new_group_request(), exchange)
    assert plan.needs_yes[0].text.startswith('DenyAccess on "Noreply" overrides this policy')
    assert plan.granted_after == 0


def test_a_star_policy_is_named() -> None:
    exchange = FakeExchange()
    exchange.policies.append(policy_row("*", exchange.find("ceo") or {}, "DenyAccess"))
    plan = plan_for(new_group_request(), exchange)
    texts = [w.text for w in plan.needs_yes]
    assert f'DenyAccess on "Ceo" names every app ("*"), so it applies to app {MAILER} too.' in texts


def test_deny_access_explains_itself_without_needing_yes() -> None:
    request = RestrictRequest(
        app_id=MAILER, group=addr("ceo"), access_right=AccessRight.DENY_ACCESS
    )
    plan = plan_for(request)
    assert plan.warnings[0].text.startswith("A DenyAccess policy only keeps the app away from")
    assert not plan.needs_yes
    assert (plan.granted_before, plan.granted_after) == (11, 10)
    assert [m.label for m in plan.effect.newly_denied] == [addr("ceo")]


def test_a_group_without_mailboxes_needs_yes() -> None:
    plan = plan_for(new_group_request(members=(addr("partner"),)))
    assert plan.needs_yes[0].text.startswith('The scope "senders" holds no mailbox')
    assert plan.granted_after == 0


def test_an_app_without_restricted_permissions_is_told_so() -> None:
    plan = plan_for(new_group_request(app_id=READER))
    texts = [(w.text, w.needs_yes) for w in plan.warnings]
    assert texts[0][0].startswith("IMAP.AccessAsApp reach mailboxes, but Microsoft does not")
    assert texts[1] == (
        "Directory Reader holds no permission an access policy restricts: the policy changes "
        "nothing until the app is granted one (Mail.Send, for instance).",
        False,
    )


def test_warnings_do_not_need_yes_once_the_policy_exists() -> None:
    exchange = FakeExchange()
    group = recipient_row("senders", "MailUniversalSecurityGroup", "senders")
    exchange.recipients.append(group)
    exchange.members[oid("senders")] = [oid("noreply")]
    exchange.policies.append(policy_row(CALENDAR, group, "RestrictAccess"))
    plan = plan_for(new_group_request(app_id=CALENDAR, members=(addr("it"),)), exchange)
    assert plan.pending and plan.warnings and not plan.needs_yes
    # Adding a member to the existing scope is a change too.
    assert (plan.granted_before, plan.granted_after) == (1, 2)
    assert [m.label for m in plan.effect.newly_granted] == [addr("it")]
