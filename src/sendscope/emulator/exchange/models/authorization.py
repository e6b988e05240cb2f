"""Who may run which cmdlet: the caller of the admin API and its Exchange rights.

App-only (learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2): the app
needs the ``Exchange.ManageAsApp`` application permission on Office 365 Exchange Online,
*and* a directory role, which the token carries in ``wids``; "The Global Administrator and
Exchange Administrator roles provide the required permissions for any task". Delegated
(the module's own public client): the token's ``scp`` holds ``Exchange.Manage`` and the
user's directory roles decide. Anyone else gets 401 "User is not allowed to call <cmdlet>"
(m365-domain.md §6.4, §6.5).

How the emulator maps roles to cmdlets (architecture.md, the emulator contract):

- Global Administrator, Exchange Administrator: every cmdlet;
- Exchange Recipient Administrator: reads, and the recipient and group cmdlets, not the
  access policies (those need the "Organization Configuration" role it lacks);
- the reader roles (Global Reader, Security Reader) and the other supported roles
  (Compliance, Helpdesk and Security Administrator): ``Get-*`` and ``Test-*`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ...core.roles import EXCHANGE_ADMIN_ROLES, EXCHANGE_READER_ROLES, role_id
from ..exceptions import NotAllowed

__all__ = ["MANAGE_AS_APP", "MANAGE_DELEGATED", "Access", "AdminCaller", "authorize"]

MANAGE_AS_APP = "Exchange.ManageAsApp"
MANAGE_DELEGATED = "Exchange.Manage"

_RECIPIENT_ADMINS = frozenset({role_id("Exchange Recipient Administrator")})
_OTHER_READERS = frozenset(
    role_id(name)
    for name in ("Compliance Administrator", "Helpdesk Administrator", "Security Administrator")
)


class Access(Enum):
    """What a cmdlet does, and so which roles may run it."""

    READ = frozenset(
        EXCHANGE_ADMIN_ROLES | _RECIPIENT_ADMINS | EXCHANGE_READER_ROLES | _OTHER_READERS
    )
    RECIPIENTS = frozenset(EXCHANGE_ADMIN_ROLES | _RECIPIENT_ADMINS)
    ORGANIZATION = frozenset(EXCHANGE_ADMIN_ROLES)


@dataclass(frozen=True, slots=True)
class AdminCaller:
    """The verified identity behind an admin API call."""

    tenant_id: str
    app_id: str
    object_id: str  # the service principal (app-only) or the signed-in user
    app_only: bool
    permissions: frozenset[str]  # roles (app-only) or scp (delegated)
    directory_roles: frozenset[str]  # wids

    @property
    def user_id(self) -> str | None:
        return None if self.app_only else self.object_id


def authorize(caller: AdminCaller, cmdlet: str, access: Access) -> None:
    """Raise 401 unless the caller may run ``cmdlet``."""
    needed = MANAGE_AS_APP if caller.app_only else MANAGE_DELEGATED
    if needed not in caller.permissions or caller.directory_roles.isdisjoint(access.value):
        raise NotAllowed(cmdlet)
