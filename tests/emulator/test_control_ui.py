"""Control plane: the outbox web pages, the index, health, endpoint docs and routing errors."""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.control.exceptions import routing_error
from sendscope.emulator.control.routes import ROUTES
from tests.conftest import Tenant
from tests.emulator.test_control_outbox import add_sent

XSS = "<script>alert(1)</script>"


def page(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def articles(text: str) -> list[str]:
    return re.findall(r"<article class=mail>.*?</article>", text, flags=re.S)


# -- /_emulator/ui -------------------------------------------------------------------------


def test_ui_says_when_nothing_was_sent(client: TestClient) -> None:
    text = page(client, "/_emulator/ui")

    assert "No mail has been sent yet." in text
    assert "0 messages, newest first" in text


def test_ui_lists_mail_newest_first_with_links(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    first = add_sent(state, tenant.id, "hr@contoso.onmicrosoft.com", "First")
    second = add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "Second")

    cards = articles(page(client, "/_emulator/ui"))

    assert len(cards) == 2
    assert f'href="/_emulator/ui/messages/{second["id"]}">Second</a>' in cards[0]
    assert f'href="/_emulator/ui/messages/{first["id"]}">First</a>' in cards[1]
    assert "<th>Mailbox</th><td>ceo@contoso.onmicrosoft.com</td>" in cards[0]
    assert "2025-02-13T10:17:05Z" in cards[0]


def test_ui_marks_recipients_internal_or_external(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(
        state,
        tenant.id,
        "hr@contoso.onmicrosoft.com",
        "Mixed",
        to=("cfo@contoso.onmicrosoft.com",),
        cc=("partner@fabrikam.example",),
        bcc=("Auditor@CONTOSO.onmicrosoft.com",),
    )

    [card] = articles(page(client, "/_emulator/ui"))

    def rcpt(address: str, kind: str, where: str) -> str:
        return (
            f"&lt;{address}&gt;<span class='badge kind'>{kind}</span>"
            f"<span class='badge {where}'>{where}</span>"
        )

    assert rcpt("cfo@contoso.onmicrosoft.com", "to", "internal") in card
    assert rcpt("partner@fabrikam.example", "cc", "external") in card
    assert rcpt("Auditor@CONTOSO.onmicrosoft.com", "bcc", "internal") in card


def test_ui_uses_the_recipients_column_when_the_message_has_none(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(
        state,
        tenant.id,
        "hr@contoso.onmicrosoft.com",
        "Column only",
        to=("x@example.org",),
        extra={"toRecipients": [], "ccRecipients": [], "bccRecipients": []},
    )

    [card] = articles(page(client, "/_emulator/ui"))

    assert "&lt;x@example.org&gt;<span class='badge kind'>to</span>" in card
    assert "<span class='badge external'>external</span>" in card


def test_ui_filters_by_tenant(client: TestClient, state: EmulatorState, tenant: Tenant) -> None:
    other = client.post("/_emulator/tenants", json={"domain": "fabrikam.onmicrosoft.com"})
    other_id = other.json()["id"]
    add_sent(state, tenant.id, "ceo@contoso.onmicrosoft.com", "From Contoso")
    add_sent(state, other_id, "ceo@fabrikam.onmicrosoft.com", "From Fabrikam")

    text = page(client, f"/_emulator/ui?tenant={other_id}")

    assert [("From Fabrikam" in c) for c in articles(text)] == [True]
    assert f'<option value="{other_id}" selected>fabrikam.onmicrosoft.com</option>' in text
    assert f'<option value="{tenant.id}">contoso.onmicrosoft.com</option>' in text
    assert "1 message, newest first" in text


def test_ui_escapes_everything_from_the_message(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(
        state,
        tenant.id,
        "hr@contoso.onmicrosoft.com",
        XSS,
        body=f"Hi {XSS} & bye",
        to=('"><img src=x onerror=alert(2)>@evil.example',),
        extra={"attachments": [{"name": f"{XSS}.txt", "contentType": "text/plain", "size": 12}]},
    )

    text = page(client, "/_emulator/ui")

    assert "<script" not in text
    assert "<img" not in text
    assert html.escape(XSS) in text
    assert f"Hi {html.escape(XSS)} &amp; bye" in text
    assert f"{html.escape(XSS)}.txt (text/plain, 12 bytes)" in text


def test_ui_shows_html_bodies_as_escaped_source_in_the_list(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    add_sent(
        state,
        tenant.id,
        "hr@contoso.onmicrosoft.com",
        "Newsletter",
        content_type="HTML",
        body="<h1>News</h1><script>steal()</script>",
    )

    [card] = articles(page(client, "/_emulator/ui"))

    assert "<span class='badge kind'>HTML source</span>" in card
    assert "<pre>&lt;h1&gt;News&lt;/h1&gt;&lt;script&gt;steal()&lt;/script&gt;</pre>" in card


def test_ui_sets_a_content_security_policy(client: TestClient) -> None:
    response = client.get("/_emulator/ui")

    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_ui_with_unknown_tenant_is_an_html_not_found(client: TestClient) -> None:
    text = page(client, "/_emulator/ui?tenant=%3Cb%3Enowhere", status=404)

    assert "<code>NotFound</code>" in text
    assert "There is no tenant &#x27;&lt;b&gt;nowhere&#x27; in this emulator" in text
    assert "<b>" not in text


def test_ui_with_a_bad_limit_is_an_html_bad_request(client: TestClient) -> None:
    text = page(client, "/_emulator/ui?limit=0", status=400)

    assert "<code>InvalidRequest</code>" in text
    assert "limit=0 must be between 1 and 1000." in text


# -- /_emulator/ui/messages/{id} -----------------------------------------------------------


def test_message_page_renders_html_in_a_sandboxed_frame(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    body = '<p class="x">Hello</p><script>alert(1)</script>'
    sent = add_sent(
        state, tenant.id, "ceo@contoso.onmicrosoft.com", XSS, content_type="html", body=body
    )

    text = page(client, f"/_emulator/ui/messages/{sent['id']}")

    assert "<script" not in text
    assert f"<h2>{html.escape(XSS)}</h2>" in text
    assert (
        f'<iframe sandbox="" referrerpolicy="no-referrer" title="message body" '
        f'srcdoc="{html.escape(body)}"></iframe>' in text
    )
    assert f"<h3>HTML source</h3><pre>{html.escape(body)}</pre>" in text
    assert "<h3>Outbox entry (JSON)</h3>" in text
    assert html.escape(f'"id": "{sent["id"]}"') in text


def test_message_page_shows_text_bodies_escaped(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    sent = add_sent(
        state, tenant.id, "ceo@contoso.onmicrosoft.com", "Plain", body="1 < 2\nline two"
    )

    text = page(client, f"/_emulator/ui/messages/{sent['id']}")

    assert "<h3>Body (text)</h3><pre>1 &lt; 2\nline two</pre>" in text
    assert "<iframe" not in text


def test_message_page_shows_the_from_address_when_it_differs(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    sent = add_sent(
        state,
        tenant.id,
        "info@contoso.onmicrosoft.com",
        "On behalf",
        extra={"from": {"emailAddress": {"address": "ceo@contoso.onmicrosoft.com"}}},
    )

    text = page(client, f"/_emulator/ui/messages/{sent['id']}")

    assert "<th>Mailbox</th><td>info@contoso.onmicrosoft.com</td>" in text
    assert "<th>From</th><td>ceo@contoso.onmicrosoft.com</td>" in text


def test_message_page_copes_with_a_message_it_cannot_read(
    client: TestClient, state: EmulatorState, tenant: Tenant
) -> None:
    state.store.execute(
        "INSERT INTO outbox (id, tenant_id, sent_at, mailbox, subject, recipients, message) "
        "VALUES ('odd', ?, 'now', 'hr@contoso.onmicrosoft.com', '', '[\"a@b.example\"]', "
        "'[1, 2]')",
        (tenant.id,),
    )

    text = page(client, "/_emulator/ui/messages/odd")

    assert "<h2>(no subject)</h2>" in text
    assert "<h3>Body</h3><pre>(no body)</pre>" in text
    assert "&lt;a@b.example&gt;<span class='badge kind'>to</span>" in text


def test_unknown_message_page_is_an_html_not_found(client: TestClient) -> None:
    text = page(client, "/_emulator/ui/messages/%3Cscript%3E", status=404)

    assert "There is no message &#x27;&lt;script&gt;&#x27; in the outbox" in text
    assert "<script" not in text


# -- index, health, endpoints --------------------------------------------------------------


def test_health(client: TestClient) -> None:
    response = client.get("/_emulator/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_index_links_everything_and_says_there_is_no_auth(client: TestClient) -> None:
    text = page(client, "/_emulator")

    for target in (
        "/_emulator/ui",
        "/_emulator/outbox",
        "/_emulator/tenants",
        "/_emulator/clock",
        "/_emulator/endpoints",
    ):
        assert f'href="{target}"' in text
    assert "no authentication" in text
    assert "<td><code>POST</code></td><td><code>/_emulator/clock/advance</code></td>" in text


def test_endpoints_document_every_control_route(client: TestClient) -> None:
    response = client.get("/_emulator/endpoints")

    rows = response.json()["endpoints"]
    documented = {(tuple(r["methods"]), r["path"]) for r in rows}
    for route in ROUTES:
        methods = tuple(sorted(route.methods - {"HEAD"}))  # type: ignore[attr-defined]
        assert (methods, route.path) in documented  # type: ignore[attr-defined]
    assert all(r["summary"] for r in rows)
    assert {
        "methods": ["DELETE"],
        "path": "/_emulator/outbox",
        "summary": "Clear the outbox, or one tenant's with ?tenant=; answers how many went.",
    } in rows


# -- routing misses (needs app.py to hand /_emulator misses to routing_error) ---------------


def routed_client(state: EmulatorState) -> TestClient:
    async def on_miss(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return routing_error(request, exc.status_code).response(request)

    app = Starlette(routes=ROUTES, exception_handlers={HTTPException: on_miss})
    app.state.emulator = state
    return TestClient(app, base_url="https://testserver")


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_unknown_control_path_is_not_found(state: EmulatorState) -> None:
    with routed_client(state) as client:
        response = client.get("/_emulator/nothing")

    assert error(response) == (
        404,
        "NotFound",
        "There is no control endpoint at /_emulator/nothing: GET /_emulator/endpoints lists them.",
    )


def test_wrong_method_is_method_not_allowed(state: EmulatorState) -> None:
    with routed_client(state) as client:
        response = client.put("/_emulator/clock")

    assert error(response) == (
        405,
        "MethodNotAllowed",
        "PUT is not allowed on /_emulator/clock: GET /_emulator/endpoints lists each endpoint "
        "with its methods.",
    )
