"""Planning deliveries: which (paper, language) pairs are new since the last plan, and
the pending ledger rows of their audience (the ledger itself: :mod:`.delivery`).

Every query reads only what is new or what it writes: candidates through
``summaries_created_at`` / ``idx_papers_first_seen_at`` from the plan watermark, a
paper's audience through ``subscribers_audience`` (``lang``, ``chat_id``; active only).
Subscribers who take every paper (no topics, exclusions or vote weights) get their rows
in one ``INSERT … SELECT`` per (paper, language), without a round trip through Python;
only the others are read, in batches, for the reader profile's decision. Since schema
v8 the ledger is keyed ``(arxiv_id, chat_id)``, so a paper's rows are written next to
each other whatever the history (:mod:`.schema_delivery`).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from . import get_meta, loads, set_meta, transaction

_PLAN_KEY = "delivery.plan_watermark"
# subscribers whose topics, exclusions and weights are all empty (as the bot writes
# them): they take every paper of their language. Anything else is read and decided in
# Python (``bot.profile``), which also takes the empty ones this test misses.
TAKES_ALL = ("coalesce(topics, '') in ('', '[]', 'null') "
             "and coalesce(excludes, '') in ('', '[]', 'null') "
             "and coalesce(weights, '') in ('', '{}', 'null')")
_AUDIENCE = ("from subscribers indexed by subscribers_audience where lang = :lang "
             "and active = 1 and subscribed_at <= :seen")


def plan_watermark(db: sqlite_utils.Database) -> str | None:
    return get_meta(db, _PLAN_KEY)


def set_plan_watermark(db: sqlite_utils.Database, value: str) -> None:
    set_meta(db, _PLAN_KEY, value)


def new_summary_pairs(db: sqlite_utils.Database, since: str) -> list[tuple[str, str]]:
    """(paper, language) of the summaries written at/after ``since``."""
    return [(r[0], r[1]) for r in db.execute(
        "select arxiv_id, lang from summaries indexed by summaries_created_at "
        "where created_at >= ?", [since])]


def new_paper_pairs(db: sqlite_utils.Database, since: str) -> list[tuple[str, str]]:
    """(paper, language) of the summaries of pushable papers first seen at/after ``since``."""
    return [(r[0], r[1]) for r in db.execute(
        "select p.arxiv_id, x.lang from papers p indexed by idx_papers_first_seen_at "
        "join summaries x on x.arxiv_id = p.arxiv_id "
        "where p.first_seen_at >= ? and p.has_primary = 1 and p.notify = 1", [since])]


def plan_candidate(db: sqlite_utils.Database, arxiv_id: str, lang: str) -> dict | None:
    """What the planner needs of a pushable paper with a summary in ``lang`` (else None)."""
    row = db.execute(
        "select p.arxiv_id, p.first_seen_at, p.title, p.abstract, p.categories, "
        "(select max(x.tldr) from summaries x where x.arxiv_id = p.arxiv_id and x.lang = ?) "
        "from papers p where p.arxiv_id = ? and p.has_primary = 1 and p.notify = 1",
        [lang, arxiv_id]).fetchone()
    if row is None:
        return None
    keys = ("arxiv_id", "first_seen_at", "title", "abstract", "categories", "tldr")
    return {**dict(zip(keys, row, strict=True)), "lang": lang}


def plan_candidates(db: sqlite_utils.Database, *, since: str | None) -> list[dict]:
    """(paper, language) pairs that may need planning: pushable papers (has_primary,
    notify) with a summary in that language, first seen or summarized at/after ``since``
    (all of them when ``since`` is None), oldest paper first."""
    since = since or ""
    pairs = dict.fromkeys(new_summary_pairs(db, since) + new_paper_pairs(db, since))
    found = [c for c in (plan_candidate(db, a, lang) for a, lang in pairs) if c is not None]
    return sorted(found, key=lambda c: (c["first_seen_at"] or "", c["arxiv_id"], c["lang"]))


def plan_everyone(db: sqlite_utils.Database, arxiv_id: str, lang: str, first_seen_at: str, *,
                  now: str) -> int:
    """Pending rows for the audience in ``lang`` (active, subscribed at/before
    ``first_seen_at``) who take every paper (:data:`TAKES_ALL`), in one statement;
    existing rows are left alone. Returns the rows created."""
    cur = db.execute(
        "insert into deliveries(chat_id, arxiv_id, lang, state, attempts, created_at, "
        "updated_at, digest) select chat_id, :paper, :lang, 'pending', 0, :now, :now, "
        f"mode is not 'instant' {_AUDIENCE} and {TAKES_ALL} "
        "order by chat_id on conflict(arxiv_id, chat_id) do nothing",
        {"paper": arxiv_id, "lang": lang, "seen": first_seen_at, "now": now})
    return cur.rowcount


def audience_batch(db: sqlite_utils.Database, lang: str, first_seen_at: str, *,
                   after_chat: int | None, limit: int = 1000,
                   picky: bool = False) -> list[dict]:
    """Active subscribers in ``lang`` who subscribed at/before ``first_seen_at``, by
    chat_id after ``after_chat`` (``picky``: only those :data:`TAKES_ALL` leaves out)."""
    only = f"and not ({TAKES_ALL}) " if picky else ""
    return [{"chat_id": r[0], "topics": loads(r[1], []), "digest": r[2] != "instant",
             "follows": loads(r[3], []), "excludes": loads(r[4], []), "weights": loads(r[5], {})}
            for r in db.execute(
                f"select chat_id, topics, mode, follows, excludes, weights {_AUDIENCE} "
                f"and chat_id > :after {only}order by chat_id limit :limit",
                {"lang": lang, "seen": first_seen_at, "limit": limit,
                 "after": -(1 << 62) if after_chat is None else after_chat})]


def plan_rows(db: sqlite_utils.Database, arxiv_id: str, lang: str,
              chats: Iterable[int | tuple[int, bool]], *, now: str) -> int:
    """Pending rows for ``chats`` (chat_id, or (chat_id, digest)); existing rows are left
    alone. Returns the rows created."""
    rows = [(c, arxiv_id, lang, now, now, 0) if isinstance(c, int)
            else (c[0], arxiv_id, lang, now, now, int(c[1])) for c in chats]
    if not rows:
        return 0
    with transaction(db):
        before = db.conn.total_changes
        db.conn.executemany(
            "insert into deliveries(chat_id, arxiv_id, lang, state, attempts, created_at, "
            "updated_at, digest) values(?, ?, ?, 'pending', 0, ?, ?, ?) "
            "on conflict(arxiv_id, chat_id) do nothing", rows)
        return db.conn.total_changes - before
