"""A Microsoft cloud on an ``httpx2.MockTransport``: Entra's discovery and token endpoints
and a few Graph reads, recording every request so tests can see where MSAL and Graph went."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx2
import jwt

from sendscope.auth.credentials import AppIdentity, ClientSecret, Secret
from sendscope.clouds import Cloud
from sendscope.connection import AppConnection, AppSession

__all__ = ["TENANT_ID", "FakeCloud", "app_token", "session_for"]

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "3f2c1d4e-5a6b-4c8d-9e0f-112233445566"
SECRET = "abc8Q~unit-test-secret-value-0000000000"

Handler = Callable[[httpx2.Request], httpx2.Response | None]


def app_token(roles: list[str], **claims: Any) -> str:
    """An unsigned-looking app-only token: sendscope reads claims, it does not verify them."""
    now = int(time.time())
    body = {
        "aud": "https://graph.microsoft.com",
        "tid": TENANT_ID,
        "appid": CLIENT_ID,
        "app_displayname": "Unit App",
        "appidacr": "1",
        "oid": "0f64486a-405d-4cb5-8421-cf7cabb45734",
        "idtyp": "app",
        "iat": now,
        "exp": now + 3600,
        "roles": roles,
        **claims,
    }
    return jwt.encode(body, "k" * 32, algorithm="HS256")


@dataclass
class FakeCloud:
    """Answers like Entra and Graph; ``overrides`` answer first (return None to pass)."""

    roles: list[str] = field(default_factory=lambda: ["Mail.Send"])
    token: str | None = None
    graph: dict[str, Any] = field(default_factory=dict)  # path -> JSON body
    overrides: list[Handler] = field(default_factory=list)
    requests: list[httpx2.Request] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [f"{r.method} {r.url}" for r in self.requests]

    def forms(self) -> list[dict[str, str]]:
        """The form bodies sent to token endpoints."""
        return [
            {k: v[0] for k, v in parse_qs(r.content.decode()).items()}
            for r in self.requests
            if r.url.path.endswith("/oauth2/v2.0/token")
        ]

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        for override in self.overrides:
            answer = override(request)
            if answer is not None:
                return answer
        path = request.url.path
        origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
        if path.endswith("/common/discovery/instance"):
            return httpx2.Response(200, json=instance_discovery(request))
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            return httpx2.Response(200, json=openid_configuration(origin))
        if path.endswith("/oauth2/v2.0/token"):
            token = self.token or app_token(self.roles, uti=f"token-{len(self.forms())}")
            return httpx2.Response(
                200, json={"token_type": "Bearer", "expires_in": 3599, "access_token": token}
            )
        key = path.split("/v1.0/", 1)[-1]
        if key in self.graph:
            return httpx2.Response(200, json=self.graph[key])
        return httpx2.Response(404, json={"error": {"code": "NotFound", "message": path}})


def instance_discovery(request: httpx2.Request) -> dict[str, Any]:
    """What login.microsoftonline.com/common/discovery/instance answers (shape of Entra's)."""
    endpoint = str(request.url.params["authorization_endpoint"])
    host = httpx2.URL(endpoint).host
    return {
        "tenant_discovery_endpoint": endpoint.split("/oauth2/")[0]
        + "/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }


def openid_configuration(origin: str) -> dict[str, Any]:
    return {
        "authorization_endpoint": f"{origin}/{TENANT_ID}/oauth2/v2.0/authorize",
        "token_endpoint": f"{origin}/{TENANT_ID}/oauth2/v2.0/token",
        "issuer": f"{origin}/{TENANT_ID}/v2.0",
    }


def entra_error(status: int, error: str, code: int, text: str) -> httpx2.Response:
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: t Correlation ID: c "
        "Timestamp: 2025-03-10 20:12:22Z",
        "error_codes": [code],
        "correlation_id": "c",
    }
    return httpx2.Response(status, text=json.dumps(body))


def session_for(
    cloud: Cloud,
    fake: FakeCloud,
    *,
    tenant: str = TENANT_ID,
    credential: Any = None,
    domain: str | None = None,
) -> AppSession:
    identity = AppIdentity(tenant, CLIENT_ID, credential or ClientSecret(Secret(SECRET)))
    return AppSession(AppConnection(cloud, identity, None, domain), transport=fake.transport())
