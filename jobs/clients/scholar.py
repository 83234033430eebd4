"""Fallback title indexes: Semantic Scholar and OpenAlex, asked for the arXiv ID of a title
when arXiv's own search finds nothing acceptable. Their answer is only a proposal: the ID
is then fetched from arXiv and judged like any hit (jobs.resolve.queue).

* Semantic Scholar ``GET {base_url}/paper/search/match?query=<title>&fields=…`` → ``{"data":
  [{"paperId", "title", "matchScore", "externalIds": {"ArXiv": "2312.00752", …}}]}``; 404
  ``{"error": "Title match not found"}`` when nothing matches; 429 when rate-limited.
  An API key (``SEMANTIC_SCHOLAR_API_KEY``) goes in the ``x-api-key`` header.
* OpenAlex ``GET {base_url}/works?search=<title>&per-page=5&select=…`` → ``{"results":
  [{"title", "ids": {"doi": …}, "locations": [{"landing_page_url": "https://arxiv.org/abs/…"}]}]}``;
  arXiv works carry the DataCite DOI ``10.48550/arXiv.<id>`` or an arxiv.org landing page.

Both pace themselves (``min_interval_seconds``), honour ``Retry-After`` once, and raise
:class:`IndexUnavailable` for anything that a later run may fix. The HTTP client is passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from crawler.arxiv_ids import parse_arxiv_id

MAX_RETRY_AFTER = 30.0


class IndexUnavailable(Exception):
    """The index is down, rate-limiting or answering nonsense: try on a later run."""


class _Index:
    name = ""

    def __init__(self, http: httpx.Client, *, base_url: str, min_interval_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval_seconds
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None
        self.requests = 0

    def _get(self, path: str, params: dict[str, Any], *, not_found_ok: bool = False) -> Any:
        for attempt in range(2):
            if self._last is not None:
                wait = self._last + self.min_interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last = self._clock()
            self.requests += 1
            try:
                r = self.http.get(f"{self.base_url}{path}", params=params)
            except httpx.HTTPError as exc:
                raise IndexUnavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
            if r.status_code == 404 and not_found_ok:
                return None
            if r.status_code in (429, 500, 502, 503, 504) and attempt == 0:
                retry = _seconds(r.headers.get("Retry-After"))
                if retry is not None and retry <= MAX_RETRY_AFTER:
                    self._sleep(retry)
                    continue
            if r.status_code != 200:
                raise IndexUnavailable(f"{self.name}: HTTP {r.status_code}")
            try:
                return r.json()
            except ValueError as exc:
                raise IndexUnavailable(f"{self.name}: not JSON: {exc}") from exc
        raise IndexUnavailable(f"{self.name}: still rate-limited")  # pragma: no cover


class SemanticScholar(_Index):
    name = "semantic_scholar"

    def __init__(self, http: httpx.Client, *, base_url: str, api_key: str | None = None, **kw: Any):
        super().__init__(http, base_url=base_url, **kw)
        if api_key:
            http.headers["x-api-key"] = api_key

    def arxiv_ids(self, title: str) -> list[str]:
        data = self._get("/paper/search/match", {"query": title, "fields": "title,externalIds"},
                         not_found_ok=True)
        out = []
        for paper in (data or {}).get("data") or []:
            ident = parse_arxiv_id(((paper.get("externalIds") or {}).get("ArXiv")) or "")
            if ident and ident not in out:
                out.append(ident)
        return out


class OpenAlex(_Index):
    name = "openalex"

    def __init__(self, http: httpx.Client, *, base_url: str, mailto: str = "", **kw: Any):
        super().__init__(http, base_url=base_url, **kw)
        self.mailto = mailto

    def arxiv_ids(self, title: str) -> list[str]:
        params = {"search": title, "per-page": 5, "select": "id,title,ids,doi,locations"}
        if self.mailto:
            params["mailto"] = self.mailto
        data = self._get("/works", params)
        out = []
        for work in (data or {}).get("results") or []:
            urls = [work.get("doi") or "", (work.get("ids") or {}).get("doi") or ""]
            urls += [loc.get("landing_page_url") or "" for loc in work.get("locations") or []]
            ident = next((i for i in (parse_arxiv_id(u) for u in urls if u) if i), None)
            if ident and ident not in out:
                out.append(ident)
        return out


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def build_fallbacks(resolve: Any, *, user_agent: str, env: dict[str, str]) -> list[_Index]:
    """The configured fallback indexes (``[resolve] fallbacks``), in order."""
    out: list[_Index] = []
    for name in getattr(resolve, "fallbacks", []) or []:
        cfg = getattr(resolve, name)
        http = httpx.Client(headers={"User-Agent": user_agent}, timeout=cfg.timeout_seconds,
                            follow_redirects=True)
        if name == "semantic_scholar":
            out.append(SemanticScholar(http, base_url=cfg.base_url, min_interval_seconds=cfg.min_interval_seconds,
                                       api_key=env.get("SEMANTIC_SCHOLAR_API_KEY")))
        elif name == "openalex":
            out.append(OpenAlex(http, base_url=cfg.base_url, min_interval_seconds=cfg.min_interval_seconds,
                                mailto=cfg.mailto))
    return out
