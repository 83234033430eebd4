"""arXiv's ``search_query`` grammar (pure): terms — ``ti:``, ``au:``, ``abs:``, ``all:``
with a word or a quoted phrase, ``submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]`` — joined
by AND / OR / ANDNOT with parentheses, AND binding tighter than OR (arXiv's Lucene).

Whoever answers queries without arXiv — the offline snapshot of ``make demo``, the local
arXiv server of the tests — evaluates the same grammar here and says only what one term
means for its own records."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache


class QuerySyntaxError(ValueError):
    """The query is not in arXiv's grammar (arXiv answers such a query with an error)."""


_TOKEN = re.compile(r'\(|\)|ANDNOT\b|AND\b|OR\b|submittedDate:\[\d+\s+TO\s+\d+\]'
                    r'|(?:ti|au|abs|all):(?:"[^"]*"|[^\s()]+)')
_OPERATORS = (")", "AND", "OR", "ANDNOT")


@lru_cache(maxsize=1024)  # one query is matched against every record of an index
def tokens(query: str) -> tuple[str, ...]:
    out, pos = [], 0
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(query, pos)
        if not m:
            raise QuerySyntaxError(f"cannot parse {query[pos:pos + 30]!r}")
        out.append(m.group(0))
        pos = m.end()
    return tuple(out)


def evaluate(query: str, term: Callable[[str], bool]) -> bool:
    """Whether a record satisfies ``query``, ``term(token)`` saying whether it satisfies
    one term (``'ti:"state space"'``, ``'submittedDate:[202301010000 TO 202312312359]'``)."""
    toks, pos = tokens(query), 0

    def disjunction() -> bool:
        nonlocal pos
        value = conjunction()
        while pos < len(toks) and toks[pos] == "OR":
            pos += 1
            value = conjunction() or value
        return value

    def conjunction() -> bool:
        nonlocal pos
        value = atom()
        while pos < len(toks) and toks[pos] in ("AND", "ANDNOT"):
            op = toks[pos]
            pos += 1
            right = atom()
            value = value and (right if op == "AND" else not right)
        return value

    def atom() -> bool:
        nonlocal pos
        if pos >= len(toks):
            raise QuerySyntaxError(f"{query!r} ends early")
        tok = toks[pos]
        if tok in _OPERATORS:
            raise QuerySyntaxError(f"unexpected {tok} in {query!r}")
        pos += 1
        if tok != "(":
            return term(tok)
        value = disjunction()
        if pos >= len(toks) or toks[pos] != ")":
            raise QuerySyntaxError(f"unbalanced parentheses in {query!r}")
        pos += 1
        return value

    value = disjunction()
    if pos != len(toks):
        raise QuerySyntaxError(f"unexpected {toks[pos]} in {query!r}")
    return value


def submitted_within(term: str, published: str) -> bool:
    """A ``submittedDate:[FROM TO TO]`` term against a record's ``published`` timestamp."""
    low, high = re.findall(r"\d+", term)
    moment = re.sub(r"\D", "", published)[:12].ljust(12, "0")
    return low.ljust(12, "0") <= moment <= high.ljust(12, "0")


def has_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """``phrase`` as consecutive words of ``words`` (a quoted term; one word for a bare one)."""
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))
