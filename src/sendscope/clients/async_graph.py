"""Graph over ``httpx2.AsyncClient``, under the same rules as the blocking ``ApiClient``.

The rules (clients/_http.py): bearer token with one refresh on 401; writes retried only
on 429, which Graph answers before doing any work, honouring ``Retry-After``, within the
same ``RetryPolicy``; errors mapped at the same boundary (clients/errors.py); a transport
failure after the request may have been written is ``AmbiguousOutcome``, never retried.
Only the mail calls the mailer needs are here.

Tokens still come from MSAL, which is blocking: ``AsyncTokens`` keeps the current token
and fetches a new one in a worker thread only when it nears expiry or Graph said 401.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import stamina

from ..auth.app_tokens import AccessToken, AppTokenSource
from ..errors import AmbiguousOutcome, AuthenticationFailed, ServiceUnavailable
from ._http import (
    READ_RETRY_STATUSES,
    WRITE_RETRY_STATUSES,
    RetryableFailure,
    RetryPolicy,
    exhausted_error,
    retry_backoff,
)
from .errors import parse_graph_failure, raise_for_failure
from .graph import JSON, _without_query, message_path, upload_session_request, user_path

__all__ = ["AsyncGraphClient", "AsyncTokenFn", "AsyncTokens"]

AsyncTokenFn = Callable[[bool], Awaitable[str]]
# A token this close to expiry is renewed before use, so it cannot expire in flight.
RENEW_BEFORE = 300.0


class AsyncTokens:
    """The app's Graph token for async callers: one fetch at a time, cached until renewal."""

    def __init__(self, source: AppTokenSource) -> None:
        self._source = source
        self._scope = source.cloud.graph_scope
        self._token: AccessToken | None = None
        self._refused: AuthenticationFailed | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, fresh: bool) -> str:
        async with self._lock:
            if self._refused is not None:  # the credentials will not get better
                raise self._refused
            token = self._token
            if fresh or token is None or token.expires_on - time.time() < RENEW_BEFORE:
                token = await self._fetch(fresh)
            return token.value

    async def _fetch(self, fresh: bool) -> AccessToken:
        try:
            token = await asyncio.to_thread(self._source.token, self._scope, force_refresh=fresh)
        except AuthenticationFailed as exc:
            self._refused = exc
            raise
        self._token = token
        return token

    @property
    def roles(self) -> tuple[str, ...] | None:
        return None if self._token is None else self._token.roles


class AsyncGraphClient:
    """Graph mail calls, awaited. ``http`` should allow as many connections as requests
    run at once (``httpx2.Limits``), or requests wait for a connection."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        base_url: str,
        token: AsyncTokenFn,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._retry = retry or RetryPolicy()

    async def request(
        self,
        method: str,
        path: str,
        *,
        read: bool,
        content: bytes | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx2.Response:
        """Send with retries; return the 2xx response or raise the mapped error."""
        url = path if path.startswith("https://") else f"{self.base_url}/{path.lstrip('/')}"
        statuses = READ_RETRY_STATUSES if read else WRITE_RETRY_STATUSES
        policy = self._retry
        try:
            async for attempt in stamina.retry_context(
                on=retry_backoff,
                attempts=policy.attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
            ):
                with attempt:
                    response = await self._send(
                        method, url, read, content, json, headers, authenticated
                    )
                    failure = None if response.is_success else parse_graph_failure(response)
                    if failure is not None and not authenticated:
                        failure = _without_query(failure)
                    if failure is not None and response.status_code in statuses:
                        raise RetryableFailure(failure)
                    if failure is not None:
                        raise_for_failure(failure)
                    return response
        except RetryableFailure as exc:
            raise exhausted_error(exc.failure, policy) from None
        raise AssertionError("unreachable")

    async def _send(
        self,
        method: str,
        url: str,
        read: bool,
        content: bytes | None,
        json: Any,
        headers: dict[str, str] | None,
        authenticated: bool,
    ) -> httpx2.Response:
        response = await self._send_once(
            method, url, read, content, json, headers, authenticated, False
        )
        if authenticated and response.status_code == 401:
            response = await self._send_once(method, url, read, content, json, headers, True, True)
        return response

    async def _send_once(
        self,
        method: str,
        url: str,
        read: bool,
        content: bytes | None,
        json: Any,
        headers: dict[str, str] | None,
        authenticated: bool,
        fresh: bool,
    ) -> httpx2.Response:
        all_headers = {"client-request-id": str(uuid.uuid4()), **(headers or {})}
        if authenticated:
            all_headers["Authorization"] = f"Bearer {await self._token(fresh)}"
        else:  # an upload URL: its own token is in the query, and no client-request-id
            del all_headers["client-request-id"]
        try:
            return await self.http.request(
                method, url, content=content, json=json, headers=all_headers
            )
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            # Nothing was written: a pool timeout is waiting for a connection, not an answer.
            raise ServiceUnavailable(
                f"cannot connect to {httpx2.URL(url).host}: {type(exc).__name__}. Nothing was "
                "sent; check the network and try again."
            ) from None
        except httpx2.TransportError as exc:
            where = f"{method} {httpx2.URL(url).path}"
            if read:
                raise ServiceUnavailable(
                    f"{where} failed: {type(exc).__name__}; try again."
                ) from None
            raise AmbiguousOutcome(
                f"{where} was sent but no answer came ({type(exc).__name__}): it may or may not "
                "have been carried out. sendscope does not repeat it; check before trying again."
            ) from None

    # -- the mail calls, as in clients.graph.GraphClient --

    async def send_mail_encoded(self, mailbox: str, body: bytes) -> str:
        response = await self.request(
            "POST", f"{user_path(mailbox)}/sendMail", read=False, content=body, headers=JSON
        )
        return response.headers.get("request-id", "")

    async def create_draft(self, mailbox: str, body: bytes) -> str:
        response = await self.request(
            "POST", f"{user_path(mailbox)}/messages", read=False, content=body, headers=JSON
        )
        return str(response.json()["id"])

    async def add_attachment(self, mailbox: str, message_id: str, body: bytes) -> None:
        await self.request(
            "POST",
            f"{message_path(mailbox, message_id)}/attachments",
            read=False,
            content=body,
            headers=JSON,
        )

    async def create_upload_session(
        self, mailbox: str, message_id: str, name: str, size: int, content_type: str
    ) -> str:
        path, item = upload_session_request(mailbox, message_id, name, size, content_type)
        response = await self.request("POST", path, read=False, json=item)
        return str(response.json()["uploadUrl"])

    async def upload_range(self, upload_url: str, data: bytes, start: int, total: int) -> None:
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}",
        }
        await self.request(
            "PUT", upload_url, read=False, content=data, headers=headers, authenticated=False
        )

    async def send_draft(self, mailbox: str, message_id: str) -> str:
        response = await self.request(
            "POST", f"{message_path(mailbox, message_id)}/send", read=False
        )
        return response.headers.get("request-id", "")
