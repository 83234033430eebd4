"""The delivery ledger: one row per (chat, paper), and the delivery path's queries
(planning the rows: :mod:`.delivery_plan`).

States: ``pending`` → ``sending`` (written right before the API call) → ``sent``
(message_id, written right after) | ``failed`` (reason; permanent) | ``skipped`` (reason)
| ``ambiguous`` (the request may have reached Telegram but its answer did not reach us:
a read timeout, or a run that died between the two writes). A transient failure (5xx
answer, connection refused, connect timeout) puts the row back to ``pending`` with
``next_attempt_at`` (exponential back-off) until ``retry_until``. Ambiguous rows are
never resent automatically: ``paperbot deliver ambiguous --resend|--drop`` settles them.

Every query here reads only what it returns or what is due (see
``tests/test_delivery_queries.py``, which checks their plans): pending rows through the
partial index ``deliveries_due`` (``digest``, ``next_attempt_at``), in batches; a chat's
pending rows through ``deliveries_pending_chat``; one row by the primary key
``(arxiv_id, chat_id)`` (schema v8: a paper's rows sit together).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from . import dumps, get_meta, loads, set_meta, transaction, utcnow

_OUTAGE_KEY = "delivery.outage"
STALE_SENDING = dt.timedelta(minutes=2)  # no API call lasts that long: its run died
STATES = ("pending", "sending", "sent", "failed", "skipped", "ambiguous")


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def precise(t: dt.datetime | None = None) -> str:
    """A timestamp to the millisecond (retry times; sorts as text with :func:`utcnow`'s)."""
    t = (t or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"


# --- what is due --------------------------------------------------------------------------
_DUE_COLUMNS = ("d.rowid as rowid, d.chat_id, d.arxiv_id, d.lang, d.retries, d.retry_until, "
                "s.kind")


def fresh_batch(db: sqlite_utils.Database, *, after_rowid: int = 0,
                limit: int = 500) -> list[dict]:
    """Pending instant rows never tried, in plan order (rowid) after ``after_rowid``."""
    return [dict(r) for r in db.query(
        f"select {_DUE_COLUMNS} from deliveries d indexed by deliveries_due "
        "join subscribers s on s.chat_id = d.chat_id "
        "where d.state = 'pending' and d.digest = 0 and d.next_attempt_at is null "
        "and d.rowid > ? and s.active = 1 order by d.rowid limit ?", [after_rowid, limit])]


def retry_batch(db: sqlite_utils.Database, *, now: str, limit: int = 500) -> list[dict]:
    """Pending instant rows whose retry is due at ``now``, the longest waiting first."""
    return [dict(r) for r in db.query(
        f"select {_DUE_COLUMNS} from deliveries d indexed by deliveries_due "
        "join subscribers s on s.chat_id = d.chat_id "
        "where d.state = 'pending' and d.digest = 0 and d.next_attempt_at <= ? "
        "and s.active = 1 order by d.next_attempt_at limit ?", [now, limit])]


def pending_for_chat(db: sqlite_utils.Database, chat_id: int, *,
                     now: str | None = None) -> list[dict]:
    """The chat's pending rows (only those due at ``now`` when given), in plan order."""
    due = "" if now is None else "and (next_attempt_at is null or next_attempt_at <= :now) "
    return [dict(r) for r in db.query(
        "select rowid, chat_id, arxiv_id, lang, attempts, retries, retry_until "
        "from deliveries indexed by deliveries_pending_chat "
        "where chat_id = :chat and state = 'pending' " + due +
        "order by rowid", {"chat": chat_id, "now": now})]


def digest_subscribers_due(db: sqlite_utils.Database, *, now: str,
                           limit: int = 500) -> list[dict]:
    """Digest (daily or weekly) subscribers whose next digest time has come, and those
    whose next time is not known yet (new, or the schedule changed); with what a digest
    needs of them (topics, exclusions, weights: bot.profile)."""
    cols = ("chat_id, kind, lang, mode, digest_hour, digest_weekday, tz, last_digest_at, "
            "subscribed_at, next_digest_at, topics, follows, excludes, weights")
    rows = list(db.query(
        f"select {cols} from subscribers indexed by subscribers_digest_due "
        "where mode != 'instant' and active = 1 and next_digest_at is null limit ?", [limit]))
    rows += db.query(
        f"select {cols} from subscribers indexed by subscribers_digest_due "
        "where mode != 'instant' and active = 1 and next_digest_at <= ? "
        "order by next_digest_at limit ?", [now, limit])
    out = []
    for r in rows:
        row = dict(r)
        for key, empty in (("topics", []), ("follows", []), ("excludes", []), ("weights", {})):
            row[key] = loads(row[key], empty)
        out.append(row)
    return out


def set_digest_schedule(db: sqlite_utils.Database, chat_id: int, *, next_at: str,
                        last_at: str | None = None) -> None:
    """Record when the chat's next digest is due (and, after one went out, when)."""
    db.execute("update subscribers set next_digest_at = ?, "
               "last_digest_at = coalesce(?, last_digest_at) where chat_id = ?",
               [next_at, last_at, chat_id])


# --- one message's rows -------------------------------------------------------------------
class _NotClaimed(Exception):
    pass


def claim(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str]) -> bool:
    """pending → sending for all of ``arxiv_ids`` (one message), or none of them. False when
    another deliverer (or a deactivation) got there first."""
    now = utcnow()
    try:
        with transaction(db):
            for arxiv_id in arxiv_ids:
                cur = db.execute(
                    "update deliveries set state = 'sending', attempts = attempts + 1, "
                    "updated_at = ?, sender_pid = ? where chat_id = ? and arxiv_id = ? "
                    "and state = 'pending'", [now, os.getpid(), chat_id, arxiv_id])
                if cur.rowcount != 1:
                    raise _NotClaimed
    except _NotClaimed:
        return False
    return True


try_claim = claim


def _finish(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str], state: str, *,
            message_id: int | None = None, reason: str | None = None,
            next_attempt_at: str | None = None, retry_until: str | None = None,
            counts_retry: bool = False) -> None:
    now = utcnow()
    sent_at = now if state == "sent" else None
    with transaction(db):
        for arxiv_id in arxiv_ids:
            db.execute(
                "update deliveries set state = ?, message_id = coalesce(?, message_id), "
                "reason = ?, updated_at = ?, sent_at = coalesce(?, sent_at), "
                "next_attempt_at = ?, retry_until = coalesce(?, retry_until), "
                "retries = retries + ? where chat_id = ? and arxiv_id = ? and state = 'sending'",
                [state, message_id, reason[:500] if reason else None, now, sent_at,
                 next_attempt_at, retry_until, int(counts_retry), chat_id, arxiv_id])


