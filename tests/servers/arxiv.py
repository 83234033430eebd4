"""A local arXiv API on 127.0.0.1: ``GET /api/query`` with ``search_query`` and/or
``id_list``, answered in arXiv's Atom format (opensearch totals, versioned entry IDs,
wrapped titles, primary category, links, error entries with HTTP 400).

Query language (the subset paperbot uses, as arXiv interprets it): ``ti:``, ``au:``,
``abs:``, ``all:`` terms, each a word or a ``"quoted phrase"`` (case-, accent- and
punctuation-insensitive, phrase = consecutive words), ``submittedDate:[from TO to]``,
joined by ``AND`` / ``OR`` / ``ANDNOT`` with parentheses. ``min_interval`` enforces arXiv's
one request every few seconds: a request sooner than that is answered 503 + Retry-After.

Use in tests::

    async with ArxivStub() as arxiv:                 # index: tests/fixtures/arxiv_index.json
        arxiv.fail_next(2, status=503, retry_after=1)  # then answers normally
        arxiv.delay = 0.5                              # slow answers
        arxiv.url                                      # …/api/query for [arxiv] api_url
        arxiv.requests                                 # [(monotonic time, params, UA)]

Standalone: ``python -m tests.servers.arxiv --port 8001 [--index FILE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from jobs.clients.arxiv_query import evaluate, has_phrase, submitted_within
from tests.servers import start_app

INDEX = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv_index.json"

_NEW_ID = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_ID = re.compile(r"^[a-z\-]+(\.[A-Z]{2})?/\d{7}$")
_VERSION = re.compile(r"v(\d+)$")


@functools.lru_cache(maxsize=65536)  # titles are re-read by every query (big indexes: bench/backfill.py)
def _norm_words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return tuple("".join(c if c.isalnum() else " " for c in text).split())


def _term(paper: dict[str, Any], term: str) -> bool:
    if term.startswith("submittedDate:"):
        return submitted_within(term, paper.get("published", ""))
    field, _, value = term.partition(":")
    words = _norm_words(value.strip('"'))
    fields = {"ti": [paper["title"]], "au": list(paper.get("authors", [])),
              "abs": [paper.get("abstract", "")]}
    texts = fields.get(field) or [paper["title"], paper.get("abstract", ""), *paper.get("authors", [])]
    return any(has_phrase(_norm_words(t), words) for t in texts)


def matches(paper: dict[str, Any], query: str) -> bool:
    """Whether ``paper`` satisfies ``query``, in arXiv's grammar (``jobs.clients.arxiv_query``:
    a malformed query raises its ``QuerySyntaxError``, a ``ValueError``)."""
    return evaluate(query, functools.partial(_term, paper))


def _wrap(title: str) -> str:
    """arXiv wraps long titles: newline + two spaces."""
    if len(title) <= 60:
        return title
    cut = title.rfind(" ", 0, 60)
    return title if cut <= 0 else title[:cut] + "\n  " + title[cut + 1 :]


def entry_xml(paper: dict[str, Any], version: int | None = None) -> str:
    versions = paper.get("versions") or (1 if paper.get("updated") == paper.get("published")
                                         else 2)
    v = version or versions
    cats = list(paper.get("categories") or ["cs.LG"])
    abs_url = f"http://arxiv.org/abs/{paper['id']}v{v}"
    authors = "".join(f"\n    <author>\n      <name>{escape(a)}</name>\n    </author>"
                      for a in paper.get("authors", []))
    categories = "".join(
        f'\n    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
        for c in cats)
    return f"""  <entry>
    <id>{abs_url}</id>
    <updated>{paper.get('updated', '')}</updated>
    <published>{paper.get('published', '')}</published>
    <title>{escape(_wrap(paper['title']))}</title>
    <summary>  {escape(paper.get('abstract', ''))}
</summary>{authors}
    <link href="{abs_url}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{paper['id']}v{v}" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term={quoteattr(cats[0])} scheme="http://arxiv.org/schemas/atom"/>{categories}
  </entry>
