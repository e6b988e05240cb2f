"""evaluate_access_policy: every step of the documented order, with its sentence."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from sendscope.policy import (
    AccessRight,
    ApplicationAccessPolicy,
    DecidingRule,
    PolicyContext,
    Recipient,
    UnknownRecipient,
    Verdict,
    evaluate_access_policy,
    policies_for_app,
    policy_reach,
)

TIMESHEET = "3f2c9a61-0d4e-4b7a-9c55-1e2f3a4b5c6d"
CRM = "7d1e4f20-5a6b-4c8d-9e0f-a1b2c3d4e5f6"

CEO = "11111111-0000-0000-0000-000000000001"
NOREPLY = "11111111-0000-0000-0000-000000000002"
ALEX = "11111111-0000-0000-0000-000000000003"
OPS = "11111111-0000-0000-0000-000000000004"
CONTRACTOR = "11111111-0000-0000-0000-000000000005"
EXECUTIVES = "22222222-0000-0000-0000-000000000001"
LEADERSHIP = "22222222-0000-0000-0000-000000000002"
BOARD = "22222222-0000-0000-0000-000000000003"
SENDERS = "22222222-0000-0000-0000-000000000004"
ALL_STAFF = "22222222-0000-0000-0000-000000000005"


def mailbox(object_id: str, local: str, kind: str = "UserMailbox") -> Recipient:
    return Recipient(
        object_id=object_id,
        primary_smtp=f"{local}@contoso.com",
        recipient_type_details=kind,
        name=local,
        alias=local,
        display_name=local.title(),
        guid=f"eeee{object_id[4:]}",
        sid=f"S-1-5-21-1-2-3-{object_id[-2:]}",
    )


def group(object_id: str, name: str, kind: str = "MailUniversalSecurityGroup") -> Recipient:
    alias = name.lower().replace(" ", "-")
    return Recipient(
        object_id, f"{alias}@contoso.com", kind, alias, alias, name, f"eeee{object_id[4:]}"
    )


RECIPIENTS = (
    mailbox(CEO, "ceo"),
    mailbox(NOREPLY, "noreply"),
    mailbox(ALEX, "alex"),
    mailbox(OPS, "ops", "SharedMailbox"),
    mailbox(CONTRACTOR, "contractor", "MailUser"),
    group(EXECUTIVES, "Executives"),
    group(LEADERSHIP, "Leadership"),
    group(BOARD, "Board"),
    group(SENDERS, "Mail senders"),
    group(ALL_STAFF, "All staff", "MailUniversalDistributionGroup"),
)

# Executives ⊃ Leadership ⊃ Board ⊃ ceo; Mail senders = noreply, ops (a shared mailbox as a
# member is the documented way to scope one).
MEMBERS = {
    EXECUTIVES: [LEADERSHIP],
    LEADERSHIP: [BOARD],
    BOARD: [CEO],
    SENDERS: [NOREPLY, OPS],
    ALL_STAFF: [CEO, NOREPLY, ALEX],
}


def policy(
    scope: str,
    right: AccessRight = AccessRight.RESTRICT_ACCESS,
    apps: Iterable[str] = (TIMESHEET,),
    name: str = "",
) -> ApplicationAccessPolicy:
    scope_name = name or next(r.display_name for r in RECIPIENTS if r.object_id == scope)
    return ApplicationAccessPolicy(
        identity=f"tenant\\{next(iter(apps))}:S-1-5-21-9;{scope}",
        app_ids=tuple(apps),
        scope_object_id=scope,
        access_right=right,
        scope_name=scope_name,
    )


def tenant(*policies: ApplicationAccessPolicy) -> PolicyContext:
    return PolicyContext.build(policies, RECIPIENTS, MEMBERS)


def test_no_policy_grants_every_mailbox() -> None:
    result = evaluate_access_policy(tenant(), TIMESHEET, "ceo@contoso.com")
    assert result.verdict is Verdict.GRANTED
    assert result.rule is DecidingRule.NO_POLICY
    assert result.policy is None
    assert result.reason == (
        f"Granted: no access policy names app {TIMESHEET}, so its Entra ID permissions reach "
        "every mailbox, ceo@contoso.com included."
    )


def test_restrict_grants_a_direct_member() -> None:
    senders = policy(SENDERS)
    result = evaluate_access_policy(tenant(senders), TIMESHEET, "noreply@contoso.com")
    assert result.verdict is Verdict.GRANTED
    assert result.rule is DecidingRule.RESTRICT_ACCESS_MATCH
    assert result.policy is senders
    assert result.path == (SENDERS,)
    assert result.path_names == ("Mail senders",)
    assert result.reason == (
        f'Granted: RestrictAccess on "Mail senders" applies to app {TIMESHEET} and '
        "noreply@contoso.com is a direct member of Mail senders."
    )


def test_restrict_denies_a_mailbox_outside_every_restrict_policy() -> None:
    context = tenant(policy(SENDERS), policy(CONTRACTOR))
    result = evaluate_access_policy(context, TIMESHEET, "ceo@contoso.com")
    assert result.verdict is Verdict.DENIED
    assert result.rule is DecidingRule.OUTSIDE_RESTRICT_ACCESS
    assert result.policy is None
    assert result.restrict_policies == context.policies
    assert result.reason == (
        f"Denied: ceo@contoso.com is outside every RestrictAccess policy for app {TIMESHEET}: "
        'RestrictAccess on "Mail senders" (mail-senders@contoso.com), '
        'RestrictAccess on "Contractor" (contractor@contoso.com).'
    )


def test_deny_beats_restrict_and_names_the_nesting_path() -> None:
    deny = policy(EXECUTIVES, AccessRight.DENY_ACCESS)
    context = tenant(policy(ALL_STAFF), deny)  # ceo is in both scopes
    result = evaluate_access_policy(context, TIMESHEET, "CEO@contoso.com")
    assert result.verdict is Verdict.DENIED
    assert result.rule is DecidingRule.DENY_ACCESS_MATCH
    assert result.policy is deny
    assert result.path == (EXECUTIVES, LEADERSHIP, BOARD)
    assert result.reason == (
        f'Denied: DenyAccess on "Executives" applies to app {TIMESHEET} and ceo@contoso.com '
        "is in Executives through Leadership > Board."
    )


def test_deny_alone_leaves_other_mailboxes_granted() -> None:
    context = tenant(policy(EXECUTIVES, AccessRight.DENY_ACCESS))
    result = evaluate_access_policy(context, TIMESHEET, "alex@contoso.com")
    assert result.verdict is Verdict.GRANTED
    assert result.rule is DecidingRule.NO_POLICY


def test_second_restrict_policy_widens_the_scope() -> None:
    context = tenant(policy(SENDERS), policy(EXECUTIVES))
    assert evaluate_access_policy(context, TIMESHEET, "noreply@contoso.com").granted
    assert evaluate_access_policy(context, TIMESHEET, "ceo@contoso.com").granted
    assert not evaluate_access_policy(context, TIMESHEET, "alex@contoso.com").granted


def test_a_single_mailbox_can_be_the_scope() -> None:
    context = tenant(policy(CONTRACTOR))
    result = evaluate_access_policy(context, TIMESHEET, CONTRACTOR)
    assert result.granted
    assert result.path == ()
    assert result.explanation.endswith("its scope is contractor@contoso.com itself")
    assert not evaluate_access_policy(context, TIMESHEET, "ceo@contoso.com").granted


def test_star_policy_applies_to_every_app_and_says_so() -> None:
    star = policy(SENDERS, apps=("*",))
    result = evaluate_access_policy(tenant(star), CRM, "ceo@contoso.com")
    assert result.verdict is Verdict.DENIED
    granted = evaluate_access_policy(tenant(star), CRM, "ops@contoso.com")
    assert 'applies to app 7d1e4f20-5a6b-4c8d-9e0f-a1b2c3d4e5f6 (it names every app: "*")' in (
        granted.reason
    )


def test_a_policy_for_another_app_does_not_apply() -> None:
    context = tenant(policy(SENDERS, apps=(CRM,)))
    assert policies_for_app(context, TIMESHEET) == ()
    assert evaluate_access_policy(context, TIMESHEET, "ceo@contoso.com").granted
    assert not evaluate_access_policy(context, CRM, "ceo@contoso.com").granted


def test_app_ids_compare_as_guids_whatever_the_case() -> None:
    context = tenant(policy(SENDERS, apps=(TIMESHEET.upper(),)))
    assert len(policies_for_app(context, f" {TIMESHEET} ")) == 1
    assert not evaluate_access_policy(context, TIMESHEET, "ceo@contoso.com").granted


def test_mailbox_found_by_address_guid_sid_name_or_recipient() -> None:
    context = tenant(policy(SENDERS))
    ceo = context.recipient(CEO)
    for identity in ("CEO@Contoso.com", ceo.guid.upper(), ceo.sid, "ceo", ceo):
        assert evaluate_access_policy(context, TIMESHEET, identity).mailbox == ceo


def test_unknown_mailbox_is_refused_with_a_sentence() -> None:
    with pytest.raises(UnknownRecipient, match=r"^nobody@contoso.com is not a recipient"):
        evaluate_access_policy(tenant(), TIMESHEET, "nobody@contoso.com")


def test_policy_whose_scope_no_longer_exists_denies_and_says_so() -> None:
    gone = policy("33333333-0000-0000-0000-000000000000", name="Deleted group")
    result = evaluate_access_policy(tenant(gone), TIMESHEET, "ceo@contoso.com")
    assert result.verdict is Verdict.DENIED
    assert result.reason.endswith('RestrictAccess on "Deleted group" (its scope no longer exists).')


def test_from_cmdlet_reads_get_application_access_policy_output() -> None:
    row = {
        "ScopeName": "Mail senders",
        "ScopeIdentity": "Mail senders20250209121934",
        "Identity": f"63759d9f\\{TIMESHEET}:S-1-5-21-1-31437838;{SENDERS}",
        "AppId": TIMESHEET.upper(),
        "ScopeIdentityRaw": f"S-1-5-21-1-31437838;{SENDERS}",
        "Description": "Restrict Timesheet Mailer",
        "AccessRight": "RestrictAccess",
        "ShardType": "All",
        "IsValid": True,
    }
    parsed = ApplicationAccessPolicy.from_cmdlet(row)
    assert parsed.app_ids == (TIMESHEET,)
    assert parsed.scope_object_id == SENDERS
    assert parsed.scope_sid == "S-1-5-21-1-31437838"
    assert parsed.access_right is AccessRight.RESTRICT_ACCESS
    assert parsed.scope_identity == "Mail senders20250209121934"
    context = PolicyContext.from_cmdlets([row], [], {})
    assert context.policies == (parsed,)


def test_from_cmdlet_accepts_app_id_lists_and_star() -> None:
    row = {"AppId": [TIMESHEET, f"{CRM}, *"], "AccessRight": "DenyAccess", "ScopeIdentityRaw": ""}
    parsed = ApplicationAccessPolicy.from_cmdlet(row)
    assert parsed.app_ids == (TIMESHEET, CRM, "*")
    assert parsed.access_right is AccessRight.DENY_ACCESS
    with pytest.raises(ValueError, match="'ReadAccess' is not a valid AccessRight"):
        ApplicationAccessPolicy.from_cmdlet({"AccessRight": "ReadAccess"})


def test_scope_given_by_exchange_guid_resolves_to_the_group() -> None:
    senders = next(r for r in RECIPIENTS if r.object_id == SENDERS)
    by_guid = policy(senders.guid.upper(), name="Mail senders")
    context = tenant(by_guid)
    assert context.scope_id(by_guid) == SENDERS
    assert evaluate_access_policy(context, TIMESHEET, "ops@contoso.com").granted


def test_policy_reach_matches_the_verdicts() -> None:
    context = tenant(policy(ALL_STAFF), policy(EXECUTIVES, AccessRight.DENY_ACCESS))
    reach = policy_reach(context, TIMESHEET)
    assert {m.primary_smtp for m in reach.granted(context.mailboxes())} == {
        "noreply@contoso.com",
        "alex@contoso.com",
    }
    assert policy_reach(tenant(), TIMESHEET).restricted_to is None


def test_the_worked_example_of_docs_policy_evaluation() -> None:
    members = {EXECUTIVES: [LEADERSHIP], LEADERSHIP: [CEO], SENDERS: [NOREPLY, OPS]}
    policies = (policy(SENDERS), policy(EXECUTIVES, AccessRight.DENY_ACCESS, apps=("*",)))
    context = PolicyContext.build(policies, RECIPIENTS, members)
    reasons = {
        address: evaluate_access_policy(context, TIMESHEET, f"{address}@contoso.com").reason
        for address in ("noreply", "ops", "ceo", "alex")
    }
    assert reasons["noreply"].startswith('Granted: RestrictAccess on "Mail senders"')
    assert reasons["ops"].startswith('Granted: RestrictAccess on "Mail senders"')
    assert reasons["ceo"] == (
        f'Denied: DenyAccess on "Executives" applies to app {TIMESHEET} (it names every app: '
        '"*") and ceo@contoso.com is in Executives through Leadership.'
    )
    assert reasons["alex"] == (
        f"Denied: alex@contoso.com is outside every RestrictAccess policy for app {TIMESHEET}: "
        'RestrictAccess on "Mail senders" (mail-senders@contoso.com).'
    )
