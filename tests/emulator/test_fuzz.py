"""No input makes the emulator answer 5xx.

Requests are drawn from the route table itself — every method and path pattern, with path
parameters, query options, headers and bodies from hostile to nearly right — and sent with
no token, a garbage token, or a real token of the admin app or of "Timesheet Mailer".
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState, create_app, seed_state
from sendscope.emulator.app import all_routes
from sendscope.emulator.core.directory import GRAPH_APP_ID, GRAPH_RESOURCE
from sendscope.emulator.identity.claims import issue_app_token
from tests.conftest import Tenant

ROUTES = [
    (method, route.path)
    for route in all_routes()
    if isinstance(route, Route)
    for method in sorted((route.methods or set()) - {"HEAD"})
    # Destructive control-plane calls would only make later examples less interesting.
    if not route.path.startswith("/_emulator/reset")
]
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")

_json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)

# Words the emulator knows, so some requests get past the first checks.
KNOWN_WORDS = [
    "ceo@contoso.onmicrosoft.com",
    "noreply@contoso.onmicrosoft.com",
    "contoso.onmicrosoft.com",
    "common",
    "organizations",
    "inbox",
    "sentitems",
    "drafts",
    GRAPH_APP_ID,
    "00000000-0000-0000-0000-000000000000",
    "me",
    "$ref",
    "appId='x'",
]
segments = st.sampled_from(KNOWN_WORDS) | st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"),
    min_size=1,
    max_size=40,
)
query_options = st.dictionaries(
    st.sampled_from(
        [
            "$top",
            "$select",
            "$filter",
            "$skiptoken",
            "$skip",
            "$count",
            "$orderby",
            "api-version",
            "tenant",
            "limit",
            "after",
            "mailbox",
        ]
    ),
    st.text(max_size=40) | st.integers(-5, 2000).map(str),
    max_size=3,
)
bodies = st.one_of(
    st.none(),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.fixed_dictionaries(
        {
            "message": st.fixed_dictionaries(
                {
                    "subject": st.text(max_size=10),
                    "toRecipients": st.lists(
                        st.fixed_dictionaries(
                            {"emailAddress": st.fixed_dictionaries({"address": segments})}
                        ),
                        max_size=2,
                    ),
                }
            )
        },
    ).map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(
            [
                "grant_type",
                "client_id",
                "client_secret",
                "scope",
                "client_assertion",
                "client_assertion_type",
                "device_code",
                "refresh_token",
            ]
        ),
        st.text(max_size=40),
        max_size=6,
    ).map(lambda form: "&".join(f"{k}={v}" for k, v in form.items()).encode()),
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
    ]
)


@pytest.fixture(scope="module")
def fuzz_env() -> Any:
    state = EmulatorState.create()
    seed_state(state, "demo")
    tenant = state.store.one("SELECT id FROM tenants")["id"]
    creds = state.store.all("SELECT client_id FROM seed_credentials WHERE tenant_id = ?", (tenant,))
    tokens = [
        issue_app_token(state, tenant, c["client_id"], GRAPH_APP_ID, GRAPH_RESOURCE) for c in creds
    ]
    with TestClient(
        create_app(state), base_url="https://testserver", raise_server_exceptions=False
    ) as client:
        yield client, tokens
    state.close()


def _path(pattern: str, draw: Callable[[Any], Any]) -> str:
    return PARAM.sub(lambda _m: quote(draw(segments), safe=""), pattern)


@settings(
    max_examples=400,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(data=st.data())
def test_no_request_gets_a_5xx(fuzz_env: Any, data: st.DataObject) -> None:
    client, tokens = fuzz_env
    method, pattern = data.draw(st.sampled_from(ROUTES))
    path = _path(pattern, data.draw)
    auth = data.draw(
        st.sampled_from(
            [None, "Bearer", "Bearer garbage.token.here", *[f"Bearer {t}" for t in tokens]]
        )
    )
    headers = {"Authorization": auth} if auth else {}
    content_type = data.draw(content_types)
    if content_type:
        headers["Content-Type"] = content_type
    body = data.draw(bodies) if method in ("POST", "PATCH", "PUT") else None
    response = client.request(
        method, path, params=data.draw(query_options), content=body, headers=headers
    )
    assert response.status_code < 500, (method, path, response.status_code, response.text[:500])


# JSON nested deeper than the parser's recursion limit: every place that reads JSON from a
# request (bodies, bearer tokens, client assertions, skip tokens) refuses it as malformed.
_DEEP = b"[" * 5000 + b"]" * 5000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_json_nested_too_deep_is_refused_not_a_5xx(
    client: TestClient, tenant: Tenant, token: Callable[..., str]
) -> None:
    admin = {"Authorization": f"Bearer {token(admin=True)}"}
    mailer = {"Authorization": f"Bearer {token('Timesheet Mailer')}"}
    exchange = {"Authorization": f"Bearer {token(admin=True, resource='exchange')}"}
    invoke = "/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand"
    for path, auth in (
        ("/v1.0/users", admin),
        ("/v1.0/users/noreply@contoso.onmicrosoft.com/sendMail", mailer),
        ("/v1.0/$batch", admin),
    ):
        response = client.post(path, content=_DEEP, headers=auth)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "BadRequest")
    response = client.post(invoke, content=_DEEP, headers=exchange)
    assert response.status_code == 400, response.text
    response = client.post(
        invoke,
        params={"$skiptoken": _b64(_DEEP)},
        headers=exchange,
        json={"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}},
    )
    assert response.status_code == 400, response.text
    nested = f"{_b64(_DEEP)}.{_b64(b'{}')}.{_b64(b'sig')}"
    response = client.get("/v1.0/users", headers={"Authorization": f"Bearer {nested}"})
    assert response.status_code == 401
    response = client.post(
        f"/{tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.apps["Timesheet Mailer"].client_id,
            "scope": "https://graph.microsoft.com/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": nested,
        },
    )
    assert response.status_code == 400
    assert response.json()["error_description"].startswith("AADSTS50027:")
