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
import errno
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from .schema import SCHEMA_VERSION, migrate, schema_version

__all__ = [
    "SCHEMA_VERSION",
    "StateDirError",
    "check_state_dir",
    "ensure_state_dir",
    "state_problem",
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

# Exit codes for a state directory paperbot cannot use (sysexits.h), documented in the README.
EX_CANTCREAT = 73  # missing and cannot be created, read-only, not a directory, no permission
EX_IOERR = 74  # the disk (or quota) is full

DIR_MODE, FILE_MODE = 0o700, 0o600  # subscribers' chat ids and the HTTP cache: owner only


class StateDirError(OSError):
    """The state directory cannot be used; ``str()`` is one line saying why and what to
    do, ``exit_code`` the process exit code for it."""

    def __init__(self, message: str, *, exit_code: int = EX_CANTCREAT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


_FULL = (errno.ENOSPC, errno.EDQUOT)
_NO_ACCESS = (errno.EACCES, errno.EPERM)


def state_problem(exc: BaseException, state_dir: str | Path | None = None) -> StateDirError | None:
    """The :class:`StateDirError` an OS or SQLite error amounts to, else None (a bug,
    not the state directory's fault)."""
    where = f"state directory {state_dir}" if state_dir else "state directory"
    if isinstance(exc, StateDirError):
        return exc
    text = str(exc)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "disk is full" in text:
            return StateDirError(f"{where} is full: {text}; free some space",
                                 exit_code=EX_IOERR)
        if code == sqlite3.SQLITE_READONLY or "readonly database" in text:
            return StateDirError(f"{where} is read-only: {text}")
        if code == sqlite3.SQLITE_CANTOPEN or "unable to open database" in text:
            return StateDirError(f"{where}: cannot open the database: {text}")
        return None
    on = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return StateDirError(f"{where} is full: {exc.strerror}{on}; free some space",
                             exit_code=EX_IOERR)
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return StateDirError(f"{where} is on a read-only file system{on}")
    if (isinstance(exc, OSError) and exc.errno in _NO_ACCESS and state_dir is not None
            and exc.filename and Path(state_dir).resolve() in Path(exc.filename).resolve().parents):
        return StateDirError(f"{where} is not writable: {exc.strerror}{on}")
    return None


def ensure_state_dir(path: str | Path) -> Path:
    """Create the state directory (0700) if missing and check that it can be written;
    raise :class:`StateDirError` with one clear line when it cannot."""
    path = Path(path)
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except FileExistsError:
        raise StateDirError(f"state directory {path} is not a directory") from None
    except OSError as exc:
        reason = {errno.ENOENT: "a parent directory is missing",
                  errno.ENOTDIR: "a parent is not a directory"}.get(exc.errno, exc.strerror)
        raise StateDirError(f"state directory {path} does not exist and cannot be created: "
                            f"{reason}") from None
    return _usable(path)


def check_state_dir(path: str | Path) -> Path:
    """Whether the state directory can be used, creating nothing: it exists and is
    writable, or it can be created (its nearest existing parent is). Raises
    :class:`StateDirError` with one clear line otherwise."""
    path = Path(path)
    if path.exists():
        return _usable(path)
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise StateDirError(f"state directory {path} does not exist and cannot be created: "
                            f"{parent} is not a directory")
    try:
        _usable(parent, what="its parent")
    except StateDirError as exc:
        raise StateDirError(f"state directory {path} does not exist and cannot be created: "
                            f"{exc}") from None
    return path


def _usable(path: Path, *, what: str = "state directory") -> Path:
    if not path.is_dir():
        raise StateDirError(f"{what} {path} is not a directory")
    if os.statvfs(path).f_flag & os.ST_RDONLY:
        raise StateDirError(f"{what} {path} is on a read-only file system")
    if not os.access(path, os.W_OK | os.X_OK):
        raise StateDirError(f"{what} {path} is not writable by this user (uid {os.getuid()})")
    return path


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does: SQLite gives its -wal and -shm
    files the database file's permissions, so all three stay owner-only whatever the
    umask."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))


def _prepare(conn: sqlite3.Connection) -> sqlite_utils.Database:
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("pragma foreign_keys = on")
    # INSERT OR REPLACE must fire the delete triggers too, or the counters drift
    conn.execute("pragma recursive_triggers = on")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating and migrating) the database at ``path`` in WAL mode. The directory
    is created 0700 and the database 0600; a directory or disk that cannot be used raises
    :class:`StateDirError`."""
    path = Path(path)
    ensure_state_dir(path.parent)
    conn = None
    try:
        _create_private(path)
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
            check_same_thread=False
        )
        # WAL: readers never block the writer; the service and the crawl child share the file.
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
        return _prepare(conn)
    except (OSError, sqlite3.Error) as exc:
        if conn is not None:
            conn.close()
        problem = state_problem(exc, path.parent)
        if problem is None:
            raise
        raise problem from exc


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
