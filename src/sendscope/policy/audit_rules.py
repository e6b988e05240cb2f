"""The audit's rules about apps: unrestricted reach, lifting a restriction, credentials.

Each rule is a small function from one app (``AppView``) to findings. Rule ids are stable:
they are SARIF rule ids and baseline keys (``AUDIT_RULES`` lists them all, with severity).
docs/audit-findings.md says what each means and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from .audit_reach import AppView, TenantView
from .effective import is_constrained
from .findings import AppKind, Finding, PermissionReach, Severity
from .snapshot import CredentialKind, CredentialRecord

__all__ = [
    "AUDIT_RULES",
    "EXCHANGE_ADMIN_ROLES",
    "LIFTING_DIRECTORY_ROLES",
    "LIFTING_PERMISSIONS",
    "SOON_EXPIRING_DAYS",
    "app_findings",
    "is_unrestricted",
    "lifting_reasons",
]

# A credential that ends within this many days is "soon expiring".
SOON_EXPIRING_DAYS = 30

AUDIT_RULES: Mapping[str, Severity] = {
    "unrestricted-send": Severity.HIGH,
    "unrestricted-write": Severity.HIGH,
    "can-lift-restriction": Severity.HIGH,
    "unrestricted-read": Severity.MEDIUM,
    "unconstrained-permission": Severity.MEDIUM,
    "deny-only-policy": Severity.WARNING,
    "empty-scope-group": Severity.WARNING,
    "scope-without-mailbox": Severity.WARNING,
    "missing-scope": Severity.WARNING,
    "policy-for-missing-app": Severity.WARNING,
    "policy-without-grant": Severity.WARNING,
    "credential-expired": Severity.WARNING,
    "credential-expiring": Severity.WARNING,
    "client-secret": Severity.WARNING,
    "mixed-mailbox-permissions": Severity.WARNING,
    "restricted-app": Severity.INFO,
    "microsoft-app": Severity.INFO,
}

_WRITE = frozenset({"mail.readwrite", "full_access_as_app"})
_SEND = "mail.send"

# Application permissions with which an app can undo its own restriction.
LIFTING_PERMISSIONS: Mapping[str, str] = {
    "Application.ReadWrite.All": "add a credential to any app and sign in as one no policy "
    "restricts",
    "AppRoleAssignment.ReadWrite.All": "grant itself or any app any permission",
    "RoleManagement.ReadWrite.Directory": "make itself a Global Administrator, who can remove "
    "any access policy",
    "RoleManagement.ReadWrite.Exchange": "give itself Exchange roles (RBAC for Applications) "
    "that reach every mailbox",
}
_LIFTING = {k.casefold(): k for k in LIFTING_PERMISSIONS}
_MANAGE_AS_APP = "exchange.manageasapp"
# Directory roles (template ids, the same in every tenant) with which Exchange.ManageAsApp can
# run Remove-ApplicationAccessPolicy (learn.microsoft.com/powershell/exchange/
# app-only-auth-powershell-v2).
EXCHANGE_ADMIN_ROLES: Mapping[str, str] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
}
# Directory roles that manage apps or roles: a service principal holding one can add itself
# a credential-bearing app or a role without any Graph permission.
LIFTING_DIRECTORY_ROLES: Mapping[str, str] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
}


def _finding(
    rule: str,
    app: AppView,
    title: str,
    detail: str,
    fix: str,
    *,
    subject: str = "",
    permissions: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        rule,
        AUDIT_RULES[rule],
        app.sp.app_id,
        app.sp.display_name,
        title,
        detail,
        fix,
        subject=subject,
        permissions=permissions,
    )


def app_findings(view: TenantView, app: AppView, now: datetime) -> Iterator[Finding]:
    """Every finding about one app, in a stable order."""
    if app.kind is AppKind.MICROSOFT:
        yield from _microsoft(app, view)
        return
    yield from _unrestricted(view, app)
    yield from _lifting(view, app)
    yield from _unconstrained(app)
    yield from _mixed(app)
    yield from _deny_only(view, app)
    yield from _credentials(view, app, now)
    yield from _restricted(view, app)


def _where(view: TenantView) -> str:
    return view.snapshot.tenant_domain or "the tenant"


def _restrict_fix(view: TenantView, app: AppView) -> str:
    domain = view.snapshot.tenant_domain or "contoso.com"
    return (
        f"Confine it to the mailboxes it needs: sendscope restrict --app {app.sp.app_id} "
        f"--group <app>-mailboxes@{domain} --create-group --member <mailbox it needs>"
    )


def is_unrestricted(app: AppView, permission: PermissionReach) -> bool:
    """Does this permission reach every mailbox, bar those a DenyAccess policy names?

    True when the reach is the whole tenant, and when no RestrictAccess scope narrows the
    app (a DenyAccess-only app, or one whose RestrictAccess scopes hold every mailbox the
    Deny policies leave, is restricted in name only) and it reaches at least one mailbox.
    """
    if permission.unrestricted:
        return True
    return not app.narrowed and permission.reach > 0


def _unrestricted(view: TenantView, app: AppView) -> Iterator[Finding]:
    loose = [p for p in app.permissions if is_constrained(p.permission) and is_unrestricted(app, p)]
    send = [p for p in loose if p.permission.casefold() == _SEND]
    write = [p for p in loose if p.permission.casefold() in _WRITE]
    read = [p for p in loose if p not in send and p not in write]
    for rule, found, verb in (
        ("unrestricted-send", send, "send as"),
        ("unrestricted-write", write, "read, change and delete mail in"),
        ("unrestricted-read", read, "read or change"),
    ):
        if found:
            yield _unrestricted_finding(view, app, rule, found, verb)


def _unrestricted_finding(
    view: TenantView, app: AppView, rule: str, found: list[PermissionReach], verb: str
) -> Finding:
    names = tuple(dict.fromkeys(p.permission for p in found))
    reach = max(p.reach for p in found)
    scope = f"all {view.total}" if reach == view.total else f"{reach} of {view.total}"
    disabled = "" if app.sp.account_enabled else " Its service principal is disabled for now."
    detail = (
        f"{app.sp.display_name} ({_kind_words(app)}) holds {', '.join(names)} and can {verb} "
        f"{scope} mailboxes in {_where(view)}: {_why_unconfined(app)}. "
        f"{found[0].reason}{disabled}"
    )
    title = f"Can {verb} {scope} mailboxes"
    return _finding(rule, app, title, detail, _restrict_fix(view, app), permissions=names)


def _why_unconfined(app: AppView) -> str:
    if app.restricted and app.reach.denied:
        return (
            "the scopes of its RestrictAccess policies hold every mailbox its DenyAccess "
            "policies leave it, so they confine it to nothing less"
        )
    if app.restricted:
        return "the scopes of its RestrictAccess policies hold every mailbox"
    return "no RestrictAccess policy confines it"


def _kind_words(app: AppView) -> str:
    return {
        AppKind.APPLICATION: "an app registered in this tenant",
        AppKind.MULTI_TENANT: "a multi-tenant app registered in another tenant",
        AppKind.MANAGED_IDENTITY: "a managed identity",
        AppKind.MICROSOFT: "Microsoft's own app",
    }[app.kind]


def lifting_reasons(app: AppView, roles_of: Mapping[str, frozenset[str]]) -> tuple[str, ...]:
    """Why the app could lift its own restriction: one phrase per permission or role."""
    held = {r.casefold() for r in app.roles}
    reasons = [
        f"{_LIFTING[r]} (it can {LIFTING_PERMISSIONS[_LIFTING[r]]})"
        for r in sorted(held & _LIFTING.keys())
    ]
    directory = roles_of.get(app.sp.object_id, frozenset())
    if _MANAGE_AS_APP in held:
        admin = sorted(EXCHANGE_ADMIN_ROLES[r] for r in directory & EXCHANGE_ADMIN_ROLES.keys())
        if admin:
            reasons.append(
                f"Exchange.ManageAsApp with the {' and '.join(admin)} role (it can run "
                "Remove-ApplicationAccessPolicy)"
            )
    other = sorted(
        LIFTING_DIRECTORY_ROLES[r]
        for r in directory & LIFTING_DIRECTORY_ROLES.keys()
        if r not in EXCHANGE_ADMIN_ROLES or _MANAGE_AS_APP not in held
    )
    reasons += [f"the {name} directory role" for name in other]
    return tuple(reasons)


def _lifting(view: TenantView, app: AppView) -> Iterator[Finding]:
    reasons = lifting_reasons(app, view.snapshot.directory_roles)
    if not reasons:
        return
    permissions = tuple(r.split(" ", 1)[0] for r in reasons if not r.startswith("the "))
    detail = (
        f"{app.sp.display_name} holds {'; '.join(reasons)}. An access policy on it, or on any "
        "other app, would not hold it back: it can remove or go around the restriction."
    )
    fix = (
        "Remove these permissions and roles unless this is your admin tool; if it is, sign it "
        "in with a certificate kept in a vault, and accept this finding in the baseline with "
        "the reason."
    )
    title = "Can lift its own restriction"
    yield _finding("can-lift-restriction", app, title, detail, fix, permissions=permissions)


def _unconstrained(app: AppView) -> Iterator[Finding]:
    loose = tuple(p.permission for p in app.permissions if not is_constrained(p.permission))
    if not loose:
        return
    detail = (
        f"{app.sp.display_name} holds {', '.join(loose)}. Microsoft does not document "
        "Application Access Policies as restricting these permissions: the app may keep them "
        "on every mailbox whatever policy names it."
    )
    fix = (
        f"Remove {', '.join(loose)} from the app (Entra admin center > Enterprise applications "
        "> the app > Permissions) unless it needs them; if it does, scope it with RBAC for "
        "Applications (New-ManagementRoleAssignment -App … -CustomResourceScope …)."
    )
    title = "Holds mailbox permissions access policies do not constrain"
    yield _finding("unconstrained-permission", app, title, detail, fix, permissions=loose)


def _mixed(app: AppView) -> Iterator[Finding]:
    constrained = [p.permission for p in app.permissions if is_constrained(p.permission)]
    mail = [p for p in constrained if p.casefold().startswith("mail.")]
    other = [p for p in constrained if p not in mail]
    if not (mail and other):
        return
    detail = (
        f"{app.sp.display_name} holds {', '.join(mail)} and {', '.join(other)}. An access "
        "policy restricts every one of them at once: confining its mail to some mailboxes "
        f"also confines {', '.join(other)} to the same mailboxes."
    )
    fix = (
        "Check that the mailboxes in its policy's scope are the ones every permission needs, "
        "or split the app in two with one job each."
    )
    title = "Mail and other mailbox permissions share one restriction"
    names = (*mail, *other)
    yield _finding("mixed-mailbox-permissions", app, title, detail, fix, permissions=names)


def _deny_only(view: TenantView, app: AppView) -> Iterator[Finding]:
    if not app.deny_only or not any(is_constrained(p.permission) for p in app.permissions):
        return
    labels = ", ".join(p.label for p in app.policies)
    reach = max((p.reach for p in app.permissions), default=0)
    detail = (
        f"Only DenyAccess policies name {app.sp.display_name} ({labels}): they keep it out of "
        f"their scope, and it still reaches {reach} of {view.total} mailboxes. Tools that ask "
        "only whether some policy names the app count it as restricted."
    )
    fix = f"Add a RestrictAccess policy. {_restrict_fix(view, app)}"
    yield _finding("deny-only-policy", app, "Only DenyAccess policies name it", detail, fix)


def _restricted(view: TenantView, app: AppView) -> Iterator[Finding]:
    # Only when a RestrictAccess scope really narrows the app: otherwise it is
    # unrestricted-send/-write/-read, never both for one app (docs/audit-findings.md).
    constrained = [p for p in app.permissions if is_constrained(p.permission)]
    if not app.narrowed or not constrained:
        return
    reach = max(p.reach for p in constrained)
    listed = next((p.mailboxes for p in constrained if p.mailboxes), ())
    shown = ", ".join(listed[:20]) + (f" and {len(listed) - 20} more" if len(listed) > 20 else "")
    detail = (
        f"{app.sp.display_name} reaches {reach} of {view.total} mailboxes"
        f"{': ' + shown if shown else ''}. {constrained[0].reason}"
    )
    fix = "Nothing to do; review the allowed mailboxes from time to time."
    title = f"Restricted to {reach} of {view.total} mailboxes"
    names = tuple(p.permission for p in constrained)
    yield _finding("restricted-app", app, title, detail, fix, permissions=names)


def _microsoft(app: AppView, view: TenantView) -> Iterator[Finding]:
    if not app.permissions:
        return
    names = tuple(p.permission for p in app.permissions)
    reach = max(p.reach for p in app.permissions)
    detail = (
        f"{app.sp.display_name} is Microsoft's own app; it holds {', '.join(names)} and reaches "
        f"{reach} of {view.total} mailboxes. Microsoft operates it: the audit reports its "
        "reach but raises no high or medium finding for it."
    )
    fix = "Nothing to do unless you did not expect this app to hold mailbox permissions."
    title = f"Microsoft's own app reaches {reach} of {view.total} mailboxes"
    yield _finding("microsoft-app", app, title, detail, fix, permissions=names)


# -- credentials ---------------------------------------------------------------------------


def _in_scope(view: TenantView, app: AppView) -> bool:
    """Credentials matter for apps that reach mailboxes or can lift a restriction."""
    return bool(app.permissions) or bool(lifting_reasons(app, view.snapshot.directory_roles))


def _credentials(view: TenantView, app: AppView, now: datetime) -> Iterator[Finding]:
    if not _in_scope(view, app):
        return
    mine = view.credentials.get(app.sp.app_id, ())
    for credential in mine:
        yield from _expiry(app, credential, now)
    yield from _secrets(view, app, mine, now)


def _expiry(app: AppView, credential: CredentialRecord, now: datetime) -> Iterator[Finding]:
    end = credential.end
    if end is None:
        return
    name = _credential_name(credential)
    renew = (
        f"Add a new certificate to {app.sp.display_name} (Entra admin center > App "
        f"registrations > the app > Certificates & secrets), switch the app to it, then "
        f"remove {name}."
    )
    if end <= now:
        detail = f"{name} of {app.sp.display_name} expired on {end:%Y-%m-%d}."
        title = f"A {credential.kind.value} has expired"
        yield _finding("credential-expired", app, title, detail, renew, subject=credential.key_id)
    elif end - now < timedelta(days=SOON_EXPIRING_DAYS):
        days = (end - now).days
        detail = f"{name} of {app.sp.display_name} expires on {end:%Y-%m-%d}, in {days} days."
        title = f"A {credential.kind.value} expires within {SOON_EXPIRING_DAYS} days"
        yield _finding("credential-expiring", app, title, detail, renew, subject=credential.key_id)


def _credential_name(credential: CredentialRecord) -> str:
    label = f" '{credential.display_name}'" if credential.display_name else ""
    return f"The {credential.kind.value}{label} ({credential.key_id})"


def _secrets(
    view: TenantView, app: AppView, mine: tuple[CredentialRecord, ...], now: datetime
) -> Iterator[Finding]:
    # A secret matters where a leak would hurt most: an app reaching every mailbox with some
    # permission, or one that can lift a restriction. A restricted app's secret reaches
    # only its allowed mailboxes, so it is not flagged (docs/audit-findings.md).
    live = [c for c in mine if c.kind is CredentialKind.SECRET and (c.end is None or c.end > now)]
    powerful = any(is_unrestricted(app, p) for p in app.permissions) or bool(
        lifting_reasons(app, view.snapshot.directory_roles)
    )
    if not live or not powerful:
        return
    for secret in live:
        yield _secret(app, secret)


def _secret(app: AppView, secret: CredentialRecord) -> Finding:
    # One finding per secret, with its key id as subject (like credential-*), so a baseline
    # can accept one secret and not the next one someone adds (docs/audit.md's example).
    label = f" '{secret.display_name}'" if secret.display_name else ""
    detail = (
        f"{app.sp.display_name} can sign in with the client secret{label} ({secret.key_id}). "
        "A secret is a "
        "password that can be copied; a certificate's private key can be kept in a vault or "
        "a hardware module and is what Microsoft recommends for apps."
    )
    fix = (
        f"Upload a certificate to {app.sp.display_name} (Entra admin center > App "
        "registrations > the app > Certificates & secrets), switch the app to it, then "
        f"delete the client secret {secret.key_id}."
    )
    title = "Signs in with a client secret where a certificate would do"
    return _finding("client-secret", app, title, detail, fix, subject=secret.key_id)
