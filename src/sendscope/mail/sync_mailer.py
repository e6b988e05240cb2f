"""``Mailer``: send as mailboxes with the app's credentials, blocking.

``send`` raises the explained exception; ``send_many`` sends on a thread pool, at most
``limits.concurrent_requests`` requests in flight per mailbox (Outlook's 4 per app and
mailbox) and ``max_concurrency`` overall, paced to the sending limits, and returns one
``SendResult`` per message, in order, never raising for one message's failure.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType
from typing import Any

from ..connection import AppSession, ConnectionOptions, Prompt, connect_app
from ..errors import PermissionMissing, SendscopeError
from .common import MailerSettings, held_too_long, is_fatal, receipt, refused, result_for
from .explain import SendContext, explain
from .message import OutgoingMessage
from .plan import InlinePlan, UploadPlan
from .results import SendReceipt, SendResult
from .steps import StepFailed, delivery_flow, run_flow

__all__ = ["Mailer"]

# Threads for send_many without max_concurrency: 16 mailboxes at 4 requests each.
MAX_THREADS = 64


class Mailer:
    """Sends mail through Graph as the app of ``session`` (see docs/library.md).

    ``Mailer.connect(options)`` opens (and on ``close`` closes) its own session;
    ``Mailer(session)`` borrows one. Settings are ``MailerSettings`` fields as keywords.
    """

    def __init__(self, session: AppSession, *, owns_session: bool = False, **settings: Any) -> None:
        self.session = session
        self.settings = MailerSettings(**settings)
        self._owns = owns_session
        self._pacer = self.settings.pacer()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        cap = self.settings.max_concurrency
        self._overall = threading.BoundedSemaphore(cap) if cap else None
        self._fatal: SendscopeError | None = None

    @classmethod
    def connect(
        cls, options: ConnectionOptions, *, prompt: Prompt | None = None, **settings: Any
    ) -> Mailer:
        """A mailer on its own connection (validated before any network call)."""
        return cls(connect_app(options, prompt=prompt), owns_session=True, **settings)

    def send(self, message: OutgoingMessage) -> SendReceipt:
        """Send one message; its ``SendReceipt`` or the explained exception."""
        plan = self.settings.plan(message, self._pacer)
        with self._mailbox_slot(message.sender):
            return self._paced(message, plan)

    def send_many(self, messages: Iterable[OutgoingMessage]) -> list[SendResult]:
        """Send each message; one result per message, in order. Never raises for one.

        Each mailbox's messages are drained by up to ``concurrent_requests`` threads, so
        no thread waits on another mailbox's limit."""
        batch = list(messages)
        results: list[SendResult | None] = [None] * len(batch)
        queues: dict[str, deque[int]] = {}
        for index, message in enumerate(batch):
            queues.setdefault(message.sender.lower(), deque()).append(index)
        limit = self.settings.limits.concurrent_requests
        drains = [q for q in queues.values() for _ in range(min(limit, len(q)))]
        if not drains:
            return []
        workers = min(len(drains), self.settings.max_concurrency or MAX_THREADS)
        with ThreadPoolExecutor(workers, "sendscope-mailer") as pool:
            futures = [pool.submit(self._drain, q, batch, results) for q in drains]
            for future in futures:
                future.result()  # a bug in a worker surfaces here, not silently
        return [r for r in results if r is not None]

    def close(self) -> None:
        if self._owns:
            self.session.__exit__(None, None, None)

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _result(self, message: OutgoingMessage) -> SendResult:
        if self._fatal is not None:  # Entra refused the credentials: no point trying
            return refused(message, self._fatal)
        try:
            return result_for(message, self.send(message))
        except SendscopeError as exc:
            return refused(message, exc)

    def _drain(
        self, queue: deque[int], batch: list[OutgoingMessage], results: list[SendResult | None]
    ) -> None:
        while True:
            try:
                index = queue.popleft()  # atomic: several threads drain one queue
            except IndexError:
                return
            results[index] = self._result(batch[index])

    @contextmanager
    def _mailbox_slot(self, mailbox: str) -> Iterator[None]:
        with self._slots_lock:
            slot = self._slots.setdefault(
                mailbox.lower(),
                threading.BoundedSemaphore(self.settings.limits.concurrent_requests),
            )
        with slot:
            yield

    def _overall_slot(self) -> AbstractContextManager[Any]:
        return self._overall if self._overall is not None else nullcontext()

    def _paced(self, message: OutgoingMessage, plan: InlinePlan | UploadPlan) -> SendReceipt:
        waited, clock, max_wait = 0.0, self.settings.clock, self.settings.max_wait
        while True:
            if self._fatal is not None:  # failed while this message waited for its slot
                raise self._fatal
            with self._overall_slot():
                hold = self._pacer.try_start(message.sender, len(message.recipients))
                if hold is None:
                    return self._deliver(message, plan)
            if waited + hold.seconds > max_wait:
                raise held_too_long(message, hold, waited, max_wait)
            clock.sleep(hold.seconds)
            waited += hold.seconds

    def _deliver(self, message: OutgoingMessage, plan: InlinePlan | UploadPlan) -> SendReceipt:
        try:
            done = run_flow(delivery_flow(message.sender, plan), self.session.graph)
        except StepFailed as failed:
            error = explain(failed, self._context(message, failed))
            if is_fatal(error):
                self._fatal = error
            raise error from None
        return receipt(message, plan, done)

    def _context(self, message: OutgoingMessage, failed: StepFailed) -> SendContext:
        identity = self.session.connection.identity
        # Only a permission refusal is explained by the roles; fetch them for nothing else.
        roles = self._roles() if isinstance(failed.error, PermissionMissing) else None
        return SendContext(message, identity.client_id, identity.tenant, roles)

    def _roles(self) -> tuple[str, ...] | None:
        """The roles in the app's Graph token (cached by MSAL), if one can be had."""
        tokens = self.session.tokens
        try:
            return tokens.token(tokens.cloud.graph_scope).roles
        except SendscopeError:
            return None
