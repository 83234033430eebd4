"""One post by URL (``paperbot crawl once --url URL``): backfills and one-off pages.

A page already stored is fetched conditionally (``If-Modified-Since`` its last fetch;
the HTTP cache adds its ``If-None-Match`` when it holds the page): a 304 keeps the stored
version. A page that now yields fewer papers than the stored version does not replace
it (:func:`crawler.pipelines.poorer_refetch`)."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Any

import scrapy

from .html import PageSpider


class UrlSpider(PageSpider):
    kind = "url"
    refetch = True  # the pipeline compares a stored post before replacing it

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []

    async def start(self):
        headers = {}
        last = self._last_fetched()
        if last is not None:
            headers["If-Modified-Since"] = format_datetime(last, usegmt=True)
        # the user named this page: no title_pattern filter applies
        yield scrapy.Request(self.source.url, callback=self.parse_post, errback=self.on_error,
                             cb_kwargs={"checked": True}, headers=headers, dont_filter=True,
                             meta={"handle_httpstatus_list": [304]})

    def parse_post(self, response: scrapy.http.Response, checked: bool = False) -> Any:
        if response.status == 304:
            self.posts_seen += 1
            self.notes.append(f"not modified since the last fetch: the stored version of "
                              f"{response.url} stays")
            return
        yield from super().parse_post(response, checked=checked)

    def _last_fetched(self) -> dt.datetime | None:
        """When this URL was last fetched, if it is stored (read from the database)."""
        from jobs import store
        from jobs.store.crawl import stored_post

        crawler = getattr(self, "crawler", None)
        db_path = crawler.settings.get("PAPERBOT_DB_PATH") if crawler is not None else None
        if not db_path:
            return None
        db = store.open_db(db_path)
        try:
            post = stored_post(db, self.source.url)
        finally:
            db.conn.close()
        if post is None or not post["fetched_at"]:
            return None
        return dt.datetime.fromisoformat(post["fetched_at"])
