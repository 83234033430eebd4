"""Blogs without a feed: a listing page + CSS selectors from the source's config.

``link_selector`` picks the post links on the listing (``next_page_selector`` +
``max_pages`` follow its pagination); on each post page ``content_selector`` picks the
body, ``title_selector`` / ``date_selector`` the title and date. ``title_pattern``
keeps only matching posts (checked on the link text, else on the page title)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import scrapy

from .base import PaperbotSpider, iso_date
from .rss import select_content, skipped_by_robots

_DATE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?")


def parse_date_text(value: str | None) -> str | None:
    """A date somewhere in free text (``已于 2024-06-24 10:08:47 修改``, ``2024年5月6日``,
    an ISO timestamp) as ISO-8601 UTC, else None."""
    if not value:
        return None
    direct = iso_date(value.strip())
    if direct:
        return direct
    m = _DATE.search(value)
    if not m:
        return None
    y, mo, d, hh, mm, ss, tz = m.groups()
    stamp = f"{y}-{int(mo):02d}-{int(d):02d}T{int(hh or 0):02d}:{mm or '00'}:{ss or '00'}"
    if tz:
        stamp += tz if tz == "Z" or ":" in tz else f"{tz[:3]}:{tz[3:]}"
    return iso_date(stamp)


def first_text(response: scrapy.http.Response, selector: str | None) -> str | None:
    """Text of the first element matching ``selector`` (comma = alternatives)."""
    for alternative in (selector or "").split(","):
        if not alternative.strip():
            continue
        for el in response.css(alternative.strip()):
            text = " ".join(" ".join(el.css("::text").getall()).split())
            if text:
                return text
    return None


def page_date(response: scrapy.http.Response, selector: str | None) -> str | None:
    """The post date: ``date_selector``'s datetime/content attribute or text, else the
    page's ``article:published_time`` / first ``<time datetime>``."""
    candidates: list[str] = []
    for alternative in [s for s in (selector or "").split(",") if s.strip()]:
        for el in response.css(alternative.strip())[:3]:
            candidates += [el.attrib.get("datetime", ""), el.attrib.get("content", ""),
                           " ".join(el.css("::text").getall())]
    candidates += response.css('meta[property="article:published_time"]::attr(content), '
                               "time::attr(datetime)").getall()[:2]
    for value in candidates:
        found = parse_date_text(value)
        if found:
            return found
    return None


def page_title(response: scrapy.http.Response, selector: str | None) -> str | None:
    return (first_text(response, selector) or response.css(
        'meta[property="og:title"]::attr(content)').get() or first_text(response, "h1")
        or first_text(response, "title"))


def listing_links(response: scrapy.http.Response, selector: str) -> list[tuple[str, str]]:
    """(absolute URL, link text) for every post link on a listing page, in order, once."""
    out: dict[str, str] = {}
    for el in response.css(selector):
        href = el.attrib.get("href") or el.css("a::attr(href)").get()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = response.urljoin(href).split("#")[0]
        out.setdefault(url, " ".join(" ".join(el.css("::text").getall()).split()))
    return list(out.items())


class PageSpider(PaperbotSpider):
    """Shared by ``html`` and ``url``: a post page → one Post."""

    def on_error(self, failure: Any) -> None:
        if not skipped_by_robots(self, failure):
            super().on_error(failure)

    def parse_post(self, response: scrapy.http.Response, checked: bool = False) -> Iterator[Any]:
        if not isinstance(response, scrapy.http.TextResponse):
            self.errors.append(f"not a web page ({response.url})")
            return
        src = self.source
        title = page_title(response, src.title_selector)
        if not checked and src.title_pattern and not re.search(src.title_pattern, title or ""):
            return
        published = page_date(response, src.date_selector)
        if self.too_old(published):
            return
        yield self.post(url=response.url, title=title,
                        html=select_content(response, src.content_selector),
                        published_at=published)


class HtmlSpider(PageSpider):
    kind = "html"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.queued: set[str] = set()

    async def start(self):
        yield self.start_request(self.parse_listing, page=1)

    def parse_listing(self, response: scrapy.http.Response, page: int) -> Iterator[Any]:
        src = self.source
        if not isinstance(response, scrapy.http.TextResponse):
            self.errors.append(f"listing is not a web page ({response.url})")
            return
        links = listing_links(response, src.link_selector or "a")
        if not links and page == 1:
            self.errors.append(f"no post links match {src.link_selector!r} ({response.url})")
        for url, text in links:
            if self.post_limit is not None and len(self.queued) >= self.post_limit:
                return
            if url in self.queued or self.known(url):
                continue
            checked = False
            if src.title_pattern and text:
                if not re.search(src.title_pattern, text):
                    continue
                checked = True
            self.queued.add(url)
            yield scrapy.Request(url, callback=self.parse_post, errback=self.on_error,
                                 cb_kwargs={"checked": checked})
        if src.next_page_selector and page < self.page_limit:
            nxt = response.css(src.next_page_selector).attrib.get("href") or response.css(
                f"{src.next_page_selector} a::attr(href)").get()
            if nxt:
                yield response.follow(nxt, callback=self.parse_listing, errback=self.on_error,
                                      cb_kwargs={"page": page + 1})
