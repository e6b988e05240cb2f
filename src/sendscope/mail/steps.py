"""The requests that deliver one message, as data: a flow yields steps, a driver runs them.

Written once without I/O (the way h11 is) so the sync ``Mailer`` and the ``AsyncMailer``
deliver a message by exactly the same requests in the same order. Each step names the
Graph call it is and whether it is *the* send: only a failure of the sending step can
leave the outcome unknown; before it, nothing has been sent.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ..errors import SendscopeError
from .message import Attachment
from .plan import InlinePlan, UploadPlan, byte_ranges, encode_json

__all__ = [
    "Action",
    "AsyncMailApi",
    "Delivered",
    "Flow",
    "MailApi",
    "Step",
    "StepFailed",
    "arun_flow",
    "delivery_flow",
    "run_flow",
]


class MailApi(Protocol):
    """The Graph mail calls a flow needs (``clients.graph.GraphClient``)."""

    def send_mail_encoded(self, mailbox: str, body: bytes) -> str: ...
    def create_draft(self, mailbox: str, body: bytes) -> str: ...
    def add_attachment(self, mailbox: str, message_id: str, body: bytes) -> None: ...
    def create_upload_session(
        self, mailbox: str, message_id: str, name: str, size: int, content_type: str
    ) -> str: ...
    def upload_range(self, upload_url: str, data: bytes, start: int, total: int) -> None: ...
    def send_draft(self, mailbox: str, message_id: str) -> str: ...


class AsyncMailApi(Protocol):
    """The same calls, awaited (``clients.async_graph.AsyncGraphClient``)."""

    async def send_mail_encoded(self, mailbox: str, body: bytes) -> str: ...
    async def create_draft(self, mailbox: str, body: bytes) -> str: ...
    async def add_attachment(self, mailbox: str, message_id: str, body: bytes) -> None: ...
    async def create_upload_session(
        self, mailbox: str, message_id: str, name: str, size: int, content_type: str
    ) -> str: ...
    async def upload_range(self, upload_url: str, data: bytes, start: int, total: int) -> None: ...
    async def send_draft(self, mailbox: str, message_id: str) -> str: ...


class Action(StrEnum):
    """The Graph calls of a delivery, named as Graph's docs name them."""

    SEND_MAIL = "sendMail"
    CREATE_DRAFT = "createDraft"
    ADD_ATTACHMENT = "addAttachment"
    CREATE_UPLOAD_SESSION = "createUploadSession"
    UPLOAD_RANGE = "uploadRange"
    SEND_DRAFT = "send"

    @property
    def needs(self) -> str:
        """The application permission the call needs (learn.microsoft.com/graph/api/…)."""
        sending = (Action.SEND_MAIL, Action.SEND_DRAFT)
        return "Mail.Send" if self in sending else "Mail.ReadWrite"


@dataclass(frozen=True, slots=True)
class Step:
    """One Graph call of a delivery. ``sends`` marks the call that sends the message;
    ``draft_id`` is set once a draft exists (a failure after it leaves the draft behind)."""

    action: Action
    mailbox: str
    sends: bool = False
    draft_id: str | None = None
    body: bytes = field(default=b"", repr=False)
    attachment: Attachment | None = None
    upload_url: str = field(default="", repr=False)
    start: int = 0
    end: int = 0

    def run(self, api: MailApi) -> str:
        m, d = self.mailbox, self.draft_id or ""
        if self.action is Action.SEND_MAIL:
            return api.send_mail_encoded(m, self.body)
        if self.action is Action.CREATE_DRAFT:
            return api.create_draft(m, self.body)
        if self.action is Action.ADD_ATTACHMENT:
            api.add_attachment(m, d, self.body)
        elif self.action is Action.CREATE_UPLOAD_SESSION:
            a = self._attachment
            return api.create_upload_session(m, d, a.name, a.size, a.content_type)
        elif self.action is Action.UPLOAD_RANGE:
            api.upload_range(self.upload_url, self._chunk, self.start, self._attachment.size)
        elif self.action is Action.SEND_DRAFT:
            return api.send_draft(m, d)
        return ""

    async def arun(self, api: AsyncMailApi) -> str:
        m, d = self.mailbox, self.draft_id or ""
        if self.action is Action.SEND_MAIL:
            return await api.send_mail_encoded(m, self.body)
        if self.action is Action.CREATE_DRAFT:
            return await api.create_draft(m, self.body)
        if self.action is Action.ADD_ATTACHMENT:
            await api.add_attachment(m, d, self.body)
        elif self.action is Action.CREATE_UPLOAD_SESSION:
            a = self._attachment
            return await api.create_upload_session(m, d, a.name, a.size, a.content_type)
        elif self.action is Action.UPLOAD_RANGE:
            await api.upload_range(self.upload_url, self._chunk, self.start, self._attachment.size)
        elif self.action is Action.SEND_DRAFT:
            return await api.send_draft(m, d)
        return ""

    @property
    def _attachment(self) -> Attachment:
        assert self.attachment is not None
        return self.attachment

    @property
    def _chunk(self) -> bytes:
        return self._attachment.content[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Delivered:
    """Graph's 202: the request id of the sending call, and which path was taken."""

    request_id: str
    method: str


Flow = Generator[Step, str, Delivered]


class StepFailed(Exception):
    """A step's call failed: the step (for the explanation) and the mapped error."""

    def __init__(self, step: Step, error: SendscopeError) -> None:
        super().__init__(error.message)
        self.step = step
        self.error = error


def delivery_flow(mailbox: str, plan: InlinePlan | UploadPlan) -> Flow:
    """The steps that deliver ``plan`` from ``mailbox``; each receives its call's answer."""
    if isinstance(plan, InlinePlan):
        request_id = yield Step(Action.SEND_MAIL, mailbox, sends=True, body=plan.body)
        return Delivered(request_id, plan.method)
    draft_id = yield Step(Action.CREATE_DRAFT, mailbox, body=plan.draft)
    for attachment in plan.posted:
        body = encode_json(attachment.as_graph())
        yield Step(Action.ADD_ATTACHMENT, mailbox, draft_id=draft_id, body=body)
    for attachment in plan.large:
        url = yield Step(
            Action.CREATE_UPLOAD_SESSION, mailbox, draft_id=draft_id, attachment=attachment
        )
        for start, end in byte_ranges(attachment.size):
            yield Step(
                Action.UPLOAD_RANGE,
                mailbox,
                draft_id=draft_id,
                attachment=attachment,
                upload_url=url,
                start=start,
                end=end,
            )
    request_id = yield Step(Action.SEND_DRAFT, mailbox, sends=True, draft_id=draft_id)
    return Delivered(request_id, plan.method)


def run_flow(flow: Flow, api: MailApi) -> Delivered:
    """Drive a flow with blocking calls; ``StepFailed`` names the step that failed."""
    step = next(flow)
    while True:
        try:
            answer = step.run(api)
        except SendscopeError as exc:
            raise StepFailed(step, exc) from exc
        try:
            step = flow.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


async def arun_flow(flow: Flow, api: AsyncMailApi) -> Delivered:
    """Drive a flow with awaited calls."""
    step = next(flow)
    while True:
        try:
            answer = await step.arun(api)
        except SendscopeError as exc:
            raise StepFailed(step, exc) from exc
        try:
            step = flow.send(answer)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
