"""Subscribers (people, groups and configured channels) and the bot's update cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from . import dumps, get_meta, loads, set_meta, transaction, utcnow

SETTINGS = ("lang", "mode", "digest_hour", "tz", "topics", "kind", "username", "follows",
            "excludes", "weights", "digest_weekday")
_JSON = {"topics": [], "follows": [], "excludes": [], "weights": {}}  # JSON columns, defaults
_COLUMNS = ("chat_id, kind, username, lang, mode, digest_hour, tz, topics, active, "
            "inactive_reason, from_config, subscribed_at, last_digest_at, updated_at, "
            "follows, excludes, weights, digest_weekday")


def _row(r: Any) -> dict:
    out = dict(r)
    for key, default in _JSON.items():
        out[key] = loads(out.get(key), default)
    return out


def get(db: sqlite_utils.Database, chat_id: int) -> dict | None:
    rows = list(db.query(f"select {_COLUMNS} from subscribers where chat_id = ?", [chat_id]))
    return _row(rows[0]) if rows else None


def subscribe(db: sqlite_utils.Database, chat_id: int, *, lang: str, kind: str = "private",
              username: str | None = None, now: str | None = None) -> tuple[str, dict]:
    """Subscribe ``chat_id``. Returns (``new`` | ``revived`` | ``existing``, row).

    A revived subscriber starts afresh: ``subscribed_at`` moves to now, so the papers
    they missed while inactive are not pushed at them.
    """
    now = now or utcnow()
    with transaction(db):
        row = db.execute("select active from subscribers where chat_id = ?", [chat_id]).fetchone()
        if row is None:
            db.execute(
                "insert into subscribers(chat_id, kind, username, lang, mode, digest_hour, tz, "
                "topics, active, from_config, subscribed_at, lang_since, updated_at) "
                "values(?, ?, ?, ?, 'instant', 9, 'UTC', '[]', 1, 0, ?, ?, ?)",
                [chat_id, kind, username, lang, now, now, now])
            status = "new"
        elif not row[0]:
            db.execute(
                "update subscribers set active = 1, inactive_reason = null, subscribed_at = ?, "
                "lang_since = ?, username = coalesce(?, username), updated_at = ? "
                "where chat_id = ?",
                [now, now, username, now, chat_id])
            status = "revived"
        else:
            db.execute("update subscribers set username = coalesce(?, username) "
                       "where chat_id = ?", [username, chat_id])
            status = "existing"
    return status, get(db, chat_id)


def deactivate(db: sqlite_utils.Database, chat_id: int, reason: str) -> int:
    """Make ``chat_id`` inactive (``reason`` kept) and skip its pending deliveries.

    Returns the number of pending deliveries skipped."""
    now = utcnow()
    with transaction(db):
        db.execute("update subscribers set active = 0, inactive_reason = ?, updated_at = ? "
                   "where chat_id = ?", [reason[:300], now, chat_id])
        cur = db.execute(
            "update deliveries set state = 'skipped', reason = ?, updated_at = ? "
            "where chat_id = ? and state = 'pending'", [f"inactive: {reason}"[:300], now, chat_id])
    return cur.rowcount


def update_settings(db: sqlite_utils.Database, chat_id: int, **values: Any) -> dict | None:
    """Change any of lang, mode, digest_hour, tz, topics / follows / excludes (lists),
    weights (a dict), digest_weekday, kind, username."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown subscriber settings: {sorted(unknown)}")
    if not values:
        return get(db, chat_id)
    for key, default in _JSON.items():
        if key in values:
            values[key] = dumps(type(default)(values[key]))
    now = utcnow()
    sets = ", ".join(f"{k} = ?" for k in values)
    params = [*values.values()]
    if "lang" in values:  # a new language starts now (its summaries are written from now on)
        sets += ", lang_since = case when lang is ? then lang_since else ? end"
        params += [values["lang"], now]
    db.execute(f"update subscribers set {sets}, updated_at = ? where chat_id = ?",
               [*params, now, chat_id])
    return get(db, chat_id)


def list_subscribers(db: sqlite_utils.Database, *, active_only: bool = False) -> list[dict]:
    """Every subscriber with ``messages_sent`` (Telegram messages: a digest carries several
    papers) and ``papers_sent`` (papers delivered): one pass over the sent rows (the
    ledger is keyed by paper, schema v8), not one look-up per subscriber."""
    where = "where active = 1" if active_only else ""
    sent = {r[0]: (r[1], r[2]) for r in db.execute(
        "select chat_id, count(distinct message_id), count(*) from deliveries "
        "where state = 'sent' group by chat_id")}
    out = []
    for r in db.query(f"select {_COLUMNS} from subscribers {where} "
                      "order by from_config desc, chat_id"):
        row = _row(r)
        row["messages_sent"], row["papers_sent"] = sent.get(row["chat_id"], (0, 0))
        out.append(row)
    return out


