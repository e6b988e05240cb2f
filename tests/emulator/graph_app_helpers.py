"""Helpers for the applications, service principal and role management tests."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import (
    EXCHANGE_APP_ID,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    Directory,
)
from sendscope.emulator.identity.claims import issue_app_token

GRAPH = "https://testserver/v1.0"
NOT_FOUND = (
    "Resource '{}' does not exist or one of its queried reference-property objects are not present."
)
MAIL_SEND = "b633e1c5-b582-4048-a93e-9f11b44c7e96"
MAIL_READ = "810c84a8-4a9e-49e6-bf7d-12d183f40d01"
FULL_ACCESS_AS_APP = "dc890d15-9560-4a4c-9b7f-a736ec74ec40"
CERT_START = datetime(2025, 1, 1, tzinfo=UTC)
CERT_END = datetime(2030, 1, 1, tzinfo=UTC)


def app_with_roles(
    state: EmulatorState, tenant_id: str, name: str, roles: Sequence[str]
) -> tuple[str, str]:
    """Register an app with Graph application permissions; return (appId, SP object id)."""
    directory = Directory(state.store)
    now = state.clock.now()
    _, app_id = directory.create_application(tenant_id, name, now=now)
    sp_id = directory.create_service_principal(tenant_id, app_id, name, now=now)
    graph = directory.service_principal_by_app_id(tenant_id, GRAPH_APP_ID)
    assert graph is not None
    for value in roles:
        role = directory.app_role_id(tenant_id, GRAPH_APP_ID, value)
        directory.assign_app_role(tenant_id, sp_id, graph["id"], role, now=now)
    return app_id, sp_id


def token_for(state: EmulatorState, tenant_id: str, app_id: str, resource: str = "graph") -> str:
    """A fresh app-only token: its ``roles`` and ``wids`` are read at issue time."""
    if resource == "graph":
        return issue_app_token(state, tenant_id, app_id, GRAPH_APP_ID, GRAPH_RESOURCE)
    return issue_app_token(state, tenant_id, app_id, EXCHANGE_APP_ID, EXCHANGE_RESOURCE)


def claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the emulator signed it)."""
    payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return payload


def headers_with(state: EmulatorState, tenant_id: str, name: str, *roles: str) -> dict[str, str]:
    app_id, _ = app_with_roles(state, tenant_id, name, roles)
    return {"Authorization": f"Bearer {token_for(state, tenant_id, app_id)}"}


def certificate(common_name: str = "sendscope test") -> tuple[x509.Certificate, str]:
    """A self-signed certificate valid 2025–2030, and its DER in base64 (Graph's ``key``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(CERT_START)
        .not_valid_after(CERT_END)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return cert, base64.b64encode(der).decode()


def key_credential(key: str, **extra: Any) -> dict[str, Any]:
    return {"type": "AsymmetricX509Cert", "usage": "Verify", "key": key, **extra}


def assert_graph_error(response: httpx.Response, status: int, code: str, message: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (code, message)
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
