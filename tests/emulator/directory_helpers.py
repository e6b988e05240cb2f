"""Helpers of the Graph directory tests: tokens with chosen permissions, a second tenant."""

from __future__ import annotations

from typing import Any

import httpx

from sendscope.emulator import EmulatorState, apply_fixture
from sendscope.emulator.core.directory import GRAPH_APP_ID, GRAPH_RESOURCE
from sendscope.emulator.core.ids import guid
from sendscope.emulator.identity.claims import issue_app_token
from sendscope.emulator.seeds.fixtures import load_credentials
from sendscope.emulator.seeds.tenants import ADMIN_APP

__all__ = [
    "E1",
    "E3",
    "EXCHANGE_PLAN1",
    "EXCHANGE_PLAN2",
    "POWER_BI",
    "app_token",
    "assert_error",
    "delegated_token",
    "fabrikam",
]

E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
E1 = "18181a46-0d4e-45cd-891e-60aabd171b4e"
EXCHANGE_PLAN2 = "efb87545-963c-4e0d-99df-69c6916d9eb0"
EXCHANGE_PLAN1 = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"
POWER_BI = "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235"


def _claims(state: EmulatorState, tenant_id: str) -> dict[str, Any]:
    now = int(state.clock.real_now())
    return {
        "aud": GRAPH_RESOURCE,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": now - 300,
        "nbf": now - 300,
        "exp": now + 3600,
        "tid": tenant_id,
        "ver": "1.0",
        "appid": guid(),
    }


def app_token(state: EmulatorState, tenant_id: str, roles: list[str]) -> str:
    """A signed app-only Graph token carrying exactly ``roles``."""
    oid = guid()
    claims = {**_claims(state, tenant_id), "idtyp": "app", "oid": oid, "sub": oid, "roles": roles}
    return state.signing_key.sign(claims)


def delegated_token(state: EmulatorState, tenant_id: str, user_id: str, scopes: str) -> str:
    """A signed delegated Graph token (``scp``) for a signed-in user."""
    claims = {**_claims(state, tenant_id), "oid": user_id, "sub": user_id, "scp": scopes}
    return state.signing_key.sign(claims)


def assert_error(response: httpx.Response, status: int, code: str, message: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (code, message)
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def fabrikam(state: EmulatorState) -> tuple[str, str]:
    """A tenant without automatic mailboxes (licences decide), and its admin's Graph token.

    Seats: two of Office 365 E3-like (Exchange Plan 2), one of E1-like (Exchange Plan 1),
    ten of Power BI (no Exchange)."""
    tid = apply_fixture(
        state,
        {
            "domain": "fabrikam.onmicrosoft.com",
            "extraDomains": ["fabrikam.com"],
            "autoMailbox": False,
            "users": [
                {"userPrincipalName": "ann", "displayName": "Ann", "usageLocation": "US"},
                {"userPrincipalName": "bob", "displayName": "Bob", "usageLocation": "GB"},
                {"userPrincipalName": "cat", "displayName": "Cat", "usageLocation": "DE"},
                {"userPrincipalName": "nolocation", "displayName": "No Location"},
                {
                    "userPrincipalName": "shared",
                    "displayName": "Shared",
                    "mailbox": "SharedMailbox",
                    "usageLocation": "US",
                },
            ],
            "subscribedSkus": [
                {
                    "skuId": E3,
                    "skuPartNumber": "SPE_E3",
                    "prepaidUnits": {"enabled": 2, "suspended": 0, "warning": 0},
                    "servicePlans": [
                        {
                            "servicePlanId": EXCHANGE_PLAN2,
                            "servicePlanName": "EXCHANGE_S_ENTERPRISE",
                            "appliesTo": "User",
                        }
                    ],
                },
                {
                    "skuId": E1,
                    "skuPartNumber": "STANDARDPACK",
                    "prepaidUnits": {"enabled": 5, "suspended": 0, "warning": 0},
                    "servicePlans": [
                        {
                            "servicePlanId": EXCHANGE_PLAN1,
                            "servicePlanName": "EXCHANGE_S_STANDARD",
                            "appliesTo": "User",
                        }
                    ],
                },
                {
                    "skuId": POWER_BI,
                    "skuPartNumber": "POWER_BI_STANDARD",
                    "prepaidUnits": {"enabled": 10, "suspended": 0, "warning": 0},
                    "servicePlans": [
                        {
                            "servicePlanId": "2049e525-b859-401b-b2a0-e0a31c4b1fe4",
                            "servicePlanName": "BI_AZURE_P0",
                            "appliesTo": "User",
                        }
                    ],
                },
            ],
            "apps": [ADMIN_APP],
        },
    )
    admin = next(c for c in load_credentials(state, tid) if c.kind == "admin")
    return tid, issue_app_token(state, tid, admin.client_id, GRAPH_APP_ID, GRAPH_RESOURCE)
