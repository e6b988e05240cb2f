"""The outbox, as a mail catcher keeps it: every message the emulator accepted for sending.

The mail service writes the ``outbox`` rows (core/store.py); the control plane reads,
filters and clears them. Like Mailpit's API (list, get, delete), but keyed on what
matters for Graph: the sending mailbox and the app that sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.state import EmulatorState
from ..core.store import Row
from .exceptions import InvalidRequest, NotFound
from .models import find_tenant

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "OutboxEntry",
    "OutboxQuery",
    "clear_outbox",
    "list_outbox",
    "outbox_entry",
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_WHOLE = re.compile(r"-?[0-9]{1,18}")
_PARAMS = ("tenant", "mailbox", "subject", "limit", "after")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One sent message: the row, with its JSON columns parsed."""

    id: str
    seq: int
    tenant_id: str
    sent_at: str
    app_id: str | None
    mailbox: str
    subject: str
    recipients: Any
    message: Any

    @classmethod
    def from_row(cls, row: Row) -> OutboxEntry:
        return cls(
            row["id"],
            row["seq"],
            row["tenant_id"],
            row["sent_at"],
            row["app_id"],
            row["mailbox"],
            row["subject"],
            _parsed(row["recipients"]),
            _parsed(row["message"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "tenant": self.tenant_id,
            "sentAt": self.sent_at,
            "appId": self.app_id,
            "mailbox": self.mailbox,
            "subject": self.subject,
            "recipients": self.recipients,
            "message": self.message,
        }


def _parsed(text: str) -> Any:
    """The JSON a column holds; the raw text if a writer ever stored something else."""
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return text


@dataclass(frozen=True, slots=True)
class OutboxQuery:
    """Filters of ``GET /_emulator/outbox``: newest first, ``after`` a seq for polling."""

    tenant: str | None = None
    mailbox: str | None = None
    subject: str | None = None
    limit: int = DEFAULT_LIMIT
    after: int = 0

    @classmethod
    def from_params(
        cls, params: Mapping[str, str], allowed: tuple[str, ...] = _PARAMS
    ) -> OutboxQuery:
        """Parse query parameters; an unknown one is refused, so a typo never widens a
        filter (``DELETE /_emulator/outbox?tennant=…`` must not clear everything)."""
        for name in params:
            if name not in allowed:
                raise InvalidRequest(f"Unknown query parameter {name!r}: use {', '.join(allowed)}.")
        return cls(
            tenant=params.get("tenant") or None,
            mailbox=params.get("mailbox") or None,
            subject=params.get("subject") or None,
            limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            after=_integer(params, "after", 0, 0, None),
        )


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    if _WHOLE.fullmatch(text) is None:
        raise InvalidRequest(f"{name}={text!r} is not a whole number.")
    value = int(text)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise InvalidRequest(f"{name}={value} must be {bound}.")
    return value


def list_outbox(state: EmulatorState, query: OutboxQuery) -> list[OutboxEntry]:
    clauses, args = _where(state, query)
    if query.mailbox:
        clauses.append("mailbox = ? COLLATE NOCASE")
        args.append(query.mailbox)
    if query.subject:
        # instr, not LIKE: a subject filter with % or _ means those characters.
        clauses.append("instr(lower(subject), lower(?)) > 0")
        args.append(query.subject)
    if query.after:
        clauses.append("seq > ?")
        args.append(query.after)
    where = " AND ".join(clauses) or "1"
    rows = state.store.all(
        f"SELECT * FROM outbox WHERE {where} ORDER BY seq DESC LIMIT ?",  # noqa: S608
        (*args, query.limit),
    )
    return [OutboxEntry.from_row(row) for row in rows]


def _where(state: EmulatorState, query: OutboxQuery) -> tuple[list[str], list[Any]]:
    if query.tenant is None:
        return [], []
    return ["tenant_id = ?"], [find_tenant(state, query.tenant)["id"]]


def outbox_entry(state: EmulatorState, message_id: str) -> OutboxEntry:
    row = state.store.one("SELECT * FROM outbox WHERE id = ?", (message_id,))
    if row is None:
        raise NotFound(
            f"There is no message {message_id!r} in the outbox: GET /_emulator/outbox lists them."
        )
    return OutboxEntry.from_row(row)


def clear_outbox(state: EmulatorState, tenant: str | None) -> int:
    """Delete the outbox (of one tenant, if named); return how many messages went."""
    clauses, args = _where(state, OutboxQuery(tenant=tenant))
    where = " AND ".join(clauses) or "1"
    return state.store.execute(f"DELETE FROM outbox WHERE {where}", args)  # noqa: S608
