"""What the static site shows: papers blogs wrote about (a primary mention), their
mentions with the posts, their summaries.

A full build reads it all in a few whole-table queries (:func:`site_papers`,
:func:`site_mentions`, :func:`site_summaries`). A rebuild reads what changed since the
build before (:func:`changes_since`: the v6 change log kept by triggers, see
``schema_curation.py``) and the bounded lists the site shows: the index's last days, the
newest papers, a topic's newest, a month of the search index.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import sqlite_utils

from . import counts, loads

_PAPER = "arxiv_id, title, authors, abstract, categories, published, first_seen_at"
_NEWEST = "order by first_seen_at desc, arxiv_id desc"


@contextlib.contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """Every read inside sees the same database (a read transaction: writers go on)."""
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("begin")
    try:
        yield
    finally:
        db.conn.execute("commit")


def _paper(r) -> dict:
    return {"arxiv_id": r[0], "title": r[1], "authors": loads(r[2], []), "abstract": r[3],
            "categories": loads(r[4], []), "published": r[5], "first_seen_at": r[6]}


def _chunks(ids: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


# -- a full build ---------------------------------------------------------------------
def site_papers(db: sqlite_utils.Database) -> list[dict]:
    """Every paper with a primary mention, newest first (first seen, then ID)."""
    return [_paper(r) for r in db.execute(
        f"select {_PAPER} from papers where has_primary = 1 {_NEWEST}")]


def _mention(r) -> dict:
    return {"source": r[1], "post_url": r[2], "post_title": r[3], "text": r[4], "lang": r[5],
            "entry_title": r[6], "role": "primary", "date": r[7]}


_MENTION = ("select m.arxiv_id, s.source, s.url, s.title, m.text, coalesce(m.lang, s.lang), "
            "m.entry_title, m.created_at, s.id from mentions m join posts s on s.id = m.post_id ")


def site_mentions(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """Primary mentions per paper (source, post URL and title, the blog's words, language),
    in post order."""
    out: dict[str, list[dict]] = {}
    for r in db.execute(_MENTION + "where m.role = 'primary' order by s.id"):
        out.setdefault(r[0], []).append(_mention(r))
    return out


_SUMMARY = ("select arxiv_id, title, tldr, key_points, blogs_said, created_at from summaries "
            "where lang = ? and is_fallback = 0 and lang_ok = 1 ")


def _summaries(rows) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in rows:
        out.setdefault(r[0], {"title": r[1], "tldr": r[2], "key_points": loads(r[3], []),
                              "blogs_said": r[4], "created_at": r[5]})
    return out


def site_summaries(db: sqlite_utils.Database, lang: str) -> dict[str, dict]:
    """The summary shown per paper in ``lang``: the newest model-written one in the right
    language (papers without one get the fallback layout)."""
    return _summaries(db.execute(_SUMMARY + "order by arxiv_id, created_at desc", [lang]))


# -- what changed since a build ---------------------------------------------------------
def marks(db: sqlite_utils.Database) -> dict[str, int]:
    """Where the change log ends now: a build records it, the next reads after it."""
    return {"papers": db.execute("select max(seq) from site_changes").fetchone()[0] or 0,
            "lists": db.execute("select max(seq) from site_list_changes").fetchone()[0] or 0}


def changes_since(db: sqlite_utils.Database,
                  since: dict[str, int]) -> tuple[dict[str, set[str]], set[str]]:
    """({paper: languages whose page may have changed ('' = every language)}, names of
    the lists papers left: ``topic:<category>``, ``month:<YYYY-MM>``) after ``since``."""
    papers: dict[str, set[str]] = {}
    for arxiv_id, lang in db.execute("select arxiv_id, lang from site_changes where seq > ?",
                                     [since.get("papers", 0)]):
        papers.setdefault(arxiv_id, set()).add(lang)
    lists = {r[0] for r in db.execute("select name from site_list_changes where seq > ?",
                                      [since.get("lists", 0)])}
    return papers, lists


def shown_count(db: sqlite_utils.Database) -> int:
    """Papers on the site (a primary mention): the trigger-kept counter."""
    return counts.value(db, "papers.primary")


# -- a rebuild: the papers it renders, the lists it shows --------------------------------
def papers_by_id(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, dict]:
    """The papers among ``ids`` that are on the site."""
    out: dict[str, dict] = {}
    for chunk in _chunks(ids):
        for r in db.execute(f"select {_PAPER}, has_primary from papers where arxiv_id in "
                            f"({','.join('?' * len(chunk))})", chunk):
            if r[7] == 1:
                out[r[0]] = _paper(r)
    return out


def mentions_of(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, list[dict]]:
    """:func:`site_mentions` of ``ids`` only."""
    rows = []
    for chunk in _chunks(ids):
        rows += db.execute(_MENTION + f"where m.arxiv_id in ({','.join('?' * len(chunk))}) "
                           "and m.role = 'primary'", chunk).fetchall()
    out: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: r[8]):  # in post order
        out.setdefault(r[0], []).append(_mention(r))
    return out


def summaries_of(db: sqlite_utils.Database, ids: Sequence[str], lang: str) -> dict[str, dict]:
    """:func:`site_summaries` of ``ids`` only."""
    rows = []
    for chunk in _chunks(ids):
        rows += db.execute(_SUMMARY + f"and arxiv_id in ({','.join('?' * len(chunk))}) "
                           "order by arxiv_id, created_at desc", [lang, *chunk]).fetchall()
    return _summaries(rows)


def newest_seen(db: sqlite_utils.Database) -> str | None:
    """When the newest paper on the site was first seen."""
    row = db.execute("select first_seen_at from papers where has_primary = 1 "
                     "order by first_seen_at desc limit 1").fetchone()
    return row[0] if row else None


def seen_since(db: sqlite_utils.Database, since: str) -> list[str]:
    """Papers on the site first seen at/after ``since``, newest first (the index's days)."""
    return [r[0] for r in db.execute(
        f"select arxiv_id from papers where has_primary = 1 and first_seen_at >= ? {_NEWEST}",
        [since])]


def newest(db: sqlite_utils.Database, limit: int) -> list[str]:
    return [r[0] for r in db.execute(
        f"select arxiv_id from papers where has_primary = 1 {_NEWEST} limit ?", [limit])]


def seen_in_month(db: sqlite_utils.Database, month: str) -> list[str]:
    """Papers on the site first seen in ``month`` (``YYYY-MM``; '' = no date), newest first."""
    if not month:
        sql, params = "first_seen_at is null", []
    else:
        sql, params = "first_seen_at >= ? and first_seen_at < ?", [month, month + "~"]
    return [r[0] for r in db.execute(
        f"select arxiv_id from papers where has_primary = 1 and {sql} {_NEWEST}", params)]


def topic_newest(db: sqlite_utils.Database, category: str, limit: int) -> list[str]:
    """The newest papers on the site in ``category``."""
    return [r[0] for r in db.execute(
        "select arxiv_id from paper_topics where category = ? "
        "order by first_seen_at desc, arxiv_id desc limit ?", [category, limit])]


def topics(db: sqlite_utils.Database) -> list[str]:
    """Every category of a paper on the site, sorted: one seek per category."""
    out: list[str] = []
    while True:
        row = db.execute("select category from paper_topics where category > ? "
                         "order by category limit 1", [out[-1] if out else ""]).fetchone()
        if row is None:
            return out
        out.append(row[0])
