"""Item pipeline: every crawled post goes straight into SQLite (status 'crawled')."""

from __future__ import annotations

from typing import Any

from crawler.models import Post


class StorePostPipeline:
    """Writes posts through the store; counts new/changed/unchanged per spider."""

    def __init__(self, crawler: Any, db_path: str):
        self.crawler = crawler
        self.db_path = db_path
        self.db = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePostPipeline:
        return cls(crawler, crawler.settings.get("PAPERBOT_DB_PATH"))

    def open_spider(self) -> None:
        from jobs import store  # the store is shared with the service; import lazily

        self.db = store.open_db(self.db_path)

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.conn.close()

    def process_item(self, item: Post) -> Post:
        from jobs.store.crawl import save_post

        spider = self.crawler.spider
        # one spider may carry every source of the crawl, each with its own notify
        notify = spider.notify_for(item.source) if hasattr(spider, "notify_for") else (
            spider.notify)
        outcome, _ = save_post(self.db, item, notify=notify)
        self.crawler.stats.inc_value(f"paperbot/posts_{outcome}")
        self.crawler.stats.inc_value(f"paperbot/posts_{outcome}/{item.source}")
        return item
