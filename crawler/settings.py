"""Scrapy settings built from paperbot's config (no Telegram/OpenAI imports in crawler/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def scrapy_settings(crawl: Any, *, state_dir: Path, db_path: Path) -> dict[str, Any]:
    """Settings for one ``crawl once`` run. ``crawl`` is the ``[crawl]`` config section."""
    return {
        "BOT_NAME": "paperbot",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        # Politeness: 1-2 requests in flight per site, a delay, AutoThrottle on top. Every
        # source of a crawl shares one downloader (crawler/sources_spider.py), so these
        # hold per site, however many sources it hosts.
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_site,
        "DOWNLOAD_DELAY": crawl.download_delay_seconds,
        # at least the configured delay between two requests to a site (Scrapy would
        # otherwise wait 0.5-1.5 times it)
        "DOWNLOAD_DELAY_JITTER": 0.0,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": crawl.download_delay_seconds,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_site),
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl.retries,
        # Incremental crawling: RFC2616 policy revalidates with ETag/Last-Modified (304).
        "HTTPCACHE_ENABLED": crawl.http_cache,
        # A stored page answers a 304, never a failure (see crawler/httpcache.py).
        "HTTPCACHE_POLICY": "crawler.httpcache.RevalidateOnlyPolicy",
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
            "crawler.httpcache.FailureIsFailureCacheMiddleware": 900,
        },
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "HTTPCACHE_DIR": str((state_dir / "httpcache").resolve()),
        "HTTPCACHE_IGNORE_SCHEMES": ["file", "data"],
        "HTTPCACHE_IGNORE_HTTP_CODES": [500, 502, 503, 504, 408, 429],
        # Always revalidate (``max-age=0`` on every request), never serve a stored page
        # unasked: a feed must be re-checked each run, and an unchanged one costs a 304.
        # A response's ``no-cache`` means exactly that, but Scrapy's policy would then
        # skip the validators and download the full page again: ignore the directive.
        "HTTPCACHE_IGNORE_RESPONSE_CACHE_CONTROLS": ["no-cache"],
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en",
            "Cache-Control": "max-age=0",
        },
        "REDIRECT_MAX_TIMES": 5,
        "TELNETCONSOLE_ENABLED": False,
        "EXTENSIONS": {"scrapy.extensions.remote_control.RemoteControl": None},
        # paperbot owns logging (one line per event on stderr); Scrapy logs through it.
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOG_LEVEL": "WARNING",
        "ITEM_PIPELINES": {"crawler.pipelines.StorePostPipeline": 300},
        "PAPERBOT_DB_PATH": str(db_path),
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
