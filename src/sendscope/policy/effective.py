"""The rule at the centre: can app A really use permission P on mailbox M?

    allowed(A, M, P) = (P ∈ Entra grants of A  and  AAP(A, M) = Granted)
                       or (some RBAC assignment of A grants P with a scope containing M)

Access policies constrain only the permissions granted in Entra ID; RBAC for Applications
grants are added on top ("a union operation",
https://learn.microsoft.com/exchange/permissions-exo/application-rbac). sendscope does not
collect RBAC assignments yet: ``rbac_grants=None`` (the default) says so in every result.

Also here: which of an app's permissions an access policy constrains
(https://learn.microsoft.com/graph/auth-limit-mailbox-access), so ``restrict`` can warn that
a policy stops more than sending.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .context import PolicyContext
from .evaluate import AccessCheckResult, evaluate_access_policy
from .model import RbacGrant, Recipient

__all__ = [
    "CONSTRAINED_PERMISSIONS",
    "MAIL_SEND",
    "RBAC_NOT_EVALUATED",
    "EffectiveAccess",
    "MailboxPermissions",
    "effective_access",
    "effective_send_access",
    "is_constrained",
    "is_not_constrained",
    "mailbox_permissions",
]

MAIL_SEND = "Mail.Send"

RBAC_NOT_EVALUATED = "Exchange RBAC for Applications grants are not yet evaluated."

# "Supported permissions" of access policies: the Graph application permissions below and
# EWS full_access_as_app. https://learn.microsoft.com/graph/auth-limit-mailbox-access
CONSTRAINED_PERMISSIONS = (
    "Mail.Read",
    "Mail.ReadBasic",
    "Mail.ReadBasic.All",
    "Mail.ReadWrite",
    "Mail.Send",
    "MailboxSettings.Read",
    "MailboxSettings.ReadWrite",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Contacts.Read",
    "Contacts.ReadWrite",
    "full_access_as_app",
)
_CONSTRAINED = {p.casefold() for p in CONSTRAINED_PERMISSIONS}

# Mailbox access that the same page does not list, so a policy is not documented to stop it.
_NOT_CONSTRAINED_PREFIXES = ("mailboxitem.", "mailboxfolder.")
_NOT_CONSTRAINED = {
    p.casefold()
    for p in ("IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp", "EWS.AccessAsApp")
}


def is_constrained(permission: str) -> bool:
    """Is this a permission Application Access Policies are documented to constrain?"""
    return permission.casefold() in _CONSTRAINED


def is_not_constrained(permission: str) -> bool:
    """Does it reach mailboxes without access policies being documented to stop it?"""
    folded = permission.casefold()
    return folded in _NOT_CONSTRAINED or folded.startswith(_NOT_CONSTRAINED_PREFIXES)


@dataclass(frozen=True, slots=True)
class MailboxPermissions:
    """An app's application permissions, sorted by what an access policy does to them."""

    constrained: tuple[str, ...]
    not_constrained: tuple[str, ...]
    other: tuple[str, ...]

    @property
    def beyond_sending(self) -> tuple[str, ...]:
        """Constrained permissions other than Mail.Send: a policy stops these too."""
        return tuple(p for p in self.constrained if p.casefold() != MAIL_SEND.casefold())

    def restriction_warning(self) -> str | None:
        """The sentence ``restrict`` shows when a policy would stop more than sending."""
        if not self.beyond_sending:
            return None
        return (
            "An access policy restricts every mailbox permission of this app, not only "
            f"{MAIL_SEND}: {', '.join(self.beyond_sending)} will also stop working for "
            "mailboxes outside the policy's scope."
        )

    def unconstrained_warning(self) -> str | None:
        """The sentence for mailbox permissions a policy is not documented to restrict."""
        if not self.not_constrained:
            return None
        return (
            f"{', '.join(self.not_constrained)} reach mailboxes, but Microsoft does not "
            "document access policies as restricting them: the app may keep that access "
            "to every mailbox."
        )


def mailbox_permissions(roles: Iterable[str]) -> MailboxPermissions:
    """Sort an app's Graph/Exchange application permission names (role values)."""
    unique = tuple(dict.fromkeys(roles))
    constrained = tuple(r for r in unique if is_constrained(r))
    loose = tuple(r for r in unique if is_not_constrained(r))
    other = tuple(r for r in unique if r not in constrained and r not in loose)
    return MailboxPermissions(constrained, loose, other)


@dataclass(frozen=True, slots=True)
class EffectiveAccess:
    """Whether an app can really use ``permission`` on ``mailbox``, and the reason.

    ``rbac_evaluated`` is False when no RBAC for Applications assignments were given: the
    answer then covers Entra grants and access policies only.
    """

    app_id: str
    mailbox: Recipient
    permission: str
    allowed: bool
    entra_grant: bool
    access_policy: AccessCheckResult
    reason: str
    rbac_grant: RbacGrant | None = None
    rbac_evaluated: bool = False


def effective_access(
    context: PolicyContext,
    app_id: str,
    mailbox: Recipient | str,
    permission: str,
    entra_roles: Iterable[str],
    rbac_grants: Sequence[RbacGrant] | None = None,
) -> EffectiveAccess:
    """Apply the rule at the centre for one app, mailbox and permission.

    ``entra_roles`` are the app's application permissions in Entra ID (role values such as
    ``Mail.Send``); ``rbac_grants`` its RBAC for Applications assignments with resolved
    scopes, or None while sendscope does not collect them (the default).
    """
    target = context.recipient(mailbox)
    entra = permission.casefold() in {r.casefold() for r in entra_roles}
    aap = evaluate_access_policy(context, app_id, target)
    rbac = next((g for g in rbac_grants or () if g.covers(target, permission)), None)
    allowed = (entra and aap.granted) or rbac is not None
    reason = _reason(permission, entra, aap, rbac, evaluated=rbac_grants is not None)
    return EffectiveAccess(
        app_id, target, permission, allowed, entra, aap, reason, rbac, rbac_grants is not None
    )


def effective_send_access(
    context: PolicyContext,
    app_id: str,
    mailbox: Recipient | str,
    entra_roles: Iterable[str],
    rbac_grants: Sequence[RbacGrant] | None = None,
) -> EffectiveAccess:
    """May the app send as ``mailbox`` (``Mail.Send``)? See ``effective_access``."""
    return effective_access(context, app_id, mailbox, MAIL_SEND, entra_roles, rbac_grants)


def _reason(
    permission: str,
    entra: bool,
    aap: AccessCheckResult,
    rbac: RbacGrant | None,
    *,
    evaluated: bool,
) -> str:
    tail = "" if evaluated else f" {RBAC_NOT_EVALUATED}"
    return _head(permission, entra, aap, rbac) + tail


def _head(permission: str, entra: bool, aap: AccessCheckResult, rbac: RbacGrant | None) -> str:
    mailbox = aap.mailbox.label
    if entra and aap.granted:
        return f"Allowed: the app holds {permission} in Entra ID and {aap.explanation}."
    if rbac is not None:
        return (
            f"Allowed: the Exchange role assignment {rbac.role} grants {permission} on "
            f"{mailbox} (scope {rbac.scope_name}), whatever access policies say."
        )
    if not entra:
        return (
            f"Refused: the app does not hold {permission} in Entra ID, so it cannot use it "
            f"on {mailbox} whatever access policies say."
        )
    return f"Refused: the app holds {permission} in Entra ID, but {aap.explanation}."
