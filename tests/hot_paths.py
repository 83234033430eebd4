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
from typing import Any

from jobs.config import Config, parse_config
from jobs.service import health
from jobs.status import status_report
from jobs.steps import summary_queue
from jobs.steps.deliver import deliver_pending, paper_view, plan_deliveries
from jobs.steps.extract import extract_pending
from jobs.steps.summarize import summarize_pending
from jobs.store import arxiv as arxiv_store
from jobs.store import crawl as crawl_store
from jobs.store import health as hstore
from jobs.store import subscribers as subs
from jobs.store import summaries as sstore
from tests import store_seed


@dataclass
class State:
    paper: str  # a paper of the seeded history
    lang: str = "en"
    chat_id: int = 10_000_000
    fresh: itertools.count = field(default_factory=lambda: itertools.count(10_000_000))
    update_id: itertools.count = field(default_factory=lambda: itertools.count(1))


def config() -> Config:
    return parse_config({"state_dir": "/nonexistent", "sources": [], "llm": {
        "model": store_seed.MODEL}, "telegram": {"max_messages_per_second": 1000.0}}, env={})


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
