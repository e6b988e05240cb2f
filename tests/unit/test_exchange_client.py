"""ExchangeAdminClient on a mock transport: the InvokeCommand body, paging by re-POSTing to
``@odata.nextLink``, 204s, read/write retry rules, and the admin API's error envelope mapped
to the exception tree (the role to grant, Exchange's own sentence, NotFound per method)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
import stamina

from sendscope.clients._http import RetryPolicy
from sendscope.clients.exchange import ExchangeAdminClient, is_read_cmdlet
from sendscope.clients.exchange_errors import exchange_message
from sendscope.clouds import CLOUDS
from sendscope.errors import (
    AuthenticationFailed,
    PermissionMissing,
    RequestRejected,
    ServiceUnavailable,
    Throttled,
)

TENANT = "contoso.onmicrosoft.com"
ENDPOINT = f"https://outlook.office365.com/adminapi/beta/{TENANT}/InvokeCommand"
NOT_FOUND_TYPE = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
Reply = Callable[[httpx2.Request], httpx2.Response]


@pytest.fixture(autouse=True)
def _no_sleep() -> Iterator[None]:
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


class Server:
    """Answers from a script, one reply per request; records what it was sent."""

    def __init__(self, *replies: httpx2.Response) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def _client(server: Server) -> ExchangeAdminClient:
    http = httpx2.Client(transport=httpx2.MockTransport(server))
    return ExchangeAdminClient(
        http, CLOUDS["global"], TENANT, lambda fresh: "tok", retry=RetryPolicy(attempts=3)
    )


def _ok(value: list[dict[str, Any]], next_link: str | None = None) -> httpx2.Response:
    body: dict[str, Any] = {"@adminapi.warnings": [], "value": value}
    if next_link:
        body["@odata.nextLink"] = next_link
    return httpx2.Response(200, json=body)


def _error(
    status: int, code: str, detail: str | None, message: str = "Error executing cmdlet"
) -> httpx2.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        error["details"] = [{"code": "Client", "target": "", "message": detail}]
    return httpx2.Response(status, json={"error": error}, headers={"request-id": "rid-1"})


def _not_found(identity: str) -> httpx2.Response:
    text = f"The operation couldn't be performed because object '{identity}' couldn't be found"
    return _error(404, "NotFound", f"Ex6F9304|{NOT_FOUND_TYPE}|{text} on 'DC1'.")


def test_invoke_posts_the_cmdlet_input_with_a_bearer_and_select() -> None:
    server = Server(_ok([{"Name": "ceo"}]))
    rows = _client(server).invoke("Get-Mailbox", {"Identity": "ceo"}, select=["Name", "Alias"])
    assert rows == [{"Name": "ceo"}]
    request = server.requests[0]
    assert request.method == "POST"
    assert str(request.url).startswith(ENDPOINT)
    assert request.url.params["$select"] == "Name,Alias"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["client-request-id"]
    assert server.bodies() == [
        {"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"Identity": "ceo"}}}
    ]


def test_invoke_follows_next_link_reposting_the_same_body() -> None:
    link = f"{ENDPOINT}?$skiptoken=abc"
    server = Server(_ok([{"n": 1}], link), _ok([{"n": 2}], f"{link}2"), _ok([{"n": 3}]))
    assert _client(server).get_recipients() == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [str(r.url) for r in server.requests][1:] == [link, f"{link}2"]
    assert all(r.method == "POST" for r in server.requests)
    assert len({r.content for r in server.requests}) == 1


def test_no_content_and_warning_only_answers_are_empty() -> None:
    server = Server(httpx2.Response(204), httpx2.Response(200, json={"@adminapi.warnings": ["w"]}))
    client = _client(server)
    assert client.remove_application_access_policy("x") is None
    assert client.invoke("Set-ApplicationAccessPolicy", {"Identity": "x"}) == []


def test_methods_send_the_documented_parameters() -> None:
    server = Server(_ok([{"Identity": "p"}]))
    client = _client(server)
    client.get_mailboxes()
    client.new_distribution_group(
        name="G", alias=None, display_name="G!", primary_smtp_address=None, members=["a"]
    )
    client.add_distribution_group_member("G", "b")
    client.new_application_access_policy(
        app_id="app", scope="G", access_right="RestrictAccess", description=None
    )
    client.test_application_access_policy(identity="a", app_id="app")
    inputs = [b["CmdletInput"] for b in server.bodies()]
    assert inputs == [
        {
            "CmdletName": "Get-Mailbox",
            "Parameters": {
                "RecipientTypeDetails": ["UserMailbox", "SharedMailbox"],
                "ResultSize": "Unlimited",
            },
        },
        {
            "CmdletName": "New-DistributionGroup",
            "Parameters": {"Name": "G", "Type": "Security", "DisplayName": "G!", "Members": ["a"]},
        },
        {
            "CmdletName": "Add-DistributionGroupMember",
            "Parameters": {"Identity": "G", "Member": "b", "BypassSecurityGroupManagerCheck": True},
        },
        {
            "CmdletName": "New-ApplicationAccessPolicy",
            "Parameters": {
                "AppId": "app",
                "PolicyScopeGroupId": "G",
                "AccessRight": "RestrictAccess",
            },
        },
        {
            "CmdletName": "Test-ApplicationAccessPolicy",
            "Parameters": {"Identity": "a", "AppId": "app"},
        },
    ]


def test_get_recipient_and_group_are_none_on_not_found() -> None:
    client = _client(Server(_not_found("nobody@contoso.onmicrosoft.com")))
    assert client.get_recipient("nobody@contoso.onmicrosoft.com") is None
    assert client.get_distribution_group("nobody") is None


def test_not_found_elsewhere_is_rejected_with_exchanges_sentence() -> None:
    client = _client(Server(_not_found("x@contoso.onmicrosoft.com")))
    with pytest.raises(RequestRejected) as caught:
        client.test_application_access_policy(identity="x@contoso.onmicrosoft.com", app_id="a")
    assert caught.value.message == (
        "Exchange refused Test-ApplicationAccessPolicy: The operation couldn't be performed "
        "because object 'x@contoso.onmicrosoft.com' couldn't be found on 'DC1'."
    )
    assert caught.value.failure is not None
    assert caught.value.failure.status == 404
    assert caught.value.failure.request_id == "rid-1"


def test_bad_request_quotes_the_part_after_the_second_bar() -> None:
    detail = (
        "Ex1|Microsoft.Exchange.Configuration.Tasks.TaskException|"
        "The total size of App Access Policies exceeded the limit."
    )
    client = _client(Server(_error(400, "BadRequest", detail, "Invalid Operation")))
    with pytest.raises(RequestRejected) as caught:
        client.new_application_access_policy(
            app_id="a", scope="g", access_right="DenyAccess", description="d"
        )
    assert caught.value.message == (
        "Exchange refused New-ApplicationAccessPolicy: The total size of App Access Policies "
        "exceeded the limit."
    )
    assert caught.value.exit_code == 5


def test_not_allowed_names_the_role_to_grant_without_a_loop() -> None:
    text = "User is not allowed to call Get-ApplicationAccessPolicy"
    server = Server(_error(401, "Unauthorized", None, text))
    with pytest.raises(PermissionMissing) as caught:
        _client(server).get_application_access_policies()
    message = caught.value.message
    assert message.startswith(
        "The admin identity lacks the Exchange role for Get-ApplicationAccessPolicy."
    )
    assert "Exchange Administrator" in message
    assert "Exchange.ManageAsApp" in message
    assert text in message
    assert len(server.requests) == 1  # a role problem: no fresh token is asked for


def test_other_401_is_an_authentication_failure_after_one_fresh_token() -> None:
    server = Server(_error(401, "Unauthorized", None, "invalid token"))
    with pytest.raises(AuthenticationFailed, match="refused the admin token for Get-Recipient"):
        _client(server).get_recipient("a")
    assert len(server.requests) == 2


def test_reads_retry_503_and_writes_do_not() -> None:
    busy = _error(503, "ServiceUnavailable", None, "busy")
    server = Server(busy, _ok([{"AccessCheckResult": "Granted"}]))
    result = _client(server).test_application_access_policy(identity="a", app_id="b")
    assert result == {"AccessCheckResult": "Granted"}
    assert len(server.requests) == 2

    server = Server(busy, httpx2.Response(204))
    with pytest.raises(ServiceUnavailable, match="Exchange failed to run Remove-"):
        _client(server).remove_application_access_policy("p")
    assert len(server.requests) == 1


def test_429_past_the_budget_is_throttled() -> None:
    server = Server(httpx2.Response(429, headers={"Retry-After": "0"}, json={}))
    with pytest.raises(Throttled):
        _client(server).get_mailboxes()
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("cmdlet", "read"),
    [("Get-Mailbox", True), ("test-ApplicationAccessPolicy", True), ("New-Mailbox", False)],
)
def test_reads_are_get_and_test(cmdlet: str, read: bool) -> None:
    assert is_read_cmdlet(cmdlet) is read


def test_exchange_message_keeps_bars_inside_the_message() -> None:
    assert exchange_message("Id|Type|a | b") == "a | b"
    assert exchange_message("no bars") == "no bars"
