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

import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree
from rapidfuzz import fuzz

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

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


def title_query(title: str, *, phrase: bool = True) -> str:
    """``ti:"exact words"`` (phrase) or ``ti:w1 AND ti:w2 …`` (every significant word)."""
    words = normalize_title(title).split()
    if phrase:
        return 'ti:"' + " ".join(words) + '"'
    significant = [w for w in words if len(w) > 2 and w not in _STOPWORDS] or words
    significant = sorted(set(significant), key=lambda w: (-len(w), w))[:8]
    return " AND ".join(f"ti:{w}" for w in significant)


# ---------------------------------------------------------------------------------
# The client

def build_http_client(*, user_agent: str, timeout_seconds: float) -> httpx.Client:
    """The HTTP client for :class:`ArxivClient` (the caller owns and closes it)."""
    return httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_seconds,
                        follow_redirects=True)


class ArxivClient:
    """Talks to ``api_url`` (arXiv's ``/api/query``) through ``http``, politely."""

    def __init__(self, http: httpx.Client, *, api_url: str, min_interval_seconds: float = 3.0,
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
        """Build from the ``[arxiv]`` section; ``user_agent`` is ``[crawl] user_agent``."""
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
    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _get(self, params: dict[str, Any]) -> bytes:
        attempt = 0
        while True:
            self._wait_turn()
            self.requests += 1
            retry_after: float | None = None
            try:
                response = self.http.get(self.api_url, params=params)
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

    def search_title(self, title: str, *, max_results: int = 10) -> list[ArxivPaper]:
        """Every candidate of :func:`title_queries` (one request each)."""
        seen: dict[str, ArxivPaper] = {}
        for q in title_queries(title):
            for paper in self.query(search_query=q, max_results=max_results):
                seen.setdefault(paper.arxiv_id, paper)
        return list(seen.values())


def title_queries(title: str) -> list[str]:
    """The searches tried for a title, cheapest first: the phrase; the phrase without a
    short "Name:" prefix (blogs add or drop it); every significant word (survives
    punctuation and word-order differences)."""
    queries = [title_query(title)]
    rest = strip_name_prefix(title)
    if rest:
        queries.append(title_query(rest))
    queries.append(title_query(rest or title, phrase=False))
    return [q for q in dict.fromkeys(queries) if q not in ('ti:""', "")]


def resolve_title(client: ArxivClient, title: str, authors: Sequence[str] = (), *,
                  threshold: float = 92.0, max_results: int = 10) -> TitleMatch | None:
    """Search arXiv for ``title`` query by query (:func:`title_queries`), stopping at the
    first confident match (:func:`best_title_match`). None = no confident match.
    Raises ArxivUnavailable / ArxivQueryError."""
    if not normalize_title(title):
        return None
    for q in title_queries(title):
        match = best_title_match(title, authors,
                                 client.query(search_query=q, max_results=max_results),
                                 threshold=threshold)
        if match is not None:
            return match
    return None


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


# ---------------------------------------------------------------------------------
# Title and author matching (pure)

_STOPWORDS = frozenset(["a", "an", "the", "of", "for", "and", "or", "in", "on", "to", "with", "via", "from", "by", "is", "are", "at", "as", "its", "into", "towards", "toward"])
_LATEX = re.compile(r"\\[a-zA-Z]+|[{}$]")


def _fold(text: str) -> str:
    """NFKC + casefold + strip diacritics (Ilić → ilic, Ré → re)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def normalize_title(title: str) -> str:
    """Lower-case, accent-free words: LaTeX markup, punctuation and dash/quote variants
    become spaces (``Self-Rewarding`` → ``self rewarding``), whitespace collapsed."""
    text = _fold(_LATEX.sub(" ", title or ""))
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def title_similarity(a: str, b: str) -> float:
    """0–100: rapidfuzz ``ratio`` (normalized Indel similarity) of the normalized titles."""
    return fuzz.ratio(normalize_title(a), normalize_title(b))


def _word_matches(word: str, others: Sequence[str], joined: str) -> bool:
    if word in others:
        return True
    if word.isdigit() or any(c.isdigit() for c in word):
        return False  # GPT-3 is not GPT-4, V2 is not V3: numbers must match exactly
    if len(word) >= 3 and word in joined:  # "selfrewarding" vs "self rewarding"
        return True
    return len(word) >= 4 and any(len(o) >= 4 and fuzz.ratio(word, o) >= 80 for o in others)


def titles_match(entry_title: str, arxiv_title: str, *, threshold: float = 92.0) -> bool:
    """Whether a blog's ``entry_title`` names the paper titled ``arxiv_title``.

    Two conditions, both on :func:`normalize_title` forms (tried also without a short
    "Name:" prefix when only one of the titles has one, see :func:`strip_name_prefix`):

    1. ``fuzz.ratio`` ≥ ``threshold`` (``[arxiv] title_match_threshold``, default 92).
       Indel similarity 92 allows ~8 % of the characters to differ: for a typical
       50–100 character title that is 4–8 edits, enough for a typo, a dropped colon or
       article, a plural or British spelling, but not for a different subtitle or an
       extra/missing clause. Measured on the stub index (tests/fixtures/arxiv_index.json),
       the confusable pairs of distinct papers score: MusicRL vs MusicRL-2 … at Scale
       90.8, Self-Rewarding Language Models vs … Vision-Language Models 89.6,
       Self-Discover vs Self-Discover v2 89.0, EVA-CLIP-18B vs its v2 82.6, KAN vs
       KAN 2.0 77.9: all below 92, while a typo or lost colon scores 95+. Going lower
       (85) would admit the first three; the titles of the same-name pair (two "LiPO"
       papers) are identical, and only the author check separates them.
    2. Every word of each title has a counterpart in the other: identical, a piece of a
       compound written together (``selfrewarding``), or a ≥ 4-letter word within
       ratio 80 (typo); a word containing a digit must match exactly. An inserted
       "not", "v2", "2.0" or "18B" changes the paper, however high the ratio
       ("Attention Is Not All You Need" scores 92.6 against "Attention Is All You Need").
    """
    pa, pb = strip_name_prefix(entry_title), strip_name_prefix(arxiv_title)
    pairs = [(entry_title, arxiv_title)]
    if pa and not pb:  # "LLaVA-RLHF: Aligning …" (blog) vs "Aligning …" (arXiv)
        pairs.append((pa, arxiv_title))
    if pb and not pa:
        pairs.append((entry_title, pb))
    return any(_titles_match(x, y, threshold) for x, y in pairs)


def strip_name_prefix(title: str) -> str | None:
    """``"KAN: Kolmogorov-Arnold Networks"`` → ``"Kolmogorov-Arnold Networks"``: the part
    after a short (≤ 4 words) name prefix, when the rest has ≥ 3 words; else None."""
    head, sep, rest = (title or "").partition(":")
    if not sep or not (1 <= len(normalize_title(head).split()) <= 4):
        return None
    return rest.strip() if len(normalize_title(rest).split()) >= 3 else None


def _titles_match(entry_title: str, arxiv_title: str, threshold: float) -> bool:
    a, b = normalize_title(entry_title), normalize_title(arxiv_title)
    if not a or not b or fuzz.ratio(a, b) < threshold:
        return False
    wa, wb = a.split(), b.split()
    ja, jb = a.replace(" ", ""), b.replace(" ", "")
    return (all(_word_matches(w, wb, jb) for w in wa)
            and all(_word_matches(w, wa, ja) for w in wb))


def titles_disagree(entry_title: str, arxiv_title: str) -> bool:
    """Whether a linked paper clearly is *not* the entry's paper: the entry title (in
    Latin script) shares little with the arXiv title even as a subset
    (``token_set_ratio`` < 60, so a short name such as "ChatQA" for "ChatQA: Building
    GPT-4 Level …" agrees). Titles in other scripts (translations) never disagree."""
    a, b = normalize_title(entry_title), normalize_title(arxiv_title)
    if not a or not b or not _mostly_latin(a):
        return False
    return fuzz.token_set_ratio(a, b) < 60


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= 0.8


def _name_parts(name: str) -> set[str]:
    """Comparable parts of an author name: accent-free, lower-case, no initials."""
    if "," in name:  # "Yuan, Weizhe" → "Weizhe Yuan"
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    words = normalize_title(name).split()
    return {w for w in words if len(w) > 1 and w.isascii() and w.isalpha()}


def authors_overlap(entry_authors: Sequence[str], paper_authors: Sequence[str]) -> bool | None:
    """Whether the blog's author list agrees with arXiv's. None = cannot tell (no names,
    or names in a script arXiv does not use); True/False otherwise.

    A blog author matches an arXiv author when a surname-like part agrees, ignoring
    diacritics, initials and name order ("J. Weston", "Weston, Jason", "Ilic" vs
    "Ilić"). At least one match is needed, two when the blog lists four or more
    comparable names (common surnames alone must not carry a match)."""
    entry = [p for p in (_name_parts(n) for n in entry_authors if n) if p]
    if not entry or not paper_authors:
        return None
    paper = [_name_parts(n) for n in paper_authors]
    hits = sum(1 for parts in entry if any(parts & other for other in paper))
    return hits >= (2 if len(entry) >= 4 else 1)


@dataclass(frozen=True)
class TitleMatch:
    paper: ArxivPaper
    score: float


def best_title_match(title: str, authors: Sequence[str], candidates: Iterable[ArxivPaper], *,
                     threshold: float = 92.0) -> TitleMatch | None:
    """The candidate the entry names, or None. Accepted only if :func:`titles_match` and
    the authors do not disagree (:func:`authors_overlap` is not False). Among several
    acceptable candidates the highest similarity wins; a tie between two different
    papers is ambiguous and gives None (never guess)."""
    accepted: list[TitleMatch] = []
    for paper in candidates:
        if not titles_match(title, paper.title, threshold=threshold):
            continue
        if authors_overlap(authors, paper.authors) is False:
            continue
        accepted.append(TitleMatch(paper, title_similarity(title, paper.title)))
    if not accepted:
        return None
    accepted.sort(key=lambda m: -m.score)
    if len(accepted) > 1 and accepted[1].score == accepted[0].score and (
            accepted[1].paper.arxiv_id != accepted[0].paper.arxiv_id):
        return None
    return accepted[0]


def lookup_key(title: str, authors: Sequence[str] = ()) -> str:
    """The cache key of a title look-up: the normalized title, plus the blog's author
    surnames when it lists any (the author check is part of the answer)."""
    names = sorted({p for n in authors for p in _name_parts(n)})
    key = normalize_title(title)
    return key + (" | " + " ".join(names) if names else "")
