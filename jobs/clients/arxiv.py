"""arXiv API client (metadata by ID, search by title) and the pure title-matching rules.

The client is synchronous (``httpx.Client``, passed in or built by the caller with
:func:`build_http_client`; nothing is created at import). It follows arXiv's API
etiquette: at most one request every ``min_interval_seconds`` (3 s on the real API),
a descriptive User-Agent, retries with exponential backoff on 503/5xx/429 and
timeouts (honouring ``Retry-After``), a timeout per request. A connection that cannot
be made at all (DNS, refused) fails at once: the next run tries again.

Exceptions, grouped by what the caller does next:

* :class:`ArxivUnavailable`: the API is down, slow or rate-limiting us even after the
  retries. Keep the work pending and try again on the next run.
* :class:`ArxivQueryError`: arXiv rejected *this* query (HTTP 4xx or an Atom error
  entry). Retrying the same query will not help: record a miss and move on.

Both derive from :class:`ArxivError`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

log = logging.getLogger("jobs.arxiv")

MAX_RETRY_AFTER_SECONDS = 120.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ArxivError(Exception):
    """Any failure talking to the arXiv API."""


class ArxivUnavailable(ArxivError):
    """Transient: API down / overloaded / timing out after retries. Retry on a later run."""


class ArxivQueryError(ArxivError):
    """Permanent for this query: arXiv answered 4xx or an Atom error entry."""


@dataclass(frozen=True)
class ArxivPaper:
    """One arXiv entry's metadata."""

    arxiv_id: str  # versionless
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    categories: tuple[str, ...] = ()  # primary category first
    published: str | None = None  # first version
    updated: str | None = None  # latest version
    version: int | None = None


# ---------------------------------------------------------------------------------
# Atom parsing (pure)

_ABS_ID = re.compile(r"arxiv\.org/abs/(.+?)(?:v(\d+))?$")


