"""Mailbox content: well-known folders, the messages table, and the queries Graph allows.

Folders are Outlook's well-known folders (learn.microsoft.com/graph/api/resources/
mailfolder, "Use well-known folder names"), addressable by name or by an id stable per
mailbox. Lists are newest first with ``$top`` (default 10, at most 1000) and ``$skip``
paging, as Outlook pages messages (its ``@odata.nextLink`` carries ``$skip``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...core.directory import Mailbox
from ...core.ids import iso_utc
from ...core.state import EmulatorState
from ...core.store import dumps, loads
from ..odata import select_fields
from .mail_errors import (
    ErrorInvalidIdMalformed,
    ErrorInvalidUrlQuery,
    ErrorInvalidUrlQueryFilter,
    ErrorItemNotFound,
)
from .mail_message import MESSAGE_PROPERTIES

__all__ = [
    "DEFAULT_MESSAGE_PAGE",
    "MAX_MESSAGE_PAGE",
    "WELL_KNOWN_FOLDERS",
    "MessageQuery",
    "StoredMessage",
    "deliver_messages",
    "folder",
    "folder_id",
    "folder_view",
    "get_message",
    "list_folders",
    "list_messages",
    "message_select",
    "message_view",
    "resolve_folder",
    "save_message",
]

DEFAULT_MESSAGE_PAGE = 10
MAX_MESSAGE_PAGE = 1000
_INT32_MAX = 2**31 - 1  # OData's $skip is an Edm.Int32

WELL_KNOWN_FOLDERS: dict[str, str] = {
    "archive": "Archive",
    "conversationhistory": "Conversation History",
    "deleteditems": "Deleted Items",
    "drafts": "Drafts",
    "inbox": "Inbox",
    "junkemail": "Junk Email",
    "outbox": "Outbox",
    "sentitems": "Sent Items",
}
_ROOT = "msgfolderroot"
_ID_SHAPE = re.compile(r"^[A-Za-z0-9_\-+/]{16,}={0,2}$")
_NAVIGATION = {
    "attachments",
    "extensions",
    "singleValueExtendedProperties",
    "multiValueExtendedProperties",
}
_SELECTABLE = tuple(p for p in MESSAGE_PROPERTIES if p not in _NAVIGATION)
_ONLY_WHEN_SELECTED = ("internetMessageHeaders", "uniqueBody")
_BASIC_HIDDEN = ("body", "bodyPreview", "uniqueBody")
_ORDERABLE = ("receiveddatetime", "sentdatetime", "createddatetime", "lastmodifieddatetime")
_CLAUSE = re.compile(
    r"\s*(?P<prop>[A-Za-z]+(?:/[A-Za-z]+)*)\s+eq\s+"
    r"(?:'(?P<text>(?:[^']|'')*)'|(?P<lit>true|false|null))\s*",
    re.IGNORECASE,
)
_FILTERABLE = {
    "subject": ("subject",),
    "internetmessageid": ("internetMessageId",),
    "conversationid": ("conversationId",),
    "isread": ("isRead",),
    "isdraft": ("isDraft",),
    "importance": ("importance",),
    "hasattachments": ("hasAttachments",),
    "parentfolderid": ("parentFolderId",),
    "from/emailaddress/address": ("from", "emailAddress", "address"),
    "sender/emailaddress/address": ("sender", "emailAddress", "address"),
}


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One row of the messages table."""

    id: str
    folder: str
    data: dict[str, Any]


@lru_cache(maxsize=4096)
def folder_id(mailbox_id: str, name: str) -> str:
    """The id of a well-known folder of one mailbox: stable, shaped like Exchange's."""
    digest = hashlib.sha256(f"{mailbox_id}/{name}".encode()).digest()[:30]
    return "AAMkA" + base64.urlsafe_b64encode(digest).decode("ascii") + "AAA="


def resolve_folder(mailbox: Mailbox, ref: str) -> str:
    """The well-known name of a folder given by name (any case) or by id."""
    if ref.lower() in WELL_KNOWN_FOLDERS:
        return ref.lower()
    for name in WELL_KNOWN_FOLDERS:
        if folder_id(mailbox.object_id, name) == ref:
            return name
    if not _ID_SHAPE.match(ref):
        raise ErrorInvalidIdMalformed()
    raise ErrorItemNotFound()