def mark_sent(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
              message_id: int, *, note: str | None = None) -> None:
    _finish(db, chat_id, arxiv_ids, "sent", message_id=message_id, reason=note)


def mark_failed(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                reason: str) -> None:
    _finish(db, chat_id, arxiv_ids, "failed", reason=reason)


def mark_skipped(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                 reason: str) -> None:
    _finish(db, chat_id, arxiv_ids, "skipped", reason=reason)


def mark_ambiguous(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                   reason: str) -> None:
    """The request may have reached Telegram: never resent automatically."""
    _finish(db, chat_id, arxiv_ids, "ambiguous", reason=reason)


def release(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
            reason: str | None = None) -> None:
    """sending → pending, due now: Telegram certainly did not take it (a 429, a stop)."""
    _finish(db, chat_id, arxiv_ids, "pending", reason=reason)


def retry_later(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                reason: str, *, at: str, until: str) -> None:
    """sending → pending, due at ``at``: a transient failure (the request provably did not
    reach Telegram); ``until`` (kept from the first failure) is when to give up."""
    _finish(db, chat_id, arxiv_ids, "pending", reason=reason, next_attempt_at=at,
            retry_until=until, counts_retry=True)


def skip_pending(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                 reason: str) -> None:
    now = utcnow()
    with transaction(db):
        for arxiv_id in arxiv_ids:
            db.execute("update deliveries set state = 'skipped', reason = ?, updated_at = ? "
                       "where chat_id = ? and arxiv_id = ? and state = 'pending'",
                       [reason, now, chat_id, arxiv_id])


