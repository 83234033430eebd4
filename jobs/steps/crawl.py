"""``paperbot crawl once``: run the spiders of the chosen sources in this process, then
extract. The service runs this as a subprocess, so Twisted never shares its loop."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jobs import store
from jobs.config import Config, Secrets, Source
from jobs.steps.extract import extract_pending
from jobs.store import crawl as crawl_store

log = logging.getLogger("jobs.crawl")  # its log name before the move to jobs/steps/

Progress = Callable[[str, str], None]  # (source name, event text)


@dataclass
class SourceResult:
    source: str
    ok: bool = True
    error: str | None = None
    posts_seen: int = 0
    posts_new: int = 0
    papers_new: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a refetch that kept the stored post


def url_source(url: str, *, lang: str = "en") -> Source:
    """The ad-hoc source of ``crawl once --url``: kind ``url``, named after the host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file") or not (parts.netloc or parts.path):
        raise ValueError(f"{url!r} is not an http(s) or file URL")
    return Source(name=f"url:{parts.netloc or 'file'}", kind="url", url=url, lang=lang)


def url_source_for(config: Config, url: str, *, lang: str | None = None) -> Source:
    """:func:`url_source` for ``crawl once --url``; a post already stored is read the way
    its source reads it (its language, content/title/date selectors)."""
    stored = None
    if config.db_path.exists():
        db = store.open_db(config.db_path)
        try:
            stored = crawl_store.stored_post(db, url)
        finally:
            db.conn.close()
    src = url_source(url, lang=lang or (stored["lang"] if stored else None) or "en")
    known = {s.name: s for s in config.sources}.get(stored["source"]) if stored else None
    if known is None:
        return src
    return dataclasses.replace(src, content_selector=known.content_selector,
                               title_selector=known.title_selector,
                               date_selector=known.date_selector)


_SCRAPY_RETRY = "scrapy.downloadermiddlewares.retry"
FETCH_SHARE = 0.6  # of the crawl's time for fetching pages; the rest extracts and resolves


def _quiet_scrapy(record: logging.LogRecord) -> bool:
    """Handler filter: Scrapy's records below WARNING are not for the journal, except
    its retries ("Retrying <GET …> (failed 1 times): <reason>", DEBUG in Scrapy): a
    page that times out and is fetched again is a wait the log should explain."""
    if record.name == _SCRAPY_RETRY and record.levelno < logging.WARNING:
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True
    return record.levelno >= logging.WARNING or not record.name.startswith(("scrapy", "py.warnings"))


def _is_first_crawl(db: Any, source: str) -> bool:
    row = db.execute("select last_success_at from sources where name = ?", [source]).fetchone()
    return row is None or row[0] is None


def _run_spiders(config: Config, runs: list[tuple[Source, bool, SourceResult]],
                 since: str | None, progress: Progress | None, *, budget: float) -> None:
    # Scrapy is imported here, not at module import: the service imports this module's
    # callers without ever starting a reactor.
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import scrapy_settings
    from crawler.sources_spider import SourcesSpider

    settings = scrapy_settings(config.crawl, state_dir=config.state_dir, db_path=config.db_path)
    # fetching gets part of the time limit, extraction and title searches the rest; a
    # backfill cut here continues next run with the posts it has not stored yet
    settings["CLOSESPIDER_TIMEOUT"] = max(1.0, budget)
    root_level = logging.root.level
    # Keep Scrapy's own chatter (banner, stats dumps, per-request lines) out of the
    # journal unless asked for. Scrapy's configure_logging resets the "scrapy" logger to
    # DEBUG and the root level to NOTSET, then logs its banner: so filter at the handlers.
    if root_level > logging.DEBUG:
        for handler in logging.root.handlers:
            handler.addFilter(_quiet_scrapy)
    process = CrawlerProcess(settings)
    logging.root.setLevel(root_level)
    # One crawler for every source: one downloader, so per-site politeness (requests in
    # flight, delay, robots.txt) holds across sources on the same site.
    crawler = process.create_crawler(SourcesSpider)
    if progress is not None:
        def on_item(item: Any, spider: Any) -> None:
            progress(item.source, f"post: {item.title or item.url}")

        crawler.signals.connect(on_item, signal=signals.item_scraped)
    process.crawl(crawler, runs=[(src, notify) for src, notify, _ in runs], since=since)
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    reason = stats.get("finish_reason")
    for src, _notify, result in runs:
        _record(result, spider.sources[src.name], stats, spider.crashes[src.name], reason)