def _text(el: Any) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def parse_feed(body: bytes) -> tuple[int, list[ArxivPaper]]:
    """arXiv Atom → (opensearch:totalResults, entries). Raises ArxivQueryError for an
    error entry, ArxivUnavailable for a body that is not an Atom feed (a proxy's HTML)."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False,
                                                              no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ArxivUnavailable(f"arXiv answered something that is not XML: {exc}") from exc
    if root.tag != f"{ATOM}feed":
        raise ArxivUnavailable(f"arXiv answered a {root.tag!r} document, not an Atom feed")
    total_el = root.find(f"{OPENSEARCH}totalResults")
    papers: list[ArxivPaper] = []
    for entry in root.iterfind(f"{ATOM}entry"):
        raw_id = _text(entry.find(f"{ATOM}id"))
        if "/api/errors" in raw_id:
            raise ArxivQueryError(_text(entry.find(f"{ATOM}summary")) or raw_id)
        match = _ABS_ID.search(raw_id)
        title = _text(entry.find(f"{ATOM}title"))
        if not match or not title:  # arXiv's placeholder entry for an unknown ID
            continue
        primary = entry.find(f"{ARXIV}primary_category")
        cats = [primary.get("term")] if primary is not None and primary.get("term") else []
        for cat in entry.iterfind(f"{ATOM}category"):
            term = cat.get("term")
            if term and term not in cats:
                cats.append(term)
        papers.append(ArxivPaper(
            arxiv_id=match.group(1),
            version=int(match.group(2)) if match.group(2) else None,
            title=title,
            authors=tuple(_text(a.find(f"{ATOM}name")) for a in entry.iterfind(f"{ATOM}author")),
            abstract=_text(entry.find(f"{ATOM}summary")),
            categories=tuple(cats),
            published=_text(entry.find(f"{ATOM}published")) or None,
            updated=_text(entry.find(f"{ATOM}updated")) or None,
        ))
    total = int(_text(total_el)) if total_el is not None and _text(total_el).isdigit() else len(papers)
    return total, papers


# ---------------------------------------------------------------------------------
# The client

def build_http_client(*, user_agent: str, timeout_seconds: float) -> httpx.Client:
    """The HTTP client for :class:`ArxivClient` (the caller owns and closes it)."""
    return httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_seconds,
                        follow_redirects=True)


class ArxivClient:
    """Talks to ``api_url`` (arXiv's ``/api/query``) through ``http``, politely."""

    def __init__(self, http: httpx.Client | None, *, api_url: str, min_interval_seconds: float = 3.0,
                 max_retries: int = 4, batch_size: int = 100,
                 backoff_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.http = http
        self.api_url = api_url
        self.min_interval = max(0.0, min_interval_seconds)
        self.max_retries = max(0, max_retries)
        self.batch_size = max(1, min(batch_size, 100))
        # first retry waits this long, doubling each time (at least the polite interval)
        self.backoff = backoff_seconds if backoff_seconds is not None else max(
            self.min_interval, 0.05)
        self._clock = clock
        self._sleep = sleep
        self._last_request: float | None = None
        self.requests = 0  # requests sent, retries included

    @classmethod
    def from_config(cls, arxiv: Any, *, user_agent: str, **kwargs: Any) -> ArxivClient:
        """Build from the ``[arxiv]`` section; ``user_agent`` is ``[crawl] user_agent``.
        A ``file:`` ``api_url`` gives an offline :class:`~jobs.clients.arxiv_snapshot.ArxivSnapshot`."""
        from jobs.clients.arxiv_snapshot import ArxivSnapshot, snapshot_path

        path = snapshot_path(arxiv.api_url)
        if path is not None:
            return ArxivSnapshot(path, batch_size=arxiv.batch_size, **kwargs)
        http = build_http_client(user_agent=user_agent, timeout_seconds=arxiv.timeout_seconds)
        return cls(http, api_url=arxiv.api_url, min_interval_seconds=arxiv.min_interval_seconds,
                   max_retries=arxiv.max_retries, batch_size=arxiv.batch_size, **kwargs)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------
    def _pause_before_next(self) -> float:
        """Seconds to wait before the next request (the polite interval)."""
        if self._last_request is None:
            return 0.0
        return max(0.0, self._last_request + self.min_interval - self._clock())

    def _wait_turn(self, pause: float) -> None:
        if pause > 0:
            self._sleep(pause)
        self._last_request = self._clock()

    def _get(self, params: dict[str, Any]) -> bytes:
        attempt = 0
        what = _describe_query(params)
        while True:
            pause = self._pause_before_next()
            # Say what we wait for before waiting: a silent minute looks like a hang.
            log.info("arXiv API: %s (%sanswer within %.0f s; attempt %d of %d)", what,
                     f"after the {pause:.1f} s pause between requests, " if pause >= 0.1 else "",
                     _timeout_seconds(self.http), attempt + 1, self.max_retries + 1)
            self._wait_turn(pause)
            self.requests += 1
            retry_after: float | None = None
            try:
                try:
                    response = self.http.get(self.api_url, params=params)
                finally:
                    # the interval runs from the answer, not the request: a request that
                    # travelled faster than the one before must not arrive too soon
                    self._last_request = self._clock()
            except httpx.ConnectError as exc:
                # no route / DNS failure / refused: the service or our network is down,
                # not overloaded; backing off for a minute would not help: next run.
                raise ArxivUnavailable(f"cannot reach the arXiv API: {exc}") from exc
            except httpx.TransportError as exc:  # timeouts, resets mid-answer
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return response.content
                if response.status_code not in RETRY_STATUSES:
                    detail = ""
                    try:
                        parse_feed(response.content)
                    except ArxivQueryError as exc:
                        detail = f": {exc}"
                    except ArxivError:
                        pass
                    raise ArxivQueryError(f"arXiv answered HTTP {response.status_code}{detail}")
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                raise ArxivUnavailable(f"arXiv API unavailable after {attempt + 1} "
                                       f"attempt(s): {problem}")
            delay = self.backoff * (2 ** attempt)
            if retry_after is not None:
                if retry_after > MAX_RETRY_AFTER_SECONDS:
                    raise ArxivUnavailable(f"arXiv asks to come back in {retry_after:.0f} s")
                delay = max(delay, retry_after)
            log.info("arXiv API: %s for %s; retrying in %.0f s", problem, what, delay)
            attempt += 1
            self._sleep(delay)

    def query(self, *, search_query: str | None = None, id_list: Sequence[str] = (),
              max_results: int = 10) -> list[ArxivPaper]:
        params: dict[str, Any] = {"start": 0, "max_results": max_results}
        if search_query:
            params["search_query"] = search_query
        if id_list:
            params["id_list"] = ",".join(id_list)
        _total, papers = parse_feed(self._get(params))
        return papers

    def search(self, search_query: str, *, max_results: int = 100) -> tuple[int, list[ArxivPaper]]:
        """(total matches, the first ``max_results`` of them) for a ``search_query``."""
        return parse_feed(self._get({"search_query": search_query, "start": 0,
                                     "max_results": max_results}))

    def fetch(self, ids: Iterable[str]) -> dict[str, ArxivPaper]:
        """Metadata for ``ids`` (versionless), ``batch_size`` (≤ 100) per request.
        IDs arXiv does not know are absent from the result."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, ArxivPaper] = {}
        for i in range(0, len(wanted), self.batch_size):
            chunk = wanted[i : i + self.batch_size]
            for paper in self.query(id_list=chunk, max_results=len(chunk)):
                found[paper.arxiv_id] = paper
        return found


def _describe_query(params: dict[str, Any]) -> str:
    ids = [i for i in str(params.get("id_list") or "").split(",") if i]
    if ids:
        return f"metadata of {len(ids)} paper{'s' if len(ids) != 1 else ''}"
    return f"search {params.get('search_query')!s}"


def _timeout_seconds(http: httpx.Client | None) -> float:
    timeout = getattr(http, "timeout", None)
    return float(getattr(timeout, "read", None) or 0.0)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


