"""Spiders by source kind. A new blog of a known kind needs only config."""

from __future__ import annotations

from .base import PaperbotSpider
from .discourse import DiscourseSpider
from .html import HtmlSpider
from .rss import RssSpider
from .url import UrlSpider

SPIDERS: dict[str, type[PaperbotSpider]] = {
    cls.kind: cls for cls in (RssSpider, DiscourseSpider, HtmlSpider, UrlSpider)
}


def spider_for(kind: str) -> type[PaperbotSpider]:
    try:
        return SPIDERS[kind]
    except KeyError:
        raise ValueError(f"no spider for source kind {kind!r}") from None
