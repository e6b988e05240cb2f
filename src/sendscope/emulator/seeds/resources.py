"""The resource service principals every tenant has: Microsoft Graph and Exchange Online."""

from __future__ import annotations

import csv
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from ..core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    Directory,
)

__all__ = ["add_resource_service_principals", "exchange_app_roles", "graph_app_roles"]

# Office 365 Exchange Online application roles (m365-domain.md §4.4). The ids are the same in
# every tenant.
_EXCHANGE_ROLES = (
    (
        "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
        "full_access_as_app",
        "Use Exchange Web Services with full access to all mailboxes",
        "Allows the app to have full access via Exchange Web Services to all mailboxes, "
        "without a signed-in user.",
    ),
    (
        "dc50a0fb-09a3-484d-be87-e023b12c6440",
        "Exchange.ManageAsApp",
        "Manage Exchange As Application",
        "Allows the app to manage the organization's Exchange environment without any user "
        "interaction. This includes mailboxes, groups, and other configuration objects.",
    ),
)


def _role(role_id: str, value: str, display: str, description: str) -> dict[str, Any]:
    return {
        "allowedMemberTypes": ["Application"],
        "description": description,
        "displayName": display,
        "id": role_id,
        "isEnabled": True,
        "origin": "Application",
        "value": value,
    }


@cache
def graph_app_roles() -> tuple[dict[str, Any], ...]:
    """Every Microsoft Graph application permission, from reference data."""
    text = resources.files(__package__).joinpath("data/graph-app-roles.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(_role(r["Id"], r["Value"], r["DisplayName"], r["Description"]) for r in rows)


def exchange_app_roles() -> tuple[dict[str, Any], ...]:
    return tuple(_role(*row) for row in _EXCHANGE_ROLES)


def add_resource_service_principals(directory: Directory, tenant_id: str, *, now: datetime) -> None:
    """Microsoft's own service principals a tenant cannot do without."""
    microsoft = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
    directory.create_service_principal(
        tenant_id,
        GRAPH_APP_ID,
        "Microsoft Graph",
        now=now,
        owner_tenant_id=microsoft,
        props={
            "appRoles": list(graph_app_roles()),
            "servicePrincipalNames": [
                GRAPH_APP_ID,
                GRAPH_RESOURCE,
                "https://graph.microsoft.com/",
                "https://canary.graph.microsoft.com",
                "https://ags.windows.net",
                "https://dod-graph.microsoft.us",
                "https://graph.microsoft.us",
            ],
        },
    )
    directory.create_service_principal(
        tenant_id,
        EXCHANGE_APP_ID,
        "Office 365 Exchange Online",
        now=now,
        owner_tenant_id=microsoft,
        props={
            "appRoles": list(exchange_app_roles()),
            "servicePrincipalNames": [
                EXCHANGE_APP_ID,
                EXCHANGE_RESOURCE,
                "https://outlook.office.com",
                "https://outlook.office365.us",
                "https://outlook-sdf.office.com",
            ],
        },
    )
