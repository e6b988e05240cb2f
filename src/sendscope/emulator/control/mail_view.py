"""A sent message as a person reads it: sender, recipients marked internal or external, body.

Pure reading of an outbox entry's Graph message JSON (learn.microsoft.com/graph/api/
resources/message: ``toRecipients``, ``ccRecipients``, ``bccRecipients``, ``body``,
``from``, ``attachments``). Tolerant of what it does not know: the page must show any
row the mail service wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.state import EmulatorState
from ..core.store import loads
from .outbox import OutboxEntry

__all__ = [
    "Attachment",
    "MailBody",
    "Recipient",
    "SentMail",
    "TenantDomains",
    "sent_mail",
    "tenant_domains",
]

_KINDS = (("to", "toRecipients"), ("cc", "ccRecipients"), ("bcc", "bccRecipients"))


@dataclass(frozen=True, slots=True)
class TenantDomains:
    """A tenant's primary domain and every accepted domain (what makes mail internal)."""

    id: str
    domain: str
    domains: frozenset[str]


@dataclass(frozen=True, slots=True)
class Recipient:
    kind: str  # to | cc | bcc
    address: str
    name: str
    internal: bool


@dataclass(frozen=True, slots=True)
class MailBody:
    content_type: str  # text | html
    content: str


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    content_type: str
    size: int | None


@dataclass(frozen=True, slots=True)
class SentMail:
    """An outbox entry, read for the web page."""

    entry: OutboxEntry
    tenant: str
    from_address: str
    recipients: tuple[Recipient, ...]
    body: MailBody | None
    attachments: tuple[Attachment, ...]


def tenant_domains(state: EmulatorState) -> dict[str, TenantDomains]:
    rows = state.store.all("SELECT id, domain, props FROM tenants ORDER BY created, rowid")
    result = {}
    for row in rows:
        props = loads(row["props"])
        names = props.get("domains", []) if isinstance(props, dict) else []
        domains = frozenset(str(d).lower() for d in [row["domain"], *names])
        result[row["id"]] = TenantDomains(row["id"], row["domain"], domains)
    return result


def sent_mail(entry: OutboxEntry, tenant: TenantDomains | None) -> SentMail:
    message = entry.message if isinstance(entry.message, dict) else {}
    domains = tenant.domains if tenant is not None else frozenset()
    sender = _address(message.get("from") or message.get("sender"))
    return SentMail(
        entry=entry,
        tenant=tenant.domain if tenant is not None else entry.tenant_id,
        from_address=sender[0] if sender else entry.mailbox,
        recipients=tuple(_recipients(message, entry.recipients, domains)),
        body=_body(message.get("body")),
        attachments=tuple(_attachments(message.get("attachments"))),
    )


def _recipients(
    message: Mapping[str, Any], column: Any, domains: frozenset[str]
) -> list[Recipient]:
    """From the message's recipient lists; else from the outbox's own recipients column
    (``{"to": [...], "cc": [...], "bcc": [...]}`` or a plain list of addresses)."""
    lists = {kind: message.get(key) for kind, key in _KINDS}
    if not any(isinstance(v, list) and v for v in lists.values()):
        lists = _column_lists(column)
    found = []
    for kind, items in lists.items():
        for item in items if isinstance(items, list) else []:
            parsed = _address(item)
            if parsed is not None:
                found.append(Recipient(kind, parsed[0], parsed[1], _internal(parsed[0], domains)))
    return found


def _column_lists(column: Any) -> dict[str, Any]:
    if isinstance(column, list):
        return {"to": column}
    if isinstance(column, dict):
        return {kind: column.get(kind) or column.get(key) for kind, key in _KINDS}
    return {}


def _address(item: Any) -> tuple[str, str] | None:
    """(address, name) of ``"a@x"``, ``{"address", "name"}`` or ``{"emailAddress": {…}}``."""
    if isinstance(item, str):
        return (item, "")
    if not isinstance(item, dict):
        return None
    inner = item.get("emailAddress", item)
    if not isinstance(inner, dict) or not isinstance(inner.get("address"), str):
        return None
    name = inner.get("name")
    return (inner["address"], name if isinstance(name, str) else "")


def _internal(address: str, domains: frozenset[str]) -> bool:
    return address.rpartition("@")[2].lower() in domains


def _body(value: Any) -> MailBody | None:
    if not isinstance(value, dict) or not isinstance(value.get("content"), str):
        return None
    kind = str(value.get("contentType", "text")).lower()
    return MailBody("html" if kind == "html" else "text", value["content"])


def _attachments(value: Any) -> list[Attachment]:
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            size = item.get("size")
            found.append(
                Attachment(
                    str(item.get("name") or "(unnamed)"),
                    str(item.get("contentType") or "application/octet-stream"),
                    size if isinstance(size, int) and not isinstance(size, bool) else None,
                )
            )
    return found
