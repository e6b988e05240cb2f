"""The seeds ``sendscope emulator serve --seed`` knows (``demo``, ``empty``), and the
synthetic tenant of the audit benchmark."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.state import EmulatorState
from .fixtures import apply_fixture

__all__ = [
    "ADMIN_APP",
    "SEEDS",
    "demo_fixture",
    "empty_fixture",
    "seed_state",
    "synthetic_fixture",
]

# What a tenant admin can do, as an app: the admin identity of emulator.json.
ADMIN_APP: dict[str, Any] = {
    "displayName": "sendscope admin",
    "admin": True,
    "roles": [
        "User.ReadWrite.All",
        "Group.ReadWrite.All",
        "Application.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
        "Organization.Read.All",
    ],
    "exchangeRoles": ["Exchange.ManageAsApp"],
    "directoryRoles": ["Exchange Administrator"],
}

_PEOPLE = (
    ("ceo", "Chief Executive"),
    ("cfo", "Chief Financial Officer"),
    ("hr", "Human Resources"),
    ("noreply", "No Reply"),
    ("it", "IT Helpdesk"),
    ("payroll", "Payroll"),
    ("alex.wilber", "Alex Wilber"),
    ("megan.bowen", "Megan Bowen"),
    ("lee.gu", "Lee Gu"),
    ("nestor.wilke", "Nestor Wilke"),
    ("diego.siciliani", "Diego Siciliani"),
    ("isaiah.langer", "Isaiah Langer"),
    ("johanna.lorenz", "Johanna Lorenz"),
    ("joni.sherman", "Joni Sherman"),
    ("lynne.robbins", "Lynne Robbins"),
    ("miriam.graham", "Miriam Graham"),
    ("patti.fernandez", "Patti Fernandez"),
    ("pradeep.gupta", "Pradeep Gupta"),
    ("adele.vance", "Adele Vance"),
    ("grady.archie", "Grady Archie"),
    ("henrietta.mueller", "Henrietta Mueller"),
    ("irvin.sayers", "Irvin Sayers"),
    ("lidia.holloway", "Lidia Holloway"),
    ("christie.cline", "Christie Cline"),
    ("debra.berger", "Debra Berger"),
)


def demo_fixture() -> dict[str, Any]:
    """Contoso: about 50 mailboxes, and "Timesheet Mailer" able to send as every one."""
    users: list[dict[str, Any]] = [
        {
            "userPrincipalName": "admin",
            "displayName": "Contoso Admin",
            "directoryRoles": ["Global Administrator"],
        },
    ]
    users += [{"userPrincipalName": nick, "displayName": name} for nick, name in _PEOPLE]
    users += [
        {
            "userPrincipalName": f"staff{i:02d}",
            "displayName": f"Staff Member {i:02d}",
            "department": "Operations",
        }
        for i in range(1, 23)
    ]
    users.append(
        {"userPrincipalName": "contractor", "displayName": "External Contractor", "mailbox": "none"}
    )
    users.append(
        {"userPrincipalName": "info", "displayName": "Contoso Info", "mailbox": "SharedMailbox"}
    )
    return {
        "domain": "contoso.onmicrosoft.com",
        "displayName": "Contoso",
        "users": users,
        "groups": [
            {"displayName": "Finance", "kind": "security", "members": ["cfo", "payroll"]},
            {
                "displayName": "All Staff",
                "kind": "distribution",
                "mailNickname": "allstaff",
                "members": ["ceo", "cfo", "hr"],
            },
        ],
        "apps": [
            {"displayName": "Timesheet Mailer", "roles": ["Mail.Send"]},
            ADMIN_APP,
        ],
    }


def empty_fixture() -> dict[str, Any]:
    """One tenant holding only the admin app."""
    return {"domain": "contoso.onmicrosoft.com", "displayName": "Contoso", "apps": [ADMIN_APP]}


def synthetic_fixture() -> dict[str, Any]:
    """The audit benchmark's tenant: 100,000 mailboxes, 3,000 nested groups, 300 apps with
    mailbox permissions and 300 access policies (seeds/synthetic.py); loads in seconds."""
    return {
        "domain": "synthetic.onmicrosoft.com",
        "displayName": "Synthetic",
        "apps": [{"displayName": "Bench Mailer", "roles": ["Mail.Send"]}, ADMIN_APP],
        "synthetic": {},
    }


# The synthetic tenant is not a seed: loading 100,000 mailboxes at every fresh start is not
# what --seed is for. Load it once into a data directory (bench/audit_scale.py does) or POST
# its fixture to /_emulator/tenants.
SEEDS: dict[str, Callable[[], dict[str, Any]]] = {"demo": demo_fixture, "empty": empty_fixture}


def seed_state(state: EmulatorState, seed: str) -> None:
    """Apply a seed to a state that has no tenant yet (a restart keeps what is there)."""
    if state.store.scalar("SELECT COUNT(*) FROM tenants"):
        return
    apply_fixture(state, SEEDS[seed]())
