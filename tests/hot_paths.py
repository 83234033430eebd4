"""The store's hot paths: what runs on every poll, command or crawl, by name.

``tests/test_hot_queries.py`` runs each one and checks the query plan of every
statement it executes; ``bench/store.py`` times each one at 10 k, 100 k and 1 M papers.
Each path is ``fn(db, config, state)``; ``state`` carries what a path needs from the
seeded store (a known paper, a language, a counter for fresh rows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import bibtex, reader_commands
from jobs import site
from jobs.config import Config, parse_config
from jobs.service import health
from jobs.status import status_report
from jobs.steps import personalize, summary_queue
from jobs.steps.deliver import deliver_pending, labels, paper_view, plan_deliveries
from jobs.steps.extract import extract_pending
from jobs.steps.summarize import summarize_pending
from jobs.store import arxiv as arxiv_store
from jobs.store import crawl as crawl_store
from jobs.store import curators as cstore
from jobs.store import feedback as fstore
from jobs.store import health as hstore
from jobs.store import site as site_store
from jobs.store import subscribers as subs
from jobs.store import summaries as sstore
from tests import store_seed


@dataclass
class State:
    paper: str  # a paper of the seeded history
    lang: str = "en"
    chat_id: int = store_seed.READER
    fresh: itertools.count = field(default_factory=lambda: itertools.count(10_000_000))
    update_id: itertools.count = field(default_factory=lambda: itertools.count(1))
    recent: store_seed.Recent | None = None  # the last 30 days (store_seed.add_recent)
    site_dir: Path | None = None  # a built site (or one adopted: adopt_site)


def config() -> Config:
    return parse_config({"state_dir": "/nonexistent", "sources": [], "llm": {
        "model": store_seed.MODEL}, "telegram": {"max_messages_per_second": 1000.0},
        "site": {"languages": list(store_seed.LANGS)}}, env={})


def adopt_site(db: Any, cfg: Config, out_dir: Path) -> None:
    """Make ``out_dir`` a site built in full just now, without building it: its manifest
    (the settings, the change log's marks). Rendering a million papers' pages takes
    about an hour; what a rebuild reads and writes does not depend on them."""
    from jobs.site.build import MANIFEST_VERSION, Settings, _write_manifest

    s = cfg.site
    settings = Settings(tuple(s.languages or cfg.telegram.languages), s.title, s.base_url,
                        s.index_days, s.feed_items)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_manifest(out_dir, {"version": MANIFEST_VERSION, "key": settings.key(),
                              "languages": list(settings.languages),
                              "marks": site_store.marks(db), "files": 0})


def _new_papers(db: Any, state: State, count: int, *, summarized: bool = True) -> list[str]:
    """``count`` (a multiple of 4) papers first seen now, as a crawl finds them."""
    ids: list[str] = []
    now = crawl_store.utcnow()
    while len(ids) < count:
        index = next(state.fresh)
        ids += store_seed.add_post(db, index, 0, when=now)
    if summarized:
        store_seed.add_summaries(db, ids)
    return ids


def _age(db: Any, ids: list[str]) -> None:
    """Make papers a path just added (and their summaries) a day old: the next run of a
    path meets them as history, as it would between two crawls, not as news."""
    marks = ",".join("?" * len(ids))
    day_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    db.execute(f"update papers set first_seen_at = ? where arxiv_id in ({marks})",
               [day_ago, *ids])
    db.execute(f"update summaries set created_at = ? where arxiv_id in ({marks})",
               [day_ago, *ids])


# -- the paths ---------------------------------------------------------------------------
def status(db, cfg, state) -> None:
    """``paperbot status`` / the admin's /status."""
    status_report(db, cfg)


def papers_since(db, cfg, state) -> None:
    """``paperbot papers --since TODAY``."""
    crawl_store.papers_with_mentions(db, since=crawl_store.utcnow()[:10])


def latest(db, cfg, state) -> None:
    """/latest: the window, what each message shows, which summaries to write for it."""
    views = [paper_view(db, pid, state.lang)
             for pid in sstore.latest_ids(db, limit=cfg.telegram.latest_count)]
    summary_queue.needing(db, state.lang, [v.arxiv_id for v in views if not v.good],
                          config=cfg, model=cfg.llm.model)


def paper(db, cfg, state) -> None:
    """/paper ID."""
    view = paper_view(db, state.paper, state.lang)
    summary_queue.needing(db, state.lang, [view.arxiv_id], config=cfg, model=cfg.llm.model)


def subscriber_command(db, cfg, state) -> None:
    """Any command: the update cursor, the subscriber's row, a settings change (/lang)."""
    subs.claim_update(db, next(state.update_id))
    subs.get(db, state.chat_id)
    subs.update_settings(db, state.chat_id, lang=state.lang)


def idle_delivery_poll(db, cfg, state) -> None:
    """The delivery job every ``delivery_poll_seconds`` when nothing is new."""
    plan_deliveries(db, config=cfg)
    asyncio.run(deliver_pending(db, bot=None, config=cfg))


def summarize_scan(db, cfg, state) -> None:
    """The summarize step after a crawl found 4 new papers (fallbacks written for them)."""
    ids = _new_papers(db, state, 4, summarized=False)
    asyncio.run(summarize_pending(db, config=cfg, client=None, langs=list(store_seed.LANGS)))
    _age(db, ids)


def extract_bookkeeping(db, cfg, state) -> None:
    """The crawl child's extract step for one new post, and the enrichment look-ups."""
    index = next(state.fresh)
    ids = store_seed.add_post(db, index, 0, when=crawl_store.utcnow())  # crawled + recorded
    extract_pending(db, arxiv=None)  # nothing left: the paging query only
    _age(db, ids)
    arxiv_store.unenriched_ids(db)
    arxiv_store.unverified_mentions(db)


def heartbeat(db, cfg, state) -> None:
    """The service's heartbeat job."""
    hstore.write_heartbeat(db, {"at": crawl_store.utcnow()})
    health.check_deliveries(db, dt.datetime.now(dt.UTC))
    hstore.alert_sends_due(db, now=crawl_store.utcnow())
    sstore.wanted_languages(db, cfg)


# -- curation (issue 13) ---------------------------------------------------------------
def _list(db, state: State, ids: list[str]) -> None:
    """What a list the reader asked for shows (/top): views, the curators line, buttons."""
    views = [v for v in (paper_view(db, pid, state.lang) for pid in ids) if v is not None]
    personalize.list_messages(db, state.chat_id, views, labels(state.lang), header=None,
                              personal=False)


def _top(days: int) -> Callable[[Any, Config, State], None]:
    def top(db, cfg, state) -> None:
        """/top: the period's most discussed papers, as a list."""
        ids = [r["arxiv_id"] for r in cstore.most_discussed(
            db, since=reader_commands._since(days), limit=reader_commands.TOP_SIZE)]
        _list(db, state, ids)
    return top


def saved(db, cfg, state) -> None:
    """/saved: the count and the last saved papers."""
    sub = subs.get(db, state.chat_id)
    fstore.saved_count(db, sub["chat_id"])
    fstore.saved_papers(db, sub["chat_id"], limit=reader_commands.SAVED_SHOWN)


def bib(db, cfg, state) -> None:
    """/bib: every saved paper as BibTeX."""
    sub = subs.get(db, state.chat_id)
    bibtex.bibliography(fstore.saved_papers(db, sub["chat_id"]))


def _press(action: str) -> Callable[[Any, Config, State], None]:
    def press(db, cfg, state) -> None:
        """A 👍 / 👎 / 🔖 press on a message: the vote or save (and the reader's weights),
        then the keyboard's new state."""
        sub = subs.get(db, state.chat_id)
        view = paper_view(db, state.paper, state.lang)
        if action == "save":
            fstore.toggle_saved(db, state.chat_id, view.arxiv_id)
        else:
            reader_commands._vote(db, sub, view, action)
        personalize.button_state(db, state.chat_id, [view.arxiv_id])
    return press


def follow(db, cfg, state) -> None:
    """/follow NAME (and /follow -NAME on the next run)."""
    sub = subs.get(db, state.chat_id)
    subs.update_settings(db, state.chat_id,
                         follows=[] if sub["follows"] else ["Author 7", "Ada Lovelace"])


def exclude(db, cfg, state) -> None:
    """/exclude KEYWORD (and /exclude clear on the next run)."""
    sub = subs.get(db, state.chat_id)
    subs.update_settings(db, state.chat_id, excludes=[] if sub["excludes"] else ["cs.RO"])


def weekly_digest(db, cfg, state) -> None:
    """A weekly digest's selection for one reader: the week's papers (their pending
    rows) as views, what the reader still wants, ranked by curators then recency, the
    10 most discussed, and the messages with buttons."""
    sub = subs.get(db, state.chat_id)
    views = [paper_view(db, pid, sub["lang"]) for pid in state.recent.week]
    kept, _dropped = personalize.digest_views(db, sub, views, weekly=True)
    personalize.list_messages(db, state.chat_id, kept, labels(sub["lang"]), header=None,
                              sub=sub)


def curators(db, cfg, state) -> None:
    """The curators line of a message (blogs and languages per paper), and a planned
    candidate's facts for the reader profiles (authors, curator count)."""
    cstore.counts(db, state.recent.ids[:10])
    personalize.candidate_facts(db, {"arxiv_id": state.paper, "title": "t",
                                     "categories": '["cs.CL"]', "tldr": "x"})


def site_rebuild(db, cfg, state) -> None:
    """The site brought up to date after a crawl that found nothing new."""
    site.build_from_config(db, cfg, state.site_dir)


def site_rebuild_new(db, cfg, state) -> None:
    """The site brought up to date after a crawl that found 4 new papers (summarized,
    enriched): their pages, the index, the feeds, their topics' feeds, this month's
    search index."""
    ids = _new_papers(db, state, 4)
    site.build_from_config(db, cfg, state.site_dir)
    _age(db, ids)


PATHS: dict[str, Callable[[Any, Config, State], None]] = {
    "status": status,
    "papers --since": papers_since,
    "/latest": latest,
    "/paper": paper,
    "command (/lang)": subscriber_command,
    "idle delivery poll": idle_delivery_poll,
    "summarize scan": summarize_scan,
    "extract bookkeeping": extract_bookkeeping,
    "heartbeat": heartbeat,
    "/top week": _top(7),
    "/top month": _top(30),
    "/saved": saved,
    "/bib": bib,
    "👍 press": _press("up"),
    "👎 press": _press("down"),
    "🔖 press": _press("save"),
    "/follow": follow,
    "/exclude": exclude,
    "weekly digest selection": weekly_digest,
    "curators line, candidate facts": curators,
    "site rebuild, nothing new": site_rebuild,
    "site rebuild, 4 new papers": site_rebuild_new,
}
# paths whose query plans another branch still had to fix (the delivery ones are done:
# tests/test_delivery_queries.py)
DELIVERY_PATHS: tuple[str, ...] = ()  # (none left: the delivery queries read only what is due)


def plan_three_papers(db, cfg, state) -> float:
    """Plan 3 new summarized papers for every subscriber (the benchmark's broadcast
    planning), then skip the rows it made so the next idle poll finds nothing to send.
    Returns the seconds the planning took."""
    ids = _new_papers(db, state, 4, summarized=False)
    store_seed.add_summaries(db, ids[:3])
    started = time.perf_counter()
    plan_deliveries(db, config=cfg)
    took = time.perf_counter() - started
    db.execute("update deliveries set state = 'skipped', reason = 'benchmark' "
               "where state = 'pending'")
    _age(db, ids)
    return took
