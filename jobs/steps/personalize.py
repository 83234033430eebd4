"""One reader's view of papers: whether they want a paper (their topics, followed
authors, exclusions and the weights of their votes: :func:`bot.profile.decide`), the
"why you got this" line, their feedback buttons, and the order of their digest.

Used where messages are planned (the instant filter), sent (instant messages, digests)
and edited (a summary arrives), so a reader sees the same reasons and buttons in each.
Channels get neither "why" line nor buttons: their readers did not choose the topics
and have no votes of their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

import sqlite_utils

from bot import render
from bot.profile import Decision, Facts, Profile, decide
from jobs.store import curators as cstore
from jobs.store import feedback as fstore
from jobs.store import loads
from jobs.store import subscribers as subs

WEEKLY_SIZE = 10  # papers in a weekly "most discussed" digest


def facts_of(view: render.PaperView) -> Facts:
    summary = view.summary or {}
    text = " ".join(filter(None, (view.title, view.abstract, summary.get("title"),
                                  summary.get("tldr"))))
    return Facts(categories=tuple(view.categories), text=text, authors=tuple(view.authors),
                 curators=max(1, view.curators.count))


def candidate_facts(db: sqlite_utils.Database, cand: Mapping) -> Facts:
    """Facts of a plan candidate (its title, abstract, categories, tl;dr), with the
    authors and curator count read for it."""
    row = db.execute("select authors from papers where arxiv_id = ?",
                     [cand["arxiv_id"]]).fetchone()
    blogs = cstore.counts(db, [cand["arxiv_id"]]).get(cand["arxiv_id"], (1, 1))[0]
    cats = loads(cand.get("categories"), []) if isinstance(cand.get("categories"), str) else (
        cand.get("categories") or [])
    text = " ".join(filter(None, (cand.get("title"), cand.get("abstract"), cand.get("tldr"))))
    return Facts(categories=tuple(cats), text=text,
                 authors=tuple(loads(row[0], []) if row else ()), curators=max(1, blogs))


def wanted_by(subscribers: Iterable[Mapping], facts: Facts) -> list[int]:
    """The chat IDs among ``subscribers`` (rows with topics, follows, excludes, weights)
    that want the paper."""
    return [s["chat_id"] for s in subscribers if decide(Profile.from_row(s), facts).send]


def wants_personal(sub: Mapping | None) -> bool:
    """Does this chat get "why" lines and feedback buttons (not a channel)?"""
    return sub is not None and (sub.get("kind") or "private") != "channel"


def decisions(sub: Mapping, views: Sequence[render.PaperView]) -> list[Decision]:
    profile = Profile.from_row(sub)
    return [decide(profile, facts_of(v)) for v in views]


def with_why(sub: Mapping | None, views: Sequence[render.PaperView]) -> list[render.PaperView]:
    """``views`` with the reader's "why" line (unchanged for a channel or no subscriber)."""
    if not wants_personal(sub):
        return list(views)
    return [dataclasses.replace(v, why=d.why) for v, d in zip(views, decisions(sub, views),
                                                               strict=True)]


def button_state(db: sqlite_utils.Database, chat_id: int,
                 arxiv_ids: Sequence[str]) -> dict[str, render.Feedback]:
    return {k: render.Feedback(*v) for k, v in fstore.state(db, chat_id, arxiv_ids).items()}


def paper_message(db: sqlite_utils.Database, chat_id: int, view: render.PaperView,
                  labels: render.Labels, *, sub: Mapping | None = None,
                  personal: bool = True) -> render.Message:
    """One paper for one chat: with its "why" line and buttons (their current state)
    unless the chat is a channel. ``personal=False``: no "why" line (/paper: asked for)."""
    sub = sub if sub is not None else subs.get(db, chat_id)
    if not wants_personal(sub):
        return render.render_paper(view, labels)
    if personal:
        view = with_why(sub, [view])[0]
    return render.render_paper(view, labels, buttons=True,
                               state=button_state(db, chat_id, [view.arxiv_id]))


def list_messages(db: sqlite_utils.Database, chat_id: int, views: Sequence[render.PaperView],
                  labels: render.Labels, *, header: render.Piece | None,
                  sub: Mapping | None = None, personal: bool = True) -> list[render.Message]:
    """A digest or list for one chat, split between papers, numbered, with buttons."""
    sub = sub if sub is not None else subs.get(db, chat_id)
    buttons = wants_personal(sub)
    if personal:
        views = with_why(sub, views)
    state = button_state(db, chat_id, [v.arxiv_id for v in views]) if buttons else None
    return render.render_digest(views, labels, header=header, buttons=buttons, state=state)


def digest_views(db: sqlite_utils.Database, sub: Mapping, views: Sequence[render.PaperView], *,
                 weekly: bool = False) -> tuple[list[render.PaperView], list[str]]:
    """A digest's papers in order (curator count, then recency) and the IDs dropped: the
    ones the reader no longer wants (votes or exclusions since they were planned) and,
    for a weekly digest, all but the :data:`WEEKLY_SIZE` most discussed."""
    keep, dropped = [], []
    for view, decision in zip(views, decisions(sub, views), strict=True):
        (keep if decision.send else dropped).append(view)
    by_id = {v.arxiv_id: v for v in keep}
    ordered = [by_id[a] for a in cstore.rank(db, list(by_id))]
    if weekly:
        dropped += ordered[WEEKLY_SIZE:]
        ordered = ordered[:WEEKLY_SIZE]
    return ordered, [v.arxiv_id for v in dropped]
