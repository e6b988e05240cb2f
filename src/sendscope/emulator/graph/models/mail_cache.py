"""Directory answers the mail service asks on every request, cached between changes."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ...core.state import EmulatorState

__all__ = ["DirectoryCache", "directory_cache"]


@dataclass
class DirectoryCache:
    """Answers read from the directory (which mailbox a path names, where an address
    routes), good until the store's next write transaction (``Store.generation``).

    Every sendMail asks both; between directory changes the answers cannot differ.
    """

    _generation: int = -1
    _values: dict[Hashable, Any] = field(default_factory=dict)

    def get(self, state: EmulatorState, key: Hashable, compute: Callable[[], Any]) -> Any:
        generation = state.store.generation
        if generation != self._generation or len(self._values) > _MAX_CACHED:
            self._values = {}
            self._generation = generation
        try:
            return self._values[key]
        except KeyError:
            value = compute()
            if state.store.generation == generation:  # nothing changed while computing
                self._values[key] = value
            return value


_MAX_CACHED = 100_000


def directory_cache(state: EmulatorState) -> DirectoryCache:
    """The state's cache (one per emulator, shared by every request)."""
    cache = state.runtime.get("graph.mail.directory")
    if not isinstance(cache, DirectoryCache):
        cache = state.runtime.setdefault("graph.mail.directory", DirectoryCache())
    return cache
