"""What readers told us: 👍 / 👎 votes and 🔖 saves per (chat, paper), and what /saved and
/bib read back. The weights a vote sets live on the subscriber (``subscribers.weights``)
and are written in the same transaction as the vote."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlite_utils

from . import dumps, loads, transaction, utcnow


def state(db: sqlite_utils.Database, chat_id: int,
          arxiv_ids: Sequence[str]) -> dict[str, tuple[int, bool]]:
    """(vote, saved) of the chat for each of ``arxiv_ids`` it voted on or saved."""
    ids = list(dict.fromkeys(arxiv_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r[0]: (r[1], bool(r[2])) for r in db.execute(
        f"select arxiv_id, vote, saved from feedback where chat_id = ? and arxiv_id in ({marks})",
        [chat_id, *ids])}


def record_vote(db: sqlite_utils.Database, chat_id: int, arxiv_id: str, *, vote: int,
                weights: Mapping[str, float]) -> None:
    """Store the chat's ``vote`` on a paper and its new ``weights``, together."""
    now = utcnow()
    with transaction(db):
        db.execute(
            "insert into feedback(chat_id, arxiv_id, vote, saved, voted_at) "
            "values(?, ?, ?, 0, ?) on conflict(chat_id, arxiv_id) do update set "
            "vote = excluded.vote, voted_at = excluded.voted_at",
            [chat_id, arxiv_id, vote, now])
        db.execute("update subscribers set weights = ?, updated_at = ? where chat_id = ?",
                   [dumps(dict(weights)), now, chat_id])


def toggle_saved(db: sqlite_utils.Database, chat_id: int, arxiv_id: str) -> bool:
    """Save the paper, or unsave it when saved. Returns whether it is saved now."""
    now = utcnow()
    with transaction(db):
        row = db.execute("select saved from feedback where chat_id = ? and arxiv_id = ?",
                         [chat_id, arxiv_id]).fetchone()
        saved = not (row and row[0])
        db.execute(
            "insert into feedback(chat_id, arxiv_id, vote, saved, saved_at) values(?, ?, 0, ?, ?) "
            "on conflict(chat_id, arxiv_id) do update set saved = excluded.saved, "
            "saved_at = excluded.saved_at", [chat_id, arxiv_id, int(saved), now])
    return saved


def saved_count(db: sqlite_utils.Database, chat_id: int) -> int:
    return db.execute("select count(*) from feedback where chat_id = ? and saved = 1",
                      [chat_id]).fetchone()[0]


def saved_papers(db: sqlite_utils.Database, chat_id: int, *,
                 limit: int | None = None) -> list[dict]:
    """The chat's saved papers, last saved first, with the metadata BibTeX needs
    (arxiv_id, title, authors, categories, published)."""
    rows = db.execute(
        "select f.arxiv_id, p.title, p.authors, p.categories, p.published, f.saved_at "
        "from feedback f join papers p on p.arxiv_id = f.arxiv_id "
        "where f.chat_id = ? and f.saved = 1 order by f.saved_at desc, f.rowid desc limit ?",
        [chat_id, -1 if limit is None else limit]).fetchall()
    return [{"arxiv_id": r[0], "title": r[1], "authors": loads(r[2], []),
             "categories": loads(r[3], []), "published": r[4], "saved_at": r[5]} for r in rows]
