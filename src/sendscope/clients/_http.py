"""The HTTP layer every API client shares: one client factory, auth, retries, errors.

- Bearer auth from a token source, with one refresh on 401.
- Retries with stamina, honouring ``Retry-After``, bounded in attempts and total time:
  reads retry 429, 503 and 504; writes retry only 429, which Graph answers before doing
  the work (learn.microsoft.com/graph/throttling). A write whose answer never came is
  ``AmbiguousOutcome``, never repeated: a duplicate mail is worse than an error.
- ``client-request-id`` on every call, so a failure can be traced with Microsoft support.
- One boundary maps an error response to the most specific exception of ``errors.py``.
"""

from __future__ import annotations

import functools
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import stamina

from .. import __version__
from ..errors import AmbiguousOutcome, ApiFailure, ServiceUnavailable, Throttled
from .errors import FailureParser, raise_for_failure

__all__ = [
    "ApiClient",
    "RetryPolicy",
    "RetryableFailure",
    "TokenFn",
    "exhausted_error",
    "make_async_http_client",
    "make_http_client",
    "retry_backoff",
]

TokenFn = Callable[[bool], str]
"""Returns a bearer token; called with True to force a fresh one after a 401."""

READ_RETRY_STATUSES = frozenset({429, 503, 504})
WRITE_RETRY_STATUSES = frozenset({429})


def make_http_client(
    context: ssl.SSLContext, *, transport: httpx2.BaseTransport | None = None
) -> httpx2.Client:
    """The one way sendscope makes an HTTP client: explicit trust, sane timeouts."""
    return httpx2.Client(
        verify=context,
        transport=transport,
        timeout=httpx2.Timeout(_TIMEOUT, connect=_CONNECT_TIMEOUT),
        headers=_HEADERS,
        follow_redirects=False,
    )


_TIMEOUT, _CONNECT_TIMEOUT = 60.0, 15.0
_HEADERS = {"User-Agent": f"sendscope/{__version__}"}