"""


def feed_xml(query_desc: str, total: int, start: int, entries: list[str]) -> str:
    q = escape(query_desc)
    href = escape(quote(query_desc, safe="=&"))
    os_ns = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f'  <link href="http://arxiv.org/api/query?{href}" rel="self" '
            f'type="application/atom+xml"/>\n'
            f'  <title type="html">ArXiv Query: {q}</title>\n'
            f"  <id>http://arxiv.org/api/stub</id>\n"
            f"  <updated>2024-06-01T00:00:00-04:00</updated>\n"
            f"  <opensearch:totalResults {os_ns}>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex {os_ns}>{start}</opensearch:startIndex>\n"
            f"  <opensearch:itemsPerPage {os_ns}>{len(entries)}</opensearch:itemsPerPage>\n"
            + "".join(entries) + "</feed>\n")


def error_xml(code: str, message: str) -> str:
    entry = (f"  <entry>\n    <id>http://arxiv.org/api/errors#{escape(code)}</id>\n"
             f"    <title>Error</title>\n    <summary>{escape(message)}</summary>\n"
             f"    <updated>2024-06-01T00:00:00-04:00</updated>\n"
             f"    <link href=\"http://arxiv.org/api/errors#{escape(code)}\" rel=\"alternate\" "
             f"type=\"text/html\"/>\n    <author>\n      <name>arXiv api core</name>\n"
             f"    </author>\n  </entry>\n")
    return feed_xml("error", 1, 0, [entry])


@dataclass
class _Failure:
    times: int
    status: int
    retry_after: str | None


class ArxivStub:
    def __init__(self, papers: list[dict[str, Any]] | None = None, *, host: str = "127.0.0.1",
                 port: int = 0):
        if papers is None:
            papers = json.loads(INDEX.read_text(encoding="utf-8"))
        self.papers = {p["id"]: p for p in papers}
        self.host = host
        self.port = port
        self.delay = 0.0
        self.min_interval = 0.0  # > 0: a request sooner than this after the last one gets 503
        self.too_fast = 0
        self._last_served: float | None = None
        self.requests: list[tuple[float, dict[str, str], str]] = []
        self._failure: _Failure | None = None
        self._runner: web.AppRunner | None = None

    # -- control -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/api/query"

    def fail_next(self, times: int, *, status: int = 503, retry_after: float | str | None = None
                  ) -> None:
        self._failure = _Failure(times, status, None if retry_after is None else str(retry_after))

    @property
    def id_queries(self) -> list[str]:
        return [p["id_list"] for _t, p, _ua in self.requests if p.get("id_list")]

    @property
    def search_queries(self) -> list[str]:
        return [p["search_query"] for _t, p, _ua in self.requests if p.get("search_query")]

    # -- serving -----------------------------------------------------------------
    def answer(self, params: dict[str, str]) -> tuple[int, str]:
        """(status, Atom body) for the query ``params``."""
        start = int(params.get("start", "0") or 0)
        max_results = int(params.get("max_results", "10") or 10)
        id_list = [i.strip() for i in params.get("id_list", "").split(",") if i.strip()]
        search = params.get("search_query", "").strip()
        desc = "&".join(f"{k}={v}" for k, v in params.items())
        found: list[tuple[dict[str, Any], int | None]] = []
        if id_list:
            for raw in id_list:
                version_m = _VERSION.search(raw)
                bare = raw[: version_m.start()] if version_m else raw
                if not (_NEW_ID.match(bare) or _OLD_ID.match(bare)):
                    return 400, error_xml(f"incorrect_id_format_for_{raw}",
                                          f"incorrect id format for {raw}")
                paper = self.papers.get(bare)
                if paper is not None and (not search or matches(paper, search)):
                    found.append((paper, int(version_m.group(1)) if version_m else None))
        elif search:
            try:
                found = [(p, None) for p in self.papers.values() if matches(p, search)]
            except ValueError as exc:
                return 400, error_xml("malformed_query", f"malformed query: {exc}")
        else:
            return 400, error_xml("missing_query", "a search_query or id_list is required")
        page = found[start : start + max_results]
        return 200, feed_xml(desc, len(found), start,
                             [entry_xml(p, v) for p, v in page])

    async def _handle(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        now = time.monotonic()
        if self.min_interval and self._last_served is not None \
                and now - self._last_served < self.min_interval:
            # too fast: arXiv's API answers 503 with Retry-After (the request is not served)
            self.too_fast += 1
            return web.Response(status=503, text="Rate exceeded",
                                headers={"Retry-After": f"{self.min_interval:g}"})
        self._last_served = now
        self.requests.append((now, params, request.headers.get("User-Agent", "")))
        if self.delay:
            await asyncio.sleep(self.delay)
        failure = self._failure
        if failure is not None and failure.times > 0:
            failure.times -= 1
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return web.Response(status=failure.status, text="Service Unavailable",
                                headers=headers)
        status, body = self.answer(params)
        return web.Response(status=status, body=body.encode("utf-8"),
                            content_type="application/atom+xml", charset="utf-8")

    async def __aenter__(self) -> ArxivStub:
        app = web.Application()
        app.router.add_get("/api/query", self._handle)
        self._runner, self.port = await start_app(app, self.host, self.port)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _serve(args: argparse.Namespace) -> None:
    papers = json.loads(Path(args.index).read_text(encoding="utf-8"))
    async with ArxivStub(papers, port=args.port) as stub:
        print(f"arXiv API stub ({len(papers)} papers) on {stub.url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--index", default=str(INDEX))
    asyncio.run(_serve(parser.parse_args()))