def _counts(state: EmulatorState, mailbox: Mailbox) -> dict[str, tuple[int, int, int]]:
    rows = state.store.all(
        "SELECT folder, COUNT(*), SUM(json_extract(data, '$.isRead') = 0), SUM(LENGTH(data)) "
        "FROM messages WHERE tenant_id = ? AND mailbox_id = ? GROUP BY folder",
        (mailbox.tenant_id, mailbox.object_id),
    )
    return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}


def folder_view(
    mailbox: Mailbox, name: str, counts: tuple[int, int, int] = (0, 0, 0)
) -> dict[str, Any]:
    total, unread, size = counts
    return {
        "id": folder_id(mailbox.object_id, name),
        "displayName": WELL_KNOWN_FOLDERS[name],
        "parentFolderId": folder_id(mailbox.object_id, _ROOT),
        "childFolderCount": 0,
        "unreadItemCount": unread,
        "totalItemCount": total,
        "sizeInBytes": size,
        "isHidden": False,
    }


def list_folders(state: EmulatorState, mailbox: Mailbox) -> list[dict[str, Any]]:
    """The mailbox's top-level folders by display name, as Outlook lists them."""
    counts = _counts(state, mailbox)
    return [folder_view(mailbox, name, counts.get(name, (0, 0, 0))) for name in WELL_KNOWN_FOLDERS]


def folder(state: EmulatorState, mailbox: Mailbox, ref: str) -> dict[str, Any]:
    name = resolve_folder(mailbox, ref)
    return folder_view(mailbox, name, _counts(state, mailbox).get(name, (0, 0, 0)))


def save_message(
    state: EmulatorState, mailbox: Mailbox, folder_name: str, data: dict[str, Any]
) -> None:
    """Insert a message, or replace it (same id): in place, or newest when it moves folder."""
    data["parentFolderId"] = folder_id(mailbox.object_id, folder_name)
    state.store.execute(
        _INSERT + " ON CONFLICT (tenant_id, mailbox_id, id) DO UPDATE SET "
        "folder = excluded.folder, data = excluded.data",
        _row(state, mailbox, folder_name, data),
    )


def deliver_messages(
    state: EmulatorState, copies: Sequence[tuple[Mailbox, str, dict[str, Any]]]
) -> None:
    """File new messages (fresh ids, so no conflict). The rows are deferred (``Store.defer``):
    written with the next batch, before anyone reads a mailbox."""
    next_seq = state.store.next_seq
    rows = []
    for mailbox, folder_name, data in copies:
        data["parentFolderId"] = folder_id(mailbox.object_id, folder_name)
        created = data["createdDateTime"]  # a new message always has one
        row = (mailbox.tenant_id, mailbox.object_id, data["id"], folder_name, created)
        rows.append((*row, dumps(data), next_seq()))
    state.store.defer("messages", _INSERT, rows)


_INSERT = (
    "INSERT INTO messages (tenant_id, mailbox_id, id, folder, created, data, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _row(
    state: EmulatorState, mailbox: Mailbox, folder_name: str, data: dict[str, Any]
) -> tuple[Any, ...]:
    return (
        mailbox.tenant_id,
        mailbox.object_id,
        data["id"],
        folder_name,
        data.get("createdDateTime") or iso_utc(),
        dumps(data),
        state.store.next_seq(),
    )


def get_message(state: EmulatorState, mailbox: Mailbox, message_id: str) -> StoredMessage:
    row = state.store.one(
        "SELECT id, folder, data FROM messages WHERE tenant_id = ? AND mailbox_id = ? AND id = ?",
        (mailbox.tenant_id, mailbox.object_id, message_id),
    )
    if row is None:
        raise ErrorInvalidIdMalformed() if not _ID_SHAPE.match(message_id) else ErrorItemNotFound()
    return StoredMessage(row["id"], row["folder"], loads(row["data"]))


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """``$top``, ``$skip``, ``$select``, ``$filter`` (``eq`` clauses joined by ``and``) and
    ``$orderby`` (the date properties; every message list is in arrival order anyway)."""

    top: int = DEFAULT_MESSAGE_PAGE
    skip: int = 0
    select: tuple[str, ...] = ()
    filter: tuple[tuple[tuple[str, ...], Any], ...] = ()
    ascending: bool = False

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> MessageQuery:
        return cls(
            top=_whole(params.get("$top"), "$top", DEFAULT_MESSAGE_PAGE, 1, MAX_MESSAGE_PAGE),
            skip=_whole(params.get("$skip"), "$skip", 0, 0, _INT32_MAX),
            select=message_select(params.get("$select")),
            filter=_filter(params.get("$filter")),
            ascending=_ascending(params.get("$orderby")),
        )


