"""arXiv metadata from a file instead of the API: ``[arxiv] api_url = "file:arxiv.xml"``.

The file is an Atom feed in the arXiv API's own format (what
``https://export.arxiv.org/api/query?id_list=…`` returns; several such answers can be
merged by concatenating their ``<entry>`` elements). :class:`ArxivSnapshot` answers the
queries paperbot sends, ``id_list`` and ``search_query`` (``ti:``, ``au:``, ``abs:``,
``all:`` terms, a word or a ``"phrase"``, and ``submittedDate:[… TO …]``, joined by
``AND`` / ``OR`` / ``ANDNOT`` with parentheses; words matched normalized, as arXiv does),
with no network at all. For the offline demo (``make demo``) and for a
machine that cannot reach arXiv; a paper missing from the file is simply not found.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from jobs.clients.arxiv import (
    _ABS_ID,
    ATOM,
    OPENSEARCH,
    ArxivClient,
    ArxivQueryError,
    ArxivUnavailable,
)
from jobs.clients.arxiv_query import QuerySyntaxError, evaluate, has_phrase, submitted_within
from jobs.resolve.titles import normalize_title

log = logging.getLogger("jobs.arxiv")

_VERSION = re.compile(r"v\d+$")
_NSMAP = {None: ATOM[1:-1], "opensearch": OPENSEARCH[1:-1],
          "arxiv": "http://arxiv.org/schemas/atom"}


def snapshot_path(api_url: str) -> Path | None:
    """The file of a ``file:`` ``api_url``; None for an http(s) API."""
    parts = urlsplit(api_url)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def _words(text: str) -> list[str]:
    return normalize_title(text).split()


def _fields(entry: Any) -> dict[str, list[str]]:
    def texts(path: str) -> list[str]:
        return [" ".join(el.itertext()) for el in entry.iterfind(path)]

    title, abstract = texts(f"{ATOM}title"), texts(f"{ATOM}summary")
    authors = texts(f"{ATOM}author/{ATOM}name")
    return {"ti": title, "abs": abstract, "au": authors, "all": title + abstract + authors}


def _term(entry: Any, term: str) -> bool:
    if term.startswith("submittedDate:"):
        return submitted_within(term, entry.findtext(f"{ATOM}published") or "")
    field, _, value = term.partition(":")
    needle = _words(value.strip('"'))
    return any(has_phrase(_words(text), needle) for text in _fields(entry)[field])


def matches(entry: Any, query: str) -> bool:
    """Whether ``entry`` satisfies ``query`` (arXiv's grammar: :mod:`.arxiv_query`)."""
    try:
        return evaluate(query, lambda term: _term(entry, term))
    except QuerySyntaxError as exc:
        raise ArxivQueryError(f"the arXiv snapshot cannot parse {query!r}: {exc}") from exc


def entry_id(entry: Any) -> str | None:
    match = _ABS_ID.search(" ".join((entry.findtext(f"{ATOM}id") or "").split()))
    return match.group(1) if match else None


def answer(entries: list[Any], params: dict[str, Any]) -> bytes:
    """The Atom feed the API would return for ``params`` over ``entries``."""
    wanted = [_VERSION.sub("", i.strip()) for i in str(params.get("id_list") or "").split(",")
              if i.strip()]
    search = str(params.get("search_query") or "").strip()
    if wanted:
        by_id = {entry_id(e): e for e in entries}
        found = [by_id[i] for i in wanted if i in by_id]
        found = [e for e in found if not search or matches(e, search)]
    else:
        found = [e for e in entries if search and matches(e, search)]
    start = int(params.get("start") or 0)
    page = found[start : start + int(params.get("max_results") or 10)]
    feed = etree.Element(f"{ATOM}feed", nsmap=_NSMAP)
    etree.SubElement(feed, f"{ATOM}title").text = f"arXiv snapshot: {params}"
    etree.SubElement(feed, f"{OPENSEARCH}totalResults").text = str(len(found))
    etree.SubElement(feed, f"{OPENSEARCH}startIndex").text = str(start)
    etree.SubElement(feed, f"{OPENSEARCH}itemsPerPage").text = str(len(page))
    feed.extend(copy.deepcopy(e) for e in page)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")


class ArxivSnapshot(ArxivClient):
    """An :class:`ArxivClient` whose requests are answered from ``path``: the same
    fetch / search / title matching, no HTTP, no pause between requests."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(None, api_url=path.as_uri(), min_interval_seconds=0.0, max_retries=0,
                         **kwargs)
        self.path = path
        self.problem: str | None = None
        self.entries: list[Any] = []
        try:
            root = etree.parse(str(path), etree.XMLParser(resolve_entities=False,
                                                          no_network=True))
            self.entries = list(root.getroot().iterfind(f"{ATOM}entry"))
        except (OSError, etree.XMLSyntaxError) as exc:
            # like an API that is down: extraction keeps its work for a later run
            self.problem = f"cannot read the arXiv snapshot {path}: {exc}"
            log.error("%s", self.problem)
        else:
            log.info("arXiv: answering from the snapshot %s (%d papers; no network)", path,
                     len(self.entries))

    def _get(self, params: dict[str, Any]) -> bytes:
        self.requests += 1
        if self.problem:
            raise ArxivUnavailable(self.problem)
        return answer(self.entries, params)

    def close(self) -> None:
        pass
