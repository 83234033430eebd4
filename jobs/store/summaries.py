"""Summaries per (paper, language) and LLM token usage."""

from __future__ import annotations

import sqlite_utils

from . import loads


def best_summary(db: sqlite_utils.Database, arxiv_id: str, lang: str) -> dict | None:
    """The summary to show for ``arxiv_id`` in ``lang``: the newest model-written one,
    else the newest fallback; None when there is none. ``key_points`` is a list."""
    row = db.execute(
        "select arxiv_id, lang, model, prompt_version, title, tldr, key_points, blogs_said, "
        "is_fallback, lang_ok, created_at from summaries where arxiv_id = ? and lang = ? "
        "order by is_fallback asc, created_at desc limit 1",
        [arxiv_id, lang],
    ).fetchone()
    if row is None:
        return None
    keys = ["arxiv_id", "lang", "model", "prompt_version", "title", "tldr", "key_points",
            "blogs_said", "is_fallback", "lang_ok", "created_at"]
    out = dict(zip(keys, row, strict=True))
    out["key_points"] = loads(out["key_points"], [])
    return out
