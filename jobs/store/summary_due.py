"""The summarize queue: (language, paper) pairs that may still need a summary ahead of
delivery.

``summary_targets`` holds, per language someone reads, the summary every paper to be
pushed in it should have (model, prompt version, resummarize option) and its floor:
papers first seen before someone reads the language are not summarized ahead
(:func:`jobs.store.summaries.push_since`). ``summary_due`` holds the pairs that may lack
it; triggers (``jobs/store/schema_hot.py``) add a pair when a pushable paper gets a
primary mention and remove it when a good target summary is written. A language that
becomes a target (or whose model, prompt or floor changes) queues the papers it already
has in bounded chunks, newest first, so no statement and no batch grows with history.

The queue is a superset: the summarize step checks each batch exactly
(:func:`jobs.store.summaries.papers_needing_summary`) and drops what needs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlite_utils

from . import transaction

FILL_CHUNK = 500  # papers walked per fill transaction (the write lock is held that long)
_TOP = ("~", "")  # above every (first_seen_at, arxiv_id): '~' sorts after any ISO date

Position = tuple[str, str]  # (first_seen_at, arxiv_id), walked downwards


def sync_targets(db: sqlite_utils.Database, floors: Mapping[str, str | None], *, model: str,
                 prompt_version: int, resummarize: bool = False) -> list[str]:
    """Make each language of ``floors`` (language → first_seen_at its papers start at,
    None: all) a target for (``model``, ``prompt_version``, ``resummarize``: a summary
    written before the paper's latest primary mention is outdated). A new target, or one
    whose model, prompt or option changed, queues its papers from the newest; an earlier
    floor queues the papers below the old one; a later floor drops what fell below it.
    Returns the languages whose papers are still being queued."""
    filling = []
    wanted = (model, prompt_version, int(resummarize))
    with transaction(db):
        for lang, floor in floors.items():
            floor = floor or ""
            row = db.execute("select model, prompt_version, resummarize, floor, filled_seen "
                             "from summary_targets where lang = ?", [lang]).fetchone()
            if row is None:
                db.execute("insert into summary_targets(lang, model, prompt_version, "
                           "resummarize, floor, filled_seen, filled_id) "
                           "values(?, ?, ?, ?, ?, ?, ?)", [lang, *wanted, floor, *_TOP])
            elif tuple(row[:3]) != wanted:
                db.execute("update summary_targets set model = ?, prompt_version = ?, "
                           "resummarize = ?, floor = ?, filled_seen = ?, filled_id = ? "
                           "where lang = ?", [*wanted, floor, *_TOP, lang])
            elif floor < (row[3] or ""):
                # someone reads it since earlier: the walk goes on below the old floor
                if row[4] is None:
                    db.execute("update summary_targets set floor = ?, filled_seen = ?, "
                               "filled_id = '' where lang = ?", [floor, row[3], lang])
                else:
                    db.execute("update summary_targets set floor = ? where lang = ?",
                               [floor, lang])
            elif floor > (row[3] or ""):
                db.execute("update summary_targets set floor = ? where lang = ?", [floor, lang])
                db.execute("delete from summary_due where lang = ? and first_seen_at < ?",
                           [lang, floor])
                if row[4] is None:
                    continue
            elif row[4] is None:
                continue
            filling.append(lang)
    return filling


def fill_chunk(db: sqlite_utils.Database, lang: str, *, chunk: int = FILL_CHUNK) -> bool:
    """Queue the next ``chunk`` papers (newest first, down to the floor) to be pushed that
    lack a good ``lang`` target summary. Returns whether papers are left to walk."""
    from .summaries import MAX_FLAGGED_RUNS

    with transaction(db):
        row = db.execute("select model, prompt_version, resummarize, floor, filled_seen, "
                         "filled_id from summary_targets where lang = ?", [lang]).fetchone()
        if row is None or row[4] is None:
            return False
        model, prompt_version, resummarize, floor, seen, pid = row
        # the chunk's lower end: the chunk-th pushable paper below the position
        end = db.execute(
            "select first_seen_at, arxiv_id from papers where has_primary = 1 "
            "and (first_seen_at, arxiv_id) < (?, ?) and first_seen_at >= ? "
            "order by first_seen_at desc, arxiv_id desc limit 1 offset ?",
            [seen, pid, floor or "", chunk - 1]).fetchone()
        low = tuple(end) if end else (floor or "", "")
        current = ("and coalesce(s.mentions_count, 0) >= (select count(*) from mentions m "
                   "where m.arxiv_id = p.arxiv_id and m.role = 'primary')" if resummarize else "")
        db.execute(
            "insert or ignore into summary_due(lang, arxiv_id, first_seen_at, has_any) "
            "select ?, p.arxiv_id, p.first_seen_at, exists(select 1 from summaries a "
            "where a.arxiv_id = p.arxiv_id and a.lang = ?) from papers p "
            "where p.has_primary = 1 and (p.first_seen_at, p.arxiv_id) < (?, ?) "
            "and (p.first_seen_at, p.arxiv_id) >= (?, ?) and p.notify = 1 "
            "and not exists(select 1 from summaries s where s.arxiv_id = p.arxiv_id "
            "and s.lang = ? and s.model = ? and s.prompt_version = ? "
            f"and (s.lang_ok = 1 or s.flagged_runs >= ?) {current})",
            [lang, lang, seen, pid, *low, lang, model, prompt_version, MAX_FLAGGED_RUNS])
        if end is None:
            db.execute("update summary_targets set filled_seen = null, filled_id = null "
                       "where lang = ?", [lang])
            return False
        db.execute("update summary_targets set filled_seen = ?, filled_id = ? where lang = ?",
                   [*low, lang])
        return True


def due_batch(db: sqlite_utils.Database, lang: str, *, below: Position | None = None,
              limit: int, without_summary: bool = False) -> list[tuple[str, str]]:
    """Up to ``limit`` queued (arxiv_id, first_seen_at) of ``lang``, newest first, below
    ``below``; ``without_summary``: only papers with no summary at all in ``lang``."""
    seen, pid = below or _TOP
    only = "and has_any = 0 " if without_summary else ""
    return [(r[0], r[1]) for r in db.execute(
        "select arxiv_id, first_seen_at from summary_due where lang = ? " + only +
        "and (first_seen_at, arxiv_id) < (?, ?) order by first_seen_at desc, arxiv_id desc "
        "limit ?", [lang, seen, pid, limit])]


def drop_due(db: sqlite_utils.Database, lang: str, arxiv_ids: Sequence[str]) -> None:
    """Take pairs the exact check found nothing to do for off the queue."""
    if not arxiv_ids:
        return
    with transaction(db):
        for i in range(0, len(arxiv_ids), 500):
            chunk = list(arxiv_ids[i : i + 500])
            db.execute(f"delete from summary_due where lang = ? and arxiv_id in "
                       f"({','.join('?' * len(chunk))})", [lang, *chunk])


def filling(db: sqlite_utils.Database) -> list[str]:
    """Target languages whose existing papers are still being queued."""
    return [r[0] for r in db.execute(
        "select lang from summary_targets where filled_seen is not null order by lang")]


def without_summary(db: sqlite_utils.Database, langs: Iterable[str]) -> dict[str, int | None]:
    """Per language: queued pushable papers with no summary at all in it (a counter).
    None: the language is no target yet (no summarize run since someone chose it)."""
    langs = list(langs)
    targets = {r[0] for r in db.execute("select lang from summary_targets")}
    counts = dict(db.execute("select sub, n from counts where key = 'due.none'").fetchall())
    return {lang: (counts.get(lang, 0) if lang in targets else None) for lang in langs}
