"""Messages sent with the fallback layout, kept 48 hours so they can be edited in place
when their summaries arrive (never resent).

One row per paper of a message, in message order: a list message (/latest, a digest)
is re-rendered whole. ``waiting = 1``: that paper was shown with the fallback layout and
has not been upgraded yet. A message leaves the table when none of its papers waits any
more, or when it is older than the edit window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from . import transaction, utcnow

EDIT_WINDOW = dt.timedelta(hours=48)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def window_start(now: dt.datetime | None = None) -> str:
    """Messages sent before this are never edited."""
    return _iso((now or dt.datetime.now(dt.UTC)) - EDIT_WINDOW)


def remember(db: sqlite_utils.Database, chat_id: int, message_id: int, *, lang: str,
             layout: str, header: str | None, arxiv_ids: Sequence[str],
             waiting: Iterable[str], sent_at: str | None = None) -> None:
    """Record a message that shows some of ``arxiv_ids`` (those in ``waiting``) with the
    fallback layout."""
    waiting = set(waiting)
    if not waiting:
        return
    sent_at = sent_at or utcnow()
    with transaction(db):
        for position, arxiv_id in enumerate(arxiv_ids):
            db.execute(
                "insert or replace into fallback_messages(chat_id, message_id, position, "
                "arxiv_id, lang, layout, header, waiting, sent_at) "
                "values(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [chat_id, message_id, position, arxiv_id, lang, layout,
                 header if position == 0 else None, int(arxiv_id in waiting), sent_at])


def waiting_messages(db: sqlite_utils.Database, pairs: Iterable[tuple[str, str]], *,
                     since: str) -> list[tuple[int, int]]:
    """(chat_id, message_id) of messages sent at/after ``since`` that wait for one of the
    (arxiv_id, lang) ``pairs``."""
    out: dict[tuple[int, int], None] = {}
    for arxiv_id, lang in dict.fromkeys(pairs):
        for chat_id, message_id in db.execute(
                "select chat_id, message_id from fallback_messages where arxiv_id = ? "
                "and lang = ? and waiting = 1 and sent_at >= ? order by sent_at",
                [arxiv_id, lang, since]):
            out[(chat_id, message_id)] = None
    return list(out)


def waiting_pairs(db: sqlite_utils.Database, *, since: str) -> list[tuple[str, str]]:
    """(arxiv_id, lang) shown with the fallback layout in messages sent at/after ``since``."""
    return [(r[0], r[1]) for r in db.execute(
        "select distinct arxiv_id, lang from fallback_messages where sent_at >= ? "
        "and waiting = 1", [since])]


def message_rows(db: sqlite_utils.Database, chat_id: int, message_id: int) -> list[dict]:
    """The papers of one remembered message, in order (empty: not remembered)."""
    return [dict(r) for r in db.query(
        "select position, arxiv_id, lang, layout, header, waiting, sent_at "
        "from fallback_messages where chat_id = ? and message_id = ? order by position",
        [chat_id, message_id])]


def settle(db: sqlite_utils.Database, chat_id: int, message_id: int,
           still_waiting: Iterable[str]) -> None:
    """After an edit: papers not in ``still_waiting`` are upgraded; a message with no
    paper waiting any more is forgotten."""
    still = set(still_waiting)
    if not still:
        forget(db, chat_id, message_id)
        return
    marks = ",".join("?" * len(still))
    db.execute(f"update fallback_messages set waiting = 0 where chat_id = ? and message_id = ? "
               f"and arxiv_id not in ({marks})", [chat_id, message_id, *still])


def forget(db: sqlite_utils.Database, chat_id: int, message_id: int) -> None:
    db.execute("delete from fallback_messages where chat_id = ? and message_id = ?",
               [chat_id, message_id])


def purge(db: sqlite_utils.Database, *, before: str) -> int:
    """Forget messages too old to be edited."""
    return db.execute("delete from fallback_messages where sent_at < ?", [before]).rowcount


def remember_message(db: sqlite_utils.Database, chat_id: int, message_id: int,
                     msg: Any) -> None:
    """Record a sent ``bot.render.Message`` if it shows papers with the fallback layout
    (its ``waiting``), with what it takes to render it again."""
    if msg.waiting and msg.lang:
        remember(db, chat_id, message_id, lang=msg.lang, layout=msg.layout, header=msg.header,
                 arxiv_ids=msg.arxiv_ids, waiting=msg.waiting)
