"""RSS 2.0 / Atom feeds: post body from the feed's full content, else from the post page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import feedparser
import scrapy
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

from .base import PaperbotSpider, iso_date


def skipped_by_robots(spider: PaperbotSpider, failure: Failure) -> bool:
    """A page robots.txt forbids is skipped politely, not a failure of the source."""
    if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
        request = getattr(failure, "request", None)
        spider.logger.info("%s: skipped (robots.txt): %s", spider.source.name,
                           request.url if request is not None else "?")
        return True
    return False


def select_content(response: scrapy.http.Response, selector: str | None) -> str:
    """The post body HTML: the first match of ``selector`` (comma = alternatives), else <body>."""
    if selector:
        for alternative in selector.split(","):
            found = response.css(alternative.strip()).get()
            if found:
                return found
    return response.css("body").get() or response.text


class RssSpider(PaperbotSpider):
    kind = "rss"

    def on_error(self, failure: Failure) -> None:
        if not skipped_by_robots(self, failure):
            super().on_error(failure)

    async def start(self):
        yield self.start_request(self.parse_feed)

    def parse_feed(self, response: scrapy.http.Response) -> Iterator[Any]:
        feed = feedparser.parse(response.body)
        if not feed.entries and (feed.bozo or not feed.version):
            # an error page, a login wall or garbage where the feed was (an empty but
            # valid feed is fine: a quiet blog)
            why = f": {feed.get('bozo_exception')!s:.200}" if feed.bozo else ""
            self.errors.append(f"not an RSS/Atom feed{why} ({response.url})")
            return
        taken = 0
        for entry in feed.entries:
            if self.post_limit is not None and taken >= self.post_limit:
                break
            if not entry.get("link"):
                continue
            # resolve relative links ourselves: feedparser mangles file:/// bases
            link = response.urljoin(entry["link"])
            if urlsplit(link).scheme not in ("http", "https", "file"):
                continue  # javascript:, data:, …: not a post a message may link to
            published = iso_date(entry.get("published_parsed") or entry.get("updated_parsed"))
            if self.too_old(published) or self.known(link):
                continue
            taken += 1
            title = entry.get("title")
            content = entry.get("content")
            if self.source.use_feed_content and content and content[0].get("value"):
                yield self.post(url=link, title=title, html=content[0]["value"],
                                published_at=published)
            else:
                yield response.follow(link, callback=self.parse_post, errback=self.on_error,
                                      cb_kwargs={"title": title, "published": published})

    def parse_post(self, response: scrapy.http.Response, title: str | None,
                   published: str | None) -> Iterator[Any]:
        html = select_content(response, self.source.content_selector)
        yield self.post(url=response.url, title=title, html=html, published_at=published)
