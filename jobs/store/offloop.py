"""Store work off the asyncio loop: a worker thread with its own connection.

The bot answers commands on the service's loop; a scan or a batch of writes run there
would freeze it. :class:`OffLoop` runs a store function in a thread on a second
connection to the same database file (WAL: readers and the writer do not block each
other), so the loop keeps serving while it runs. For an in-memory database (tests) there
is no second connection to open: the function runs inline on the caller's connection.

    side = OffLoop(db)
    try:
        rows = await side(summary_due.due_batch, "en", limit=200)
    finally:
        side.close()
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlite_utils

T = TypeVar("T")


def database_file(db: sqlite_utils.Database) -> str | None:
    """The file behind ``db``'s main database, or None (in memory)."""
    row = db.execute("pragma database_list").fetchone()
    return row[2] or None if row else None


class OffLoop:
    """Calls ``fn(connection, *args, **kwargs)`` in a worker thread, one call at a time."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._inline = db
        self._path = database_file(db)
        self._own: sqlite_utils.Database | None = None
        self._lock = threading.Lock()  # one call at a time on the side connection

    def _run(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        from . import open_db

        with self._lock:
            if self._own is None:
                self._own = open_db(self._path)
            return fn(self._own, *args, **kwargs)

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._path is None:
            return fn(self._inline, *args, **kwargs)
        return await asyncio.to_thread(self._run, fn, args, kwargs)

    def close(self) -> None:
        with self._lock:
            if self._own is not None:
                self._own.conn.close()
                self._own = None