def wake_waiting(db: sqlite_utils.Database, *, now: str) -> int:
    # ``now``: a :func:`precise` stamp
    """Rows waiting for a retry become due now (Telegram is back after an outage)."""
    cur = db.execute(
        "update deliveries indexed by deliveries_due set next_attempt_at = ? "
        "where state = 'pending' and digest in (0, 1) and next_attempt_at > ?", [now, now])
    return cur.rowcount


# --- ambiguous rows -----------------------------------------------------------------------
def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _interrupted(db: sqlite_utils.Database, now: dt.datetime) -> tuple[str, list]:
    """WHERE clause (and its parameters) of the ``sending`` rows whose run died: their
    process is gone, or they are older than any API call lasts."""
    pids = [r[0] for r in db.execute(
        "select distinct sender_pid from deliveries where state = 'sending'")]
    dead = [p for p in pids if p is not None and not _alive(p)]
    marks = ", ".join("?" * len(dead))
    where = "state = 'sending' and (sender_pid is null or updated_at < ?" + (
        f" or sender_pid in ({marks}))" if dead else ")")
    return where, [_iso(now - STALE_SENDING), *dead]


def expire_sending(db: sqlite_utils.Database, *, now: dt.datetime | None = None) -> int:
    """Rows left in ``sending`` by a run that died between the API call and recording its
    answer (its process is gone, or it is older than any call lasts) become
    ``ambiguous``. Returns how many."""
    now = now or dt.datetime.now(dt.UTC)
    where, params = _interrupted(db, now)
    cur = db.execute(
        "update deliveries set state = 'ambiguous', updated_at = ?, reason = "
        "'interrupted: the run stopped between sending and recording the answer' "
        f"where {where}", [_iso(now), *params])
    return cur.rowcount


def ambiguous(db: sqlite_utils.Database, *, chat_id: int | None = None,
              arxiv_id: str | None = None) -> list[dict]:
    """Ambiguous rows (optionally of one chat / paper), oldest first."""
    return [dict(r) for r in db.query(
        "select chat_id, arxiv_id, lang, attempts, updated_at, reason from deliveries "
        "where state = 'ambiguous' and (:chat is null or chat_id = :chat) "
        "and (:paper is null or arxiv_id = :paper) order by updated_at, chat_id, arxiv_id",
        {"chat": chat_id, "paper": arxiv_id})]


def settle_ambiguous(db: sqlite_utils.Database, *, resend: bool, chat_id: int | None = None,
                     arxiv_id: str | None = None) -> int:
    """The operator's decision on ambiguous rows: ``resend`` (→ pending, due now: the
    subscriber may get it twice) or drop (→ skipped: they may never get it)."""
    state, reason = (("pending", "ambiguous: resent by the operator") if resend
                     else ("skipped", "ambiguous: dropped by the operator"))
    cur = db.execute(
        "update deliveries set state = :state, reason = :reason, updated_at = :now, "
        "next_attempt_at = null, retries = 0, retry_until = null where state = 'ambiguous' "
        "and (:chat is null or chat_id = :chat) and (:paper is null or arxiv_id = :paper)",
        {"state": state, "reason": reason, "now": utcnow(), "chat": chat_id,
         "paper": arxiv_id})
    return cur.rowcount


# --- Telegram outage (the circuit) ---------------------------------------------------------
def outage(db: sqlite_utils.Database) -> dict | None:
    """The open outage: ``since``, ``probes`` (failed runs), ``next_probe_at``,
    ``last_error``; None when Telegram was reachable last time."""
    return loads(get_meta(db, _OUTAGE_KEY))


def set_outage(db: sqlite_utils.Database, value: dict | None) -> None:
    if value is None:
        db.execute("delete from meta where key = ?", [_OUTAGE_KEY])
    else:
        set_meta(db, _OUTAGE_KEY, dumps(value))


