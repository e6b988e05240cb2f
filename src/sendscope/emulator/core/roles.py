"""Entra directory roles by template id: the ``wids`` claim and Exchange admin rights."""

from __future__ import annotations

__all__ = [
    "DIRECTORY_ROLES",
    "EXCHANGE_ADMIN_ROLES",
    "EXCHANGE_READER_ROLES",
    "GLOBAL_ADMINISTRATOR",
    "role_id",
]

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

# Template ids are the same in every tenant
# (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
DIRECTORY_ROLES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "31392ffb-586c-42d1-9346-e59415a2cc4e": "Exchange Recipient Administrator",
    "17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
}

# Connect-ExchangeOnline app-only: "The Global Administrator and Exchange Administrator roles
# provide the required permissions for any task" (learn.microsoft.com/powershell/exchange/
# app-only-auth-powershell-v2); the reader roles may only read.
EXCHANGE_ADMIN_ROLES = frozenset({GLOBAL_ADMINISTRATOR, "29232cdf-9323-42fd-ade2-1d097af3e4de"})
EXCHANGE_READER_ROLES = frozenset(
    {
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "5d6b6bb7-de71-4623-b4af-96380a352509",
    }
)


def role_id(name_or_id: str) -> str:
    """A role's template id from its display name or id; KeyError naming it otherwise."""
    if name_or_id in DIRECTORY_ROLES:
        return name_or_id
    for rid, name in DIRECTORY_ROLES.items():
        if name.lower() == name_or_id.lower():
            return rid
    raise KeyError(f"unknown directory role {name_or_id!r}")
