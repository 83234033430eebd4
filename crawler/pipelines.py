"""Item pipeline: every crawled post goes straight into SQLite (status 'crawled')."""

from __future__ import annotations

from typing import Any

from crawler.models import Post


class StorePostPipeline:
    """Writes posts through the store; counts new/changed/unchanged/kept per spider."""

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
        source = spider.sources.get(item.source) if hasattr(spider, "sources") else spider
        if getattr(source, "refetch", False):
            kept = poorer_refetch(self.db, item)
            if kept is not None:
                source.notes.append(kept)
                source.logger.warning("%s", kept)
                self.crawler.stats.inc_value(f"paperbot/posts_kept/{item.source}")
                return item
        outcome, _ = save_post(self.db, item, notify=notify)
        self.crawler.stats.inc_value(f"paperbot/posts_{outcome}")
        self.crawler.stats.inc_value(f"paperbot/posts_{outcome}/{item.source}")
        return item


def poorer_refetch(db: Any, item: Post) -> str | None:
    """A post fetched again by hand (``crawl once --url``) that yields fewer papers than
    its stored version (a page stub, a paywall, a template change) must not replace it:
    the stored version stays, the difference is recorded on the post and returned.
    None when the new version may be stored."""
    from crawler.extract import extract_papers
    from jobs.store.crawl import content_hash, note_post, stored_post

    stored = stored_post(db, item.url)
    if stored is None or stored["content_hash"] == content_hash(item.html):
        return None
    found = extract_papers(item.html, title=item.title, lang=item.lang)
    new_ids = {fp.arxiv_id for fp in found if fp.arxiv_id}
    new_count = len(new_ids) + len({fp.title for fp in found if not fp.arxiv_id})
    old_count = len(stored["ids"]) + len(stored["titles"])
    if new_count >= old_count:
        return None
    missing = [i for i in stored["ids"] if i not in new_ids]
    note = (f"kept the stored version of {item.url}: the page now yields {new_count} "
            f"paper(s), the stored version {old_count}"
            + (f" (missing: {', '.join(missing[:10])})" if missing else ""))
    note_post(db, stored["id"], note)
    return note
