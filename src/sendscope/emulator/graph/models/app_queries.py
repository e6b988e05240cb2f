"""What the applications, service principal and role models share: how a request names
an object, paged directory queries, and the checks Graph applies to a JSON body.

Graph lets an app registration and a service principal be addressed by object id
(``/applications/{id}``) or by client id (``/applications(appId='{appId}')``,
learn.microsoft.com/graph/api/application-get).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.store import Row, Store, loads
from ..auth import Caller
from ..exceptions import BadRequest, RequestBadRequest
from ..odata import ListQuery, page

__all__ = [
    "ObjectRef",
    "Page",
    "check_guid",
    "fresh",
    "owner_id",
    "owners",
    "paged_rows",
    "reject_unknown",
    "require_text",
    "string_list",
]


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """How a request names an object: by object id, or by appId (``(appId='…')``)."""

    value: str
    by_app_id: bool = False

    @property
    def column(self) -> str:
        return "app_id" if self.by_app_id else "id"

    @property
    def key(self) -> str:
        return self.value.lower()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a Graph list: its items, and the seq the next page starts after."""

    items: list[dict[str, Any]]
    last_seq: int | None


def paged_rows(
    store: Store,
    base_sql: str,
    args: Sequence[Any],
    query: ListQuery,
    columns: Mapping[str, str],
    seq_column: str = "seq",
) -> tuple[list[Row], int | None]:
    """Run ``base_sql`` (a SELECT ending in a WHERE clause) for one page of ``query``.

    ``columns`` maps each filterable Graph property to its SQL expression; the rows must
    carry a ``seq`` column, the paging order. String comparisons ignore case, as
    directory filters do.
    """
    sql, params = f"{base_sql} AND {seq_column} > ?", [*args, query.after_seq]
    if query.filter is not None:
        expression = columns[query.filter.prop]
        value = query.filter.value
        if value is None:
            sql += f" AND {expression} IS NULL"
        else:
            sql += f" AND {expression} = ? COLLATE NOCASE"
            params.append(int(value) if isinstance(value, bool) else value)
    sql += f" ORDER BY {seq_column} LIMIT ?"
    params.append(query.top + 1)
    rows = store.all(sql, params)
    chosen, last = page(rows, query.top, lambda row: int(row["seq"]))
    return list(chosen), last


def fresh(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a default property set, safe to fill in."""
    return copy.deepcopy(dict(defaults))


def reject_unknown(
    body: Mapping[str, Any], known: Iterable[str], read_only: Iterable[str] = ()
) -> dict[str, Any]:
    """The body without OData annotations; unknown and read-only properties refused.

    The texts are the directory's (guess: "Invalid property" is how the Entra directory
    names an unknown property; read-only wording unconfirmed).
    """
    allowed, fixed = set(known), set(read_only)
    kept: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name in fixed:
            raise RequestBadRequest(f"Property '{name}' is read-only and cannot be set.")
        if name not in allowed:
            raise RequestBadRequest(f"Invalid property '{name}'.")
        kept[name] = value
    return kept


def require_text(body: Mapping[str, Any], name: str, resource: str) -> str:
    """A required non-empty string property (wording of Graph's "A value is required")."""
    value = body.get(name)
    if value is None or value == "":
        raise RequestBadRequest(
            f"A value is required for property '{name}' of resource '{resource}'."
        )
    if not isinstance(value, str):
        raise BadRequest(f"Cannot convert the literal '{value}' to the expected type 'Edm.String'.")
    return value


def string_list(name: str, value: Any) -> list[str]:
    """A collection of strings, or the schema error Graph gives for anything else (observed)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"Property {name} in payload has a value that does not match schema.")
    return list(value)


def check_guid(value: Any) -> str:
    """A GUID-valued property, lower-cased; Edm.Guid's conversion error otherwise (guess)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise BadRequest(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.Guid'."
        ) from None


def owners(app: Row | None) -> list[str]:
    """Object ids of an app registration's owners (service principals or users).

    Kept in the app's props as ``_owners``: the OwnedBy permission needs them; Graph's
    ``/owners`` endpoints are not emulated.
    """
    return list(loads(app["props"]).get("_owners", [])) if app is not None else []


def owner_id(caller: Caller) -> str:
    """The directory object that becomes (or must be) an owner: the user, else the app."""
    return caller.user_id or caller.service_principal_id
