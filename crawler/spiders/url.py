"""One post by URL (``paperbot crawl once --url URL``): backfills and one-off pages."""

from __future__ import annotations

from .html import PageSpider


class UrlSpider(PageSpider):
    kind = "url"

    async def start(self):
        # the user named this page: no title_pattern filter applies
        yield self.start_request(self.parse_post, checked=True)
