"""arXiv side of extraction: enrichment, link verification, the queue of entries to
resolve by title and the shared cache of arXiv searches. Every statement here is small;
multi-row changes run in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from . import dumps, loads, transaction, utcnow

# mentions.flag values set here
FLAG_UNVERIFIED = "unverified"  # linked, but arXiv was unreachable: checked on a later run
FLAG_TITLE_MISMATCH = "title-mismatch"  # the linked paper's title contradicts the entry
FLAG_NOT_ON_ARXIV = "not-on-arxiv"  # arXiv does not know the linked ID


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


def refresh_has_primary(db: sqlite_utils.Database, arxiv_id: str) -> None:
    """A paper is delivered when some post presents it with a link that was not found to
    contradict its entry (``jobs.store.crawl.NOT_PROMOTED``)."""
    db.execute("update papers set has_primary = exists(select 1 from mentions where "
               "arxiv_id = ? and role = 'primary' and coalesce(flag, '') not in (?, ?)) "
               "where arxiv_id = ?", [arxiv_id, FLAG_TITLE_MISMATCH, FLAG_NOT_ON_ARXIV, arxiv_id])


def queue_relink(db: sqlite_utils.Database, post_id: int, arxiv_id: str, entry_title: str | None) -> None:
    """A link found to contradict its entry after an outage: not delivered, and its entry's
    title queued to find the right paper."""
    with transaction(db):
        db.execute(
            "insert into unresolved(post_id, kind, linked_id, title, role, reason, attempts, "
            "next_retry_at, created_at, candidates, spent) values(?, 'relink', ?, ?, 'primary', "
            "'title-mismatch', 0, ?, ?, ?, 0) on conflict(post_id, kind, title) do nothing",
            [post_id, arxiv_id, entry_title or "", utcnow(), utcnow(),
             dumps([entry_title] if entry_title else [])])
        refresh_has_primary(db, arxiv_id)


def _drop_if_orphan(db: sqlite_utils.Database, arxiv_id: str) -> None:
    if db.execute("select 1 from mentions where arxiv_id = ? limit 1", [arxiv_id]).fetchone():
        refresh_has_primary(db, arxiv_id)
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


# -- the resolution queue ---------------------------------------------------------------

def due_unresolved(db: sqlite_utils.Database, *, now: str, limit: int = 200) -> list[dict]:
    """Open entries whose (re)try time has come, oldest first, with what resolution needs:
    candidates, searches already run, the post's date and source (one indexed range read)."""
    rows = [dict(r) for r in db.query(
        "select u.id, u.post_id, u.kind, u.linked_id, u.title, u.authors, u.candidates, "
        "u.searches, u.spent, u.attempts, u.lang, u.text, u.asked_llm_at, p.source, "
        "coalesce(p.published_at, p.first_seen_at) as post_date "
        "from unresolved u join posts p on p.id = u.post_id "
        "where u.resolved_id is null and u.next_retry_at is not null and u.next_retry_at <= ? "
        "order by u.next_retry_at, u.id limit ?", [now, limit])]
    for r in rows:
        r["authors"] = loads(r["authors"], [])
        r["candidates"] = loads(r["candidates"], []) or ([r["title"]] if r["title"] else [])
        r["searches"] = loads(r["searches"], [])
        r["spent"] = r["spent"] or 0
    return rows


