"""Files sendscope writes for its user: whole or not at all, readable by the owner only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, renamed into
    place: readers see the old file or the whole new one, never half of it. The file is
    readable by its owner only (0600): reports name every app and mailbox of a tenant, the
    sign-in cache holds refresh tokens."""
    import tempfile  # here, not at the top: `sendscope --version` stays fast

    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
