"""One cmdlet call, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from ...core.store import Row
from .authorization import Access, AdminCaller
from .parameters import Parameters

__all__ = ["Cmdlet", "CmdletCall", "CmdletResult", "Listing", "Record"]

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CmdletCall:
    """A cmdlet's inputs: the state, the tenant, the caller and the bound parameters."""

    state: EmulatorState
    tenant_id: str
    caller: AdminCaller
    params: Parameters

    @property
    def directory(self) -> Directory:
        return Directory(self.state.store)

    def now(self) -> datetime:
        return self.state.clock.now()

    def timestamp(self) -> float:
        """Emulator time in epoch seconds: what propagation is measured on."""
        return self.state.clock.timestamp()


@dataclass(frozen=True, slots=True)
class Listing:
    """An unlimited listing read one page at a time: ``rows(after, n)`` gives at most ``n``
    stored rows past the ``seq`` ``after``, in ``seq`` order; ``shape`` makes them output
    objects. A page of ``Get-Mailbox -ResultSize Unlimited`` in a tenant of 100,000
    mailboxes is then one indexed range query, not the whole list shaped again."""

    rows: Callable[[int, int], Sequence[Row]]
    shape: Callable[[Sequence[Row]], list[Record]]

    def page(self, after: int, size: int) -> tuple[list[Record], int | None]:
        """The output objects of one page, and the ``seq`` the next page starts after."""
        found = self.rows(after, size + 1)
        more = len(found) > size
        found = found[:size]
        return self.shape(found), int(found[-1]["seq"]) if more else None


@dataclass(frozen=True, slots=True)
class CmdletResult:
    """``records`` is the pipeline output (None: the cmdlet writes none, as Set-/Remove-
    cmdlets do), or ``listing`` when it is read page by page; ``warnings`` are what
    PowerShell would print as WARNING."""

    records: list[Record] | None
    warnings: tuple[str, ...] = field(default=())
    listing: Listing | None = None


@dataclass(frozen=True, slots=True)
class Cmdlet:
    """An entry of the cmdlet registry."""

    name: str
    run: Callable[[CmdletCall], CmdletResult]
    access: Access
    parameters: tuple[str, ...]
    required: tuple[str, ...] = ()