def active(db: sqlite_utils.Database, *, lang: str | None = None,
           mode: str | None = None) -> list[dict]:
    sql = f"select {_COLUMNS} from subscribers where active = 1"
    params: list[Any] = []
    if lang is not None:
        sql += " and lang = ?"
        params.append(lang)
    if mode is not None:
        sql += " and mode = ?"
        params.append(mode)
    return [_row(r) for r in db.query(sql + " order by chat_id", params)]


def counts(db: sqlite_utils.Database) -> dict[str, Any]:
    """Active subscribers per language and mode (for ``paperbot status``)."""
    from . import counts

    got = counts.by_sub(db, "subscribers")  # trigger-kept: 'active/<lang>/<mode>', 'inactive'
    rows = [(lang or None, mode or None, n) for _, lang, mode, n in sorted(
        (*k.split("/", 2), n) for k, n in got.items() if k.startswith("active/"))]
    return {"active": [{"lang": r[0], "mode": r[1], "count": r[2]} for r in rows],
            "active_total": sum(r[2] for r in rows), "inactive": got.get("inactive", 0)}


def set_last_digest(db: sqlite_utils.Database, chat_id: int, at: str) -> None:
    db.execute("update subscribers set last_digest_at = ? where chat_id = ?", [at, chat_id])


def sync_channels(db: sqlite_utils.Database, channels: Iterable[dict], *,
                  now: str | None = None) -> dict[str, int]:
    """Make the ``from_config`` subscribers match the configured channels.

    ``channels``: dicts with a numeric chat_id (usernames resolved by the caller), lang,
    topics, mode, digest_hour, tz, username. New channels start now (no backlog);
    a channel made inactive by Telegram (kicked) stays inactive; channels removed from
    the config become inactive.
    """
    now = now or utcnow()
    added = updated = removed = 0
    with transaction(db):
        wanted = set()
        for ch in channels:
            wanted.add(ch["chat_id"])
            row = db.execute("select from_config from subscribers where chat_id = ?",
                             [ch["chat_id"]]).fetchone()
            vals = [ch.get("username"), ch["lang"], ch["mode"], ch.get("digest_hour", 9),
                    ch.get("tz", "UTC"), dumps(list(ch.get("topics") or []))]
            if row is None:
                db.execute(
                    "insert into subscribers(chat_id, kind, username, lang, mode, digest_hour, "
                    "tz, topics, active, from_config, subscribed_at, lang_since, updated_at) "
                    "values(?, 'channel', ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?)",
                    [ch["chat_id"], *vals, now, now, now])
                added += 1
            else:
                db.execute(
                    "update subscribers set lang_since = case when lang is ? then lang_since "
                    "else ? end where chat_id = ?", [ch["lang"], now, ch["chat_id"]])
                db.execute(
                    "update subscribers set username = coalesce(?, username), lang = ?, "
                    "mode = ?, digest_hour = ?, tz = ?, topics = ?, from_config = 1, "
                    "updated_at = ? where chat_id = ?", [*vals, now, ch["chat_id"]])
                updated += 1
        for (chat_id,) in db.execute(
                "select chat_id from subscribers where from_config = 1 and active = 1").fetchall():
            if chat_id not in wanted:
                db.execute("update subscribers set active = 0, inactive_reason = "
                           "'removed from config', updated_at = ? where chat_id = ?",
                           [now, chat_id])
                db.execute("update deliveries set state = 'skipped', reason = "
                           "'inactive: removed from config', updated_at = ? "
                           "where chat_id = ? and state = 'pending'", [now, chat_id])
                removed += 1
    return {"added": added, "updated": updated, "removed": removed}


# --- processed updates -------------------------------------------------------------------
# Telegram numbers updates sequentially, but after a week without updates the next ID is
# random; so an old cursor only counts while it is recent.
_UPDATE_KEY, _UPDATE_AT_KEY = "bot.last_update_id", "bot.last_update_at"
CURSOR_MAX_AGE = dt.timedelta(days=6)


def claim_update(db: sqlite_utils.Database, update_id: int, *, now: dt.datetime | None = None) -> bool:
    """Record ``update_id`` as handled; False when it (or a later one) was handled already."""
    now = now or dt.datetime.now(dt.UTC)
    with transaction(db):
        last = get_meta(db, _UPDATE_KEY)
        at = get_meta(db, _UPDATE_AT_KEY)
        if last is not None and at is not None and update_id <= int(last):
            age = now - dt.datetime.fromisoformat(at)
            if age < CURSOR_MAX_AGE:
                return False
        set_meta(db, _UPDATE_KEY, str(update_id))
        set_meta(db, _UPDATE_AT_KEY, now.isoformat())
    return True


def last_update_id(db: sqlite_utils.Database) -> int | None:
    value = get_meta(db, _UPDATE_KEY)
    return int(value) if value is not None else None
