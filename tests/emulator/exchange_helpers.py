"""Helpers of the Exchange admin API tests: calling cmdlets, admin tokens with chosen
roles, reading the admin API's error envelope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    Directory,
)
from sendscope.emulator.core.roles import role_id
from sendscope.emulator.identity.claims import issue_app_token
from tests.conftest import bearer

DOMAIN = "contoso.onmicrosoft.com"
ODATA_EXCEPTION = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"
NOT_FOUND_TYPE = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
DC = "SN4PR01A001DC001.NAMPR01A001.PROD.OUTLOOK.COM"
RAOP = (
    "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy "
    "settings."
)


def addr(local: str) -> str:
    return f"{local}@{DOMAIN}"


def url(tenant: str = DOMAIN) -> str:
    return f"/adminapi/beta/{tenant}/InvokeCommand"


def body(cmdlet: str, **parameters: Any) -> dict[str, Any]:
    return {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}


def run(
    client: TestClient,
    token: str,
    cmdlet: str,
    *,
    tenant: str = DOMAIN,
    headers: dict[str, str] | None = None,
    **parameters: Any,
) -> httpx.Response:
    """POST one cmdlet to InvokeCommand with ``token``."""
    return client.post(
        url(tenant), headers={**bearer(token), **(headers or {})}, json=body(cmdlet, **parameters)
    )


def values(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["value"]
    return found


def one(response: httpx.Response) -> dict[str, Any]:
    [record] = values(response)
    return record


def detail(response: httpx.Response) -> tuple[str, str, str]:
    """(ErrorId, ExceptionType, Message) of ``error.details[0].message``."""
    error = response.json()["error"]
    error_id, exception_type, message = error["details"][0]["message"].split("|", 2)
    assert error["details"][0]["code"] == "Client"
    assert error["innererror"]["type"] == ODATA_EXCEPTION
    return error_id, exception_type, message


def assert_cmdlet_error(
    response: httpx.Response, status: int, code: str, exception_type: str, message: str
) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    _, found_type, found_message = detail(response)
    assert found_type == exception_type
    assert found_message == message


def assert_not_allowed(response: httpx.Response, cmdlet: str) -> None:
    assert response.status_code == 401, response.text
    text = f"User is not allowed to call {cmdlet}"
    assert response.json() == {
        "error": {
            "code": "Unauthorized",
            "message": text,
            "innererror": {"message": text, "type": ODATA_EXCEPTION},
        }
    }


def admin_app_token(
    state: EmulatorState,
    tenant_id: str,
    *,
    directory_roles: Sequence[str] = (),
    manage_as_app: bool = True,
    name: str = "Admin app",
) -> str:
    """An app-only Exchange token of a new app holding exactly these grants."""
    directory = Directory(state.store)
    now = state.clock.now()
    _, app_id = directory.create_application(tenant_id, name, now=now)
    sp_id = directory.create_service_principal(tenant_id, app_id, name, now=now)
    if manage_as_app:
        exchange = directory.service_principal_by_app_id(tenant_id, EXCHANGE_APP_ID)
        assert exchange is not None
        role = directory.app_role_id(tenant_id, EXCHANGE_APP_ID, "Exchange.ManageAsApp")
        directory.assign_app_role(tenant_id, sp_id, exchange["id"], role, now=now)
    for role_name in directory_roles:
        directory.assign_directory_role(tenant_id, sp_id, role_id(role_name), now=now)
    return issue_app_token(state, tenant_id, app_id, EXCHANGE_APP_ID, EXCHANGE_RESOURCE)


def delegated_exchange_token(
    state: EmulatorState,
    tenant_id: str,
    upn: str,
    *,
    scopes: str = "Exchange.Manage",
    directory_roles: Sequence[str] | None = None,
    audience: str = EXCHANGE_RESOURCE,
) -> str:
    """A delegated Exchange token of a signed-in user, ``wids`` from the directory."""
    directory = Directory(state.store)
    user = directory.user(tenant_id, upn)
    assert user is not None
    wids = (
        directory.directory_roles(tenant_id, user["id"])
        if directory_roles is None
        else [role_id(r) for r in directory_roles]
    )
    now = int(state.clock.real_now())
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "tid": tenant_id,
        "oid": user["id"],
        "sub": user["id"],
        "upn": upn,
        "idtyp": "user",
        "scp": scopes,
        "appid": "fb78d390-0c51-40cd-8e17-fdbfab77341b",
        "ver": "1.0",
    }
    if wids:
        claims["wids"] = wids
    return state.signing_key.sign(claims)


def mail_app(state: EmulatorState, tenant_id: str, name: str, *roles: str) -> tuple[str, str]:
    """A new app with Graph application permissions ``roles``: (app id, Graph token)."""
    directory = Directory(state.store)
    now = state.clock.now()
    _, app_id = directory.create_application(tenant_id, name, now=now)
    sp_id = directory.create_service_principal(tenant_id, app_id, name, now=now)
    graph = directory.service_principal_by_app_id(tenant_id, GRAPH_APP_ID)
    assert graph is not None
    for value in roles or ("Mail.Send",):
        role = directory.app_role_id(tenant_id, GRAPH_APP_ID, value)
        directory.assign_app_role(tenant_id, sp_id, graph["id"], role, now=now)
    return app_id, issue_app_token(state, tenant_id, app_id, GRAPH_APP_ID, GRAPH_RESOURCE)


def send_as(client: TestClient, token: str, mailbox: str) -> httpx.Response:
    """sendMail as ``mailbox`` (a small internal message)."""
    return client.post(
        f"/v1.0/users/{mailbox}/sendMail",
        headers=bearer(token),
        json={
            "message": {
                "subject": "Timesheet",
                "body": {"content": "Please submit."},
                "toRecipients": [{"emailAddress": {"address": addr("hr")}}],
            }
        },
    )


def graph_verdict(client: TestClient, token: str, mailbox: str) -> str:
    """ "Granted" when Graph lets the app send as ``mailbox``, "Denied" on the RAOP 403."""
    response = send_as(client, token, mailbox)
    if response.status_code == 202:
        return "Granted"
    assert response.status_code == 403, response.text
    assert response.json()["error"]["message"] == RAOP
    return "Denied"