# --- counts -------------------------------------------------------------------------------
def state_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per state and sends today: final states from the trigger-kept counters, the
    rows still due or unsettled (pending, sending, ambiguous) through the state index;
    ``retrying``: pending rows waiting for a retry; ``ambiguous`` includes the rows a
    dead run left in ``sending``."""
    from . import counts as counters

    counts = {s: 0 for s in STATES}
    counts.update(counters.by_sub(db, "deliveries"))
    counts.update(db.execute("select state, count(*) from deliveries where state "
                             "in ('pending', 'sending', 'ambiguous') group by state").fetchall())
    counts["sent_today"] = counters.value(db, "deliveries.sent_on", utcnow()[:10])
    counts["retrying"] = db.execute(
        "select count(*) from deliveries indexed by deliveries_due where state = 'pending' "
        "and digest in (0, 1) and next_attempt_at is not null").fetchone()[0]
    if counts["sending"]:
        where, params = _interrupted(db, dt.datetime.now(dt.UTC))
        counts["ambiguous"] += db.execute(f"select count(*) from deliveries where {where}",
                                          params).fetchone()[0]
    return counts


def deliveries_for(db: sqlite_utils.Database, *, chat_id: int | None = None) -> list[dict]:
    sql = ("select chat_id, arxiv_id, lang, state, message_id, reason, attempts, retries, "
           "next_attempt_at from deliveries")
    params: list[Any] = []
    if chat_id is not None:
        sql += " where chat_id = ?"
        params.append(chat_id)
    return [dict(r) for r in db.query(sql + " order by rowid", params)]


# --- what a message shows ----------------------------------------------------------------
def paper_view(db: sqlite_utils.Database, arxiv_id: str) -> dict | None:
    """The paper with its mentions (primary first) joined to their posts."""
    row = db.execute(
        "select arxiv_id, title, authors, categories, abstract, first_seen_at, has_primary, "
        "notify from papers where arxiv_id = ?", [arxiv_id]).fetchone()
    if row is None:
        return None
    keys = ["arxiv_id", "title", "authors", "categories", "abstract", "first_seen_at",
            "has_primary", "notify"]
    out = dict(zip(keys, row, strict=True))
    out["authors"] = loads(out["authors"], [])
    out["categories"] = loads(out["categories"], [])
    out["mentions"] = [dict(r) for r in db.query(
        "select s.source, s.url as post_url, s.title as post_title, m.text, m.lang, m.role, "
        "m.entry_title from mentions m join posts s on s.id = m.post_id "
        "where m.arxiv_id = ? order by m.role = 'primary' desc, s.id", [arxiv_id])]
    if not out["title"]:
        out["title"] = next((m["entry_title"] for m in out["mentions"] if m["entry_title"]), None)
    return out


def latest_paper_ids(db: sqlite_utils.Database, *, lang: str, limit: int) -> list[str]:
    """The newest papers blogs wrote about (primary mentions), those summarized in ``lang``
    first."""
    return [r[0] for r in db.execute(
        "select p.arxiv_id from papers p where p.has_primary = 1 order by "
        "exists(select 1 from summaries x where x.arxiv_id = p.arxiv_id and x.lang = ?) desc, "
        "p.first_seen_at desc, p.arxiv_id desc limit ?", [lang, limit])]


def insert_summary_row(db: sqlite_utils.Database, arxiv_id: str, lang: str, *, title: str,
                       tldr: str, key_points: Sequence[str] = (), blogs_said: str = "",
                       model: str = "fallback", is_fallback: bool = True,
                       created_at: str | None = None) -> None:
    """Store a summary row (tests and benchmarks seed summaries with it; the summarizer
    has its own writer)."""
    db.execute(
        "insert or replace into summaries(arxiv_id, lang, model, prompt_version, title, tldr, "
        "key_points, blogs_said, is_fallback, lang_ok, mentions_count, created_at) "
        "values(?, ?, ?, 0, ?, ?, ?, ?, ?, 1, 0, ?)",
        [arxiv_id, lang, model, title, tldr, dumps(list(key_points)), blogs_said,
         int(is_fallback), created_at or utcnow()])


def set_paper_metadata(db: sqlite_utils.Database, arxiv_id: str, *, title: str | None = None,
                       authors: Sequence[str] | None = None,
                       categories: Sequence[str] | None = None,
                       abstract: str | None = None) -> None:
    """Fill in arXiv metadata (tests and benchmarks; the arXiv enricher has its own writer)."""
    db.execute(
        "update papers set title = coalesce(?, title), authors = coalesce(?, authors), "
        "categories = coalesce(?, categories), abstract = coalesce(?, abstract) "
        "where arxiv_id = ?",
        [title, dumps(list(authors)) if authors is not None else None,
         dumps(list(categories)) if categories is not None else None, abstract, arxiv_id])
