"""ApiClient on a mock transport: bearer auth with one refresh on 401, retries that honour
Retry-After (reads: 429/503/504; writes: 429 only), paging, client-request-id, and one
boundary mapping Graph's errors to the exception tree. Retries never sleep here: stamina's
testing mode, or a recorded ``time.sleep`` where the wait itself is what is tested."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
import stamina

from sendscope.clients._http import ApiClient, RetryPolicy
from sendscope.clients.errors import parse_graph_failure
from sendscope.errors import (
    AccessPolicyDenied,
    AmbiguousOutcome,
    AuthenticationFailed,
    MailboxNotEnabled,
    MailboxNotFound,
    PermissionMissing,
    RequestRejected,
    SendAsDenied,
    ServiceUnavailable,
    Throttled,
)

BASE = "https://graph.example/v1.0"
Reply = Callable[[httpx2.Request], httpx2.Response]


class Tokens:
    """A token function that counts fresh requests."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, fresh: bool) -> str:
        self.calls.append(fresh)
        return f"token-{sum(self.calls)}"


class Server:
    """Answers from a script, one reply per request; records what it was sent."""

    def __init__(self, *replies: Reply | httpx2.Response) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return reply(request) if callable(reply) else reply


def _client(server: Server, tokens: Tokens | None = None, **policy: Any) -> ApiClient:
    http = httpx2.Client(transport=httpx2.MockTransport(server))
    return ApiClient(
        http,
        BASE,
        tokens or Tokens(),
        parse_failure=parse_graph_failure,
        retry=RetryPolicy(**policy),
    )


def _error(status: int, code: str, message: str, **headers: str) -> httpx2.Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "rid-1"}}}
    return httpx2.Response(status, json=body, headers=headers)


@pytest.fixture(autouse=True)
def no_sleep() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


def test_get_json_sends_bearer_and_a_fresh_client_request_id() -> None:
    server = Server(httpx2.Response(200, json={"ok": 1}))
    client = _client(server)
    assert client.get_json("users", params={"$top": "5"}) == {"ok": 1}
    client.get_json("users")
    first, second = server.requests
    assert str(first.url) == f"{BASE}/users?%24top=5"
    assert first.headers["Authorization"] == "Bearer token-0"
    assert first.headers["client-request-id"] != second.headers["client-request-id"]


def test_one_refresh_on_401_then_success() -> None:
    tokens = Tokens()
    server = Server(_error(401, "InvalidAuthenticationToken", "expired"), httpx2.Response(200))
    _client(server, tokens).request("GET", "me", read=True)
    assert tokens.calls == [False, True]
    assert server.requests[1].headers["Authorization"] == "Bearer token-1"


def test_a_second_401_is_authentication_failed_with_graph_s_words() -> None:
    tokens = Tokens()
    server = Server(_error(401, "InvalidAuthenticationToken", "Access token is empty."))
    with pytest.raises(AuthenticationFailed) as caught:
        _client(server, tokens).request("GET", "users", read=True)
    assert tokens.calls == [False, True]
    assert caught.value.exit_code == 4
    assert caught.value.message == (
        "Microsoft 365 refused GET /v1.0/users: 401 InvalidAuthenticationToken: Access token is "
        "empty. (request-id rid-1)"
    )


@pytest.mark.parametrize("status", [429, 503, 504])
def test_reads_retry_429_503_504(status: int) -> None:
    server = Server(_error(status, "Busy", "later"), httpx2.Response(200, json={"v": 1}))
    assert _client(server).get_json("users") == {"v": 1}
    assert len(server.requests) == 2


def test_writes_retry_429_only() -> None:
    server = Server(_error(429, "ApplicationThrottled", "slow"), httpx2.Response(202))
    assert _client(server).request("POST", "users/a/sendMail", read=False).status_code == 202
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [503, 504])
def test_a_write_is_not_repeated_on_503_or_504(status: int) -> None:
    server = Server(_error(status, "ServiceUnavailable", "down"), httpx2.Response(202))
    with pytest.raises(ServiceUnavailable) as caught:
        _client(server).request("POST", "users/a/sendMail", read=False)
    assert len(server.requests) == 1
    assert caught.value.exit_code == 6


def test_throttled_past_the_budget_is_throttled_with_microsoft_s_wait() -> None:
    server = Server(
        _error(429, "ApplicationThrottled", "MailboxConcurrency", **{"Retry-After": "7"})
    )
    with pytest.raises(Throttled) as caught:
        _client(server).request("POST", "users/a/sendMail", read=False)
    assert len(server.requests) == 3  # stamina's testing attempts
    assert caught.value.failure is not None
    assert caught.value.failure.retry_after == 7.0
    assert caught.value.message.startswith(
        "POST /v1.0/users/a/sendMail is still throttled after the retry budget (6 attempts / "
        "300 s); Microsoft asked to wait 7 s. Try again later."
    )


