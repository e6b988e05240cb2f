"""How cmdlet output objects look on the wire.

A captured ``Get-Mailbox`` response (public code, 2024) shows the serialisation the admin
API uses for ``X-ResponseFormat: json``: each collection property is preceded by
``"<Name>@odata.type": "#Collection(String)"``, each GUID by ``"<Name>@data.type":
"System.Guid"`` and ``"<Name>@odata.type": "#Guid"``, each date by ``"<Name>@data.type":
"System.DateTime"``; dates look like ``2022-06-29T17:57:03.0000000+00:00``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache

from ...core.store import Row
from .invocation import CmdletResult, Listing, Record

__all__ = [
    "DATE_FIELDS",
    "GUID_FIELDS",
    "MORE_RESULTS",
    "annotate",
    "exchange_date",
    "exchange_date_of",
    "listing",
    "paged_listing",
    "select",
]

# What Exchange warns when -ResultSize cut a listing short (quoted in many public outputs).
MORE_RESULTS = (
    "There are more results available than are currently displayed. To view them, increase "
    "the value for the ResultSize parameter."
)

GUID_FIELDS = frozenset({"Guid", "ExchangeGuid", "ExchangeObjectId"})
DATE_FIELDS = frozenset({"WhenCreated", "WhenChanged"})


def exchange_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00")


@lru_cache(maxsize=4096)
def exchange_date_of(stored: str) -> str:
    """``exchange_date`` of a stored ISO timestamp (rows share few distinct ones)."""
    return exchange_date(datetime.fromisoformat(stored.replace("Z", "+00:00")))


def annotate(record: Record) -> Record:
    """The record with the type annotations Exchange puts before typed properties."""
    shaped: Record = {}
    for name, value in record.items():
        if isinstance(value, list):
            shaped[_collection_key(name)] = "#Collection(String)"
        else:
            typed = _TYPED.get(name)
            if typed is not None:
                shaped.update(typed)
        shaped[name] = value
    return shaped


# Annotations by property name, made once (annotate runs for every object of every page).
_TYPED: dict[str, dict[str, str]] = {
    **{n: {f"{n}@data.type": "System.Guid", f"{n}@odata.type": "#Guid"} for n in GUID_FIELDS},
    **{n: {f"{n}@data.type": "System.DateTime"} for n in DATE_FIELDS},
}


@cache
def _collection_key(name: str) -> str:
    return f"{name}@odata.type"


def select(records: Iterable[Record], fields: Sequence[str]) -> list[Record]:
    """``?$select=A,B``: only those properties (and their annotations), case-insensitively;
    names no object has are left out (what Exchange does with them is UNCONFIRMED)."""
    wanted = {f.strip().lower() for f in fields if f.strip()}
    if not wanted:
        return list(records)
    kept: dict[str, bool] = {}  # by key: a page of 1,000 objects shares 20 or so keys

    def keep(key: str) -> bool:
        found = kept.get(key)
        if found is None:
            found = kept[key] = key.split("@", 1)[0].lower() in wanted
        return found

    return [{k: v for k, v in record.items() if keep(k)} for record in records]


def listing(rows: Sequence[Row], limit: int | None, shape: Callable[[Row], Record]) -> CmdletResult:
    """A Get- cmdlet's output: at most ``limit`` objects (None: Unlimited), with Exchange's
    warning when there were more."""
    if limit is not None and len(rows) > limit:
        return CmdletResult([shape(r) for r in rows[:limit]], (MORE_RESULTS,))
    return CmdletResult([shape(r) for r in rows])


def paged_listing(
    rows: Callable[[int, int], Sequence[Row]], shape: Callable[[Sequence[Row]], list[Record]]
) -> CmdletResult:
    """A ``-ResultSize Unlimited`` output, shaped only a page at a time."""
    return CmdletResult([], listing=Listing(rows, shape))
