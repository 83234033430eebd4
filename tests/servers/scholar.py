"""Local Semantic Scholar and OpenAlex title-search APIs on 127.0.0.1, over the same paper
index as the arXiv stub (``[{id, title, authors, published, …}]``).

* ``SemanticScholarStub``: ``GET /graph/v1/paper/search/match?query=…&fields=…`` →
  ``{"data": [{"paperId", "title", "matchScore", "externalIds": {"ArXiv", "DOI",
  "CorpusId"}}]}`` for the best title match (a normalized similarity ≥ 0.85: typos and
  plurals pass, other titles do not), 404 ``{"error": "Title match not found"}`` otherwise;
  a missing ``query`` is 400 ``{"error": "…"}``.
* ``OpenAlexStub``: ``GET /works?search=…&per-page=…&select=…`` → ``{"meta": {"count", …},
  "results": [{"id", "doi", "title", "display_name", "publication_date", "ids",
  "locations": [{"landing_page_url": "https://arxiv.org/abs/…", …}]}]}`` ranked by word
  overlap (papers with an arXiv version carry the DataCite DOI ``10.48550/arxiv.<id>``).

Both count ``requests``, can ``fail_next(n, status=429, retry_after=…)``, and answer 429
with ``Retry-After`` when asked faster than ``min_interval`` (Semantic Scholar's shared pool
allows about one request per second).
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from rapidfuzz import fuzz

from tests.servers import start_app
from tests.servers.arxiv import _norm_words


def _overlap(query: str, title: str) -> float:
    q, t = _norm_words(query), set(_norm_words(title))
    return sum(1 for w in q if w in t) / len(q) if q else 0.0


class _Stub:
    def __init__(self, papers: list[dict[str, Any]], *, host: str = "127.0.0.1"):
        self.papers = papers
        self.host, self.port = host, 0
        self.requests: list[dict[str, str]] = []
        self.min_interval = 0.0
        self._last: float | None = None
        self._fail: list[tuple[int, str | None]] = []
        self._runner: web.AppRunner | None = None

    def fail_next(self, times: int, *, status: int = 429, retry_after: float | None = None) -> None:
        self._fail = [(status, None if retry_after is None else f"{retry_after:g}")] * times

    def _gate(self, request: web.Request) -> web.Response | None:
        self.requests.append(dict(request.query))
        now = time.monotonic()
        if self._fail:
            status, retry = self._fail.pop(0)
            return web.json_response({"message": "Too Many Requests"}, status=status,
                                     headers={"Retry-After": retry} if retry else {})
        if self.min_interval and self._last is not None and now - self._last < self.min_interval:
            return web.json_response({"message": "Too Many Requests"}, status=429,
                                     headers={"Retry-After": f"{self.min_interval:g}"})
        self._last = now
        return None

    async def __aenter__(self):
        app = web.Application()
        self.routes(app)
        self._runner, self.port = await start_app(app, self.host, self.port)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class SemanticScholarStub(_Stub):
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/graph/v1"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/graph/v1/paper/search/match", self._match)

    async def _match(self, request: web.Request) -> web.Response:
        if (gated := self._gate(request)) is not None:
            return gated
        query = request.query.get("query", "")
        if not query.strip():
            return web.json_response({"error": "Missing required parameter: 'query'"}, status=400)
        q = " ".join(_norm_words(query))
        scored = sorted(((fuzz.ratio(q, " ".join(_norm_words(p["title"]))) / 100, p) for p in self.papers),
                        key=lambda sp: -sp[0])
        if not scored or scored[0][0] < 0.85:
            return web.json_response({"error": "Title match not found"}, status=404)
        score, p = scored[0]
        ids = {"ArXiv": p["id"], "DOI": f"10.48550/arXiv.{p['id']}", "CorpusId": abs(hash(p["id"])) % 10**9}
        return web.json_response({"data": [{"paperId": f"s2-{p['id']}", "title": p["title"],
                                             "matchScore": round(100 + 100 * score, 2),
                                             "externalIds": ids}]})


class OpenAlexStub(_Stub):
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/works", self._works)

    async def _works(self, request: web.Request) -> web.Response:
        if (gated := self._gate(request)) is not None:
            return gated
        search = request.query.get("search", "")
        per_page = int(request.query.get("per-page", "25") or 25)
        ranked = sorted(((_overlap(search, p["title"]), p) for p in self.papers), key=lambda sp: -sp[0])
        hits = [p for score, p in ranked if score >= 0.5][:per_page]
        results = [{
            "id": f"https://openalex.org/W{abs(hash(p['id'])) % 10**10}",
            "doi": f"https://doi.org/10.48550/arxiv.{p['id']}",
            "title": p["title"], "display_name": p["title"],
            "publication_date": (p.get("published") or "")[:10],
            "ids": {"openalex": f"https://openalex.org/W{abs(hash(p['id'])) % 10**10}",
                    "doi": f"https://doi.org/10.48550/arxiv.{p['id']}"},
            "locations": [{"is_oa": True, "landing_page_url": f"https://arxiv.org/abs/{p['id']}",
                           "pdf_url": f"https://arxiv.org/pdf/{p['id']}",
                           "source": {"display_name": "arXiv (Cornell University)"}}],
        } for p in hits]
        return web.json_response({"meta": {"count": len(hits), "db_response_time_ms": 3, "page": 1,
                                           "per_page": per_page}, "results": results})
