"""Sources, posts, papers, mentions and crawl runs."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from crawler.models import FoundPaper, Post

from . import dumps, loads, transaction, utcnow


def content_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Any]) -> None:
    """Make the ``sources`` table list the configured sources (health columns kept)."""
    for src in sources:
        db.execute(
            "insert into sources(name, kind, url, lang) values(?, ?, ?, ?) "
            "on conflict(name) do update set kind = excluded.kind, url = excluded.url, "
            "lang = excluded.lang",
            [src.name, src.kind, src.url, src.lang],
        )


def save_post(db: sqlite_utils.Database, post: Post, *, notify: bool = True) -> tuple[str, int]:
    """Store a crawled post. Returns (``new`` | ``changed`` | ``unchanged``, post id).

    An unchanged body keeps its status, so it is not extracted again.
    """
    digest = content_hash(post.html)
    now = utcnow()
    with transaction(db):
        row = db.execute(
            "select id, content_hash from posts where url = ?", [post.url]
        ).fetchone()
        if row and row[1] == digest:
            db.execute("update posts set fetched_at = ? where id = ?", [now, row[0]])
            return "unchanged", row[0]
        if row:
            db.execute(
                "update posts set title = ?, published_at = coalesce(?, published_at), "
                "html = ?, content_hash = ?, status = 'crawled', fetched_at = ?, error = null "
                "where id = ?",
                [post.title, post.published_at, post.html, digest, now, row[0]],
            )
            return "changed", row[0]
        cur = db.execute(
            "insert into posts(url, source, title, published_at, lang, html, content_hash, "
            "status, first_seen_at, fetched_at, notify) "
            "values(?, ?, ?, ?, ?, ?, ?, 'crawled', ?, ?, ?)",
            [post.url, post.source, post.title, post.published_at, post.lang, post.html,
             digest, now, now, int(notify)],
        )
        return "new", cur.lastrowid


def posts_to_extract(db: sqlite_utils.Database, *, extractor_version: int,
                     after_id: int = 0, limit: int = 100) -> list[dict]:
    """The next ``limit`` posts (id order, after ``after_id``) crawled but not extracted
    yet, or extracted by an older extractor: a caller pages through them."""
    cols = "id, url, source, title, published_at, lang, html, notify"
    rows = [dict(r) for r in db.query(
        f"select {cols} from posts where status = 'crawled' and id > ? order by id limit ?",
        [after_id, limit])]
    # posts of an older extractor exist only after an upgrade: look for them only then
    if db.execute("select 1 from posts where status = 'extracted' and extractor_version < ? "
                  "limit 1", [extractor_version]).fetchone():
        rows += [dict(r) for r in db.query(
            f"select {cols} from posts where status = 'extracted' and id > ? "
            f"and extractor_version < ? order by id limit ?",
            [after_id, extractor_version, limit])]
        rows = sorted(rows, key=lambda r: r["id"])[:limit]
    return rows


def known_paper_ids(db: sqlite_utils.Database, ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in db.execute(
            f"select arxiv_id from papers where arxiv_id in ({marks})", chunk))
    return found


# a linked primary with one of these flags is recorded but not delivered (jobs.store.arxiv)
NOT_PROMOTED = frozenset({"title-mismatch", "not-on-arxiv"})


def _queue_entry(db: sqlite_utils.Database, post_id: int, fp: FoundPaper, *, kind: str,
                 title: str, now: str, retry: tuple[str | None, str, int]) -> None:
    retry_at, reason, attempts = retry
    db.execute(
        "insert into unresolved(post_id, kind, linked_id, title, authors, text, lang, "
        "labels, role, reason, attempts, next_retry_at, created_at, candidates, spent) "
        "values(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
        "on conflict(post_id, kind, title) do nothing",
        [post_id, kind, fp.arxiv_id if kind == "relink" else None, title,
         dumps(list(fp.authors)), fp.text, fp.lang, dumps(list(fp.labels)), fp.role, reason,
         attempts, retry_at, now, dumps(list(fp.candidates))],
    )


def record_extraction(
    db: sqlite_utils.Database,
    post_id: int,
    found: Sequence[FoundPaper],
    *,
    extractor_version: int,
    unresolved_retry: Mapping[str, tuple[str | None, str, int]] | None = None,
) -> list[str]:
    """Replace the post's mentions with ``found`` in one transaction; mark it extracted.

    Papers not seen before are created (archived, not pushed, when the post came from a
    backfill). Entries without an ID go to ``unresolved``; ``unresolved_retry`` maps an
    entry title to (next_retry_at, reason, attempts) (default: retry now, 'no-id', 0).
    Returns the new paper IDs.
    """
    unresolved_retry = unresolved_retry or {}
    now = utcnow()
    new_ids: list[str] = []
    with transaction(db):
        (notify,) = db.execute("select notify from posts where id = ?", [post_id]).fetchone()
        db.execute("delete from mentions where post_id = ?", [post_id])
        # keep unresolved rows already resolved elsewhere; re-add the open ones below
        db.execute("delete from unresolved where post_id = ? and resolved_id is null", [post_id])
        seen: set[str] = set()
        for fp in found:
            relink = fp.arxiv_id is not None and fp.flag in NOT_PROMOTED and fp.role == "primary"
            if fp.arxiv_id is None or relink:
                # resolved from the queue (jobs.resolve.queue): link-less entries, and linked
                # IDs whose arXiv title contradicts the entry (moved if the title finds its paper)
                title = fp.title or (fp.candidates[0] if fp.candidates else "")
                kind = "relink" if relink else "entry"
                done = db.execute("select resolved_id from unresolved where post_id = ? and kind = ? "
                                  "and title = ? and resolved_id is not null",
                                  [post_id, kind, title]).fetchone()
                if done is not None:  # resolved before (the post changed): reuse the answer
                    fp = dataclasses.replace(fp, arxiv_id=done[0], flag=None)
                    relink = False
                else:
                    _queue_entry(db, post_id, fp, kind=kind, title=title, now=now,
                                 retry=unresolved_retry.get(title, (now, fp.flag or "no-id", 0)))
                    if not relink:
                        continue
            if fp.arxiv_id in seen:
                continue
            seen.add(fp.arxiv_id)
            cur = db.execute(
                "insert into papers(arxiv_id, title, first_seen_at, notify, has_primary) "
                "values(?, ?, ?, ?, 0) on conflict(arxiv_id) do nothing",
                [fp.arxiv_id, fp.title, now, notify],
            )
            if cur.rowcount:
                new_ids.append(fp.arxiv_id)
            if fp.role == "primary" and fp.flag not in NOT_PROMOTED:
                db.execute("update papers set has_primary = 1 where arxiv_id = ?", [fp.arxiv_id])
            db.execute(
                "insert into mentions(post_id, arxiv_id, role, entry_title, text, lang, labels, "
                "flag, created_at) values(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [post_id, fp.arxiv_id, fp.role, fp.title, fp.text, fp.lang,
                 dumps(list(fp.labels)), fp.flag, now],
            )
        db.execute(
            "update posts set status = 'extracted', extractor_version = ?, extracted_at = ?, "
            "error = null where id = ?",
            [extractor_version, now, post_id],
        )
    return new_ids


def mark_post_failed(db: sqlite_utils.Database, post_id: int, error: str) -> None:
    db.execute("update posts set status = 'failed', error = ? where id = ?", [error[:500], post_id])


def start_run(db: sqlite_utils.Database, source: str, *, pid: int) -> int:
    cur = db.execute(
        "insert into crawl_runs(started_at, source, pid) values(?, ?, ?)", [utcnow(), source, pid]
    )
    return cur.lastrowid


def finish_run(db: sqlite_utils.Database, run_id: int, *, ok: bool, error: str | None,
               posts_seen: int, posts_new: int, papers_new: int) -> None:
    """Close a crawl run and update the source's health counters."""
    now = utcnow()
    with transaction(db):
        db.execute(
            "update crawl_runs set finished_at = ?, ok = ?, error = ?, posts_seen = ?, "
            "posts_new = ?, papers_new = ? where id = ?",
            [now, int(ok), error, posts_seen, posts_new, papers_new, run_id],
        )
        (source,) = db.execute("select source from crawl_runs where id = ?", [run_id]).fetchone()
        if ok:
            db.execute(
                "update sources set last_run_at = ?, last_success_at = ?, "
                "consecutive_failures = 0, last_papers = ?, "
                "consecutive_empty = case when ? = 0 then consecutive_empty + 1 else 0 end "
                "where name = ?",
                [now, now, papers_new, papers_new, source],
            )
        else:
            db.execute(
                "update sources set last_run_at = ?, last_error = ?, last_error_at = ?, "
                "consecutive_failures = consecutive_failures + 1 where name = ?",
                [now, error, now, source],
            )


