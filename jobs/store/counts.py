"""Counters kept up to date by triggers (``counts``; see ``jobs/store/schema_hot.py``):
what ``paperbot status`` shows without counting whole tables."""

from __future__ import annotations

import sqlite_utils


def by_sub(db: sqlite_utils.Database, key: str) -> dict[str, int]:
    """Every counter under ``key``: {sub: n} (zeros left out)."""
    return {sub: n for sub, n in db.execute(
        "select sub, n from counts where key = ? and n != 0", [key])}


def value(db: sqlite_utils.Database, key: str, sub: str = "") -> int:
    row = db.execute("select n from counts where key = ? and sub = ?", [key, sub]).fetchone()
    return int(row[0]) if row else 0
