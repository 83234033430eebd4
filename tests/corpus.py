"""The labelled corpus (tests/fixtures/corpus): posts from sites and formats the fixtures
do not cover, with one truth file. Shared by the corpus tests and bench/extract_eval.py.

``truth.json``: ``{page path: {url, site, format, shape, lang, title, published,
body_selector, primary, linkless, references, uncertain, unresolvable, notes, family}}``
(see README.md there); ``arxiv_index.json``: what the local arXiv API knows about them
(every paper the posts mention plus same-name decoys)."""

from __future__ import annotations

import html as H
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote

from bs4 import BeautifulSoup
from scrapy.http import HtmlResponse

from crawler.arxiv_ids import find_arxiv_ids, parse_arxiv_id
from crawler.spiders.rss import select_content

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
PAGES = CORPUS / "pages"
_BARE = re.compile(r"(?<![\d.])\d{4}\.\d{4,5}(?!\d)")


@cache
def truth() -> dict[str, dict]:
    return json.loads((CORPUS / "truth.json").read_text(encoding="utf-8"))


def arxiv_index() -> list[dict]:
    return json.loads((CORPUS / "arxiv_index.json").read_text(encoding="utf-8"))


def post_input(key: str, *, whole_page: bool = False) -> str:
    """The post as a crawl hands it to the extractor: the body picked by the post's
    ``body_selector`` (a source's ``content_selector``), all messages of a channel page;
    the whole page with ``whole_page``; Markdown / plain text as served."""
    post = truth()[key]
    raw = (PAGES / key).read_bytes()
    if not key.endswith((".html", ".htm")) or whole_page:
        return raw.decode("utf-8")
    response = HtmlResponse(url=post["url"], body=raw, encoding="utf-8")
    selector = post.get("body_selector")
    for alternative in (selector or "").split(","):
        found = response.css(alternative.strip()).getall() if alternative.strip() else []
        if len(found) > 1:  # a channel page: every message is the post's content
            return "\n".join(found)
    return select_content(response, selector)


def ids_written(key: str) -> set[str]:
    """Every arXiv ID written in the page: in its text or hrefs, any URL form, URL-encoded
    inside a redirect, split across inline tags, or as a bare number."""
    raw = (PAGES / key).read_text(encoding="utf-8")
    text = H.unescape(unquote(unquote(raw))) + "\n" + BeautifulSoup(raw, "lxml").get_text("")
    found = {i for i, _s, _e in find_arxiv_ids(text)}
    found |= {i for i in (parse_arxiv_id(m) for m in _BARE.findall(text)) if i}
    return found
