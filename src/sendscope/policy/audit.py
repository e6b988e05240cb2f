"""The audit evaluator: a tenant snapshot in, every app's real reach and findings out.

Pure: it reads only the ``TenantSnapshot`` (no I/O), so the same snapshot always gives the
same ``AuditResult``. Rules about apps live in ``audit_rules``, reach in ``audit_reach``;
the rules about access policies themselves (their scopes, the apps they name) are here.
docs/audit-findings.md explains every finding and its fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from .audit_reach import AppView, TenantView, tenant_view
from .audit_rules import AUDIT_RULES, SOON_EXPIRING_DAYS, app_findings
from .effective import RBAC_NOT_EVALUATED, is_constrained
from .findings import AppReach, AuditResult, Finding, Severity
from .model import ALL_APPS, ApplicationAccessPolicy, Recipient
from .snapshot import TenantSnapshot

__all__ = ["AUDIT_RULES", "SOON_EXPIRING_DAYS", "evaluate_audit"]

_ORDER = {s: i for i, s in enumerate(Severity)}


def evaluate_audit(snapshot: TenantSnapshot, *, now: datetime) -> AuditResult:
    """Every app's mailbox reach and every finding, worst first. Nothing is accepted yet:
    the baseline is applied by whoever reads the result."""
    view = tenant_view(snapshot)
    findings = [f for app in view.apps for f in app_findings(view, app, now)]
    findings += list(policy_findings(view))
    findings.sort(key=lambda f: (_ORDER[f.severity], f.app_name.casefold(), f.rule, f.subject))
    apps = tuple(_app_reach(a) for a in view.apps if a.permissions)
    return AuditResult(
        tenant_id=snapshot.tenant_id,
        tenant_domain=snapshot.tenant_domain,
        generated_at=snapshot.read_at,
        mailbox_count=view.total,
        apps=tuple(sorted(apps, key=lambda a: (-a.reach, a.name.casefold(), a.app_id))),
        findings=tuple(findings),
        notes=(RBAC_NOT_EVALUATED,),
    )


def _app_reach(app: AppView) -> AppReach:
    return AppReach(
        app_id=app.sp.app_id,
        name=app.sp.display_name,
        service_principal_id=app.sp.object_id,
        kind=app.kind,
        permissions=app.permissions,
        policies=tuple(p.label for p in app.policies),
    )


# -- rules about the policies themselves ----------------------------------------------------


def policy_findings(view: TenantView) -> Iterator[Finding]:
    """Policies whose scope is gone or empty, or that name no app able to use a mailbox."""
    apps = view.app_by_id()
    for policy in view.snapshot.policies:
        yield from _scope(view, policy, apps)
        for app_id in policy.app_ids:
            if app_id != ALL_APPS:
                yield from _named_app(view, policy, app_id, apps.get(app_id))


def _policy_finding(
    rule: str,
    policy: ApplicationAccessPolicy,
    app_id: str,
    app_name: str,
    title: str,
    detail: str,
    fix: str,
) -> Finding:
    return Finding(
        rule, AUDIT_RULES[rule], app_id, app_name, title, detail, fix, subject=policy.identity
    )


def _remove(policy: ApplicationAccessPolicy) -> str:
    return f'Remove-ApplicationAccessPolicy -Identity "{policy.identity}"'


def _first_app(policy: ApplicationAccessPolicy, apps: dict[str, AppView]) -> tuple[str, str]:
    # A policy for "*" is about no app in particular: its findings carry app id "".
    app_id = policy.app_ids[0] if policy.app_ids and not policy.names_every_app else ""
    app = apps.get(app_id)
    return app_id, app.sp.display_name if app else ""


def _scope(
    view: TenantView, policy: ApplicationAccessPolicy, apps: dict[str, AppView]
) -> Iterator[Finding]:
    app_id, name = _first_app(policy, apps)
    scope = view.context.scope_recipient(policy)
    if scope is None:
        detail = (
            f"{policy.label} names a scope that no longer exists ({policy.scope_object_id}). "
            "It matches no mailbox: a RestrictAccess policy like this one shuts the app out of "
            "every mailbox outside its other policies, a DenyAccess one denies nothing."
        )
        target = f"--app {app_id}" if app_id else "--app <each app>"
        fix = (
            f"Point the app at a group that exists (sendscope restrict {target} --group …), "
            f"then {_remove(policy)}"
        )
        title = "Policy scope no longer exists"
        yield _policy_finding("missing-scope", policy, app_id, name, title, detail, fix)
        return
    if not scope.is_group:
        yield from _scope_without_mailbox(view, policy, app_id, name, scope)
        return
    members = view.context.scope_members(policy) & view.mailbox_ids
    if not members:
        detail = (
            f'{policy.label}: the group "{view.context.label(scope.object_id)}" holds no '
            "mailbox, directly or through nested groups, so the policy matches no mailbox."
        )
        fix = (
            f"Add the mailboxes the app needs (Add-DistributionGroupMember -Identity "
            f'"{scope.label}" -Member …) or {_remove(policy)}'
        )
        title = "Policy scope group is empty"
        yield _policy_finding("empty-scope-group", policy, app_id, name, title, detail, fix)


def _scope_without_mailbox(
    view: TenantView, policy: ApplicationAccessPolicy, app_id: str, name: str, scope: Recipient
) -> Iterator[Finding]:
    # A scope may be a mail user (a valid security principal without a mailbox): the policy
    # then matches no mailbox, just like a group that holds only that mail user.
    if scope.object_id in view.mailbox_ids:
        return
    detail = (
        f"{policy.label}: its scope {scope.label} is a {scope.recipient_type_details} without "
        "a mailbox, so the policy matches no mailbox."
    )
    fix = f"Point the policy at the mailboxes or the group the app needs, then {_remove(policy)}"
    title = "Policy scope has no mailbox"
    yield _policy_finding("scope-without-mailbox", policy, app_id, name, title, detail, fix)


def _named_app(
    view: TenantView, policy: ApplicationAccessPolicy, app_id: str, app: AppView | None
) -> Iterator[Finding]:
    if app is None:
        detail = (
            f"{policy.label} names app {app_id}, which has no service principal in "
            f"{view.snapshot.tenant_domain or 'the tenant'}: it was deleted or never consented."
        )
        fix = f"If the app is gone for good: {_remove(policy)}"
        title = "Policy for an app that no longer exists"
        yield _policy_finding("policy-for-missing-app", policy, app_id, "", title, detail, fix)
        return
    if any(is_constrained(p.permission) for p in app.permissions):
        return
    detail = (
        f"{policy.label} names {app.sp.display_name}, which holds no mailbox permission the "
        "policy could restrict: the policy does nothing today, and would apply at once if the "
        "app were granted one."
    )
    fix = f"Keep it if you mean it as a guard; otherwise {_remove(policy)}"
    title = "Policy for an app without mailbox permissions"
    name = app.sp.display_name
    yield _policy_finding("policy-without-grant", policy, app_id, name, title, detail, fix)
