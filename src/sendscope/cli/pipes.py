"""When the reader of standard output leaves early (``sendscope … | head``)."""

from __future__ import annotations

import contextlib
import os
import sys

__all__ = ["PIPE_CLOSED", "stop_writing"]

# 128 + SIGPIPE, as shells report a command stopped by a closed pipe (130 is Ctrl-C's).
PIPE_CLOSED = 141


def stop_writing() -> None:
    """Point standard output at /dev/null, so that nothing more is written to the closed
    pipe — Python's own flush at exit included, which would fail again
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
