"""The rule at the centre (Entra grant AND access policy, or RBAC) and mailbox permissions."""

from __future__ import annotations

from sendscope.policy import (
    RBAC_NOT_EVALUATED,
    AccessRight,
    RbacGrant,
    RbacScopeType,
    effective_access,
    effective_send_access,
    mailbox_permissions,
)
from tests.unit.test_policy_evaluate import (
    CEO,
    EXECUTIVES,
    NOREPLY,
    SENDERS,
    TIMESHEET,
    policy,
    tenant,
)


def test_allowed_needs_the_entra_grant_and_the_policy_verdict() -> None:
    context = tenant(policy(SENDERS))
    access = effective_send_access(context, TIMESHEET, "noreply@contoso.com", ["Mail.Send"])
    assert access.allowed
    assert access.entra_grant
    assert access.access_policy.granted
    assert not access.rbac_evaluated
    assert access.reason == (
        f'Allowed: the app holds Mail.Send in Entra ID and RestrictAccess on "Mail senders" '
        f"applies to app {TIMESHEET} and noreply@contoso.com is a direct member of Mail "
        f"senders. {RBAC_NOT_EVALUATED}"
    )


def test_refused_when_the_policy_denies_even_with_the_entra_grant() -> None:
    context = tenant(policy(SENDERS))
    access = effective_send_access(context, TIMESHEET, "ceo@contoso.com", ["mail.send"])
    assert not access.allowed
    assert access.entra_grant  # permission names compare case-insensitively
    assert access.reason.startswith(
        "Refused: the app holds Mail.Send in Entra ID, but ceo@contoso.com is outside every "
        f"RestrictAccess policy for app {TIMESHEET}"
    )
    assert access.reason.endswith(RBAC_NOT_EVALUATED)


def test_refused_without_the_entra_grant_whatever_the_policy() -> None:
    access = effective_send_access(tenant(), TIMESHEET, "ceo@contoso.com", ["Mail.Read"])
    assert not access.allowed
    assert access.access_policy.granted
    assert access.reason == (
        "Refused: the app does not hold Mail.Send in Entra ID, so it cannot use it on "
        f"ceo@contoso.com whatever access policies say. {RBAC_NOT_EVALUATED}"
    )


def test_other_permissions_follow_the_same_rule() -> None:
    context = tenant(policy(EXECUTIVES, AccessRight.DENY_ACCESS))
    access = effective_access(context, TIMESHEET, CEO, "Calendars.Read", ["Calendars.Read"])
    assert not access.allowed
    assert access.permission == "Calendars.Read"
    assert 'DenyAccess on "Executives"' in access.reason


def test_rbac_grants_are_a_union_when_given() -> None:
    context = tenant(policy(SENDERS))
    scoped = RbacGrant(
        role="Application Mail.Send",
        permissions=frozenset({"Mail.Send"}),
        scope_type=RbacScopeType.RECIPIENT_GROUP,
        scope_name="Executives",
        mailbox_ids=frozenset({CEO.upper()}),
    )
    access = effective_send_access(context, TIMESHEET, "ceo@contoso.com", [], [scoped])
    assert access.allowed
    assert access.rbac_grant is scoped
    assert access.rbac_evaluated
    assert access.reason == (
        "Allowed: the Exchange role assignment Application Mail.Send grants Mail.Send on "
        "ceo@contoso.com (scope Executives), whatever access policies say."
    )
    other = effective_send_access(context, TIMESHEET, "alex@contoso.com", [], [scoped])
    assert not other.allowed
    assert RBAC_NOT_EVALUATED not in other.reason


def test_rbac_grant_covers_only_its_permissions_and_scope() -> None:
    org = RbacGrant("Application Mail.Read", frozenset({"Mail.Read"}))
    context = tenant()
    noreply = context.recipient(NOREPLY)
    assert org.covers(noreply, "mail.read")
    assert not org.covers(noreply, "Mail.Send")
    assert org.scope_type is RbacScopeType.ORGANIZATION


def test_mailbox_permissions_sorts_what_a_policy_constrains() -> None:
    roles = [
        "Mail.Send",
        "Calendars.ReadWrite",
        "full_access_as_app",
        "MailboxItem.Read.All",
        "MailboxFolder.ReadWrite.All",
        "SMTP.SendAsApp",
        "IMAP.AccessAsApp",
        "User.Read.All",
        "Mail.Send",
    ]
    sorted_ = mailbox_permissions(roles)
    assert sorted_.constrained == ("Mail.Send", "Calendars.ReadWrite", "full_access_as_app")
    assert sorted_.not_constrained == (
        "MailboxItem.Read.All",
        "MailboxFolder.ReadWrite.All",
        "SMTP.SendAsApp",
        "IMAP.AccessAsApp",
    )
    assert sorted_.other == ("User.Read.All",)
    assert sorted_.beyond_sending == ("Calendars.ReadWrite", "full_access_as_app")
    assert sorted_.restriction_warning() == (
        "An access policy restricts every mailbox permission of this app, not only Mail.Send: "
        "Calendars.ReadWrite, full_access_as_app will also stop working for mailboxes outside "
        "the policy's scope."
    )
    assert (sorted_.unconstrained_warning() or "").startswith(
        "MailboxItem.Read.All, MailboxFolder.ReadWrite.All, SMTP.SendAsApp, IMAP.AccessAsApp "
        "reach mailboxes, but Microsoft does not document access policies as restricting them"
    )


def test_a_send_only_app_gets_no_warning() -> None:
    sorted_ = mailbox_permissions(["Mail.Send", "User.Read.All"])
    assert sorted_.restriction_warning() is None
    assert sorted_.unconstrained_warning() is None
