"""msgraph-sdk, Microsoft's own Graph client, with nothing changed but its base URL, the
scope and the CA bundle: it lists users and sends mail through the emulator."""

from __future__ import annotations

import asyncio
import gc
import ssl

import httpx
import pytest
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
    SendMailPostRequestBody,
)
from msgraph_core import GraphClientFactory

from .conftest import Emulator

pytestmark = [
    pytest.mark.interop,
    # kiota's middleware transport leaves its pooled asyncio transports to the garbage
    # collector after the client is closed; the leak is the SDK's, not the emulator's
    # (MSAL, azure-identity and curl leave nothing behind).
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


async def _run(emulator: Emulator, client_id: str, secret: str, work):  # type: ignore[no-untyped-def]
    credential = ClientSecretCredential(
        emulator.tenant_id,
        client_id,
        secret,
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=emulator.ca,
    )
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"]
    )
    http = httpx.AsyncClient(verify=ssl.create_default_context(cafile=emulator.ca))
    adapter = GraphRequestAdapter(
        auth, client=GraphClientFactory.create_with_default_middleware(client=http)
    )
    adapter.base_url = f"{emulator.url}/v1.0"
    try:
        return await work(GraphServiceClient(request_adapter=adapter))
    finally:
        await http.aclose()
        credential.close()


def run(emulator: Emulator, client_id: str, secret: str, work):  # type: ignore[no-untyped-def]
    try:
        return asyncio.run(_run(emulator, client_id, secret, work))
    finally:
        gc.collect()  # collect kiota's orphaned transports inside the test (see pytestmark)


def test_msgraph_sdk_lists_users(emulator: Emulator) -> None:
    async def work(graph: GraphServiceClient) -> list[str]:
        page = await graph.users.get()
        assert page is not None and page.value is not None
        return [u.user_principal_name or "" for u in page.value]

    upns = run(emulator, emulator.admin["client_id"], emulator.admin["client_secret"], work)
    assert f"ceo@{emulator.domain}" in upns
    assert len(upns) >= 50


def test_msgraph_sdk_sends_mail_that_arrives(emulator: Emulator) -> None:
    subject = "sent by msgraph-sdk"
    body = SendMailPostRequestBody(
        message=Message(
            subject=subject,
            body=ItemBody(content_type=BodyType.Text, content="Hello from the SDK"),
            to_recipients=[Recipient(email_address=EmailAddress(address=f"hr@{emulator.domain}"))],
        ),
        save_to_sent_items=False,
    )

    async def work(graph: GraphServiceClient) -> None:
        await graph.users.by_user_id(f"noreply@{emulator.domain}").send_mail.post(body)

    run(emulator, emulator.app["client_id"], emulator.app["client_secret"], work)
    row = emulator.server.state.store.one(
        "SELECT mailbox, subject, app_id FROM outbox WHERE subject = ?", (subject,)
    )
    assert row is not None
    assert row["mailbox"] == f"noreply@{emulator.domain}"
    assert row["app_id"] == emulator.app["client_id"]
