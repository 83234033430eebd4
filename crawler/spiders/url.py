"""One post by URL (``paperbot crawl once --url URL``): backfills and one-off pages."""

from __future__ import annotations

import scrapy

from .html import PageSpider


class UrlSpider(PageSpider):
    kind = "url"

    async def start(self):
        # the user named this page: no title_pattern filter applies
        yield scrapy.Request(self.source.url, callback=self.parse_post, errback=self.on_error,
                             cb_kwargs={"checked": True})
