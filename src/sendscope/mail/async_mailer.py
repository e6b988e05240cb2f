"""``AsyncMailer``: the same sends as ``Mailer``, awaited, for bulk.

One task per message; at most ``limits.concurrent_requests`` requests in flight per
mailbox and ``max_concurrency`` overall; paced by the same ``Pacer``; delivered by the
same flow of steps over ``AsyncGraphClient`` (same retry and error rules as the blocking
client). Tokens come from the session's MSAL source, fetched in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from types import TracebackType
from typing import Any

import httpx2

from ..auth.trust import ssl_context
from ..clients._http import make_async_http_client
from ..clients.async_graph import AsyncGraphClient, AsyncTokens
from ..connection import AppSession, ConnectionOptions, Prompt, connect_app
from ..errors import SendscopeError
from .common import MailerSettings, held_too_long, is_fatal, receipt, refused, result_for
from .explain import SendContext, explain
from .message import OutgoingMessage
from .plan import InlinePlan, UploadPlan
from .results import SendReceipt, SendResult
from .steps import StepFailed, arun_flow, delivery_flow

__all__ = ["AsyncMailer"]


class AsyncMailer:
    """Sends mail through Graph as the app of ``session``, concurrently (docs/library.md).

    ``AsyncMailer.connect(options)`` opens its own session; ``async with`` closes it.
    ``transport`` replaces the async HTTP transport (tests: ``httpx2.ASGITransport``).
    """

    def __init__(
        self,
        session: AppSession,
        *,
        owns_session: bool = False,
        transport: httpx2.AsyncBaseTransport | None = None,
        **settings: Any,
    ) -> None:
        self.session = session
        self.settings = MailerSettings(**settings)
        self._owns = owns_session
        self._tokens = AsyncTokens(session.tokens)
        self.http = _async_http(session, transport, self.settings.max_concurrency)
        self.graph = AsyncGraphClient(self.http, session.connection.cloud.graph_base, self._tokens)
        self._pacer = self.settings.pacer()
        self._slots: dict[str, asyncio.Semaphore] = {}
        cap = self.settings.max_concurrency
        self._overall = asyncio.Semaphore(cap) if cap else None
        self._fatal: SendscopeError | None = None

    @classmethod
    def connect(
        cls, options: ConnectionOptions, *, prompt: Prompt | None = None, **settings: Any
    ) -> AsyncMailer:
        """A mailer on its own connection; use it with ``async with``."""
        return cls(connect_app(options, prompt=prompt), owns_session=True, **settings)

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Send one message; its ``SendReceipt`` or the explained exception."""
        plan = self.settings.plan(message, self._pacer)
        async with self._mailbox_slot(message.sender):
            return await self._paced(message, plan)

    async def send_many(self, messages: Iterable[OutgoingMessage]) -> list[SendResult]:
        """Send each message concurrently; one result per message, in order."""
        return list(await asyncio.gather(*(self._result(m) for m in messages)))

    async def aclose(self) -> None:
        await self.http.aclose()
        if self._owns:
            self.session.__exit__(None, None, None)

    async def __aenter__(self) -> AsyncMailer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _result(self, message: OutgoingMessage) -> SendResult:
        if self._fatal is not None:  # Entra refused the credentials: no point trying
            return refused(message, self._fatal)
        try:
            return result_for(message, await self.send(message))
        except SendscopeError as exc:
            return refused(message, exc)

    @asynccontextmanager
    async def _mailbox_slot(self, mailbox: str) -> AsyncIterator[None]:
        slot = self._slots.setdefault(
            mailbox.lower(), asyncio.Semaphore(self.settings.limits.concurrent_requests)
        )
        async with slot:
            yield

    def _overall_slot(self) -> AbstractAsyncContextManager[Any]:
        return self._overall if self._overall is not None else nullcontext()

    async def _paced(self, message: OutgoingMessage, plan: InlinePlan | UploadPlan) -> SendReceipt:
        waited, clock, max_wait = 0.0, self.settings.clock, self.settings.max_wait
        while True:
            if self._fatal is not None:  # failed while this message waited for its slot
                raise self._fatal
            async with self._overall_slot():
                hold = self._pacer.try_start(message.sender, len(message.recipients))
                if hold is None:
                    return await self._deliver(message, plan)
            if waited + hold.seconds > max_wait:
                raise held_too_long(message, hold, waited, max_wait)
            await clock.asleep(hold.seconds)
            waited += hold.seconds

    async def _deliver(
        self, message: OutgoingMessage, plan: InlinePlan | UploadPlan
    ) -> SendReceipt:
        try:
            done = await arun_flow(delivery_flow(message.sender, plan), self.graph)
        except StepFailed as failed:
            identity = self.session.connection.identity
            context = SendContext(message, identity.client_id, identity.tenant, self._tokens.roles)
            error = explain(failed, context)
            if is_fatal(error):
                self._fatal = error
            raise error from None
        return receipt(message, plan, done)


def _async_http(
    session: AppSession, transport: httpx2.AsyncBaseTransport | None, cap: int | None
) -> httpx2.AsyncClient:
    """Same trust and timeouts as the session's client; no pool wait limit, since the
    mailer itself bounds how many requests run at once."""
    context = ssl_context(session.connection.ca_file)
    return make_async_http_client(context, transport=transport, connections=cap or 100)
