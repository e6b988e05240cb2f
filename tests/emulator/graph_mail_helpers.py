"""Helpers for the Graph mail and $batch tests: apps with chosen roles, delegated tokens,
messages, and what landed in mailboxes and the outbox."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import GRAPH_APP_ID, GRAPH_RESOURCE, Directory
from sendscope.emulator.core.store import loads
from sendscope.emulator.identity.claims import issue_app_token
from tests.conftest import bearer

DOMAIN = "contoso.onmicrosoft.com"
GRAPH = "/v1.0"


def addr(local: str) -> str:
    return f"{local}@{DOMAIN}"


def app_token(state: EmulatorState, tenant_id: str, *roles: str) -> str:
    """A token of a new app holding exactly ``roles`` (Graph application permissions)."""
    directory = Directory(state.store)
    now = state.clock.now()
    name = "App " + "+".join(roles or ("none",))
    _, app_id = directory.create_application(tenant_id, name, now=now)
    sp_id = directory.create_service_principal(tenant_id, app_id, name, now=now)
    graph = directory.service_principal_by_app_id(tenant_id, GRAPH_APP_ID)
    assert graph is not None
    for value in roles:
        role = directory.app_role_id(tenant_id, GRAPH_APP_ID, value)
        directory.assign_app_role(tenant_id, sp_id, graph["id"], role, now=now)
    return issue_app_token(state, tenant_id, app_id, GRAPH_APP_ID, GRAPH_RESOURCE)


def delegated_token(state: EmulatorState, tenant_id: str, upn: str, scopes: Sequence[str]) -> str:
    """A delegated Graph token of a signed-in user (``scp``, ``oid`` = the user)."""
    user = Directory(state.store).user(tenant_id, upn)
    assert user is not None
    now = int(state.clock.real_now())
    return state.signing_key.sign(
        {
            "aud": GRAPH_RESOURCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600,
            "tid": tenant_id,
            "oid": user["id"],
            "sub": user["id"],
            "upn": upn,
            "idtyp": "user",
            "scp": " ".join(scopes),
            "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "ver": "1.0",
        }
    )


def message(*to: str, subject: str = "Timesheet due", **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "body": {"contentType": "Text", "content": "Please submit your timesheet."},
        "toRecipients": [{"emailAddress": {"address": a}} for a in to],
        **extra,
    }


def send(
    client: TestClient,
    token: str,
    mailbox: str,
    payload: dict[str, Any] | None = None,
    **params: Any,
) -> httpx.Response:
    body = {"message": payload or message(addr("cfo")), **params}
    return client.post(f"{GRAPH}/users/{mailbox}/sendMail", headers=bearer(token), json=body)


def send_mime(client: TestClient, token: str, mailbox: str, mime: bytes) -> httpx.Response:
    return client.post(
        f"{GRAPH}/users/{mailbox}/sendMail",
        headers={**bearer(token), "Content-Type": "text/plain"},
        content=base64.b64encode(mime),
    )


def folder_items(
    state: EmulatorState, tenant_id: str, upn: str, folder: str
) -> list[dict[str, Any]]:
    """The stored messages of one folder of a mailbox, newest first."""
    user = Directory(state.store).user(tenant_id, upn)
    assert user is not None
    rows = state.store.all(
        "SELECT data FROM messages WHERE tenant_id = ? AND mailbox_id = ? AND folder = ? "
        "ORDER BY seq DESC",
        (tenant_id, user["id"], folder),
    )
    return [loads(r[0]) for r in rows]


def outbox(state: EmulatorState) -> list[dict[str, Any]]:
    rows = state.store.all("SELECT * FROM outbox ORDER BY seq")
    return [
        {**dict(r), "recipients": loads(r["recipients"]), "message": loads(r["message"])}
        for r in rows
    ]


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]