def papers_with_mentions(db: sqlite_utils.Database, *, since: str | None = None) -> list[dict]:
    """Papers (newest first) with every mention: the shape of ``paperbot papers --json``."""
    where, params = ("where p.first_seen_at >= ?", [since]) if since else ("", [])
    papers = [dict(r) for r in db.query(
        f"select p.arxiv_id, p.title, p.first_seen_at as first_seen, p.authors, p.categories "
        f"from papers p {where} order by p.first_seen_at desc, p.arxiv_id", params)]
    by_id = {p["arxiv_id"]: p for p in papers}
    for p in papers:
        p["authors"] = loads(p["authors"], [])
        p["categories"] = loads(p["categories"], [])
        p["mentions"] = []
    if not papers:
        return []
    for m in db.query(
        f"select m.arxiv_id, s.source, s.url as post_url, m.role, m.lang, m.entry_title "
        f"from mentions m join posts s on s.id = m.post_id "
        f"join papers p on p.arxiv_id = m.arxiv_id {where} "
        f"order by m.post_id", params):
        by_id[m["arxiv_id"]]["mentions"].append(
            {"source": m["source"], "post_url": m["post_url"], "role": m["role"],
             "lang": m["lang"]})
        if not by_id[m["arxiv_id"]]["title"] and m["entry_title"]:
            by_id[m["arxiv_id"]]["title"] = m["entry_title"]
    return papers


