"""Bring a built site up to date from the database's change log (v6: ``site_changes``
and ``site_list_changes``, kept by triggers): what a rebuild after a crawl reads.

For each language, a changed paper's page is rendered again (or removed: no longer on
the site); then the lists that can show it: the index (the last ``index_days`` days),
the newest feeds, the topic feeds of its categories and of the topics papers left, and
its month of the search index (and the months papers left). Each list is read through
an index, bounded by its length or its period, never by the history. Nothing changed:
the change log's two reads, nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlite_utils

from jobs.store import site as sstore

from .build import UNDATED, Pages, month_of
from .model import paper_entry, slug


class _Entries:
    """Paper entries read on demand, once each (papers and mentions for every language,
    summaries per language)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.papers: dict[str, dict | None] = {}  # None: not on the site
        self.mentions: dict[str, list[dict]] = {}
        self.summaries: dict[str, dict[str, dict | None]] = {}
        self.entries: dict[tuple[str, str], dict] = {}

    def shown(self, ids: Iterable[str]) -> dict[str, dict]:
        """The papers among ``ids`` that are on the site."""
        ids = list(ids)
        missing = [a for a in ids if a not in self.papers]
        if missing:
            found = sstore.papers_by_id(self.db, missing)
            self.mentions.update(sstore.mentions_of(self.db, list(found)))
            for a in missing:
                self.papers[a] = found.get(a)
        return {a: self.papers[a] for a in ids if self.papers[a] is not None}

    def of(self, ids: Sequence[str], lang: str) -> list[dict]:
        """The entries of ``ids`` (those on the site) in ``lang``, in order."""
        shown = self.shown(ids)
        known = self.summaries.setdefault(lang, {})
        missing = [a for a in shown if a not in known]
        if missing:
            found = sstore.summaries_of(self.db, missing, lang)
            for a in missing:
                known[a] = found.get(a)
        out = []
        for a in shown:
            key = (a, lang)
            if key not in self.entries:
                self.entries[key] = paper_entry(shown[a], self.mentions.get(a, []), known[a],
                                                lang)
            out.append(self.entries[key])
        return out


def _window_start(newest: str | None, days: int) -> str | None:
    """The first day the index shows: ``days`` days up to the newest paper's day."""
    if not newest:
        return None
    return (dt.date.fromisoformat(newest[:10]) - dt.timedelta(days=days - 1)).isoformat()


def _lists(names: set[str], prefix: str) -> set[str]:
    return {n[len(prefix):] for n in names if n.startswith(prefix)}


def rebuild(db: sqlite_utils.Database, pages: Pages, since: dict[str, int]) -> dict | None:
    """Render what changed after the marks ``since``. Returns the new marks, or None
    when nothing changed (nothing was read beyond the change log)."""
    settings = pages.settings
    with sstore.snapshot(db):
        marks = sstore.marks(db)
        changed, left = sstore.changes_since(db, since)
        if not changed and not left:
            return None
        entries = _Entries(db)
        shown = entries.shown(changed)
        start = _window_start(sstore.newest_seen(db), settings.index_days)
        window = sstore.seen_since(db, start) if start else []
        newest = sstore.newest(db, settings.feed_items)
        topics = sstore.topics(db)
        for lang in settings.languages:
            mine = [a for a, langs in changed.items() if "" in langs or lang in langs]
            if not mine and not left:
                continue
            for a in mine:
                if a in shown:
                    pages.paper(lang, entries.of([a], lang)[0])
                else:
                    pages.writer.remove(f"{lang}/p/{slug(a)}.html")
            pages.index(lang, entries.of(window, lang), topics)
            pages.feeds(lang, entries.of(newest, lang))
            touched = [a for a in mine if a in shown]
            for topic in sorted({c for a in touched for c in shown[a]["categories"] if c}
                                | _lists(left, "topic:")):
                pages.topic(lang, topic, entries.of(
                    sstore.topic_newest(db, topic, settings.feed_items), lang))
            for month in sorted({month_of(e) for e in entries.of(touched, lang)}
                                | {m or UNDATED for m in _lists(left, "month:")}):
                pages.month(lang, month, entries.of(
                    sstore.seen_in_month(db, "" if month == UNDATED else month), lang))
            search = pages.writer.out / lang / "search"
            pages.search(lang, [f.stem for f in search.glob("*.json")] if search.is_dir()
                         else [])
        pages.home()
    return marks
