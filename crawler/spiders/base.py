"""What every paperbot spider shares: its source, error recording, the post item."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
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


_SECONDS = re.compile(r"longer than ([\d.]+) seconds")
_SIZES = re.compile(r"(\d+) bytes which is larger than download max size \((\d+)\)")
_TLS = re.compile(r"SSL|TLS|certificate", re.I)
_TLS_REASON = re.compile(r"'([^']+)'\)")  # OpenSSL's ('SSL routines', '', 'wrong version number')


def describe_failure(failure: Failure) -> str:
    """A short human reason for a failed request, the same words whatever Scrapy or
    Twisted raised: 'HTTP 503 Service Unavailable', 'timed out after 30 s', 'connection
    refused', 'DNS lookup failed', 'TLS handshake failed', 'redirect loop', …"""
    exc = failure.value
    text = str(exc).strip()
    if failure.check(HttpError):
        status = exc.response.status
        try:
            return f"HTTP {status} {HTTPStatus(status).phrase}"
        except ValueError:
            return f"HTTP {status}"
    if failure.check(DownloadTimeoutError, TimeoutError, defer.TimeoutError, TCPTimedOutError):
        m = _SECONDS.search(text)
        return f"timed out after {float(m.group(1)):g} s" if m else "timed out"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return "connection refused"
    if failure.check(CannotResolveHostError, DNSLookupError):
        return "DNS lookup failed (no such host)"
    if failure.check(DownloadCancelledError):
        m = _SIZES.search(text)
        return (f"response too large ({m.group(1)} bytes; max_response_bytes is {m.group(2)})"
                if m else "response too large (max_response_bytes)")
    if failure.check(IgnoreRequest) and "max redirections" in text:
        return "redirect loop (too many redirects)"
    if _TLS.search(text):
        said = _TLS_REASON.findall(text)
        return f"TLS handshake failed ({said[-1]})" if said else "TLS handshake failed"
    if failure.check(ResponseDataLossError, ConnectionLost, ConnectionDone):
        return "connection closed before the answer was complete"
    if failure.check(UnsupportedURLSchemeError):
        return "unsupported URL scheme"
    return f"{type(exc).__name__}: {_short(text)}" if text else type(exc).__name__


def _short(text: str) -> str:
    return re.sub(r"<twisted.python.failure.Failure |>\]|\[", "", text)[:200]


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
