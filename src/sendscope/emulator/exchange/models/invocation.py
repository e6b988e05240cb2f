"""One cmdlet call, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from .authorization import Access, AdminCaller
from .parameters import Parameters

__all__ = ["Cmdlet", "CmdletCall", "CmdletResult", "Record"]

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
class CmdletResult:
    """``records`` is the pipeline output (None: the cmdlet writes none, as Set-/Remove-
    cmdlets do); ``warnings`` are what PowerShell would print as WARNING."""

    records: list[Record] | None
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Cmdlet:
    """An entry of the cmdlet registry."""

    name: str
    run: Callable[[CmdletCall], CmdletResult]
    access: Access
    parameters: tuple[str, ...]
    required: tuple[str, ...] = ()