def message_select(raw: str | None) -> tuple[str, ...]:
    """The properties a ``$select`` names, or Graph's 400 for one a message lacks."""
    return select_fields(raw, "message", _SELECTABLE)


def _whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ErrorInvalidUrlQuery(
            f"The value '{raw}' of query parameter '{name}' is invalid: "
            f"it must be a whole number between {low} and {high}."
        )
    return value


def _filter(raw: str | None) -> tuple[tuple[tuple[str, ...], Any], ...]:
    if not raw:
        return ()
    clauses = re.split(r"\s+and\s+", raw, flags=re.IGNORECASE)
    parsed = []
    for clause in clauses:
        match = _CLAUSE.fullmatch(clause)
        path = _FILTERABLE.get(match.group("prop").lower()) if match else None
        if match is None or path is None:
            raise ErrorInvalidUrlQueryFilter()
        literal = match.group("lit")
        value: Any = (
            match.group("text").replace("''", "'")
            if literal is None
            else (None if literal.lower() == "null" else literal.lower() == "true")
        )
        parsed.append((path, value))
    return tuple(parsed)


def _ascending(raw: str | None) -> bool:
    if not raw:
        return False
    prop, _, direction = raw.strip().partition(" ")
    if prop.lower() not in _ORDERABLE or direction.strip().lower() not in ("", "asc", "desc"):
        raise ErrorInvalidUrlQuery(f"The $orderby expression '{raw}' is not supported.")
    return direction.strip().lower() in ("", "asc")


def _matches(data: Mapping[str, Any], clauses: Sequence[tuple[tuple[str, ...], Any]]) -> bool:
    for path, expected in clauses:
        value: Any = data
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, str) and isinstance(expected, str):
            if value.lower() != expected.lower():
                return False
        elif value != expected:
            return False
    return True


def list_messages(
    state: EmulatorState, mailbox: Mailbox, folder_name: str | None, query: MessageQuery
) -> tuple[list[dict[str, Any]], bool]:
    """One page of a folder (or of the whole mailbox) and whether more follow."""
    where, args = "tenant_id = ? AND mailbox_id = ?", [mailbox.tenant_id, mailbox.object_id]
    if folder_name is not None:
        where, args = where + " AND folder = ?", [*args, folder_name]
    order = "ASC" if query.ascending else "DESC"
    sql = f"SELECT data FROM messages WHERE {where} ORDER BY seq {order}"  # noqa: S608
    if not query.filter:
        rows = state.store.all(f"{sql} LIMIT ? OFFSET ?", (*args, query.top + 1, query.skip))
        found = [loads(r[0]) for r in rows]
    else:
        every = (loads(r[0]) for r in state.store.all(sql, args))
        found = [d for d in every if _matches(d, query.filter)][
            query.skip : query.skip + query.top + 1
        ]
    return found[: query.top], len(found) > query.top


def message_view(
    data: Mapping[str, Any], select: Sequence[str] = (), *, basic: bool = False
) -> dict[str, Any]:
    """The JSON Graph returns for a stored message (``basic``: Mail.ReadBasic's view)."""
    view = {k: v for k, v in data.items() if not k.startswith("_")}
    view["@odata.etag"] = f'W/"{data.get("changeKey", "")}"'
    if basic:
        for name in _BASIC_HIDDEN:
            view.pop(name, None)
    if not select:
        for name in _ONLY_WHEN_SELECTED:
            view.pop(name, None)
        return view
    keep = ("@odata.etag", "id", *select)
    return {
        name: view.get(name)
        for name in dict.fromkeys(keep)
        if not (basic and name in _BASIC_HIDDEN)
    }
