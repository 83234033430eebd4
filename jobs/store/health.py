"""Source health, back-off, admin alerts and the service heartbeat.

Alerts: one row per key in ``alerts``. Raising an alert that is already open does
nothing, so each problem is announced once; clearing it (the problem went away) lets a
later recurrence be announced again. ``sent_at`` is set once the admins were told.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from . import dumps, get_meta, loads, set_meta, transaction, utcnow

_HEARTBEAT_KEY = "service.heartbeat"


# --- alerts -------------------------------------------------------------------------------
def raise_alert(db: sqlite_utils.Database, key: str, message: str, *,
                now: str | None = None) -> bool:
    """Open the alert ``key``. True when it is new (or re-opened after being cleared),
    False when it was already open (nothing changes: it is not sent again)."""
    now = now or utcnow()
    with transaction(db):
        row = db.execute("select cleared_at from alerts where key = ?", [key]).fetchone()
        if row is not None and row[0] is None:
            return False
        db.execute(
            "insert into alerts(key, message, raised_at, cleared_at, sent_at) "
            "values(?, ?, ?, null, null) on conflict(key) do update set "
            "message = excluded.message, raised_at = excluded.raised_at, cleared_at = null, "
            "sent_at = null", [key, message[:2000], now])
    return True


def clear_alert(db: sqlite_utils.Database, key: str, *, now: str | None = None) -> bool:
    """Close the alert ``key`` if open. True when it was open."""
    cur = db.execute("update alerts set cleared_at = ? where key = ? and cleared_at is null",
                     [now or utcnow(), key])
    return cur.rowcount > 0


def unsent_alerts(db: sqlite_utils.Database) -> list[dict]:
    return [dict(r) for r in db.query(
        "select key, message, raised_at from alerts where sent_at is null and cleared_at is null "
        "order by raised_at, key")]


def claim_alert(db: sqlite_utils.Database, key: str, *, now: str | None = None) -> bool:
    """Mark the alert sent before sending it; False when another sender (a concurrent
    job, another process) claimed it first: each alert goes out once."""
    cur = db.execute("update alerts set sent_at = ? where key = ? and sent_at is null",
                     [now or utcnow(), key])
    return cur.rowcount == 1


def open_alerts(db: sqlite_utils.Database) -> list[dict]:
    return [dict(r) for r in db.query(
        "select key, message, raised_at, sent_at from alerts where cleared_at is null "
        "order by raised_at, key")]


# --- sources ------------------------------------------------------------------------------
def source_rows(db: sqlite_utils.Database) -> dict[str, dict]:
    return {r["name"]: dict(r) for r in db.query("select * from sources")}


def set_backoff(db: sqlite_utils.Database, name: str, until: str | None) -> None:
    db.execute("update sources set backoff_until = ? where name = ?", [until, name])


def set_source_alerted(db: sqlite_utils.Database, name: str, what: str | None) -> None:
    db.execute("update sources set alerted = ? where name = ?", [what, name])


def recent_runs(db: sqlite_utils.Database, source: str, limit: int) -> list[dict]:
    """The source's last ``limit`` finished crawl runs, newest first."""
    return [dict(r) for r in db.query(
        "select id, started_at, finished_at, ok, error, posts_seen, posts_new, papers_new "
        "from crawl_runs where source = ? and finished_at is not null "
        "order by id desc limit ?", [source, limit])]


def papers_per_run(db: sqlite_utils.Database, source: str, limit: int = 10) -> list[int]:
    return [r["papers_new"] or 0 for r in recent_runs(db, source, limit)]


def runs_of_pid(db: sqlite_utils.Database, pid: int, since: str) -> list[dict]:
    """The crawl runs recorded by the crawl process ``pid`` started at/after ``since``."""
    return [dict(r) for r in db.query(
        "select id, source, ok, error, posts_seen, posts_new, papers_new, finished_at "
        "from crawl_runs where pid = ? and started_at >= ? order by id", [pid, since])]


def last_crawl_started(db: sqlite_utils.Database) -> str | None:
    row = db.execute("select max(started_at) from crawl_runs").fetchone()
    return row[0] if row else None


def close_abandoned_runs(db: sqlite_utils.Database, pid: int, error: str, *,
                         count_failure: bool = True) -> int:
    """Crawl runs of a crawl process that died before recording their end (SIGKILL at
    its time limit): closed as failed; ``count_failure`` also counts them against the
    source's health (not when it was the service stopping that interrupted them)."""
    now = utcnow()
    n = 0
    with transaction(db):
        rows = db.execute("select id, source from crawl_runs where pid = ? and finished_at is null",
                          [pid]).fetchall()
        for run_id, source in rows:
            db.execute("update crawl_runs set finished_at = ?, ok = 0, error = ? where id = ?",
                       [now, error, run_id])
            if count_failure:
                db.execute(
                    "update sources set last_run_at = ?, last_error = ?, last_error_at = ?, "
                    "consecutive_failures = consecutive_failures + 1 where name = ?",
                    [now, error, now, source])
            n += 1
    return n


# --- deliveries ---------------------------------------------------------------------------
def delivery_outcomes_since(db: sqlite_utils.Database, since: str) -> dict[str, int]:
    """Deliveries finished (sent / failed) at or after ``since``."""
    out = {"sent": 0, "failed": 0}
    # the partial index holds sent/failed rows by time: only the window is read (left to
    # itself the planner would walk every sent row through the state index)
    for state, n in db.execute(
            "select state, count(*) from deliveries indexed by deliveries_done "
            "where state in ('sent', 'failed') and updated_at >= ? group by state", [since]):
        out[state] = n
    return out


# --- heartbeat ----------------------------------------------------------------------------
def write_heartbeat(db: sqlite_utils.Database, beat: dict[str, Any]) -> None:
    set_meta(db, _HEARTBEAT_KEY, dumps(beat))


def read_heartbeat(db: sqlite_utils.Database) -> dict[str, Any] | None:
    return loads(get_meta(db, _HEARTBEAT_KEY))
