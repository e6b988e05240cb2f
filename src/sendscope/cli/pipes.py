"""When the reader of standard output leaves early (``sendscope … | head``)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["PIPE_CLOSED", "stdout_console", "stop_writing"]

# 128 + SIGPIPE, as shells report a command stopped by a closed pipe (130 is Ctrl-C's).
PIPE_CLOSED = 141


def stop_writing() -> None:
    """Point standard output at /dev/null, so that nothing more is written to the closed
    pipe — Python's own flush at exit included, which would fail again
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def stdout_console(**options: Any) -> Console:
    """A rich Console on standard output that stops with ``PIPE_CLOSED`` when the reader
    leaves, as the rest of the CLI does (rich's own answer is exit 1, which says "a bug")."""
    from rich.console import Console

    class _StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            stop_writing()
            raise SystemExit(PIPE_CLOSED)

    return _StdoutConsole(**options)
