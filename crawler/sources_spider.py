"""Every source of one crawl in one Scrapy spider: one crawler, one downloader.

Scrapy's politeness (``CONCURRENT_REQUESTS_PER_DOMAIN``, ``DOWNLOAD_DELAY``,
AutoThrottle, robots.txt) lives in the downloader's per-site slots. With a crawler per
source, two sources on one site each had their own slots, so the site saw the sum of
their requests. Here the per-kind spiders (``crawler/spiders``) are kept as they are,
one instance per source, but not run as spiders of their own: this spider yields their
start requests, and their callbacks (bound methods of the source's spider) handle the
responses. Each source still keeps its own errors and counts; its items are stored
with its own ``notify``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

import scrapy
from scrapy import signals

from crawler.spiders import spider_for
from crawler.spiders.base import PaperbotSpider


def source_of(request: scrapy.Request | None) -> PaperbotSpider | None:
    """The source spider a request belongs to: the owner of its callback or errback."""
    for fn in (getattr(request, "callback", None), getattr(request, "errback", None)):
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, PaperbotSpider):
            return owner
    return None


class SourcesSpider(scrapy.Spider):
    """``runs``: (source, notify) pairs; ``since``: as for each source's spider."""

    name = "paperbot"

    def __init__(self, *args: Any, runs: Sequence[tuple[Any, bool]], since: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources: dict[str, PaperbotSpider] = {
            src.name: spider_for(src.kind)(source=src, since=since, notify=notify)
            for src, notify in runs}
        self.crashes: Counter[str] = Counter()  # callbacks that raised, per source

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourcesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_error, signal=signals.spider_error)
        for sub in spider.sources.values():
            sub.crawler = crawler  # its settings (the url spider reads the database path)
        db_path = crawler.settings.get("PAPERBOT_DB_PATH")
        if db_path and any(sub.backfill for sub in spider.sources.values()):
            spider._stored_db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True,
                                                check_same_thread=False)
            crawler.signals.connect(spider._close_db, signal=signals.spider_closed)
            for sub in spider.sources.values():
                sub.stored = spider._is_stored
        return spider

    def _is_stored(self, url: str) -> bool:
        """One look-up by the posts' unique URL index (not a set of every URL ever seen)."""
        return self._stored_db.execute("select 1 from posts where url = ?", [url]).fetchone() \
            is not None

    def _close_db(self, spider: Any) -> None:
        self._stored_db.close()

    def notify_for(self, source: str) -> bool:
        """Whether posts of ``source`` push their papers (False: a backfill archives them)."""
        sub = self.sources.get(source)
        return sub.notify if sub is not None else True

    async def start(self) -> AsyncIterator[Any]:
        for sub in self.sources.values():
            async for request in sub.start():
                yield request

    def _on_error(self, failure: Any, response: Any, spider: Any) -> None:
        sub = source_of(getattr(response, "request", None))
        if sub is not None:
            self.crashes[sub.source.name] += 1
