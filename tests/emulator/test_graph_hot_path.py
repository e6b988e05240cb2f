"""The shortcuts of sendMail's hot path (bench/emulator_throughput.py) answer exactly what the
long way answers: remembered callers, headers read once, orjson before json, identifiers
and timestamps made cheaply, deferred statements grouped."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.clock import EmulatorClock
from sendscope.emulator.core.directory import GRAPH_APP_ID, GRAPH_RESOURCE, Directory
from sendscope.emulator.core.ids import _iso, iso_utc
from sendscope.emulator.core.json_body import parse_json_body
from sendscope.emulator.core.state import header
from sendscope.emulator.core.store import Store
from sendscope.emulator.graph.models.mail_message import body_preview
from sendscope.emulator.identity.claims import app_only_claims
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import addr, app_token, error_of, message, send

# -- the caller of a token is remembered, its lifetime and tenant are not --------------------


def test_a_remembered_token_is_refused_once_it_expires(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    real = [datetime.now(UTC).timestamp()]
    state.clock = EmulatorClock(real_time=lambda: real[0])
    token = app_token(state, tenant.id, "Mail.Send")
    assert send(client, token, addr("noreply")).status_code == 202
    real[0] += 2 * 3600  # past the token's lifetime (60-90 minutes)
    response = send(client, token, addr("noreply"))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Access token has expired or is not yet valid."


def test_a_remembered_token_of_a_deleted_tenant_is_refused(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    token = app_token(state, tenant.id, "Mail.Send")
    assert send(client, token, addr("noreply")).status_code == 202
    assert client.post("/_emulator/reset", json={}).status_code == 200
    status, code, text = error_of(send(client, token, addr("noreply")))
    assert (status, code, text) == (
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure.",
    )


def test_a_remembered_caller_keeps_its_own_roles(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    sender, reader = app_token(state, tenant.id, "Mail.Send"), app_token(state, tenant.id)
    assert send(client, sender, addr("noreply")).status_code == 202
    assert error_of(send(client, reader, addr("noreply")))[:2] == (403, "ErrorAccessDenied")
    assert send(client, sender, addr("noreply")).status_code == 202


def test_a_token_with_a_lifetime_beyond_floats_is_remembered(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    mailer = Directory(state.store).service_principal_by_app_id(
        tenant.id, tenant.apps["Timesheet Mailer"].client_id
    )
    graph = Directory(state.store).service_principal_by_app_id(tenant.id, GRAPH_APP_ID)
    assert mailer is not None and graph is not None
    claims = app_only_claims(
        state, tenant.id, mailer, graph, GRAPH_RESOURCE, credential_type="secret"
    )
    token = state.signing_key.sign({**claims, "exp": 10**400, "nbf": -(10**400)})
    for _ in range(2):
        assert send(client, token, addr("noreply")).status_code == 202


# -- headers, read once per request ------------------------------------------------------------


def test_header_is_the_first_value_as_starlette_reads_it() -> None:
    raw = [(b"a", b"1"), (b"client-request-id", b"x"), (b"a", b"2"), (b"x-n", b"\xe9")]
    request = Request({"type": "http", "headers": raw})
    for name in ("a", "client-request-id", "x-n", "missing"):
        assert header(request, name) == request.headers.get(name)


def test_the_client_request_id_is_echoed(client: TestClient, token: object) -> None:
    assert callable(token)
    headers = {**bearer(token("Timesheet Mailer")), "client-request-id": "my-id-1"}
    body = {"message": message(addr("cfo"))}
    response = client.post(f"/v1.0/users/{addr('noreply')}/sendMail", headers=headers, json=body)
    assert response.status_code == 202
    assert response.headers["client-request-id"] == "my-id-1"
    assert response.headers["request-id"] != "my-id-1"


# -- request bodies: orjson where it reads as json does, json elsewhere ----------------------


def test_bodies_read_as_the_standard_library_reads_them() -> None:
    bodies = [
        b'{"a": 1, "a": 2}',
        b'{"n": 123456789012345678901234567890, "m": -9223372036854775809}',
        b'{"n": 18446744073709551615, "f": 0.1, "e": 1E5, "z": -0.0, "big": 1e308}',
        b'{"t": "\\u00e9\xc3\xa9"}',
        '{"utf16": "\u00e9"}'.encode("utf-16"),
        b'{"nested": [[[{"k": [true, false, null]}]]]}',
    ]
    for raw in bodies:
        assert repr(parse_json_body(raw)) == repr(json.loads(raw)), raw


@pytest.mark.parametrize("raw", [b"[NaN]", b'{"y": Infinity}', b"[-Infinity]", b"[1e400]"])
def test_numbers_json_has_no_room_for_are_malformed(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"not a JSON number|out of range"):
        parse_json_body(raw)


def test_lone_surrogates_become_replacement_characters_everywhere() -> None:
    raw = b'{"k\\udc80": ["\\ud800", {"x": "a\\udfffb"}], "ok": "\\ud83d\\ude00"}'
    assert parse_json_body(raw) == {"k\ufffd": ["\ufffd", {"x": "a\ufffdb"}], "ok": "\U0001f600"}


def test_a_message_with_a_lone_surrogate_is_stored_and_read_back(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    token = app_token(state, tenant.id, "Mail.Send", "Mail.Read")
    headers = {**bearer(token), "Content-Type": "application/json"}
    to = json.dumps(message(addr("cfo"))["toRecipients"])
    for subject in ("before", "caf\\ud800e", "after"):
        raw = f'{{"message": {{"subject": "{subject}", "toRecipients": {to}}}}}'
        response = client.post(
            f"/v1.0/users/{addr('noreply')}/sendMail", headers=headers, content=raw
        )
        assert response.status_code == 202
    listed = client.get(f"/v1.0/users/{addr('cfo')}/messages", headers=bearer(token))
    assert listed.status_code == 200
    assert [m["subject"] for m in listed.json()["value"]] == ["after", "caf\ufffde", "before"]


def test_a_long_integer_is_quoted_whole_in_graphs_error(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    token = app_token(state, tenant.id, "Mail.Send")
    literal = "123456789012345678901234567890"
    raw = f'{{"message": {json.dumps(message(addr("cfo")))}, "saveToSentItems": {literal}}}'
    response = client.post(
        f"/v1.0/users/{addr('noreply')}/sendMail",
        headers={**bearer(token), "Content-Type": "application/json"},
        content=raw,
    )
    assert error_of(response) == (
        400,
        "RequestBodyRead",
        f"Cannot convert the literal '{literal}' to the expected type 'Edm.Boolean'.",
    )


# -- timestamps and previews ------------------------------------------------------------------


def test_iso_utc_remembered_per_second_equals_the_long_way() -> None:
    rng = random.Random(7)
    moments = [rng.uniform(-3, 3) for _ in range(2000)] + [
        rng.uniform(-1e9, 4e9) for _ in range(2000)
    ]
    moments += [m + 0.25 for m in moments[:50]]  # the same second again
    for seconds in moments:
        moment = datetime.fromtimestamp(seconds, UTC)
        assert iso_utc(moment) == _iso(moment)
    # Far enough out that a float timestamp rounds …:00.999999 up to the next second.
    last_micro = datetime(9999, 6, 1, 12, 0, 0, 999999, tzinfo=UTC)
    assert iso_utc(last_micro) == "9999-06-01T12:00:00Z"
    assert iso_utc(last_micro + timedelta(microseconds=1)) == "9999-06-01T12:00:01Z"
    other_zone = datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert iso_utc(other_zone) == "2025-12-31T23:30:00Z"


def test_body_preview_collapses_every_kind_of_whitespace() -> None:
    text = " a\u00a0\u2028b\t\n c\u3000 \x1c d "
    assert body_preview({"contentType": "text", "content": text}) == "a b c d"
    assert body_preview({"contentType": "html", "content": "<p>x</p>&nbsp;<b>y</b>"}) == "x y"
    assert body_preview({"contentType": "text", "content": "w " * 300}) == ("w " * 128)[:255]


# -- deferred statements: one executemany each, in the order first queued ---------------------


def test_deferred_statements_are_written_grouped_in_first_queued_order() -> None:
    store = Store()
    insert = "INSERT INTO meta (key, value) VALUES (?, ?)"
    # Depends on the first statement's rows: it must run after all of them.
    copy = "INSERT INTO meta (key, value) SELECT ? || '-copy', value FROM meta WHERE key = ?"
    for n in range(5):
        store.defer("meta", insert, [(f"k{n}", str(n))])
        store.defer("meta", copy, [(f"k{n}", f"k{n}")])
    store.flush()
    for n in range(5):
        assert store.meta(f"k{n}-copy") == str(n)