def make_async_http_client(
    context: ssl.SSLContext, *, transport: httpx2.AsyncBaseTransport | None, connections: int
) -> httpx2.AsyncClient:
    """``make_http_client``'s async twin, for up to ``connections`` requests at once and no
    wait for a free connection (the caller bounds how many it starts)."""
    return httpx2.AsyncClient(
        verify=context,
        transport=transport,
        timeout=httpx2.Timeout(_TIMEOUT, connect=_CONNECT_TIMEOUT, pool=None),
        limits=httpx2.Limits(max_connections=connections, max_keepalive_connections=connections),
        headers=_HEADERS,
        follow_redirects=False,
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    timeout: float = 300.0
    wait_initial: float = 1.0
    wait_max: float = 60.0


class RetryableFailure(Exception):
    """A response the retry rules allow to try again (raised inside a retry context)."""

    def __init__(self, failure: ApiFailure) -> None:
        super().__init__(failure.quote())
        self.failure = failure


class ApiClient:
    """Authenticated JSON calls to one API, retried and error-mapped."""

    def __init__(
        self,
        http: httpx2.Client,
        base_url: str,
        token: TokenFn,
        *,
        parse_failure: FailureParser,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._parse_failure = parse_failure
        self._retry = retry or RetryPolicy()

    def url(self, path: str) -> str:
        return path if path.startswith("https://") else f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        read: bool,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx2.Response:
        """Send with retries; return the 2xx response or raise the mapped error."""
        url = self.url(path)
        statuses = READ_RETRY_STATUSES if read else WRITE_RETRY_STATUSES
        deadline = time.monotonic() + self._retry.timeout
        try:
            for attempt in stamina.retry_context(
                on=functools.partial(retry_backoff, deadline=deadline),
                attempts=self._retry.attempts,
                timeout=self._retry.timeout,
                wait_initial=self._retry.wait_initial,
                wait_max=self._retry.wait_max,
            ):
                with attempt:
                    response = self._send_authenticated(
                        method, url, read, json, content, headers, params
                    )
                    if response.status_code in statuses:
                        raise RetryableFailure(self._parse_failure(response))
                    return self._checked(response)
        except RetryableFailure as exc:
            raise exhausted_error(exc.failure, self._retry) from None
        raise AssertionError("unreachable")

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.request("GET", path, read=True, params=params).json()

    def iter_pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[Any]]:
        """Each page's ``value``, following ``@odata.nextLink`` until there is none."""
        url: str | None = path
        while url is not None:
            body = self.get_json(url, params if url == path else None)
            yield list(body.get("value", []))
            url = body.get("@odata.nextLink")

    def _send_authenticated(
        self,
        method: str,
        url: str,
        read: bool,
        json: Any,
        content: bytes | None,
        headers: dict[str, str] | None,
        params: dict[str, str] | None,
    ) -> httpx2.Response:
        response = self._send_once(method, url, read, json, content, headers, params, False)
        if response.status_code == 401 and self._fresh_token_may_help(response):
            response = self._send_once(method, url, read, json, content, headers, params, True)
        return response

    def _fresh_token_may_help(self, response: httpx2.Response) -> bool:
        """Whether a 401 is about the token (so one fresh token is worth a second try)."""
        return True

    def _send_once(
        self,
        method: str,
        url: str,
        read: bool,
        json: Any,
        content: bytes | None,
        headers: dict[str, str] | None,
        params: dict[str, str] | None,
        fresh: bool,
    ) -> httpx2.Response:
        all_headers = {
            "Authorization": f"Bearer {self._token(fresh)}",
            "client-request-id": str(uuid.uuid4()),
            **(headers or {}),
        }
        try:
            return self.http.request(
                method, url, json=json, content=content, headers=all_headers, params=params
            )
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            # Nothing was written: safe to say "not sent".
            raise ServiceUnavailable(
                f"cannot connect to {_host(url)}: {type(exc).__name__}. "
                "Nothing was sent; check the network and try again."
            ) from None
        except httpx2.TransportError as exc:
            if read:
                raise ServiceUnavailable(
                    f"{method} {_path(url)} failed: {type(exc).__name__}; try again."
                ) from None
            raise AmbiguousOutcome(
                f"{method} {_path(url)} was sent but no answer came ({type(exc).__name__}): it "
                "may or may not have been carried out. sendscope does not repeat it; check "
                "before trying again."
            ) from None

    def _checked(self, response: httpx2.Response) -> httpx2.Response:
        if response.is_success:
            return response
        raise_for_failure(self._parse_failure(response))
        raise AssertionError("unreachable")


def retry_backoff(exc: Exception, deadline: float | None = None) -> bool | float:
    """stamina's backoff hook: retry RetryableFailure, after Retry-After when Graph gives one
    — unless that wait would pass ``deadline`` (monotonic): then give up at once."""
    if not isinstance(exc, RetryableFailure):
        return False
    wait = exc.failure.retry_after
    if wait is None:
        return True
    if deadline is not None and time.monotonic() + wait > deadline:
        return False
    return wait


def exhausted_error(failure: ApiFailure, policy: RetryPolicy) -> Exception:
    """What to raise when the retry budget is spent: Throttled or ServiceUnavailable."""
    where = f"{failure.method} {_path(failure.url)}"
    budget = f"{policy.attempts} attempts / {policy.timeout:.0f} s"
    if failure.status == 429:
        wait = (
            f"; Microsoft asked to wait {failure.retry_after:.0f} s" if failure.retry_after else ""
        )
        return Throttled(
            f"{where} is still throttled after the retry budget ({budget}){wait}. "
            f"Try again later. Microsoft said: {failure.quote()}",
            failure=failure,
        )
    return ServiceUnavailable(
        f"{where} is still unavailable after the retry budget ({budget}). "
        f"Try again later. Microsoft said: {failure.quote()}",
        failure=failure,
    )


def _host(url: str) -> str:
    return httpx2.URL(url).host


def _path(url: str) -> str:
    return httpx2.URL(url).path
