"""Application Access Policies: the verdict Exchange gives an app on one mailbox.

The rule is the same wherever the emulator asks it — ``Test-ApplicationAccessPolicy`` on
the configuration as it is, Graph's mailbox endpoints on the configuration as it has
propagated (core/propagation.py) — so it lives here, once, as a pure function over the
policies that exist and a membership test.

Evaluation order, as documented for New-ApplicationAccessPolicy
(learn.microsoft.com/powershell/module/exchangepowershell/new-applicationaccesspolicy):

1. a DenyAccess policy for the app whose scope holds the mailbox denies, whatever else;
2. else a RestrictAccess policy for the app whose scope holds the mailbox grants;
3. else any RestrictAccess policy for the app denies (the mailbox is outside all of them);
4. else access is granted (no policy names the app: its Entra grant applies unchanged).

A policy names an app by its app (client) id, or every app with ``*``. Scopes count nested
group members (m365-domain.md §1.3, §1.5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "ALL_APPS",
    "DENY_ACCESS",
    "RAOP_MESSAGE",
    "RESTRICT_ACCESS",
    "PolicyRule",
    "access_granted",
]

ALL_APPS = "*"
RESTRICT_ACCESS = "RestrictAccess"
DENY_ACCESS = "DenyAccess"

# What Graph answers (403 ErrorAccessDenied) when a policy keeps an app-only caller away from
# a mailbox; the observed wording of many captures (m365-domain.md §1.8). Microsoft's page
# still shows the older "Access to OData is disabled." alone.
RAOP_MESSAGE = (
    "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy "
    "settings."
)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """What of one policy decides verdicts: the app it names, its right, its scope."""

    app_id: str  # lower-case client id, or "*"
    access_right: str  # RESTRICT_ACCESS | DENY_ACCESS
    scope_id: str  # object id of the scope recipient (a group, or one mailbox/mail user)

    def names(self, app_id: str) -> bool:
        return self.app_id in (ALL_APPS, app_id.lower())


def access_granted(
    rules: Iterable[PolicyRule], app_id: str, in_scope: Callable[[str], bool]
) -> bool:
    """The documented verdict for ``app_id``: ``in_scope(scope_id)`` says whether the
    mailbox is that scope or inside it (nested groups included)."""
    restricted = False
    restrict_hit = False
    for rule in rules:
        if not rule.names(app_id):
            continue
        if rule.access_right == DENY_ACCESS:
            if in_scope(rule.scope_id):
                return False
            continue
        restricted = True
        restrict_hit = restrict_hit or in_scope(rule.scope_id)
    return restrict_hit or not restricted