def test_unavailable_past_the_budget_for_a_read() -> None:
    server = Server(_error(503, "ServiceUnavailable", "down"))
    with pytest.raises(ServiceUnavailable, match=r"GET /v1.0/users is still unavailable"):
        _client(server).get_json("users")
    assert len(server.requests) == 3


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Real backoff (testing mode off), with ``time.sleep`` recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    with stamina.set_testing(False):
        yield slept


def test_retry_after_is_the_wait(sleeps: list[float]) -> None:
    server = Server(
        _error(429, "ApplicationThrottled", "slow", **{"Retry-After": "7"}),
        _error(503, "ServiceUnavailable", "down", **{"Retry-After": "2"}),
        httpx2.Response(200, json={}),
    )
    _client(server).get_json("users")
    assert sleeps == [7.0, 2.0]


def test_a_retry_after_beyond_the_budget_gives_up_without_sleeping(sleeps: list[float]) -> None:
    server = Server(_error(429, "ApplicationThrottled", "slow", **{"Retry-After": "3600"}))
    with pytest.raises(Throttled):
        _client(server, timeout=60.0).request("POST", "users/a/sendMail", read=False)
    assert sum(sleeps) <= 60.0


def _raise(exc: type[httpx2.TransportError]) -> Reply:
    def reply(request: httpx2.Request) -> httpx2.Response:
        raise exc("boom", request=request)

    return reply


@pytest.mark.parametrize("exc", [httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout])
def test_a_connect_failure_sent_nothing(exc: type[httpx2.TransportError]) -> None:
    server = Server(_raise(exc))
    with pytest.raises(ServiceUnavailable) as caught:
        _client(server).request("POST", "users/a/sendMail", read=False)
    assert caught.value.message == (
        f"cannot connect to graph.example: {exc.__name__}. Nothing was sent; check the network "
        "and try again."
    )


def test_a_write_whose_answer_never_came_is_ambiguous_and_not_repeated() -> None:
    server = Server(_raise(httpx2.ReadTimeout))
    with pytest.raises(AmbiguousOutcome) as caught:
        _client(server).request("POST", "users/a/sendMail", read=False)
    assert len(server.requests) == 1
    assert caught.value.exit_code == 6
    assert "may or may not have been carried out. sendscope does not repeat it" in (
        caught.value.message
    )


def test_a_read_whose_answer_never_came_is_unavailable() -> None:
    server = Server(_raise(httpx2.ReadTimeout))
    with pytest.raises(ServiceUnavailable, match=r"^GET /v1.0/users failed: ReadTimeout"):
        _client(server).get_json("users")


def test_pages_follow_next_link_with_params_on_the_first_only() -> None:
    server = Server(
        httpx2.Response(
            200, json={"value": [1, 2], "@odata.nextLink": f"{BASE}/users?$skiptoken=x"}
        ),
        httpx2.Response(200, json={"value": [3]}),
    )
    pages = list(_client(server).iter_pages("users", params={"$top": "2"}))
    assert pages == [[1, 2], [3]]
    assert [str(r.url) for r in server.requests] == [
        f"{BASE}/users?%24top=2",
        f"{BASE}/users?$skiptoken=x",
    ]


@pytest.mark.parametrize(
    ("response", "cls", "code"),
    [
        (
            _error(
                403,
                "ErrorAccessDenied",
                "Access to OData is disabled: [RAOP] : Blocked by "
                "tenant configured AppOnly AccessPolicy settings.",
            ),
            AccessPolicyDenied,
            5,
        ),
        (
            _error(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this "
                "request does not have the right to send mail on behalf of the specified "
                "sending account.",
            ),
            SendAsDenied,
            5,
        ),
        (
            _error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            PermissionMissing,
            5,
        ),
        (
            _error(
                404,
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            ),
            MailboxNotEnabled,
            5,
        ),
        (
            _error(404, "ErrorInvalidUser", "The requested user 'x@contoso.com' is invalid."),
            MailboxNotFound,
            5,
        ),
        (
            _error(400, "ErrorInvalidRecipients", "At least one recipient is not valid."),
            RequestRejected,
            5,
        ),
        (_error(500, "InternalServerError", "oops"), ServiceUnavailable, 6),
    ],
)
def test_errors_map_to_the_most_specific_exception(
    response: httpx2.Response, cls: type[Exception], code: int
) -> None:
    server = Server(response)
    with pytest.raises(cls) as caught:
        _client(server).request("POST", "users/a/sendMail", read=False)
    error: Any = caught.value
    assert error.exit_code == code
    assert error.failure.status == response.status_code
    assert error.failure.request_id == "rid-1"
    assert error.failure.method == "POST"
    assert error.failure.url == f"{BASE}/users/a/sendMail"


def test_a_non_json_error_keeps_the_status_and_the_header_request_id() -> None:
    server = Server(
        httpx2.Response(502, text="<html>Bad gateway</html>", headers={"request-id": "h1"})
    )
    with pytest.raises(ServiceUnavailable) as caught:
        _client(server).request("POST", "x", read=False)
    failure = caught.value.failure
    assert failure is not None
    assert (failure.status, failure.code, failure.request_id) == (502, "Bad Gateway", "h1")
    assert failure.message == "<html>Bad gateway</html>"
