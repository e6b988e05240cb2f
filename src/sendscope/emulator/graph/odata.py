"""OData query options of Graph directory lists: ``$top``, ``$select``, ``$filter``, paging.

Limits are Graph's: ``$top`` from 1 to 999 (default 100) with the real error beyond;
``$filter`` only ``eq`` on the properties a resource supports; paging with an opaque
``$skiptoken`` in ``@odata.nextLink`` (learn.microsoft.com/graph/paging).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from ..core.store import MAX_INTEGER
from .exceptions import BadRequest, RequestBadRequest, RequestUnsupportedQuery

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Filter",
    "ListQuery",
    "next_link",
    "select_fields",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999

_FILTER = re.compile(
    r"^\s*(?P<prop>[A-Za-z]+)\s+eq\s+(?:'(?P<text>(?:[^']|'')*)'|(?P<lit>true|false|null))\s*$"
)


@dataclass(frozen=True, slots=True)
class Filter:
    prop: str
    value: str | bool | None


@dataclass(frozen=True, slots=True)
class ListQuery:
    top: int
    after_seq: int
    select: tuple[str, ...]
    filter: Filter | None

    @classmethod
    def parse(
        cls,
        request: Request,
        *,
        resource: str,
        filterable: Sequence[str],
        selectable: Sequence[str],
    ) -> ListQuery:
        params = request.query_params
        if "$skip" in params:
            raise RequestBadRequest("'$skip' is not supported by the service.")
        return cls(
            top=_top(params.get("$top")),
            after_seq=_skiptoken(params.get("$skiptoken")),
            select=select_fields(params.get("$select"), resource, selectable),
            filter=_filter(params.get("$filter"), resource, filterable),
        )


def _top(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(
            f"Invalid page size specified: '{raw}'. Must be between 1 and "
            f"{MAX_PAGE_SIZE} inclusive."
        ) from None
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise RequestUnsupportedQuery(
            f"Invalid page size specified: '{raw}'. Must be between 1 and {MAX_PAGE_SIZE} "
            "inclusive."
        )
    return value


def _skiptoken(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        kind, _, seq = text.partition(":")
        if kind != "seq" or not 0 <= int(seq) <= MAX_INTEGER:
            raise ValueError(raw)
        return int(seq)
    except ValueError:
        raise RequestBadRequest("Invalid Skip Token") from None


def select_fields(raw: str | None, resource: str, selectable: Sequence[str]) -> tuple[str, ...]:
    if not raw:
        return ()
    known = {name.lower(): name for name in selectable}
    chosen: list[str] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name = known.get(part.lower())
        if name is None:
            raise BadRequest(
                "Parsing OData Select and Expand failed: Could not find a property named "
                f"'{part}' on type 'microsoft.graph.{resource[0].lower()}{resource[1:]}'."
            )
        chosen.append(name)
    return tuple(dict.fromkeys(chosen))


def _filter(raw: str | None, resource: str, filterable: Sequence[str]) -> Filter | None:
    if raw is None:
        return None
    match = _FILTER.match(raw)
    prop = match.group("prop") if match else raw.strip().split(" ", 1)[0]
    known = {name.lower(): name for name in filterable}
    if match is None or prop.lower() not in known:
        raise RequestUnsupportedQuery(
            f"Unsupported or invalid query filter clause specified for property '{prop}' of "
            f"resource '{resource}'."
        )
    literal = match.group("lit")
    value: str | bool | None
    if literal is not None:
        value = None if literal == "null" else literal == "true"
    else:
        value = match.group("text").replace("''", "'")
    return Filter(known[prop.lower()], value)


def next_link(request: Request, last_seq: int) -> str:
    """The URL of the next page: the same query with a new ``$skiptoken``."""
    token = base64.urlsafe_b64encode(f"seq:{last_seq}".encode()).decode().rstrip("=")
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "$skiptoken"]
    params.append(("$skiptoken", token))
    return f"{request.url.replace(query='')}?{urlencode(params, safe='$,')}"


def project(
    item: Mapping[str, Any], select: Sequence[str], always: Sequence[str] = ("id",)
) -> dict[str, Any]:
    """Keep only the ``$select``ed properties (Graph always returns ``id``)."""
    if not select:
        return dict(item)
    keep = dict.fromkeys([*always, *select])
    return {name: item.get(name) for name in keep}


def page(
    rows: Sequence[Any], top: int, seq_of: Callable[[Any], int]
) -> tuple[Sequence[Any], int | None]:
    """Split ``top + 1`` fetched rows into this page and the seq to continue after."""
    if len(rows) > top:
        return rows[:top], seq_of(rows[top - 1])
    return rows, None


__all__ += ["page", "project"]
