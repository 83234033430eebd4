"""The resolution step: link-less entries (and linked IDs whose title contradicts their
entry) taken from the ``unresolved`` queue in batches, looked up, decided, written back.

Per batch (a transaction at the end, so a kill loses at most one batch of answers and no
entry is resolved twice):

1. entries with no usable Latin-script candidate ask the model once for the English title
   (``[resolve] use_llm``; the answer is only ever a candidate, never an ID);
2. up to :data:`jobs.resolve.queries.MAX_QUERIES` searches per entry, in rounds: each round
   runs every entry's next search, many entries' phrases in one combined request; every
   search's results are cached and shared (``arxiv_searches``), hits and misses alike;
3. after each round :func:`jobs.resolve.match.decide` settles what it can;
4. entries still without a match ask the fallback indexes (Semantic Scholar, OpenAlex) for
   an arXiv ID, which is fetched from arXiv and decided like any hit;
5. the rest wait for the cache to expire (``search_ttl_days``) and try again, at most
   ``max_attempts`` times; ambiguous ones are not retried (never a guess).

The step stops at ``deadline`` (the crawl's time limit) or when arXiv is down; what is left
stays due for the next run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from jobs import store
from jobs.clients.arxiv import ArxivClient, ArxivPaper, ArxivQueryError, ArxivUnavailable
from jobs.resolve.match import decide
from jobs.resolve.queries import MAX_QUERIES, Search, belongs, combine, next_searches, search_query
from jobs.resolve.titles import normalize_title
from jobs.store import arxiv as arxiv_store

log = logging.getLogger("jobs.resolve")


@dataclass(frozen=True)
class Settings:
    batch_size: int = 50
    search_ttl_days: float = 7.0  # a cached search (hit or miss) is reused this long
    max_attempts: int = 3  # rounds of searches before an entry is left unresolved for good
    max_results: int = 100  # per request


@dataclass
class _Entry:
    row: dict
    candidates: list[str]
    searches: list[str]
    spent: int
    decision_reason: str = "no-match"
    plausible: tuple[str, ...] = ()
    resolved: str | None = None
    asked_llm_at: str | None = None
    hits: dict[str, ArxivPaper] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)  # IDs the post itself writes


def paper_dict(p: ArxivPaper) -> dict:
    return dataclasses.asdict(p)


def paper_from(d: dict) -> ArxivPaper:
    fields = {f.name for f in dataclasses.fields(ArxivPaper)}
    data = {k: v for k, v in d.items() if k in fields}
    for key in ("authors", "categories"):
        data[key] = tuple(data.get(key) or ())
    return ArxivPaper(**data)


class ResolveQueue:
    """Runs the queue through ``arxiv`` (and ``fallbacks`` / ``assist`` when given)."""

    def __init__(self, db: sqlite_utils.Database, arxiv: ArxivClient, *,
                 settings: Settings = Settings(), fallbacks: Sequence[Any] = (),
                 assist: Any = None, deadline: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.db = db
        self.arxiv = arxiv
        self.settings = settings
        self.fallbacks = list(fallbacks)
        self.assist = assist
        self.deadline = deadline
        self.clock = clock
        self.down = False
        self.found: dict[str, ArxivPaper] = {}  # metadata of the papers resolved this run
        self.requests = 0

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> dict[str, list[str]]:
        """Resolve due entries until none is left, time is up or arXiv is down. Returns the
        new paper IDs per source."""
        new: dict[str, list[str]] = defaultdict(list)
        seen: set[int] = set()
        while not self.down and not self._late():
            rows = [r for r in arxiv_store.due_unresolved(
                self.db, now=store.utcnow(), limit=self.settings.batch_size) if r["id"] not in seen]
            if not rows:
                break
            seen.update(r["id"] for r in rows)
            resolved, pending = self._batch(rows)
            for source, ids in arxiv_store.settle_unresolved(
                    self.db, resolved=resolved, pending=pending).items():
                new[source].extend(ids)
            if self.found:
                arxiv_store.save_enrichment(self.db, list(self.found.values()))
                self.found.clear()
        return dict(new)

    def _late(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    # -- one batch ---------------------------------------------------------------------
    def _batch(self, rows: list[dict]) -> tuple[list[tuple[dict, str]], list[dict]]:
        entries = [self._entry(r) for r in rows]
        written = arxiv_store.post_mentions(self.db, [r["post_id"] for r in rows])
        for e in entries:
            e.written = written.get(e.row["post_id"], set())
        if self.assist is not None:
            self._ask_model([e for e in entries if not e.row.get("asked_llm_at")
                             and not any(_latin(c) for c in e.candidates)])
        for _round in range(MAX_QUERIES):
            wanted: dict[int, Search] = {}
            for k, e in enumerate(entries):
                if e.resolved or e.decision_reason in ("ambiguous", "cited-in-post"):
                    continue
                nxt = next_searches(e.candidates, post_date=e.row["post_date"],
                                    done=set(e.searches), spent=e.spent)
                if nxt:
                    wanted[k] = nxt[0]
            if not wanted or self.down or self._late():
                break
            results = self._search(list(wanted.values()))
            for k, s in wanted.items():
                if s.key not in results:
                    continue  # not run (arXiv down, time up): the entry keeps its turn
                e = entries[k]
                e.searches.append(s.key)
                e.spent += 1
                e.hits.update((p.arxiv_id, p) for p in results[s.key])
                self._decide(e)
        if self.fallbacks and not self.down:
            self._ask_fallbacks([e for e in entries if not e.resolved and e.decision_reason != "ambiguous"])
        return self._outcome(entries)

    def _entry(self, row: dict) -> _Entry:
        fresh = row["attempts"] > 0 and row["spent"] >= MAX_QUERIES  # a retry: a new round
        return _Entry(row, list(row["candidates"]), [] if fresh else list(row["searches"]),
                      0 if fresh else row["spent"])

    def _decide(self, e: _Entry) -> None:
        d = decide(e.candidates, e.hits.values(), post_date=e.row["post_date"],
                   authors=e.row["authors"])
        if d.arxiv_id and e.row["kind"] == "entry" and d.arxiv_id in e.written:
            # the post writes this paper's ID itself, and extraction found it cited there:
            # a link-less entry naming it is the citation, not another presented paper
            e.decision_reason, e.plausible = "cited-in-post", (d.arxiv_id,)
        elif d.arxiv_id and not (e.row["kind"] == "relink" and d.arxiv_id == e.row["linked_id"]):
            e.resolved = d.arxiv_id
            self.found[d.arxiv_id] = e.hits[d.arxiv_id]
        else:
            e.decision_reason, e.plausible = d.reason, d.plausible

    def _outcome(self, entries: list[_Entry]) -> tuple[list[tuple[dict, str]], list[dict]]:
        resolved: list[tuple[dict, str]] = []
        pending: list[dict] = []
        now = dt.datetime.now(dt.UTC)
        for e in entries:
            state = {"id": e.row["id"], "searches": e.searches, "spent": e.spent,
                     "candidates": e.candidates, "asked_llm_at": e.asked_llm_at}
            if e.resolved:
                resolved.append(({**e.row, **state}, e.resolved))
                continue
            attempted = e.spent >= MAX_QUERIES or not next_searches(
                e.candidates, post_date=e.row["post_date"], done=set(e.searches), spent=e.spent)
            if self.down and not attempted:
                reason, retry = "arxiv-unavailable", now
            elif not any(_latin(c) for c in e.candidates):
                reason, retry = "no-candidates", None  # nothing to search arXiv by
            elif e.decision_reason in ("ambiguous", "cited-in-post"):
                reason, retry = e.decision_reason, None
            elif not attempted:  # time ran out: continue on the next run
                reason, retry = "pending", now
            elif e.row["attempts"] + 1 >= self.settings.max_attempts:
                reason, retry = e.decision_reason, None
            else:
                reason = e.decision_reason
                retry = now + dt.timedelta(days=self.settings.search_ttl_days)
            pending.append({**state, "reason": reason, "plausible": list(e.plausible),
                            "attempted": attempted and not self.down,
                            "next_retry_at": _iso(retry) if retry else None})
        return resolved, pending

    # -- searches ----------------------------------------------------------------------
    def _search(self, searches: list[Search]) -> dict[str, list[ArxivPaper]]:
        """Results per search key: from the cache, else from combined requests (a request
        cut at max_results is split into single searches)."""
        now = store.utcnow()
        results = {k: [paper_from(d) for d in v] for k, v in arxiv_store.cached_searches(
            self.db, [s.key for s in searches], now=now).items()}
        todo = list({s.key: s for s in searches if s.key not in results}.values())
        groups = combine(todo)
        fetched: dict[str, list[ArxivPaper]] = {}
        while groups and not self.down and not self._late():
            group = groups.pop(0)
            try:
                total, papers = self.arxiv.search(search_query(group), max_results=self.settings.max_results)
            except ArxivUnavailable as exc:
                log.warning("arXiv unavailable, resolution continues on a later run: %s", exc)
                self.down = True
                break
            except ArxivQueryError as exc:
                log.warning("arXiv rejected a title search (%s): %s", search_query(group)[:120], exc)
                if len(group) > 1:
                    groups[:0] = [[s] for s in group]
                else:
                    fetched[group[0].key] = []
                continue
            finally:
                self.requests += 1
            if total > len(papers) and len(group) > 1:
                groups[:0] = [[s] for s in group]  # cut short: each search alone
                continue
            for s in group:
                fetched[s.key] = [p for p in papers if belongs(s, p.title, p.abstract)]
        if fetched:
            expires = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=self.settings.search_ttl_days))
            arxiv_store.save_searches(self.db, {k: [paper_dict(p) for p in v] for k, v in fetched.items()},
                                      expires_at=expires)
        results.update(fetched)
        return results

    # -- other indexes and the model ------------------------------------------------
    def _ask_fallbacks(self, entries: list[_Entry]) -> None:
        """The fallback indexes name an arXiv ID for a title; arXiv's metadata decides."""
        proposals: dict[int, set[str]] = defaultdict(set)
        for k, e in enumerate(entries):
            long = [c for c in e.candidates if len(normalize_title(c).split()) >= 3][:1]
            for cand in long:
                for fb in self.fallbacks:
                    proposals[k].update(self._fallback_ids(fb, cand))
        wanted = {i for ids in proposals.values() for i in ids}
        if not wanted or self._late():
            return
        try:
            meta = self.arxiv.fetch(sorted(wanted))
        except (ArxivUnavailable, ArxivQueryError) as exc:
            log.warning("could not verify fallback answers on arXiv: %s", exc)
            return
        for k, ids in proposals.items():
            e = entries[k]
            e.hits.update((i, meta[i]) for i in ids if i in meta)
            self._decide(e)

    def _fallback_ids(self, fallback: Any, candidate: str) -> list[str]:
        term = f"{fallback.name}:{normalize_title(candidate)}"
        cached = arxiv_store.cached_searches(self.db, [term], now=store.utcnow())
        if term in cached:
            return [d["arxiv_id"] for d in cached[term]]
        try:
            ids = fallback.arxiv_ids(candidate)
        except Exception as exc:  # noqa: BLE001 — a fallback index is optional: log and go on
            log.warning("%s did not answer for %r: %s", fallback.name, candidate, exc)
            return []
        expires = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=self.settings.search_ttl_days))
        arxiv_store.save_searches(self.db, {term: [{"arxiv_id": i} for i in ids]}, expires_at=expires)
        return ids

    def _ask_model(self, entries: list[_Entry]) -> None:
        for e in entries:
            if self._late():
                return
            titles = self.assist.english_titles(title=e.row["title"], text=e.row.get("text") or "",
                                                lang=e.row.get("lang"))
            e.asked_llm_at = store.utcnow()
            for t in titles:
                if t and t not in e.candidates:
                    e.candidates.append(t)


def _latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) >= 0.8 * len(letters)


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")
