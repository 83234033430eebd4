"""The extract step: posts with status 'crawled' → papers, mentions, unresolved entries,
then arXiv enrichment and title resolution.

For each pending post: ``extract_papers`` (pure) → check linked IDs against arXiv (a
link whose arXiv title clearly contradicts the entry is replaced by a confident title
match, else kept and flagged) → resolve title-only entries by title → one transaction
per post (``record_extraction``). Then every paper without metadata is enriched
(``id_list`` batches of ≤ 100), mentions recorded during an arXiv outage are verified,
and unresolved entries whose retry time has come are looked up again.

Never loses a post: when arXiv is unreachable the links are stored as found (flagged
``unverified``), title entries stay unresolved with a retry time of *now*, and the
next run finishes the job. Safe to re-run and to kill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from crawler.extract import EXTRACTOR_VERSION, extract_papers
from crawler.models import FoundPaper
from jobs import store
from jobs.clients.arxiv import (
    ArxivClient,
    ArxivPaper,
    ArxivQueryError,
    ArxivUnavailable,
    lookup_key,
    resolve_title,
    titles_disagree,
)
from jobs.store import arxiv as arxiv_store
from jobs.store import crawl as crawl_store

log = logging.getLogger("jobs.extraction")  # its log name before the move to jobs/steps/


def _later(hours: float) -> str:
    stamp = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Resolver:
    """Title look-ups and metadata through one arXiv client, with the DB cache. After the
    first ArxivUnavailable it stops calling arXiv for the rest of the run (``down``)."""

    def __init__(self, db: sqlite_utils.Database, client: ArxivClient | None, *,
                 threshold: float = 92.0, miss_retry_hours: float = 24.0):
        self.db = db
        self.client = client
        self.threshold = threshold
        self.miss_retry_hours = miss_retry_hours
        self.down = client is None
        self.meta: dict[str, ArxivPaper] = {}  # fetched this run, saved by enrich()
        self.unknown: set[str] = set()  # IDs arXiv answered it does not know

    def _unavailable(self, exc: Exception) -> None:
        if not self.down:
            log.warning("arXiv API unavailable, finishing on a later run: %s", exc)
        self.down = True

    def prefetch(self, ids: Sequence[str]) -> None:
        """Metadata for the not-yet-enriched ``ids`` (one id_list request per 100)."""
        if self.down:
            return
        wanted = [i for i in dict.fromkeys(ids) if i not in self.meta and i not in self.unknown]
        known = arxiv_store.paper_titles(self.db, wanted)
        wanted = [i for i in wanted if i not in known]
        if not wanted:
            return
        try:
            got = self.client.fetch(wanted)
        except ArxivUnavailable as exc:
            self._unavailable(exc)
            return
        except ArxivQueryError as exc:  # e.g. one malformed ID: fall back to one by one
            log.warning("arXiv rejected an id_list batch (%s); retrying one by one", exc)
            got = {}
            for arxiv_id in wanted:
                try:
                    got.update(self.client.fetch([arxiv_id]))
                except ArxivQueryError:
                    continue
                except ArxivUnavailable as exc2:
                    self._unavailable(exc2)
                    return
        self.meta.update(got)
        self.unknown.update(i for i in wanted if i not in got)

    def arxiv_title(self, arxiv_id: str) -> tuple[bool, str | None]:
        """(checked, title): checked=False when we could not ask arXiv; title None when
        arXiv does not know the ID."""
        if arxiv_id in self.meta:
            return True, self.meta[arxiv_id].title
        if arxiv_id in self.unknown:
            return True, None
        known = arxiv_store.paper_titles(self.db, [arxiv_id])
        if arxiv_id in known:
            return True, known[arxiv_id]
        return False, None

    def lookup(self, title: str, authors: Sequence[str] = ()) -> tuple[str, str | None]:
        """('hit', id) | ('miss', None) | ('unavailable', None), cached in title_lookups."""
        key = lookup_key(title, authors)
        if not key:
            return "miss", None
        known, arxiv_id = arxiv_store.cached_lookup(self.db, key, now=store.utcnow())
        if known:
            return ("hit", arxiv_id) if arxiv_id else ("miss", None)
        if self.down:
            return "unavailable", None
        try:
            match = resolve_title(self.client, title, authors, threshold=self.threshold)
        except ArxivUnavailable as exc:
            self._unavailable(exc)
            return "unavailable", None
        except ArxivQueryError as exc:
            log.warning("arXiv rejected the title query for %r: %s", title, exc)
            match = None
        if match is None:
            arxiv_store.save_lookup(self.db, key, arxiv_id=None, score=None,
                                    retry_at=_later(self.miss_retry_hours))
            return "miss", None
        self.meta[match.paper.arxiv_id] = match.paper
        arxiv_store.save_lookup(self.db, key, arxiv_id=match.paper.arxiv_id, score=match.score,
                                retry_at=None)
        return "hit", match.paper.arxiv_id

    def miss_retry_at(self, title: str, authors: Sequence[str]) -> str | None:
        return arxiv_store.lookup_retry_at(self.db, lookup_key(title, authors))

    # -- per post ------------------------------------------------------------------
    def check_link(self, fp: FoundPaper) -> FoundPaper:
        """A linked primary: keep it, re-point it to the paper its title names, or flag it.
        (References are cited in passing, often as "Dai et al., 2019": not checked.)"""
        if not fp.title or fp.role != "primary":
            return fp
        checked, arxiv_title = self.arxiv_title(fp.arxiv_id)
        if not checked:
            return dataclasses.replace(fp, flag=arxiv_store.FLAG_UNVERIFIED)
        if arxiv_title is not None and not titles_disagree(fp.title, arxiv_title):
            return fp
        outcome, found_id = self.lookup(fp.title, fp.authors)
        if outcome == "unavailable":
            return dataclasses.replace(fp, flag=arxiv_store.FLAG_UNVERIFIED)
        if outcome == "hit" and found_id != fp.arxiv_id:
            log.info("link %s contradicts its entry %r: using %s (title match)",
                     fp.arxiv_id, fp.title, found_id)
            return dataclasses.replace(fp, arxiv_id=found_id, flag=None)
        flag = (arxiv_store.FLAG_NOT_ON_ARXIV if arxiv_title is None
                else arxiv_store.FLAG_TITLE_MISMATCH)
        return dataclasses.replace(fp, flag=flag)

    def resolve_entries(self, found: Sequence[FoundPaper]
                        ) -> tuple[list[FoundPaper], dict[str, tuple[str | None, str, int]]]:
        """Links checked, title entries resolved; plus retry info for the unresolved."""
        out: list[FoundPaper] = []
        retry: dict[str, tuple[str | None, str, int]] = {}
        for fp in found:
            if fp.arxiv_id is not None:
                out.append(self.check_link(fp))
                continue
            if not fp.title:
                retry[""] = (None, fp.flag or "no-title", 0)
                out.append(fp)
                continue
            outcome, arxiv_id = self.lookup(fp.title, fp.authors)
            if outcome == "hit":  # the why-no-ID flag no longer applies
                out.append(dataclasses.replace(fp, arxiv_id=arxiv_id, flag=None))
            elif outcome == "miss":
                reason = f"{fp.flag}, no-match" if fp.flag else "no-match"
                retry[fp.title] = (self.miss_retry_at(fp.title, fp.authors), reason, 1)
                out.append(fp)
            else:
                retry[fp.title] = (store.utcnow(), "arxiv-unavailable", 0)
                out.append(fp)
        return out, retry

    # -- after recording -------------------------------------------------------------
    def enrich(self) -> int:
        """Metadata onto every paper row that lacks it. Returns rows enriched."""
        done = 0
        pending = arxiv_store.unenriched_ids(self.db)
        fetched_now = [self.meta[i] for i in pending if i in self.meta]
        missing = [i for i in pending if i in self.unknown]
        rest = [i for i in pending if i not in self.meta and i not in self.unknown]
        if rest:
            self.prefetch(rest)
            fetched_now += [self.meta[i] for i in rest if i in self.meta]
            missing += [i for i in rest if i in self.unknown]
        if fetched_now or missing:
            done = arxiv_store.save_enrichment(self.db, fetched_now, missing)
        return done

    def verify_unverified(self) -> dict[str, list[str]]:
        """Mentions linked during an outage, now that their papers have metadata."""
        new: dict[str, list[str]] = defaultdict(list)
        for m in arxiv_store.unverified_mentions(self.db):
            fp = FoundPaper(arxiv_id=m["arxiv_id"], role=m["role"], title=m["entry_title"])
            checked = self.check_link(fp)
            if checked.flag == arxiv_store.FLAG_UNVERIFIED:
                continue
            if checked.arxiv_id != m["arxiv_id"]:
                if arxiv_store.move_mention(self.db, m["post_id"], m["arxiv_id"],
                                            checked.arxiv_id):
                    source = self.db.execute("select source from posts where id = ?",
                                             [m["post_id"]]).fetchone()[0]
                    new[source].append(checked.arxiv_id)
            else:
                arxiv_store.set_mention_flag(self.db, m["post_id"], m["arxiv_id"], checked.flag)
        return new

    def retry_unresolved(self) -> dict[str, list[str]]:
        """Look up again the title entries whose retry time has come."""
        new: dict[str, list[str]] = defaultdict(list)
        for row in arxiv_store.due_unresolved(self.db, now=store.utcnow()):
            outcome, arxiv_id = self.lookup(row["title"], row["authors"])
            if outcome == "hit":
                if arxiv_store.resolve_unresolved(self.db, row["id"], arxiv_id):
                    new[row["source"]].append(arxiv_id)
            elif outcome == "miss":
                arxiv_store.reschedule_unresolved(
                    self.db, row["id"], reason="no-match",
                    next_retry_at=self.miss_retry_at(row["title"], row["authors"]))
            else:
                break  # arXiv is down: everything stays due for the next run
        return new


def extract_pending(db: sqlite_utils.Database, *, arxiv: ArxivClient | None = None,
                    arxiv_config: Any = None) -> dict[str, list[str]]:
    """Extract every pending post, then enrich/resolve through ``arxiv`` (None: links
    only, nothing looked up). ``arxiv_config`` is the ``[arxiv]`` section (threshold,
    miss retry). Returns the new paper IDs per source name."""
    resolver = Resolver(
        db, arxiv,
        threshold=getattr(arxiv_config, "title_match_threshold", 92.0),
        miss_retry_hours=getattr(arxiv_config, "miss_retry_hours", 24.0),
    )
    new_by_source: dict[str, list[str]] = defaultdict(list)
    extracted: list[tuple[dict, list[FoundPaper]]] = []
    for post in crawl_store.posts_to_extract(db, extractor_version=EXTRACTOR_VERSION):
        try:
            found = extract_papers(post["html"] or "", title=post["title"], lang=post["lang"],
                                   url=post["url"])
        except Exception as exc:  # one bad post must not stop the others
            log.exception("extraction failed for %s", post["url"])
            crawl_store.mark_post_failed(db, post["id"], f"{type(exc).__name__}: {exc}")
            continue
        extracted.append((post, found))

    # one id_list round trip for every linked ID of every pending post
    resolver.prefetch([fp.arxiv_id for _p, found in extracted for fp in found if fp.arxiv_id])
    for post, found in extracted:
        try:
            resolved, retry = resolver.resolve_entries(found)
        except Exception:  # a resolver bug must not lose the post: keep what was found
            log.exception("title resolution failed for %s", post["url"])
            resolved, retry = list(found), {}
        new_ids = crawl_store.record_extraction(
            db, post["id"], resolved, extractor_version=EXTRACTOR_VERSION,
            unresolved_retry=retry)
        new_by_source[post["source"]].extend(new_ids)
        unresolved = sum(1 for fp in resolved if fp.arxiv_id is None)
        log.info("%s: %d papers (%d new, %d unresolved) in %s", post["source"],
                 len(resolved) - unresolved, len(new_ids), unresolved, post["url"])

    if arxiv is not None:
        for source, ids in resolver.retry_unresolved().items():
            new_by_source[source].extend(ids)
        resolver.enrich()
        for source, ids in resolver.verify_unverified().items():
            new_by_source[source].extend(ids)
        resolver.enrich()  # papers a corrected link points to (no request: fetched by search)
    return dict(new_by_source)