def crawl_counts(db: sqlite_utils.Database) -> dict[str, Any]:
    """Numbers for ``paperbot status``: posts by status, papers, unresolved entries.
    Totals come from the trigger-kept counters; today's papers from the first_seen_at
    index (only today's rows are read)."""
    from . import counts

    today = utcnow()[:10]
    return {
        "posts": counts.by_sub(db, "posts"),
        "papers_total": counts.value(db, "papers"),
        "papers_today": db.execute(
            "select count(*) from papers where first_seen_at >= ?", [today]).fetchone()[0],
        "papers_primary": counts.value(db, "papers.primary"),
        "unresolved": db.execute(
            "select count(*) from unresolved where resolved_id is null").fetchone()[0],
    }


def source_health(db: sqlite_utils.Database) -> list[dict]:
    return [dict(r) for r in db.query("select * from sources order by name")]


def stored_post(db: sqlite_utils.Database, url: str) -> dict | None:
    """A stored post by URL with what it yielded: ``ids`` (its papers) and ``titles``
    (entries still without an ID); None when the URL was never stored."""
    row = db.execute("select id, source, lang, fetched_at, content_hash from posts "
                     "where url = ?", [url]).fetchone()
    if row is None:
        return None
    post = dict(zip(("id", "source", "lang", "fetched_at", "content_hash"), row, strict=True))
    post["ids"] = [r[0] for r in db.execute(
        "select arxiv_id from mentions where post_id = ? order by arxiv_id", [post["id"]])]
    post["titles"] = [r[0] for r in db.execute(
        "select title from unresolved where post_id = ? and resolved_id is null", [post["id"]])]
    return post


def note_post(db: sqlite_utils.Database, post_id: int, note: str) -> None:
    """Record why a fetched version of the post was not stored (``posts.error``; the
    post keeps its status, body and mentions)."""
    db.execute("update posts set error = ?, fetched_at = ? where id = ?",
               [note[:500], utcnow(), post_id])
