"""Planning: who gets which paper (pending ledger rows), configured channels, and what a
message about a paper shows."""

from __future__ import annotations

import datetime as dt
import logging

import sqlite_utils
import telegram
from telegram import LinkPreviewOptions
from telegram.error import TelegramError

from bot import i18n, render
from jobs.config import Config
from jobs.steps import personalize
from jobs.store import delivery as ledger
from jobs.store import delivery_plan as planning
from jobs.store import subscribers as subs
from jobs.store import utcnow
from jobs.store.summaries import best_summary

log = logging.getLogger("paperbot.delivery")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# re-examine summaries written shortly before the last plan (another process's clock,
# a transaction that committed late)
PLAN_LAG_SECONDS = 120
AUDIENCE_BATCH = 1000


def plan_deliveries(db: sqlite_utils.Database, *, config: Config) -> int:
    """Create pending ledger rows for active subscribers × pushable papers.

    A paper is pushed to a subscriber when it has a primary mention (``has_primary``),
    was not archived by a backfill (``notify``), has a summary in the subscriber's
    language (a fallback summary counts), matches the subscriber's topics, and was first
    seen at/after the subscriber's ``subscribed_at`` (no backlog for newcomers).
    Only (paper, language) pairs whose paper or summary is new since the last plan are
    read (indexed ranges); for each, the subscribers who take every paper get their rows
    in one statement, and only the others are read, in batches of
    :data:`AUDIENCE_BATCH`. Returns the rows created.
    """
    now = utcnow()
    mark = planning.plan_watermark(db)
    since = None
    if mark:
        since = (dt.datetime.fromisoformat(mark) - dt.timedelta(seconds=PLAN_LAG_SECONDS)
                 ).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    created = 0
    for cand in planning.plan_candidates(db, since=since):
        if cand["lang"] in config.telegram.languages:
            created += _plan_paper(db, cand, now=now)
    planning.set_plan_watermark(db, now)
    if created:
        log.info("planned %d deliveries", created)
    return created


def _plan_paper(db: sqlite_utils.Database, cand: dict, *, now: str) -> int:
    """Rows for one (paper, language): everyone who takes every paper in one statement,
    then those whose topics, exclusions and vote weights decide (``bot.profile.decide``,
    issue 13), one batch of them at a time."""
    seen = cand["first_seen_at"] or ""
    created = planning.plan_everyone(db, cand["arxiv_id"], cand["lang"], seen, now=now)
    facts, after = None, None
    while True:
        batch = planning.audience_batch(db, cand["lang"], seen, after_chat=after,
                                        limit=AUDIENCE_BATCH, picky=True)
        if not batch:
            return created
        after = batch[-1]["chat_id"]
        picky = [s for s in batch if s["topics"] or s["excludes"] or s["weights"]]
        wanted: set[int] = set()
        if picky:
            facts = facts or personalize.candidate_facts(db, cand)
            wanted = set(personalize.wanted_by(picky, facts))
        chosen = [(s["chat_id"], s["digest"]) for s in batch if s["chat_id"] in wanted
                  or not (s["topics"] or s["excludes"] or s["weights"])]
        created += planning.plan_rows(db, cand["arxiv_id"], cand["lang"], chosen, now=now)


async def sync_channels(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config) -> dict:
    """Mirror ``[[telegram.channels]]`` into subscribers (``from_config = 1``); ``@name``
    chat IDs are resolved with getChat."""
    out = []
    for ch in config.telegram.channels:
        chat_id = ch.chat_id
        username = None
        if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
            try:
                chat = await bot.get_chat(chat_id)
            except TelegramError as exc:
                log.warning("channel %s: cannot resolve (%s); skipped", chat_id, exc)
                continue
            chat_id, username = chat.id, ch.chat_id.lstrip("@")
        out.append({"chat_id": int(chat_id), "lang": ch.lang, "mode": ch.mode,
                    "topics": ch.topics, "digest_hour": ch.digest_hour, "tz": ch.tz,
                    "username": username})
    return subs.sync_channels(db, out)


# --------------------------------------------------------------------------- rendering
def paper_view(db: sqlite_utils.Database, arxiv_id: str, lang: str) -> render.PaperView | None:
    """What a message about ``arxiv_id`` shows in ``lang`` (None: unknown paper)."""
    paper = ledger.paper_view(db, arxiv_id)
    if paper is None:
        return None
    return render.PaperView(
        arxiv_id=arxiv_id, title=paper["title"], authors=paper["authors"],
        categories=paper["categories"], summary=best_summary(db, arxiv_id, lang),
        mentions=[m for m in paper["mentions"] if m["role"] == "primary"] or paper["mentions"],
        abstract=paper["abstract"], lang=lang)


def labels(lang: str) -> render.Labels:
    return render.Labels.from_catalog(lambda k: i18n.raw(lang, k))


def paper_message(db: sqlite_utils.Database, chat_id: int,
                  view: render.PaperView | None, lang: str) -> render.Message | None:
    """The instant message about a paper for ``chat_id``: with the reader's "why" line
    and buttons (issue 13); None: unknown paper or no summary yet."""
    if view is None or view.summary is None:
        return None
    return personalize.paper_message(db, chat_id, view, labels(lang))
