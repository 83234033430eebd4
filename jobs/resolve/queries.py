"""Which arXiv searches to run for an entry's title candidates, and how to batch them.
Pure: strings in, query plans out.

Per entry, at most :data:`MAX_QUERIES` searches, in the order of its ranked candidates:

* ``phrase`` — ``ti:"<candidate>"`` for a candidate of three words or more (an English
  title); many entries' phrases share one request (``ti:"A" OR ti:"B" OR …``);
* ``name`` — ``ti:"<name>"`` for a short distinctive name ("Mamba", "Phi-3"), limited to
  papers submitted before the post (``submittedDate:[… TO <post date>]``);
* ``abs`` — ``abs:"<name>"`` in the same window, the last resort (after every title
  search): the hits are judged against every candidate, so a paper is only taken when one
  of them names it.

Each single search (one candidate, one window) is the unit that is cached and shared across
posts: the results of a combined request are split back per search (:func:`belongs`), unless
the request was cut at ``max_results`` (then the searches it held are run again alone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jobs.resolve.titles import distinctive, normalize_title

MAX_QUERIES = 3
MAX_TERMS = 10  # searches per combined request
MAX_CHARS = 900  # of a combined search_query (arXiv answers long URLs with 414/400)
NAME_WINDOW_YEARS = 3  # a short name is searched among papers submitted this long before the post


@dataclass(frozen=True)
class Search:
    kind: str  # "phrase" | "name" | "abs"
    candidate: str
    term: str  # the search_query term, e.g. 'ti:"mamba"' (with its date window)

    @property
    def key(self) -> str:
        return self.term


def _window(post_date: str | None) -> str:
    """``submittedDate:[from TO to]`` ending the day after the post (arXiv's format)."""
    try:
        end = dt.date.fromisoformat((post_date or "")[:10]) + dt.timedelta(days=1)
    except ValueError:
        end = dt.date.today() + dt.timedelta(days=1)
    start = end.replace(year=end.year - NAME_WINDOW_YEARS)
    return f"submittedDate:[{start:%Y%m%d}0000 TO {end:%Y%m%d}0000]"


def plan(candidates: list[str], *, post_date: str | None) -> list[Search]:
    """Every search worth running for these candidates, in the order to run them."""
    first: list[Search] = []
    last: list[Search] = []
    seen: set[str] = set()
    for cand in candidates:  # in the candidates' rank order
        words = normalize_title(cand).split()
        if not words or not _latin(cand):
            continue  # arXiv titles are English: a Korean heading finds nothing there
        quoted = " ".join(words)
        if len(words) >= 3:
            s = Search("phrase", cand, f'ti:"{quoted}"')
        elif distinctive(cand):
            s = Search("name", cand, f'(ti:"{quoted}" AND {_window(post_date)})')
            abs_s = Search("abs", cand, f'(abs:"{quoted}" AND {_window(post_date)})')
            if abs_s.key not in seen:
                seen.add(abs_s.key)
                last.append(abs_s)
        else:
            continue
        if s.key not in seen:
            seen.add(s.key)
            first.append(s)
    return first + last


def next_searches(candidates: list[str], *, post_date: str | None, done: set[str],
                  spent: int) -> list[Search]:
    """The searches still to run for an entry that has run ``done`` (keys) and spent
    ``spent`` of its :data:`MAX_QUERIES`."""
    left = MAX_QUERIES - spent
    if left <= 0:
        return []
    return [s for s in plan(candidates, post_date=post_date) if s.key not in done][:left]


def combine(searches: list[Search]) -> list[list[Search]]:
    """Group searches into combined requests (phrases together; names and abstract searches
    together), at most :data:`MAX_TERMS` terms and :data:`MAX_CHARS` characters each."""
    groups: list[list[Search]] = []
    for kinds in (("phrase",), ("name", "abs")):
        current: list[Search] = []
        size = 0
        for s in searches:
            if s.kind not in kinds:
                continue
            if current and (len(current) >= MAX_TERMS or size + len(s.term) + 4 > MAX_CHARS):
                groups.append(current)
                current, size = [], 0
            current.append(s)
            size += len(s.term) + 4
        if current:
            groups.append(current)
    return groups


def search_query(group: list[Search]) -> str:
    return " OR ".join(s.term for s in group)


def belongs(search: Search, title: str, abstract: str = "") -> bool:
    """Whether a hit of a combined request answers this search (the phrase's words appear
    in order in the title — or the abstract, for ``abs`` searches)."""
    phrase = normalize_title(search.candidate).split()
    text = normalize_title(abstract if search.kind == "abs" else title).split()
    n = len(phrase)
    return any(_same(text[i:i + n], phrase) for i in range(len(text) - n + 1))


def _same(a: list[str], b: list[str]) -> bool:
    return all(x == y or x.rstrip("s") == y.rstrip("s") for x, y in zip(a, b, strict=True))


def _latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) >= 0.8 * len(letters)
