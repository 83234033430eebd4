"""Discourse forums through their JSON API: a topic list (``/c/{slug}/{id}.json``,
``/latest.json``, ``/tag/{tag}.json``) → ``/t/{slug}/{id}.json`` → the first post's
``cooked`` HTML. ``title_pattern`` keeps only matching topics (e.g. weekly paper lists)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy

from .base import PaperbotSpider, iso_date
from .rss import skipped_by_robots

_LIST_PATH = re.compile(r"/(?:c|tag|tags|latest|top|new)(?:[/.?]|$)")


def forum_base(url: str) -> str:
    """``https://host/forum/c/news/14.json`` → ``https://host/forum`` (subfolder installs)."""
    parts = urlsplit(url)
    m = _LIST_PATH.search(parts.path)
    prefix = parts.path[: m.start()] if m else ""
    return urlunsplit((parts.scheme, parts.netloc, prefix, "", "")).rstrip("/")


def json_url(path: str) -> str:
    """``/c/news/14?page=1`` → ``/c/news/14.json?page=1`` (Discourse's more_topics_url)."""
    path_part, sep, query = path.partition("?")
    if not path_part.endswith(".json"):
        path_part += ".json"
    return path_part + sep + query


def parse_topic_list(data: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """(topics, more_topics_url) of a Discourse topic-list JSON document."""
    topic_list = data.get("topic_list") or {}
    return list(topic_list.get("topics") or []), topic_list.get("more_topics_url")


def parse_topic(data: dict[str, Any]) -> tuple[str | None, str, str | None, tuple[str, ...]]:
    """(title, first post HTML, created_at, tags) of a Discourse topic JSON document."""
    posts = (data.get("post_stream") or {}).get("posts") or []
    first = next((p for p in posts if p.get("post_number", 1) == 1), posts[0] if posts else {})
    tags = tuple(t if isinstance(t, str) else t.get("name", "") for t in data.get("tags") or [])
    return (data.get("title"), first.get("cooked") or "",
            data.get("created_at") or first.get("created_at"), tags)


class DiscourseSpider(PaperbotSpider):
    kind = "discourse"

    def on_error(self, failure: Any) -> None:
        if not skipped_by_robots(self, failure):
            super().on_error(failure)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.base = forum_base(self.source.url)
        self.wanted = re.compile(self.source.title_pattern) if self.source.title_pattern else None
        self.queued = 0

    async def start(self):
        yield self.start_request(self.parse_list, page=1)

    def parse_list(self, response: scrapy.http.Response, page: int) -> Iterator[Any]:
        try:
            data = json.loads(response.text)
        except ValueError:
            self.errors.append(f"not a Discourse topic list (no JSON) ({response.url})")
            return
        topics, more = parse_topic_list(data)
        if "topic_list" not in data:
            self.errors.append(f"not a Discourse topic list ({response.url})")
            return
        for topic in topics:
            if self.post_limit is not None and self.queued >= self.post_limit:
                return
            title = topic.get("title") or ""
            if self.wanted and not self.wanted.search(title):
                continue
            if self.too_old(iso_date(topic.get("created_at"))):
                continue
            slug = topic.get("slug") or "topic"
            if self.known(f"{self.base}/t/{slug}/{topic['id']}"):
                continue
            self.queued += 1
            yield scrapy.Request(f"{self.base}/t/{slug}/{topic['id']}.json",
                                 callback=self.parse_topic, errback=self.on_error,
                                 cb_kwargs={"post_url": f"{self.base}/t/{slug}/{topic['id']}"})
        if more and page < self.page_limit:
            yield scrapy.Request(response.urljoin(json_url(more)), callback=self.parse_list,
                                 errback=self.on_error, cb_kwargs={"page": page + 1})

    def parse_topic(self, response: scrapy.http.Response, post_url: str) -> Iterator[Any]:
        try:
            title, html, created, _tags = parse_topic(json.loads(response.text))
        except ValueError:
            self.errors.append(f"not a Discourse topic (no JSON) ({response.url})")
            return
        if self.wanted and not self.wanted.search(title or ""):
            return
        yield self.post(url=post_url, title=title, html=html, published_at=iso_date(created))
