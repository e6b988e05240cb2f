"""Rules every Graph directory resource shares: request bodies, paged lists, object SIDs.

Directory writes (users, groups) answer malformed bodies with ``Request_BadRequest`` and
a message naming the property and the resource type, e.g. "A value is required for
property 'mailNickname' of resource 'Group'." (observed; wire-facts.md §5). Lists page
by the store's ``seq`` (learn.microsoft.com/graph/paging), so each page is one indexed
range query however large the tenant.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.store import Row, Store
from ..exceptions import BadRequest, RequestBadRequest
from ..odata import Filter, ListQuery, page

__all__ = [
    "Page",
    "check_known",
    "context_fragment",
    "count_rows",
    "filter_clause",
    "invalid_value",
    "object_sid",
    "optional_text",
    "page_rows",
    "project",
    "require_bool",
    "require_text",
    "require_values",
    "valid_nickname",
]

# Exchange aliases: printable ASCII without the characters SMTP or Exchange reject
# (learn.microsoft.com/graph/api/resources/user, mailNickname).
_NICKNAME = re.compile(r"^[!#$%&'*+\-/=?^_`{|}~A-Za-z0-9.]{1,64}$")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a directory list: Graph objects, where the next page starts, the count."""

    fragment: str
    items: list[dict[str, Any]]
    next_after: int | None
    count: int | None = None


def context_fragment(entity_set: str, select: Sequence[str], *, entity: bool = False) -> str:
    """``users``, ``users(displayName,mail)`` or ``users/$entity``: the part after ``#``."""
    base = f"{entity_set}({','.join(select)})" if select else entity_set
    return f"{base}/$entity" if entity else base


def project(
    full: Mapping[str, Any], select: Sequence[str], default: Sequence[str]
) -> dict[str, Any]:
    """The properties a caller asked for. Directory objects return only what ``$select``
    names — not even ``id`` unless asked (unlike Outlook resources)."""
    return {name: full.get(name) for name in (select or default)}


def object_sid(object_id: str) -> str:
    """Entra's ``securityIdentifier`` of a cloud-only object: ``S-1-12-1-`` and the object
    id's sixteen bytes (in .NET Guid byte order) read as four little-endian integers."""
    parts = struct.unpack("<4I", uuid.UUID(object_id).bytes_le)
    return "S-1-12-1-" + "-".join(str(p) for p in parts)


def valid_nickname(value: str) -> bool:
    return bool(_NICKNAME.match(value)) and not value.startswith(".") and ".." not in value


def invalid_value(name: str, resource: str) -> RequestBadRequest:
    return RequestBadRequest(
        f"Invalid value specified for property '{name}' of resource '{resource}'."
    )


def require_values(body: Mapping[str, Any], names: Iterable[str], resource: str) -> None:
    """Graph's 400 for the first required property that is absent or null."""
    for name in names:
        if body.get(name) is None:
            raise RequestBadRequest(
                f"A value is required for property '{name}' of resource '{resource}'."
            )


def require_text(body: Mapping[str, Any], name: str, resource: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid_value(name, resource)
    return value.strip()


def optional_text(body: Mapping[str, Any], name: str, resource: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_value(name, resource)
    return value


def require_bool(body: Mapping[str, Any], name: str, resource: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise invalid_value(name, resource)
    return value


def check_known(body: Mapping[str, Any], known: Iterable[str], type_name: str) -> None:
    """OData's 400 for a property the type does not define (instance annotations such as
    ``@odata.type``, which the Graph SDKs send, are allowed)."""
    allowed = set(known)
    for key in body:
        if key.startswith("@odata.") or key in allowed:
            continue
        raise BadRequest(
            f"Property '{key}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
            "to only use property names that are defined by the type or mark the type as "
            "open type."
        )


def filter_clause(found: Filter | None, columns: Mapping[str, str]) -> tuple[str, list[Any]]:
    """The SQL for a parsed ``$filter`` eq clause: `` AND column = ?`` and its argument."""
    if found is None:
        return "", []
    column = columns[found.prop]
    if found.value is None:
        return f" AND {column} IS NULL", []
    boolean = column.endswith("_enabled")
    if isinstance(found.value, bool) != boolean:
        raise BadRequest(_operand_mismatch(boolean))
    if isinstance(found.value, bool):
        return f" AND {column} = ?", [int(found.value)]
    value = found.value.lower() if column == "id" else found.value
    return f" AND {column} = ?", [value]


def _operand_mismatch(boolean: bool) -> str:
    left, right = ("Edm.Boolean", "Edm.String") if boolean else ("Edm.String", "Edm.Boolean")
    return (
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{left}' and '{right}' for operator kind 'Equal'."
    )


def page_rows(
    store: Store, table: str, tenant_id: str, query: ListQuery, where: str, args: Sequence[Any]
) -> tuple[Sequence[Row], int | None]:
    """One page of a tenant's rows in ``seq`` order: an indexed range, never a full scan."""
    rows = store.all(
        f"SELECT * FROM {table} WHERE tenant_id = ? AND seq > ?{where} "  # noqa: S608
        "ORDER BY seq LIMIT ?",
        (tenant_id, query.after_seq, *args, query.top + 1),
    )
    return page(rows, query.top, lambda row: int(row["seq"]))


def count_rows(store: Store, table: str, tenant_id: str, where: str, args: Sequence[Any]) -> int:
    return int(
        store.scalar(
            f"SELECT COUNT(*) FROM {table} WHERE tenant_id = ?{where}",  # noqa: S608
            (tenant_id, *args),
        )
    )
