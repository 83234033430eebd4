"""What the curators agree on: how many blogs (and in how many languages) discussed a
paper, and the most discussed papers of a period.

A blog *discussed* a paper when one of its posts has a primary mention of it; the
period is the posts' date (published, else first seen: a backfill of old posts does
not make old papers "this week's"), read through the ``posts_discussed_at`` index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

_DATE = "coalesce(s.published_at, s.first_seen_at)"


def counts(db: sqlite_utils.Database, arxiv_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(blogs, languages) that discussed each of ``arxiv_ids`` (absent: none)."""
    ids = list(dict.fromkeys(arxiv_ids))
    out: dict[str, tuple[int, int]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for arxiv_id, blogs, langs in db.execute(
                "select m.arxiv_id, count(distinct s.source), "
                "count(distinct coalesce(m.lang, s.lang)) from mentions m "
                "join posts s on s.id = m.post_id "
                f"where m.arxiv_id in ({marks}) and m.role = 'primary' group by m.arxiv_id",
                chunk):
            out[arxiv_id] = (blogs, langs)
    return out


def most_discussed(db: sqlite_utils.Database, *, since: str, limit: int = 10,
                   min_blogs: int = 1) -> list[dict]:
    """Papers discussed in posts dated at/after ``since``: most blogs first, then most
    languages, then the latest post. Each: arxiv_id, blogs, langs, last_at.

    Reads the period's posts (``posts_discussed_at``) and their mentions: CROSS JOIN
    keeps the posts the outer loop, or SQLite walks every mention in paper order to
    save the GROUP BY's sort."""
    return [{"arxiv_id": r[0], "blogs": r[1], "langs": r[2], "last_at": r[3]}
            for r in db.execute(
                "select m.arxiv_id, count(distinct s.source) as blogs, "
                f"count(distinct coalesce(m.lang, s.lang)) as langs, max({_DATE}) as last_at "
                f"from posts s cross join mentions m on m.post_id = s.id "
                f"where {_DATE} >= ? and m.role = 'primary' group by m.arxiv_id "
                "having blogs >= ? order by blogs desc, langs desc, last_at desc, "
                "m.arxiv_id desc limit ?", [since, min_blogs, limit])]


def rank(db: sqlite_utils.Database, arxiv_ids: Sequence[str],
         first_seen: dict[str, str] | None = None) -> list[str]:
    """``arxiv_ids`` in digest order: curator count, then recency (first seen), newest
    first."""
    got = counts(db, arxiv_ids)
    seen = first_seen if first_seen is not None else _first_seen(db, arxiv_ids)
    newest_first = sorted(dict.fromkeys(arxiv_ids), key=lambda a: (seen.get(a) or "", a),
                          reverse=True)
    return sorted(newest_first, key=lambda a: -got.get(a, (0, 0))[0])  # stable


def _first_seen(db: sqlite_utils.Database, arxiv_ids: Sequence[str]) -> dict[str, str]:
    ids = list(dict.fromkeys(arxiv_ids))
    out: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        out.update(db.execute(f"select arxiv_id, first_seen_at from papers "
                              f"where arxiv_id in ({marks})", chunk).fetchall())
    return out

