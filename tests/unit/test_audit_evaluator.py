"""The audit evaluator on hand-made snapshots: reach, kinds, and every finding rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sendscope.policy import RBAC_NOT_EVALUATED, AccessRight
from sendscope.policy.audit import AUDIT_RULES, SOON_EXPIRING_DAYS, evaluate_audit
from sendscope.policy.findings import AppKind, AuditResult, Finding, Severity
from sendscope.policy.snapshot import CredentialKind, microsoft_app_ids
from tests.unit.audit_builders import (
    EXCHANGE_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    MICROSOFT_TENANT,
    NOW,
    Tenant,
    guid,
    mailbox,
)

DENY = AccessRight.DENY_ACCESS


def audit(tenant: Tenant) -> AuditResult:
    return evaluate_audit(tenant.snapshot(), now=NOW)


def rules(result: AuditResult, app_id: str | None = None) -> dict[str, Finding]:
    found = [f for f in result.findings if app_id is None or f.app_id == app_id]
    return {f.rule: f for f in found}


def reach_of(result: AuditResult, app_id: str, permission: str) -> tuple[int, tuple[str, ...]]:
    app = next(a for a in result.apps if a.app_id == app_id)
    p = next(p for p in app.permissions if p.permission == permission)
    return p.reach, p.mailboxes


# -- reach ----------------------------------------------------------------------------------


def test_an_app_no_policy_names_sends_as_every_mailbox_high() -> None:
    t = Tenant.with_mailboxes(5)
    app = t.app("Mailer", "Mail.Send")
    result = audit(t)
    assert reach_of(result, app, "Mail.Send") == (5, ())
    found = rules(result, app)["unrestricted-send"]
    assert found.severity is Severity.HIGH
    assert found.title == "Can send as all 5 mailboxes"
    assert found.permissions == ("Mail.Send",)
    assert f"sendscope restrict --app {app}" in found.fix
    assert "No access policy names this app" in found.detail
    assert result.mailbox_count == 5


def test_restricted_app_is_info_and_lists_its_mailboxes_through_nested_groups() -> None:
    t = Tenant.with_mailboxes(6)
    app = t.app("Mailer", "Mail.Send")
    t.group("inner", "user2")
    outer = t.group("outer", "user1", "inner")
    t.policy(app, outer)
    result = audit(t)
    assert reach_of(result, app, "Mail.Send") == (2, ("user1@contoso.com", "user2@contoso.com"))
    assert set(rules(result, app)) == {"restricted-app"}
    info = rules(result, app)["restricted-app"]
    assert info.severity is Severity.INFO
    assert info.title == "Restricted to 2 of 6 mailboxes"
    assert "user1@contoso.com, user2@contoso.com" in info.detail
    assert result.apps[0].policies == ('RestrictAccess on "outer"',)


def test_a_restrict_scope_holding_every_mailbox_is_still_high() -> None:
    t = Tenant.with_mailboxes(3)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("everyone", "user0", "user1", "user2"))
    found = rules(audit(t), app)
    assert found["unrestricted-send"].title == "Can send as all 3 mailboxes"
    assert "scopes of its RestrictAccess policies hold every mailbox" in (
        found["unrestricted-send"].detail
    )
    # Never both: a scope that leaves out no mailbox is no restriction (problem 1).
    assert "restricted-app" not in found
    assert [f.rule for f in audit(t).findings] == ["unrestricted-send"]


def test_a_restrict_scope_of_everyone_plus_a_deny_is_high_not_info() -> None:
    # Problem 2: RestrictAccess on every mailbox + DenyAccess on one reaches all but one,
    # exactly like the DenyAccess alone: high, and the secret is flagged.
    t = Tenant.with_mailboxes(4)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("everyone", "user0", "user1", "user2", "user3"))
    t.policy(app, mailbox("user0"), DENY)
    secret = t.credential(app, CredentialKind.SECRET, NOW + timedelta(days=365))
    result = audit(t)
    found = rules(result, app)
    assert reach_of(result, app, "Mail.Send") == (3, ())
    assert found["unrestricted-send"].severity is Severity.HIGH
    assert found["unrestricted-send"].title == "Can send as 3 of 4 mailboxes"
    assert "hold every mailbox its DenyAccess policies leave it" in (
        found["unrestricted-send"].detail
    )
    assert found["client-secret"].subject == secret.key_id
    assert "restricted-app" not in found


def test_a_restrict_scope_that_narrows_beyond_the_deny_is_info() -> None:
    t = Tenant.with_mailboxes(4)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("most", "user0", "user1", "user2"))
    t.policy(app, mailbox("user0"), DENY)
    found = rules(audit(t), app)
    assert set(found) == {"restricted-app"}
    assert found["restricted-app"].title == "Restricted to 2 of 4 mailboxes"


def test_one_mailbox_short_of_every_one_is_info_when_restricted() -> None:
    t = Tenant.with_mailboxes(3)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("most", "user0", "user1"))
    assert "unrestricted-send" not in rules(audit(t), app)
    assert reach_of(audit(t), app, "Mail.Send") == (2, ("user0@contoso.com", "user1@contoso.com"))


def test_deny_only_app_is_high_and_warned_about() -> None:
    t = Tenant.with_mailboxes(4)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("vips", "user0"), DENY)
    result = audit(t)
    found = rules(result, app)
    assert reach_of(result, app, "Mail.Send")[0] == 3
    assert found["unrestricted-send"].severity is Severity.HIGH
    assert found["unrestricted-send"].title == "Can send as 3 of 4 mailboxes"
    assert found["deny-only-policy"].severity is Severity.WARNING
    assert "Only DenyAccess policies name Mailer" in found["deny-only-policy"].detail
    assert "restricted-app" not in found


def test_deny_wins_over_restrict_in_the_reach() -> None:
    t = Tenant.with_mailboxes(4)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("senders", "user0", "user1"))
    t.policy(app, mailbox("user1"), DENY)
    assert reach_of(audit(t), app, "Mail.Send") == (1, ("user0@contoso.com",))


def test_a_star_policy_restricts_every_app() -> None:
    t = Tenant.with_mailboxes(4)
    one, two = t.app("One", "Mail.Send"), t.app("Two", "Mail.Read")
    t.policy("*", t.group("senders", "user3"))
    result = audit(t)
    assert reach_of(result, one, "Mail.Send")[0] == reach_of(result, two, "Mail.Read")[0] == 1
    reason = next(a for a in result.apps if a.app_id == one).permissions[0].reason
    assert reason == (
        'Access policies: restricted to the scope of RestrictAccess on "senders" (it names '
        'every app: "*"). It reaches 1 of 4 mailboxes.'
    )
    assert not [f for f in result.findings if f.severity.at_least(Severity.MEDIUM)]


def test_write_and_ews_permissions_are_high_read_is_medium() -> None:
    t = Tenant.with_mailboxes(2)
    writer = t.app("Writer", "Mail.ReadWrite", "full_access_as_app")
    reader = t.app("Reader", "Mail.Read", "Calendars.ReadWrite")
    result = audit(t)
    write = rules(result, writer)["unrestricted-write"]
    assert (write.severity, write.permissions) == (
        Severity.HIGH,
        ("Mail.ReadWrite", "full_access_as_app"),
    )
    ews = next(p for p in result.apps if p.app_id == writer).permissions[1]
    assert ews.resource == "Office 365 Exchange Online"
    read = rules(result, reader)["unrestricted-read"]
    assert (read.severity, read.permissions) == (
        Severity.MEDIUM,
        ("Mail.Read", "Calendars.ReadWrite"),
    )
    assert "unrestricted-send" not in rules(result, reader)


def test_permissions_policies_do_not_constrain_reach_everyone_medium() -> None:
    t = Tenant.with_mailboxes(3)
    app = t.app("Items", "MailboxItem.Read.All", "Mail.Send")
    t.policy(app, t.group("one", "user0"))
    result = audit(t)
    assert reach_of(result, app, "MailboxItem.Read.All") == (3, ())
    assert reach_of(result, app, "Mail.Send") == (1, ("user0@contoso.com",))
    found = rules(result, app)["unconstrained-permission"]
    assert (found.severity, found.permissions) == (Severity.MEDIUM, ("MailboxItem.Read.All",))
    assert "not document" in found.detail


def test_apps_without_mailbox_permissions_are_not_listed_in_apps() -> None:
    t = Tenant.with_mailboxes(2)
    t.app("Directory reader", "User.Read.All")
    mailer = t.app("Mailer", "Mail.Send")
    result = audit(t)
    assert [a.app_id for a in result.apps] == [mailer]
    assert rules(result, guid("app:Directory reader")) == {}


def test_notes_say_rbac_is_not_evaluated_and_findings_come_worst_first() -> None:
    t = Tenant.with_mailboxes(2)
    app = t.app("Mailer", "Mail.Send", "Calendars.Read")
    t.policy(app, t.group("g", "user0"))
    t.app("Admin", "Application.ReadWrite.All")
    result = audit(t)
    assert RBAC_NOT_EVALUATED in result.notes
    ranks = [f.severity.rank for f in result.findings]
    assert ranks == sorted(ranks, reverse=True)
    assert result.generated_at == NOW
    assert {f.rule for f in result.failing(Severity.HIGH)} == {"can-lift-restriction"}


def test_every_rule_has_a_severity_and_kebab_case_id() -> None:
    for rule, severity in AUDIT_RULES.items():
        assert rule == rule.lower() and " " not in rule and "_" not in rule
        assert isinstance(severity, Severity)


# -- lifting a restriction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "permission",
    [
        "Application.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "RoleManagement.ReadWrite.Exchange",
    ],
)
def test_permissions_that_lift_a_restriction_are_high(permission: str) -> None:
    t = Tenant.with_mailboxes(2)
    app = t.app("Admin", permission)
    found = rules(audit(t), app)["can-lift-restriction"]
    assert found.severity is Severity.HIGH
    assert found.permissions == (permission,)
    assert permission in found.detail


def test_manage_as_app_lifts_only_with_an_exchange_admin_role() -> None:
    t = Tenant.with_mailboxes(2)
    plain = t.app("Plain", "Exchange.ManageAsApp")
    reader = t.app("Reader", "Exchange.ManageAsApp", roles=[GLOBAL_READER])
    admin = t.app("Admin", "Exchange.ManageAsApp", roles=[EXCHANGE_ADMIN])
    result = audit(t)
    assert "can-lift-restriction" not in rules(result, plain)
    assert "can-lift-restriction" not in rules(result, reader)
    found = rules(result, admin)["can-lift-restriction"]
    assert "Exchange.ManageAsApp with the Exchange Administrator role" in found.detail
    assert found.permissions == ("Exchange.ManageAsApp",)


def test_a_global_administrator_service_principal_can_lift() -> None:
    t = Tenant.with_mailboxes(1)
    app = t.app("GA", roles=[GLOBAL_ADMIN])
    found = rules(audit(t), app)["can-lift-restriction"]
    assert "the Global Administrator directory role" in found.detail


def test_a_restricted_app_that_can_lift_is_still_high() -> None:
    t = Tenant.with_mailboxes(3)
    app = t.app("Sneaky", "Mail.Send", "AppRoleAssignment.ReadWrite.All")
    t.policy(app, t.group("one", "user0"))
    found = rules(audit(t), app)
    assert found["can-lift-restriction"].severity is Severity.HIGH
    assert found["restricted-app"].severity is Severity.INFO


# -- kinds of apps -----------------------------------------------------------------------------


def test_microsoft_apps_are_reported_as_info_only() -> None:
    t = Tenant.with_mailboxes(2)
    listed = t.app("Listed", "Mail.Send", "Application.ReadWrite.All")
    t.microsoft.add(listed)
    owned = t.app("Owned", "Mail.ReadWrite", owner=MICROSOFT_TENANT)
    result = audit(t)
    for app in (listed, owned):
        assert set(rules(result, app)) == {"microsoft-app"}
        assert rules(result, app)["microsoft-app"].severity is Severity.INFO
        assert next(a for a in result.apps if a.app_id == app).kind is AppKind.MICROSOFT


def test_managed_identities_and_multi_tenant_apps_get_the_same_rules() -> None:
    t = Tenant.with_mailboxes(2)
    identity = t.app("Function", "Mail.Send", kind="ManagedIdentity", registered=False)
    vendor = t.app("Vendor", "Mail.Send", owner=guid("tenant:vendor"), registered=False)
    result = audit(t)
    kinds = {a.app_id: a.kind for a in result.apps}
    assert kinds == {identity: AppKind.MANAGED_IDENTITY, vendor: AppKind.MULTI_TENANT}
    assert "a managed identity" in rules(result, identity)["unrestricted-send"].detail
    assert "multi-tenant app" in rules(result, vendor)["unrestricted-send"].detail


def test_the_first_party_list_is_packaged_and_holds_known_apps() -> None:
    ids = microsoft_app_ids()
    assert len(ids) > 4000
    assert "00000003-0000-0000-c000-000000000000" in ids  # Microsoft Graph


def test_a_disabled_service_principal_is_flagged_and_says_so() -> None:
    t = Tenant.with_mailboxes(1)
    app = t.app("Old", "Mail.Send", enabled=False)
    assert "disabled" in rules(audit(t), app)["unrestricted-send"].detail


# -- credentials -------------------------------------------------------------------------------


def test_expired_and_soon_expiring_credentials_around_the_boundary() -> None:
    t = Tenant.with_mailboxes(2)
    app = t.app("Mailer", "Mail.Send")
    t.policy(app, t.group("g", "user0"))
    cert = CredentialKind.CERTIFICATE
    expired = t.credential(app, cert, NOW - timedelta(seconds=1), "old")
    soon = t.credential(app, cert, NOW + timedelta(days=SOON_EXPIRING_DAYS) - timedelta(seconds=1))
    t.credential(app, cert, NOW + timedelta(days=SOON_EXPIRING_DAYS), "later")
    t.credential(app, cert, None, "forever")
    found = [f for f in audit(t).findings if f.app_id == app and f.rule.startswith("credential")]
    assert [(f.rule, f.subject) for f in found] == [
        ("credential-expired", expired.key_id),
        ("credential-expiring", soon.key_id),
    ]
    assert "in 29 days" in found[1].detail
    assert all(f.severity is Severity.WARNING for f in found)


def test_credentials_of_apps_without_mailbox_reach_are_not_audited() -> None:
    t = Tenant.with_mailboxes(1)
    app = t.app("Reader", "User.Read.All")
    t.credential(app, CredentialKind.SECRET, NOW - timedelta(days=1))
    assert rules(audit(t), app) == {}


def test_client_secret_is_warned_on_powerful_apps_only() -> None:
    t = Tenant.with_mailboxes(3)
    wide = t.app("Wide", "Mail.Send")
    narrow = t.app("Narrow", "Mail.Send")
    t.policy(narrow, t.group("g", "user0"))
    certified = t.app("Certified", "Mail.Send")
    stale = t.app("Stale", "Mail.Send")
    for app in (wide, narrow):
        t.credential(app, CredentialKind.SECRET, NOW + timedelta(days=365))
    t.credential(certified, CredentialKind.CERTIFICATE, NOW + timedelta(days=365))
    t.credential(stale, CredentialKind.SECRET, NOW - timedelta(days=1))
    second = t.credential(wide, CredentialKind.SECRET, None, key="k2")
    result = audit(t)
    assert rules(result, wide)["client-secret"].severity is Severity.WARNING
    assert "certificate" in rules(result, wide)["client-secret"].fix
    # One finding per live secret, its key id the subject (problem 4: baselines match it).
    subjects = sorted(f.subject for f in result.findings if f.rule == "client-secret")
    assert subjects == sorted([guid(f"{wide}:k1"), second.key_id])
    for app in (narrow, certified, stale):
        assert "client-secret" not in rules(result, app)
    assert "credential-expired" in rules(result, stale)


# -- mixed permissions -------------------------------------------------------------------------


def test_mail_and_other_mailbox_permissions_share_one_restriction() -> None:
    t = Tenant.with_mailboxes(2)
    mixed = t.app("Mixed", "Mail.Send", "Calendars.Read")
    mail_only = t.app("Mail only", "Mail.Send", "Mail.Read")
    result = audit(t)
    found = rules(result, mixed)["mixed-mailbox-permissions"]
    assert (found.severity, found.permissions) == (
        Severity.WARNING,
        ("Mail.Send", "Calendars.Read"),
    )
    assert "mixed-mailbox-permissions" not in rules(result, mail_only)


# -- the policies themselves -------------------------------------------------------------------


def test_a_policy_whose_scope_is_gone() -> None:
    t = Tenant.with_mailboxes(2)
    app = t.app("Mailer", "Mail.Send")
    policy = t.policy(app, guid("deleted group"))
    result = audit(t)
    found = rules(result, app)["missing-scope"]
    assert (found.severity, found.subject) == (Severity.WARNING, policy.identity)
    assert f'Remove-ApplicationAccessPolicy -Identity "{policy.identity}"' in found.fix
    assert reach_of(result, app, "Mail.Send") == (0, ())  # it shuts the app out of everything


def test_an_empty_scope_group_even_through_nesting() -> None:
    t = Tenant.with_mailboxes(2)
    app = t.app("Mailer", "Mail.Send")
    t.group("hollow")
    empty = t.policy(app, t.group("nest", "hollow"))
    full = t.policy(app, t.group("full", "user0"))
    found = [f for f in audit(t).findings if f.rule == "empty-scope-group"]
    assert [f.subject for f in found] == [empty.identity]
    assert full.identity not in {f.subject for f in found}
    assert found[0].severity is Severity.WARNING


def test_a_scope_that_is_a_mail_user_is_warned_about_like_an_empty_group() -> None:
    # Problem 14: a RestrictAccess scoped to a MailUser reaches nothing and said nothing.
    t = Tenant.with_mailboxes(2)
    app = t.app("Mailer", "Mail.Send")
    contractor = mailbox("contractor", "MailUser")
    t.groups.append(contractor)
    policy = t.policy(app, contractor)
    result = audit(t)
    found = rules(result, app)["scope-without-mailbox"]
    assert (found.severity, found.subject) == (Severity.WARNING, policy.identity)
    assert found.detail == (
        f"{policy.label}: its scope contractor@contoso.com is a MailUser without a mailbox, "
        "so the policy matches no mailbox."
    )
    assert reach_of(result, app, "Mail.Send") == (0, ())
    t.policy(app, mailbox("user0"))  # a mailbox as scope is fine
    assert [f.subject for f in audit(t).findings if f.rule == "scope-without-mailbox"] == [
        policy.identity
    ]


def test_policies_for_missing_apps_and_apps_without_grants() -> None:
    t = Tenant.with_mailboxes(2)
    holder = t.app("Holder", "User.Read.All")
    scope = t.group("g", "user0")
    missing = t.policy(guid("app:deleted"), scope)
    idle = t.policy(holder, scope)
    t.policy("*", scope)
    result = audit(t)
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["policy-for-missing-app"].subject == missing.identity
    assert by_rule["policy-for-missing-app"].app_id == guid("app:deleted")
    assert by_rule["policy-without-grant"].subject == idle.identity
    assert by_rule["policy-without-grant"].app_name == "Holder"
    assert {f.rule for f in result.findings} == {"policy-for-missing-app", "policy-without-grant"}


def test_a_star_policy_with_a_missing_scope_is_about_no_app_in_particular() -> None:
    t = Tenant.with_mailboxes(1)
    policy = t.policy("*", guid("gone"))
    found = [f for f in audit(t).findings if f.rule == "missing-scope"]
    assert [(f.app_id, f.subject) for f in found] == [("", policy.identity)]
    assert "--app <each app>" in found[0].fix
