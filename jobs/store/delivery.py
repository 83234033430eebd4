"""The delivery ledger: one row per (chat, paper).

States: ``pending`` → ``sending`` (written right before the API call) → ``sent``
(message_id, written right after) | ``failed`` (reason) | ``skipped`` (reason).
A row found in ``sending`` by a later run was interrupted between the two writes (a
crash): it is *ambiguous* (the message may or may not have arrived) and is reported,
never resent automatically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from . import dumps, get_meta, loads, set_meta, transaction, utcnow

_PLAN_KEY = "delivery.plan_watermark"


# --- planning -----------------------------------------------------------------------------
def plan_watermark(db: sqlite_utils.Database) -> str | None:
    return get_meta(db, _PLAN_KEY)


def set_plan_watermark(db: sqlite_utils.Database, value: str) -> None:
    set_meta(db, _PLAN_KEY, value)


def plan_candidates(db: sqlite_utils.Database, *, since: str | None) -> list[dict]:
    """(paper, language) pairs that may need planning: pushable papers (has_primary,
    notify) with a summary in that language, first seen or summarized at/after ``since``
    (all of them when ``since`` is None)."""
    where = "" if since is None else "and (x.created_at >= :since or p.first_seen_at >= :since)"
    return [dict(r) for r in db.query(
        "select p.arxiv_id, x.lang, p.first_seen_at, p.title, p.abstract, p.categories, "
        "max(x.tldr) as tldr from papers p join summaries x on x.arxiv_id = p.arxiv_id "
        f"where p.has_primary = 1 and p.notify = 1 {where} "
        "group by p.arxiv_id, x.lang order by p.first_seen_at, p.arxiv_id",
        {"since": since})]


def plan_for_everyone(db: sqlite_utils.Database, arxiv_id: str, lang: str, first_seen_at: str,
                      *, now: str) -> int:
    """Pending rows for every active subscriber in ``lang`` without topics, exclusions or
    vote weights who subscribed at/before ``first_seen_at``. Returns the rows created."""
    cur = db.execute(
        "insert into deliveries(chat_id, arxiv_id, lang, state, attempts, created_at, updated_at) "
        "select chat_id, ?, lang, 'pending', 0, ?, ? from subscribers "
        "where active = 1 and lang = ? and subscribed_at <= ? and topics = '[]' "
        "and excludes = '[]' and weights = '{}' on conflict(chat_id, arxiv_id) do nothing",
        [arxiv_id, now, now, lang, first_seen_at])
    return max(cur.rowcount, 0)


def topic_subscribers(db: sqlite_utils.Database, lang: str, first_seen_at: str) -> list[dict]:
    """Subscribers in ``lang`` whose topics, exclusions or vote weights decide what they
    get (see ``bot.profile.decide``), with those."""
    return [{"chat_id": r[0], "topics": loads(r[1], []), "follows": loads(r[2], []),
             "excludes": loads(r[3], []), "weights": loads(r[4], {})} for r in db.execute(
        "select chat_id, topics, follows, excludes, weights from subscribers where active = 1 "
        "and lang = ? and subscribed_at <= ? and (topics != '[]' or excludes != '[]' or "
        "weights != '{}')", [lang, first_seen_at])]


def plan_rows(db: sqlite_utils.Database, arxiv_id: str, lang: str, chat_ids: Iterable[int], *,
              now: str) -> int:
    n = 0
    with transaction(db):
        for chat_id in chat_ids:
            cur = db.execute(
                "insert into deliveries(chat_id, arxiv_id, lang, state, attempts, created_at, "
                "updated_at) values(?, ?, ?, 'pending', 0, ?, ?) "
                "on conflict(chat_id, arxiv_id) do nothing", [chat_id, arxiv_id, lang, now, now])
            n += max(cur.rowcount, 0)
    return n


# --- sending ------------------------------------------------------------------------------
def pending_batch(db: sqlite_utils.Database, *, mode: str, after_rowid: int = 0,
                  limit: int = 500) -> list[dict]:
    """Pending rows of active subscribers in ``mode``, in plan order (rowid)."""
    return [dict(r) for r in db.query(
        "select d.rowid as rowid, d.chat_id, d.arxiv_id, d.lang, d.attempts, s.kind "
        "from deliveries d join subscribers s on s.chat_id = d.chat_id "
        "where d.state = 'pending' and s.active = 1 and s.mode = ? and d.rowid > ? "
        "order by d.rowid limit ?", [mode, after_rowid, limit])]


def pending_for_chat(db: sqlite_utils.Database, chat_id: int) -> list[dict]:
    return [dict(r) for r in db.query(
        "select rowid, chat_id, arxiv_id, lang, attempts from deliveries "
        "where chat_id = ? and state = 'pending' order by rowid", [chat_id])]


def claim(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str]) -> bool:
    """pending → sending for all of ``arxiv_ids`` (one message), or none of them. False when
    another deliverer (or a deactivation) got there first."""
    now = utcnow()
    with transaction(db):
        for arxiv_id in arxiv_ids:
            cur = db.execute(
                "update deliveries set state = 'sending', attempts = attempts + 1, "
                "updated_at = ? where chat_id = ? and arxiv_id = ? and state = 'pending'",
                [now, chat_id, arxiv_id])
            if cur.rowcount != 1:
                raise _NotClaimed
    return True


class _NotClaimed(Exception):
    pass


def try_claim(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str]) -> bool:
    try:
        return claim(db, chat_id, arxiv_ids)
    except _NotClaimed:
        return False


def _finish(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str], state: str, *,
            message_id: int | None = None, reason: str | None = None) -> None:
    now = utcnow()
    sent_at = now if state == "sent" else None
    with transaction(db):
        for arxiv_id in arxiv_ids:
            db.execute(
                "update deliveries set state = ?, message_id = coalesce(?, message_id), "
                "reason = ?, updated_at = ?, sent_at = coalesce(?, sent_at) "
                "where chat_id = ? and arxiv_id = ? and state = 'sending'",
                [state, message_id, reason[:500] if reason else None, now, sent_at, chat_id,
                 arxiv_id])


def mark_sent(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
              message_id: int, *, note: str | None = None) -> None:
    _finish(db, chat_id, arxiv_ids, "sent", message_id=message_id, reason=note)


def mark_failed(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                reason: str) -> None:
    _finish(db, chat_id, arxiv_ids, "failed", reason=reason)


def mark_skipped(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                 reason: str) -> None:
    _finish(db, chat_id, arxiv_ids, "skipped", reason=reason)


def release(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
            reason: str | None = None) -> None:
    """sending → pending: the API call certainly did not deliver (retry later)."""
    _finish(db, chat_id, arxiv_ids, "pending", reason=reason)


def skip_pending(db: sqlite_utils.Database, chat_id: int, arxiv_ids: Sequence[str],
                 reason: str) -> None:
    now = utcnow()
    with transaction(db):
        for arxiv_id in arxiv_ids:
            db.execute("update deliveries set state = 'skipped', reason = ?, updated_at = ? "
                       "where chat_id = ? and arxiv_id = ? and state = 'pending'",
                       [reason, now, chat_id, arxiv_id])


def ambiguous(db: sqlite_utils.Database) -> list[dict]:
    """Rows left in ``sending``: a run died between the API call and recording its result."""
    return [dict(r) for r in db.query(
        "select chat_id, arxiv_id, lang, attempts, updated_at from deliveries "
        "where state = 'sending' order by updated_at")]


def resolve_ambiguous(db: sqlite_utils.Database, *, to: str) -> int:
    """An operator's decision on the ambiguous rows: ``pending`` (resend) or ``failed``."""
    if to not in ("pending", "failed"):
        raise ValueError("to must be 'pending' or 'failed'")
    cur = db.execute("update deliveries set state = ?, reason = 'ambiguous: resolved by operator', "
                     "updated_at = ? where state = 'sending'", [to, utcnow()])
    return cur.rowcount


def state_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per state and sends today: final states from the trigger-kept counters, the
    rows still due (pending, sending) counted through the state index."""
    from . import counts as counters

    counts = {s: 0 for s in ("pending", "sending", "sent", "failed", "skipped")}
    counts.update(counters.by_sub(db, "deliveries"))
    counts.update(db.execute("select state, count(*) from deliveries where state "
                             "in ('pending', 'sending') group by state").fetchall())
    counts["sent_today"] = counters.value(db, "deliveries.sent_on", utcnow()[:10])
    counts["ambiguous"] = counts["sending"]
    return counts


def deliveries_for(db: sqlite_utils.Database, *, chat_id: int | None = None) -> list[dict]:
    sql = "select chat_id, arxiv_id, lang, state, message_id, reason, attempts from deliveries"
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
