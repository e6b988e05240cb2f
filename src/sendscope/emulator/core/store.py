"""SQLite persistence for the emulator's state.

One database holds every tenant. Rows keep the columns the emulator looks things up by;
everything else about an object sits in a ``props`` JSON column, so a new Graph property
needs no migration. In memory when no data directory is given, in ``DIR/state.db``
otherwise, so a demo tenant survives a restart.

All access goes through one connection guarded by a re-entrant lock: handlers run on the
server's event loop, tests may poke the same state from another thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from .schema import SCHEMA, SCHEMA_VERSION

__all__ = ["MAX_INTEGER", "SCHEMA_VERSION", "Row", "Store", "dumps", "loads"]

# SQLite's largest integer: a number a client sends past it cannot be bound to a query.
MAX_INTEGER = 2**63 - 1

# Deferred rows (``Store.defer``) are written at the latest when this many are queued.
MAX_DEFERRED_ROWS = 5000

Row = sqlite3.Row


def dumps(value: Any) -> str:
    """Compact JSON, as ``json.dumps(separators=(",", ":"), ensure_ascii=False)`` writes it.

    orjson writes it about ten times faster (every stored message goes through here); what it
    refuses (integers beyond 64 bits, which a client may send) falls back to the standard library.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


class Store:
    """The emulator's SQLite database: ``Store()`` in memory, ``Store(path)`` on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        target = str(path) if path is not None else ":memory:"
        if path is not None:
            # The database holds the seeded test credentials: owner-only, like emulator.json.
            path.touch(mode=0o600, exist_ok=True)
            path.chmod(0o600)
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._generation = 0
        self._deferred: dict[str, list[Sequence[Any]]] = {}  # statement -> rows
        self._deferred_rows = 0
        self._deferred_tables: set[str] = set()
        if path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._check_version()
        self._seq = int(self._max_seq())

    def _check_version(self) -> None:
        found = self.meta("schema_version")
        if found is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif found != str(SCHEMA_VERSION):
            raise RuntimeError(
                f"{self.path} holds emulator state of schema {found}, this emulator reads "
                f"schema {SCHEMA_VERSION}: start with a new --data-dir"
            )

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction (nested calls join the outer one); rolled back on error.

        Deferred rows are written first, and the write generation moves on: anything cached
        from the database before this transaction may be stale after it.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self.flush()
            self._generation += 1
            with self._transaction():
                yield self._conn

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN")
        self._depth = 1
        try:
            yield
            self._write(self._take_deferred())
        except BaseException:
            # Rows queued inside this transaction go with it; so does a batch that fails to
            # be written — rolled back, never left open under every later transaction.
            self._take_deferred()
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            self._flush_for(sql)
            return self._conn.execute(sql, args).fetchall()

    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            self._flush_for(sql)
            row: Row | None = self._conn.execute(sql, args).fetchone()
            return row

    def scalar(self, sql: str, args: Sequence[Any] = ()) -> Any:
        row = self.one(sql, args)
        return None if row is None else row[0]

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction (or the caller's); return rows changed."""
        with self.tx() as conn:
            return conn.execute(sql, args).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.tx() as conn:
            conn.executemany(sql, rows)

    @property
    def generation(self) -> int:
        """Grows with every write transaction: a cache of rows is good while it stays put.

        Deferred rows do not move it: they go to tables (mail) that such caches never hold.
        """
        return self._generation

    def defer(self, table: str, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Queue ``executemany(sql, rows)`` on ``table`` instead of writing it now.

        Queued rows are written together, in one transaction, before anything else reads
        ``table`` or writes anything, at ``flush()`` and at ``close()`` — so every reader sees
        them, and a burst of writes pays for one commit. Rows of one statement are written in
        one ``executemany``, statements in the order first queued: defer only inserts whose
        order across statements does not matter. Inside a transaction they are
        written when it commits, and dropped if it rolls back. Used for delivered mail, which is
        written many times more often than it is read (bench/emulator_throughput.py).
        """
        with self._lock:
            queued = self._deferred.get(sql)
            if queued is None:
                self._deferred[sql] = list(rows)
            else:
                queued.extend(rows)
            self._deferred_tables.add(table)
            self._deferred_rows += len(rows)
            if self._deferred_rows >= MAX_DEFERRED_ROWS:
                self.flush()

    @property
    def has_deferred(self) -> bool:
        return bool(self._deferred)

    def flush(self) -> None:
        """Write the deferred rows now (inside a transaction, as part of it)."""
        with self._lock:
            if not self._deferred:
                return
            if self._depth:
                self._write(self._take_deferred())
                return
            with self._transaction():
                pass  # a transaction writes the deferred rows before it commits

    def _take_deferred(self) -> dict[str, list[Sequence[Any]]]:
        batches, self._deferred = self._deferred, {}
        self._deferred_rows = 0
        self._deferred_tables.clear()
        return batches

    def _write(self, batches: dict[str, list[Sequence[Any]]]) -> None:
        for sql, rows in batches.items():
            self._conn.executemany(sql, rows)

    def _flush_for(self, sql: str) -> None:
        if self._deferred and any(table in sql for table in self._deferred_tables):
            self.flush()

    def next_seq(self) -> int:
        """A store-wide growing number: the stable paging order of every Graph list."""
        with self._lock:
            self._seq += 1
            return self._seq

    def _max_seq(self) -> int:
        tables = [
            r[0]
            for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if "seq" in [c[1] for c in self._conn.execute(f"PRAGMA table_info({r[0]})")]
        ]
        return max(
            (
                self._conn.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {t}").fetchone()[0]  # noqa: S608
                for t in tables
            ),
            default=0,
        )

    def meta(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def wipe(self) -> None:
        """Delete every row (the control plane's reset); keeps meta such as signing keys."""
        with self.tx() as conn:
            tables = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if r[0] not in ("meta", "sqlite_sequence")
            ]
            for table in tables:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608

    def close(self) -> None:
        with self._lock:
            self.flush()
            self._conn.close()
