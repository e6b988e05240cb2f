"""A live count of long work on standard error, for commands that read or test a whole
tenant (audit, test-policy): one line per kind of work, the items done so far."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["Counter", "live_counts"]


@contextlib.contextmanager
def live_counts(prefix: str = "") -> Iterator[Callable[[str, int], None] | None]:
    """A ``(what, done so far)`` callback drawing on stderr when it is a terminal (else
    None: nothing is shown, nothing is lost); the lines go when the work is done."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed}"))
    with Progress(*columns, console=console, transient=True) as display:
        yield Counter(display, prefix)


class Counter:
    """The callback: one line per ``what``, its count so far. Called from worker threads:
    rich's Progress locks its own updates, the lock here keeps two threads from adding one
    line twice."""

    def __init__(self, display: Progress, prefix: str = "") -> None:
        self.display = display
        self.prefix = prefix
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def __call__(self, what: str, done: int) -> None:
        with self.lock:
            if what not in self.tasks:
                self.tasks[what] = self.display.add_task(f"{self.prefix}{what}", total=None)
            task = self.tasks[what]
        self.display.update(task, completed=done)
