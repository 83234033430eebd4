"""What the static site shows, read in a few whole-table queries (one per language for
the summaries): papers blogs wrote about, their mentions with the posts, their summaries."""

from __future__ import annotations

import sqlite_utils

from . import loads


def site_papers(db: sqlite_utils.Database) -> list[dict]:
    """Every paper with a primary mention, newest first (first seen, then ID)."""
    rows = db.execute(
        "select arxiv_id, title, authors, abstract, categories, published, first_seen_at "
        "from papers where has_primary = 1 order by first_seen_at desc, arxiv_id desc")
    return [{"arxiv_id": r[0], "title": r[1], "authors": loads(r[2], []), "abstract": r[3],
             "categories": loads(r[4], []), "published": r[5], "first_seen_at": r[6]}
            for r in rows]


def site_mentions(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """Primary mentions per paper (source, post URL and title, the blog's words, language),
    in post order."""
    out: dict[str, list[dict]] = {}
    for r in db.execute(
            "select m.arxiv_id, s.source, s.url, s.title, m.text, coalesce(m.lang, s.lang), "
            "m.entry_title, m.created_at from mentions m "
            "join posts s on s.id = m.post_id where m.role = 'primary' order by s.id"):
        out.setdefault(r[0], []).append({
            "source": r[1], "post_url": r[2], "post_title": r[3], "text": r[4], "lang": r[5],
            "entry_title": r[6], "role": "primary", "date": r[7]})
    return out


def site_summaries(db: sqlite_utils.Database, lang: str) -> dict[str, dict]:
    """The summary shown per paper in ``lang``: the newest model-written one in the right
    language (papers without one get the fallback layout)."""
    out: dict[str, dict] = {}
    for r in db.execute(
            "select arxiv_id, title, tldr, key_points, blogs_said, created_at from summaries "
            "where lang = ? and is_fallback = 0 and lang_ok = 1 "
            "order by arxiv_id, created_at desc", [lang]):
        out.setdefault(r[0], {"title": r[1], "tldr": r[2], "key_points": loads(r[3], []),
                              "blogs_said": r[4], "created_at": r[5]})
    return out
