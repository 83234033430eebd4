"""arXiv side of extraction: title look-up cache, unresolved retries, enrichment, link
verification. Every statement here is small; multi-row changes run in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from . import dumps, loads, transaction, utcnow

# mentions.flag values set here
FLAG_UNVERIFIED = "unverified"  # linked, but arXiv was unreachable: checked on a later run
FLAG_TITLE_MISMATCH = "title-mismatch"  # the linked paper's title contradicts the entry
FLAG_NOT_ON_ARXIV = "not-on-arxiv"  # arXiv does not know the linked ID


# -- title look-up cache ----------------------------------------------------------

def cached_lookup(db: sqlite_utils.Database, key: str, *, now: str) -> tuple[bool, str | None]:
    """(known, arxiv_id): known=False when never looked up or a miss whose retry is due."""
    row = db.execute("select arxiv_id, retry_at from title_lookups where norm_title = ?",
                     [key]).fetchone()
    if row is None:
        return False, None
    if row[0]:
        return True, row[0]
    return (row[1] is not None and row[1] > now), None


def save_lookup(db: sqlite_utils.Database, key: str, *, arxiv_id: str | None, score: float | None,
                retry_at: str | None) -> None:
    db.execute(
        "insert into title_lookups(norm_title, arxiv_id, score, looked_up_at, retry_at) "
        "values(?, ?, ?, ?, ?) on conflict(norm_title) do update set arxiv_id = excluded.arxiv_id, "
        "score = excluded.score, looked_up_at = excluded.looked_up_at, "
        "retry_at = excluded.retry_at",
        [key, arxiv_id, score, utcnow(), retry_at],
    )


def lookup_retry_at(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("select retry_at from title_lookups where norm_title = ? and arxiv_id is null",
                     [key]).fetchone()
    return row[0] if row else None


# -- enrichment -----------------------------------------------------------------------

def paper_titles(db: sqlite_utils.Database, ids: Iterable[str]) -> dict[str, str | None]:
    """arXiv titles of enriched papers among ``ids`` (None: enriched but unknown to arXiv)."""
    ids = list(ids)
    out: dict[str, str | None] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for arxiv_id, title, abstract in db.execute(
                f"select arxiv_id, title, abstract from papers where enriched_at is not null "
                f"and arxiv_id in ({marks})", chunk):
            out[arxiv_id] = title if abstract is not None else None
    return out


def unenriched_ids(db: sqlite_utils.Database, *, limit: int = 1000) -> list[str]:
    return [r[0] for r in db.execute(
        "select arxiv_id from papers where enriched_at is null order by first_seen_at, arxiv_id "
        "limit ?", [limit])]


def save_enrichment(db: sqlite_utils.Database, papers: Iterable[Any],
                    missing: Sequence[str] = ()) -> int:
    """Store arXiv metadata (``jobs.clients.arxiv.ArxivPaper``) on existing paper rows; mark the
    ``missing`` IDs (arXiv does not know them) enriched with no metadata. Returns rows
    updated."""
    now = utcnow()
    changed = 0
    with transaction(db):
        for p in papers:
            cur = db.execute(
                "update papers set title = ?, authors = ?, abstract = ?, categories = ?, "
                "published = ?, updated = ?, enriched_at = ? where arxiv_id = ?",
                [p.title, dumps(list(p.authors)), p.abstract, dumps(list(p.categories)),
                 p.published, p.updated, now, p.arxiv_id],
            )
            changed += cur.rowcount
        for arxiv_id in missing:
            changed += db.execute(
                "update papers set enriched_at = ? where arxiv_id = ? and enriched_at is null",
                [now, arxiv_id]).rowcount
    return changed


# -- link verification after an outage -------------------------------------------------

def unverified_mentions(db: sqlite_utils.Database) -> list[dict]:
    """Mentions recorded while arXiv was unreachable whose paper is now enriched."""
    return [dict(r) for r in db.query(
        "select m.post_id, m.arxiv_id, m.role, m.entry_title, p.title as arxiv_title, "
        "p.abstract is not null as known from mentions m join papers p using(arxiv_id) "
        "where m.flag = ? and p.enriched_at is not null", [FLAG_UNVERIFIED])]


def set_mention_flag(db: sqlite_utils.Database, post_id: int, arxiv_id: str,
                     flag: str | None) -> None:
    db.execute("update mentions set flag = ? where post_id = ? and arxiv_id = ?",
               [flag, post_id, arxiv_id])


def move_mention(db: sqlite_utils.Database, post_id: int, old_id: str, new_id: str) -> bool:
    """Re-point a mention from a wrongly linked ID to the paper its title names; the
    wrong paper row goes if nothing else mentions it. Returns whether ``new_id`` is new."""
    now = utcnow()
    with transaction(db):
        row = db.execute("select * from mentions where post_id = ? and arxiv_id = ?",
                         [post_id, old_id]).fetchone()
        if row is None:
            return False
        m = dict(zip([d[0] for d in db.conn.execute(
            "select * from mentions limit 0").description], row, strict=True))
        db.execute("delete from mentions where post_id = ? and arxiv_id = ?", [post_id, old_id])
        new = _add_mention(db, post_id, new_id, role=m["role"], entry_title=m["entry_title"],
                           text=m["text"], lang=m["lang"], labels=m["labels"], now=now)
        _drop_if_orphan(db, old_id)
    return new


def _drop_if_orphan(db: sqlite_utils.Database, arxiv_id: str) -> None:
    if db.execute("select 1 from mentions where arxiv_id = ? limit 1", [arxiv_id]).fetchone():
        db.execute("update papers set has_primary = exists(select 1 from mentions where "
                   "arxiv_id = ? and role = 'primary') where arxiv_id = ?", [arxiv_id, arxiv_id])
        return
    for table in ("summaries", "deliveries"):
        if db.execute(f"select 1 from {table} where arxiv_id = ? limit 1", [arxiv_id]).fetchone():
            db.execute("update papers set has_primary = 0 where arxiv_id = ?", [arxiv_id])
            return
    db.execute("delete from papers where arxiv_id = ?", [arxiv_id])


def _add_mention(db: sqlite_utils.Database, post_id: int, arxiv_id: str, *, role: str,
                 entry_title: str | None, text: str | None, lang: str | None,
                 labels: str | None, now: str) -> bool:
    """Insert paper (if new, inheriting the post's notify) and mention. Returns new-paper."""
    (notify,) = db.execute("select notify from posts where id = ?", [post_id]).fetchone()
    new = db.execute(
        "insert into papers(arxiv_id, title, first_seen_at, notify, has_primary) "
        "values(?, ?, ?, ?, 0) on conflict(arxiv_id) do nothing",
        [arxiv_id, entry_title, now, notify]).rowcount > 0
    existing = db.execute("select role from mentions where post_id = ? and arxiv_id = ?",
                          [post_id, arxiv_id]).fetchone()
    if existing is None:
        db.execute(
            "insert into mentions(post_id, arxiv_id, role, entry_title, text, lang, labels, "
            "flag, created_at) values(?, ?, ?, ?, ?, ?, ?, null, ?)",
            [post_id, arxiv_id, role, entry_title, text, lang, labels or "[]", now])
    elif role == "primary" and existing[0] != "primary":
        db.execute("update mentions set role = 'primary' where post_id = ? and arxiv_id = ?",
                   [post_id, arxiv_id])
    if role == "primary":
        db.execute("update papers set has_primary = 1 where arxiv_id = ?", [arxiv_id])
    return new


# -- unresolved entries -------------------------------------------------------------

def due_unresolved(db: sqlite_utils.Database, *, now: str, limit: int = 200) -> list[dict]:
    """Open title entries whose retry time has come (oldest first)."""
    rows = [dict(r) for r in db.query(
        "select u.id, u.post_id, u.title, u.authors, u.role, u.attempts, p.source "
        "from unresolved u join posts p on p.id = u.post_id "
        "where u.resolved_id is null and u.title != '' and u.next_retry_at is not null "
        "and u.next_retry_at <= ? order by u.next_retry_at, u.id limit ?", [now, limit])]
    for r in rows:
        r["authors"] = loads(r["authors"], [])
    return rows


def reschedule_unresolved(db: sqlite_utils.Database, row_id: int, *, next_retry_at: str | None,
                          reason: str, attempted: bool = True) -> None:
    db.execute(
        "update unresolved set next_retry_at = ?, reason = ?, attempts = attempts + ? "
        "where id = ?", [next_retry_at, reason, int(attempted), row_id])


def resolve_unresolved(db: sqlite_utils.Database, row_id: int, arxiv_id: str) -> bool:
    """A later look-up found the entry's paper: add its paper and mention, remember the ID
    on the entry. Returns whether the paper is new."""
    now = utcnow()
    with transaction(db):
        row = db.execute("select post_id, title, text, lang, labels, role from unresolved "
                         "where id = ? and resolved_id is null", [row_id]).fetchone()
        if row is None:
            return False
        post_id, title, text, lang, labels, role = row
        new = _add_mention(db, post_id, arxiv_id, role=role or "primary", entry_title=title,
                           text=text, lang=lang, labels=labels, now=now)
        db.execute("update unresolved set resolved_id = ?, attempts = attempts + 1, "
                   "next_retry_at = null, reason = 'resolved' where id = ?", [arxiv_id, row_id])
    return new