def post_mentions(db: sqlite_utils.Database, post_ids: Iterable[int]) -> dict[int, set[str]]:
    """The arXiv IDs each post already mentions (linked primaries and references)."""
    ids = list(dict.fromkeys(post_ids))
    out: dict[int, set[str]] = {i: set() for i in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for post_id, arxiv_id in db.execute(
                f"select post_id, arxiv_id from mentions where post_id in ({marks})", chunk):
            out[post_id].add(arxiv_id)
    return out


def cached_searches(db: sqlite_utils.Database, terms: Iterable[str], *, now: str
                    ) -> dict[str, list[dict]]:
    """Results of earlier searches (hits and misses) that have not expired, by term."""
    terms = list(dict.fromkeys(terms))
    out: dict[str, list[dict]] = {}
    for i in range(0, len(terms), 500):
        chunk = terms[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for term, results in db.execute(
                f"select term, results from arxiv_searches where term in ({marks}) "
                f"and (expires_at is null or expires_at > ?)", [*chunk, now]):
            out[term] = loads(results, [])
    return out


def save_searches(db: sqlite_utils.Database, results: dict[str, list[dict]], *,
                  expires_at: str | None) -> None:
    now = utcnow()
    with transaction(db):
        for term, hits in results.items():
            db.execute(
                "insert into arxiv_searches(term, results, searched_at, expires_at) "
                "values(?, ?, ?, ?) on conflict(term) do update set results = excluded.results, "
                "searched_at = excluded.searched_at, expires_at = excluded.expires_at",
                [term, dumps(hits), now, expires_at])


def settle_unresolved(db: sqlite_utils.Database, *, resolved: Sequence[tuple[dict, str]],
                      pending: Sequence[dict]) -> dict[str, list[str]]:
    """One transaction for a batch: ``resolved`` (row, arXiv ID) pairs get their paper and
    mention (a relink row moves the post's mention to the right paper); ``pending`` rows
    (``id``, ``reason``, ``next_retry_at``, ``searches``, ``spent``, ``candidates``,
    ``plausible``, ``attempted``, ``asked_llm_at``) are saved for the next run. Returns the
    new paper IDs per source."""
    now = utcnow()
    new: dict[str, list[str]] = {}
    with transaction(db):
        for row, arxiv_id in resolved:
            current = db.execute("select post_id, title, text, lang, labels, role from unresolved "
                                 "where id = ? and resolved_id is null", [row["id"]]).fetchone()
            if current is None:
                continue  # settled by another run meanwhile
            post_id, title, text, lang, labels, role = current
            if row.get("kind") == "relink" and row.get("linked_id"):
                fresh = _move_mention(db, post_id, row["linked_id"], arxiv_id, now=now)
            else:
                fresh = _add_mention(db, post_id, arxiv_id, role=role or "primary",
                                     entry_title=title, text=text, lang=lang, labels=labels, now=now)
            if fresh:
                new.setdefault(row["source"], []).append(arxiv_id)
            db.execute("update unresolved set resolved_id = ?, attempts = attempts + 1, "
                       "next_retry_at = null, reason = 'resolved', searches = ?, spent = ? "
                       "where id = ?", [arxiv_id, dumps(row.get("searches", [])),
                                        row.get("spent", 0), row["id"]])
        for p in pending:
            db.execute(
                "update unresolved set reason = ?, next_retry_at = ?, searches = ?, spent = ?, "
                "candidates = ?, plausible = ?, attempts = attempts + ?, "
                "asked_llm_at = coalesce(?, asked_llm_at) where id = ? and resolved_id is null",
                [p["reason"], p["next_retry_at"], dumps(p.get("searches", [])), p.get("spent", 0),
                 dumps(p.get("candidates", [])), dumps(p.get("plausible", [])),
                 int(p.get("attempted", True)), p.get("asked_llm_at"), p["id"]])
    return new


def _move_mention(db: sqlite_utils.Database, post_id: int, old_id: str, new_id: str, *,
                  now: str) -> bool:
    row = db.execute("select role, entry_title, text, lang, labels from mentions "
                     "where post_id = ? and arxiv_id = ?", [post_id, old_id]).fetchone()
    if row is None:
        return False
    role, entry_title, text, lang, labels = row
    db.execute("delete from mentions where post_id = ? and arxiv_id = ?", [post_id, old_id])
    new = _add_mention(db, post_id, new_id, role=role, entry_title=entry_title, text=text,
                       lang=lang, labels=labels, now=now)
    _drop_if_orphan(db, old_id)
    return new


def unresolved_summary(db: sqlite_utils.Database) -> list[dict]:
    """Open entries per source and reason (``paperbot status``)."""
    return [dict(r) for r in db.query(
        "select p.source, u.reason, count(*) as entries from unresolved u "
        "join posts p on p.id = u.post_id where u.resolved_id is null "
        "group by p.source, u.reason order by p.source, entries desc")]


def unresolved_entries(db: sqlite_utils.Database, *, limit: int = 200) -> list[dict]:
    """Open entries, newest first, with the candidates and searches tried
    (``paperbot papers --unresolved``)."""
    rows = [dict(r) for r in db.query(
        "select u.id, p.source, p.url, u.kind, u.linked_id, u.title, u.candidates, u.searches, "
        "u.plausible, u.reason, u.attempts, u.next_retry_at, u.created_at "
        "from unresolved u join posts p on p.id = u.post_id where u.resolved_id is null "
        "order by u.id desc limit ?", [limit])]
    for r in rows:
        for key in ("candidates", "searches", "plausible"):
            r[key] = loads(r[key], [])
    return rows
