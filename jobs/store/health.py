"""Source health, back-off, admin alerts and the service heartbeat.

Alerts: one row per key in ``alerts``. Raising an alert that is already open does
nothing, so each problem is announced once; clearing it (the problem went away) lets a
later recurrence be announced again. Announcing an alert (``planned_at``) creates one
``alert_sends`` row per admin chat, which the delivery step sends like any message
(paced, retried, recorded only once Telegram accepted it); ``alerts.sent_at`` is when
the first admin got it.
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
            "sent_at = null, planned_at = null", [key, message[:2000], now])
        # an earlier raise still waiting to reach an admin is superseded by this one
        db.execute("update alert_sends set state = 'skipped', reason = 'superseded', "
                   "updated_at = ? where alert_key = ? and state = 'pending'", [now, key])
    return True


def clear_alert(db: sqlite_utils.Database, key: str, *, now: str | None = None) -> bool:
    """Close the alert ``key`` if open. True when it was open."""
    cur = db.execute("update alerts set cleared_at = ? where key = ? and cleared_at is null",
                     [now or utcnow(), key])
    return cur.rowcount > 0


def unplanned_alerts(db: sqlite_utils.Database) -> list[dict]:
    """Alerts raised and not announced yet (the log line, the admin messages)."""
    return [dict(r) for r in db.query(
        "select key, message, raised_at, cleared_at from alerts where planned_at is null "
        "order by raised_at, key")]


def plan_alert(db: sqlite_utils.Database, key: str, raised_at: str, chat_ids: list[int], *,
               now: str | None = None) -> bool:
    """Announce the alert: one pending send per admin chat. False when another process
    announced it first (each alert is announced once)."""
    now = now or utcnow()
    with transaction(db):
        cur = db.execute("update alerts set planned_at = ? where key = ? and raised_at = ? "
                         "and planned_at is null", [now, key, raised_at])
        if cur.rowcount != 1:
            return False
        for chat_id in chat_ids:
            # (a raise in the same second as an earlier one reuses its row)
            db.execute(
                "insert into alert_sends(alert_key, raised_at, chat_id, state, attempts, "
                "retries, created_at, updated_at) values(?, ?, ?, 'pending', 0, 0, ?, ?) "
                "on conflict(alert_key, raised_at, chat_id) do update set state = 'pending', "
                "reason = null, retries = 0, next_attempt_at = null, retry_until = null, "
                "updated_at = excluded.updated_at where state != 'sending'",
                [key, raised_at, chat_id, now, now])
    return True


_SEND_COLUMNS = ("s.id, s.alert_key, s.raised_at, s.chat_id, s.retries, s.retry_until, "
                 "a.message, a.cleared_at")


def due_alert_sends(db: sqlite_utils.Database, *, now: str, limit: int = 100) -> list[dict]:
    """Alert messages to send now: never tried, or their retry is due."""
    join = "from alert_sends s indexed by alert_sends_due join alerts a on a.key = s.alert_key"
    rows = list(db.query(f"select {_SEND_COLUMNS} {join} where s.state = 'pending' "
                         "and s.next_attempt_at is null order by s.id limit ?", [limit]))
    rows += db.query(f"select {_SEND_COLUMNS} {join} where s.state = 'pending' "
                     "and s.next_attempt_at <= ? order by s.next_attempt_at limit ?",
                     [now, limit])
    return [dict(r) for r in rows]


def alert_sends_due(db: sqlite_utils.Database, *, now: str) -> bool:
    """Is there an alert to announce or an alert message due?"""
    return bool(db.execute(
        "select exists(select 1 from alerts where planned_at is null) "
        "or exists(select 1 from alert_sends indexed by alert_sends_due "
        "where state = 'pending' and next_attempt_at is null) "
        "or exists(select 1 from alert_sends indexed by alert_sends_due "
        "where state = 'pending' and next_attempt_at <= ?)", [now]).fetchone()[0])


def claim_alert_send(db: sqlite_utils.Database, send_id: int) -> bool:
    """pending → sending, committed before the API call; False when taken already."""
    cur = db.execute("update alert_sends set state = 'sending', attempts = attempts + 1, "
                     "updated_at = ? where id = ? and state = 'pending'", [utcnow(), send_id])
    return cur.rowcount == 1


def finish_alert_send(db: sqlite_utils.Database, send_id: int, state: str, *,
                      message_id: int | None = None, reason: str | None = None,
                      next_attempt_at: str | None = None, retry_until: str | None = None,
                      counts_retry: bool = False) -> None:
    """Record what Telegram answered (``sent`` also stamps the alert's ``sent_at``)."""
    now = utcnow()
    with transaction(db):
        db.execute(
            "update alert_sends set state = ?, message_id = coalesce(?, message_id), "
            "reason = ?, updated_at = ?, sent_at = case when ? = 'sent' then ? end, "
            "next_attempt_at = ?, retry_until = coalesce(?, retry_until), "
            "retries = retries + ? where id = ? and state = 'sending'",
            [state, message_id, reason[:500] if reason else None, now, state, now,
             next_attempt_at, retry_until, int(counts_retry), send_id])
        if state == "sent":
            db.execute("update alerts set sent_at = coalesce(sent_at, ?) where key = "
                       "(select alert_key from alert_sends where id = ?) and raised_at = "
                       "(select raised_at from alert_sends where id = ?)",
                       [now, send_id, send_id])


def wake_alert_sends(db: sqlite_utils.Database, *, now: str) -> int:
    """Alert messages waiting for a retry become due now (Telegram is back)."""
    cur = db.execute("update alert_sends indexed by alert_sends_due set next_attempt_at = ? "
                     "where state = 'pending' and next_attempt_at > ?", [now, now])
    return cur.rowcount


def undelivered_alert_sends(db: sqlite_utils.Database) -> list[dict]:
    """Alert messages not delivered yet (waiting for a retry) or given up on."""
    return [dict(r) for r in db.query(
        "select alert_key, raised_at, chat_id, state, retries, next_attempt_at, reason "
        "from alert_sends where state in ('pending', 'failed') order by id")]


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
