"""What every paperbot spider shares: its source, error recording, the post item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.models import Post


def iso_date(value: Any) -> str | None:
    """A feed/page date (struct_time, datetime or ISO string) as an ISO-8601 UTC string."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if hasattr(value, "tm_year"):  # time.struct_time from feedparser, always UTC
        return dt.datetime(*value[:6], tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    try:
        return iso_date(dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def describe_failure(failure: Failure) -> str:
    """A short human reason for a failed request: 'HTTP 500', 'TimeoutError', …"""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    exc = failure.value
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


BACKFILL_MAX_PAGES = 200  # listing pages a backfill follows at most


class PaperbotSpider(scrapy.Spider):
    """Base spider: ``source`` is a config Source; ``since`` an ISO date or None."""

    kind = ""

    def __init__(self, *args: Any, source: Any, since: str | None = None, notify: bool = True,
                 **kwargs: Any):
        super().__init__(*args, name=source.name, **kwargs)
        self.source = source
        self.since = since
        # False for backfills: the papers found are archived, not pushed to subscribers.
        self.notify = notify
        self.errors: list[str] = []
        self.posts_seen = 0
        # whether a post URL is stored already (set by the crawl from the database)
        self.stored: Callable[[str], bool] = lambda url: False

    @property
    def backfill(self) -> bool:
        """``crawl once --since``: the archive back to that date, not the newest posts."""
        return bool(self.since)

    @property
    def post_limit(self) -> int | None:
        """Posts taken from one listing/feed: ``max_posts`` for a regular crawl; none for a
        backfill (bounded by ``since`` and the crawl's time limit instead)."""
        return None if self.backfill else self.source.max_posts

    @property
    def page_limit(self) -> int:
        """Listing pages followed: ``max_pages``, or up to BACKFILL_MAX_PAGES back to ``since``."""
        return max(self.source.max_pages, BACKFILL_MAX_PAGES) if self.backfill else self.source.max_pages

    def known(self, url: str) -> bool:
        """A backfill skips posts it stored already (an earlier run that stopped at the time
        limit continues with what it has not fetched); a regular crawl re-reads the newest
        posts to see edits."""
        return self.backfill and self.stored(url)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else self.source.url
        reason = describe_failure(failure)
        self.errors.append(f"{reason} ({url})")
        self.logger.warning("%s: %s: %s", self.source.name, url, reason)

    def start_request(self, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        """The request for the source's own URL. ``dont_filter``: a redirect loop back to it
        must run into REDIRECT_MAX_TIMES and fail the source, not vanish in the dupe filter."""
        return scrapy.Request(self.source.url, callback=callback, errback=self.on_error,
                              cb_kwargs=cb_kwargs, dont_filter=True)

    def too_old(self, published_at: str | None) -> bool:
        return bool(self.since and published_at and published_at[:10] < self.since[:10])

    def post(self, *, url: str, title: str | None, html: str, published_at: str | None) -> Post:
        self.posts_seen += 1
        return Post(url=url, source=self.source.name, title=title, html=html,
                    published_at=published_at, lang=self.source.lang)