def _record(result: SourceResult, spider: Any, stats: dict[str, Any], crashes: int,
            reason: str | None) -> None:
    """One source's outcome from its spider and its share of the crawl's stats."""
    result.posts_seen = spider.posts_seen
    result.notes = list(getattr(spider, "notes", ()))
    result.posts_new = stats.get(f"paperbot/posts_new/{result.source}", 0) + stats.get(
        f"paperbot/posts_changed/{result.source}", 0)
    errors = list(spider.errors)
    if crashes:
        errors.append(f"{crashes} parse error(s) (see log)")
    if reason == "closespider_timeout":
        log.info("%s: fetching stopped at its share of the time limit after %d posts; the "
                 "next run continues", result.source, result.posts_seen)
    elif reason not in (None, "finished"):
        errors.append(f"stopped: {reason}")
    if errors:
        result.ok = False
        result.error = "; ".join(errors[:3]) + (f" (+{len(errors) - 3} more)"
                                                 if len(errors) > 3 else "")


def crawl_once(config: Config, *, sources: Sequence[Source], since: str | None = None,
               no_notify: bool = False, progress: Progress | None = None,
               secrets: Secrets | None = None) -> list[SourceResult]:
    """Crawl ``sources`` then extract every pending post and resolve link-less entries,
    within ``[schedule] crawl_time_limit_minutes`` (what is left continues on the next
    run). Never raises for one source's failure: each result says whether its source
    succeeded and why not. ``secrets``: for the model assist (``[resolve] use_llm``)."""
    limit = config.schedule.crawl_time_limit_minutes * 60
    deadline = time.monotonic() + max(limit * 0.9, limit - 60)  # stop before the service's kill
    db = store.open_db(config.db_path)
    crawl_store.sync_sources(db, config.sources)
    runs: list[tuple[Source, bool, SourceResult]] = []
    run_ids = {}
    for src in sources:
        # Backfills (--since, --no-notify, a source's first crawl) archive their papers.
        notify = not (no_notify or since or _is_first_crawl(db, src.name))
        runs.append((src, notify, SourceResult(src.name)))
        run_ids[src.name] = crawl_store.start_run(db, src.name, pid=os.getpid())
    if runs:
        _run_spiders(config, runs, since, progress, budget=FETCH_SHARE * (deadline - time.monotonic()))
    from jobs.clients.arxiv import ArxivClient
    from jobs.clients.scholar import build_fallbacks
    from jobs.resolve.assist import build_assist

    fallbacks = build_fallbacks(config.resolve, user_agent=config.crawl.user_agent, env=dict(os.environ))
    assist = build_assist(config, secrets, db) if secrets is not None else None
    with ArxivClient.from_config(config.arxiv, user_agent=config.crawl.user_agent) as arxiv:
        new_by_source = extract_pending(db, arxiv=arxiv, arxiv_config=config, fallbacks=fallbacks,
                                        assist=assist, deadline=deadline)
    for index in fallbacks:
        index.http.close()
    for _src, _notify, result in runs:
        result.papers_new = new_by_source.get(result.source, [])
        crawl_store.finish_run(
            db, run_ids[result.source], ok=result.ok, error=result.error,
            posts_seen=result.posts_seen, posts_new=result.posts_new,
            papers_new=len(result.papers_new),
        )
        if progress is not None:
            progress(result.source, "done" if result.ok else f"FAILED: {result.error}")
    db.conn.close()
    return [r for _s, _n, r in runs]
