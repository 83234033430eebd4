"""The SQLite store: this package owns every SQL statement in paperbot.

The connection runs in autocommit mode (``isolation_level=None``) so that no
statement leaves a write transaction open behind the caller's back: the crawl
subprocess and the service write to the same file at once. Use
:func:`transaction` for a group of writes that must land together; inside it, use
``db.execute`` only (sqlite-utils table helpers commit on their own).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from .schema import SCHEMA_VERSION, migrate, schema_version

__all__ = [
    "SCHEMA_VERSION",
    "open_db",
    "memory_db",
    "transaction",
    "utcnow",
    "schema_version",
    "dumps",
    "loads",
    "get_meta",
    "set_meta",
]

BUSY_TIMEOUT_MS = 30_000


def _prepare(conn: sqlite3.Connection) -> sqlite_utils.Database:
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("pragma foreign_keys = on")
    # INSERT OR REPLACE must fire the delete triggers too, or the counters drift
    conn.execute("pragma recursive_triggers = on")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating and migrating) the database at ``path`` in WAL mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    # WAL: readers never block the writer; the service and the crawl child share the file.
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = normal")
    return _prepare(conn)


def memory_db() -> sqlite_utils.Database:
    """A migrated in-memory database (for tests and benchmarks)."""
    return _prepare(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """BEGIN IMMEDIATE … COMMIT: take the write lock up front, so a busy writer waits
    (busy_timeout) instead of failing half-way with 'database is locked'. Inside an
    outer transaction (a bulk load) it is a savepoint of it."""
    if db.conn.in_transaction:
        db.conn.execute("savepoint nested")
        try:
            yield db
        except BaseException:
            db.conn.execute("rollback to nested")
            db.conn.execute("release nested")
            raise
        db.conn.execute("release nested")
        return
    db.conn.execute("begin immediate")
    try:
        yield db
    except BaseException:
        db.conn.execute("rollback")
        raise
    else:
        db.conn.execute("commit")


def utcnow() -> str:
    """Timestamps are ISO-8601 UTC strings with seconds, sortable as text."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def loads(value: str | None, default: Any = None) -> Any:
    if value is None or value == "":
        return default
    return json.loads(value)


def get_meta(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("select value from meta where key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "insert into meta(key, value) values(?, ?) "
        "on conflict(key) do update set value = excluded.value",
        [key, value],
    )
