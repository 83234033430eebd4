"""The extract step: posts with status 'crawled' → papers, mentions and a queue of entries
to resolve; then the queue is worked through arXiv (title resolution) and every new paper
gets its metadata.

1. **Extract and record, post by post** (fast; one transaction per post): ``extract_papers``
   (pure) → linked IDs checked against their arXiv titles (one ``id_list`` request per 100
   IDs of all pending posts) → ``record_extraction``. A link whose arXiv title contradicts
   its entry is recorded but not delivered, and queued (``relink``) so that the entry's
   title can find the right paper; link-less entries are queued with their title candidates.
2. **Resolve the queue** (:mod:`jobs.resolve.queue`): batched, cached searches, committed
   per batch, until the queue is empty, ``deadline`` passes, or arXiv is down.
3. **Enrich** every paper without metadata; re-check links recorded during an outage.

Never loses a post and never resolves an entry twice: a kill at any moment leaves the
recorded posts recorded and the queue where it was; the next run goes on from there.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from crawler.extract import EXTRACTOR_VERSION, extract_papers
from crawler.models import FoundPaper
from jobs.clients.arxiv import ArxivClient, ArxivPaper, ArxivQueryError, ArxivUnavailable
from jobs.resolve.match import link_verdict
from jobs.resolve.queue import ResolveQueue, Settings
from jobs.store import arxiv as arxiv_store
from jobs.store import crawl as crawl_store

log = logging.getLogger("jobs.extraction")  # its log name before the move to jobs/steps/

EXTRACT_PAGE = 100  # posts read (with their bodies) at a time

FLAG_UNVERIFIED_TITLE = "unverified-title"  # linked; the entry gives no words to check it by


class Metadata:
    """arXiv metadata of linked IDs: fetched once per run (``id_list`` batches of 100),
    from the database when already enriched. ``down`` after the first outage."""

    def __init__(self, db: sqlite_utils.Database, client: ArxivClient | None):
        self.db = db
        self.client = client
        self.down = client is None
        self.meta: dict[str, ArxivPaper] = {}
        self.unknown: set[str] = set()  # IDs arXiv answered it does not know

    def prefetch(self, ids: Sequence[str]) -> None:
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
            log.warning("arXiv API unavailable, finishing on a later run: %s", exc)
            self.down = True
            return
        except ArxivQueryError as exc:  # e.g. one malformed ID: one by one
            log.warning("arXiv rejected an id_list batch (%s); retrying one by one", exc)
            got = {}
            for arxiv_id in wanted:
                try:
                    got.update(self.client.fetch([arxiv_id]))
                except ArxivQueryError:
                    continue
                except ArxivUnavailable:
                    self.down = True
                    return
        self.meta.update(got)
        self.unknown.update(i for i in wanted if i not in got)

    def title(self, arxiv_id: str) -> tuple[bool, str | None, str]:
        """(checked, arXiv title, abstract): checked=False when arXiv could not be asked;
        title None when arXiv does not know the ID."""
        if arxiv_id in self.meta:
            p = self.meta[arxiv_id]
            return True, p.title, p.abstract
        if arxiv_id in self.unknown:
            return True, None, ""
        known = arxiv_store.paper_titles(self.db, [arxiv_id])
        if arxiv_id in known:
            return True, known[arxiv_id], ""
        return False, None, ""


def check_link(fp: FoundPaper, meta: Metadata) -> FoundPaper:
    """A linked primary: keep it, flag it ``unverified`` (arXiv unreachable) or
    ``unverified-title`` (nothing to compare), or mark it ``title-mismatch`` / ``not-on-arxiv``
    (recorded, not delivered, queued to find the entry's real paper by its title).
    References are cited in passing ("Dai et al., 2019"): not checked."""
    if fp.role != "primary" or fp.arxiv_id is None or not (fp.title or fp.candidates):
        return fp
    checked, arxiv_title, abstract = meta.title(fp.arxiv_id)
    if not checked:
        return dataclasses.replace(fp, flag=arxiv_store.FLAG_UNVERIFIED)
    if arxiv_title is None:
        return dataclasses.replace(fp, flag=arxiv_store.FLAG_NOT_ON_ARXIV)
    verdict = link_verdict(fp.title, fp.candidates, arxiv_title, abstract)
    if verdict == "contradicts":
        log.info("link %s (%r) contradicts its entry %r: queued for a title search",
                 fp.arxiv_id, arxiv_title, fp.title)
        return dataclasses.replace(fp, flag=arxiv_store.FLAG_TITLE_MISMATCH)
    if verdict == "unknown":
        return dataclasses.replace(fp, flag=FLAG_UNVERIFIED_TITLE)
    return fp


def resolve_settings(config: Any) -> Settings:
    """``[resolve]`` (and the older ``[arxiv] miss_retry_hours``) as queue settings."""
    resolve = getattr(config, "resolve", None)
    if resolve is None:
        return Settings()
    return Settings(batch_size=resolve.batch_size, search_ttl_days=resolve.search_ttl_days,
                    max_attempts=resolve.max_attempts, max_results=resolve.max_results)


def extract_pending(db: sqlite_utils.Database, *, arxiv: ArxivClient | None = None,
                    arxiv_config: Any = None, settings: Settings | None = None,
                    fallbacks: Sequence[Any] = (), assist: Any = None,
                    deadline: float | None = None) -> dict[str, list[str]]:
    """Extract every pending post, then resolve the queue and enrich through ``arxiv``
    (None: links only, nothing looked up). ``deadline`` (``time.monotonic()``) stops the
    resolution in time; the queue continues on the next run. Returns the new paper IDs
    per source name."""
    meta = Metadata(db, arxiv)
    new_by_source: dict[str, list[str]] = defaultdict(list)
    after = 0
    # a page of posts at a time: after an extractor upgrade every post is pending, and
    # their bodies must not all sit in memory at once
    while page := crawl_store.posts_to_extract(db, extractor_version=EXTRACTOR_VERSION,
                                               after_id=after, limit=EXTRACT_PAGE):
        after = page[-1]["id"]
        _extract_page(db, meta, page, new_by_source)
    if meta.meta:
        arxiv_store.save_enrichment(db, meta.meta.values(), [i for i in meta.unknown])

    if arxiv is not None and not meta.down:
        enrich(db, meta)
        verify_unverified(db, meta)  # links recorded during an outage: checked now, relinks queued
        queue = ResolveQueue(db, arxiv, settings=settings or resolve_settings(arxiv_config),
                             fallbacks=fallbacks, assist=assist, deadline=deadline)
        for source, ids in queue.run().items():
            new_by_source[source].extend(ids)
    return dict(new_by_source)


def _extract_page(db: sqlite_utils.Database, meta: Metadata, page: list[dict],
                  new_by_source: dict[str, list[str]]) -> None:
    extracted: list[tuple[dict, list[FoundPaper]]] = []
    for post in page:
        try:
            found = extract_papers(post["html"] or "", title=post["title"], lang=post["lang"],
                                   url=post["url"])
        except Exception as exc:  # one bad post must not stop the others
            log.exception("extraction failed for %s", post["url"])
            crawl_store.mark_post_failed(db, post["id"], f"{type(exc).__name__}: {exc}")
            continue
        extracted.append((post, found))

    # one id_list round trip for every linked ID of the page's posts
    meta.prefetch([fp.arxiv_id for _p, found in extracted for fp in found if fp.arxiv_id])
    for post, found in extracted:
        checked = [check_link(fp, meta) for fp in found]
        new_ids = crawl_store.record_extraction(db, post["id"], checked,
                                                extractor_version=EXTRACTOR_VERSION)
        new_by_source[post["source"]].extend(new_ids)
        queued = sum(1 for fp in checked if fp.arxiv_id is None)
        found_n = len(checked) - queued
        log.info("%s: %d paper%s (%d new, %d to find by title) in %s", post["source"], found_n,
                 "" if found_n == 1 else "s", len(new_ids), queued, post["url"])


def enrich(db: sqlite_utils.Database, meta: Metadata) -> int:
    """Metadata onto every paper row that lacks it (``id_list`` batches). Returns rows."""
    pending = arxiv_store.unenriched_ids(db)
    if not pending:
        return 0
    meta.prefetch(pending)
    got = [meta.meta[i] for i in pending if i in meta.meta]
    missing = [i for i in pending if i in meta.unknown]
    return arxiv_store.save_enrichment(db, got, missing) if got or missing else 0


def verify_unverified(db: sqlite_utils.Database, meta: Metadata) -> None:
    """Mentions linked during an outage, now that their papers have metadata: confirmed,
    or flagged and queued like any contradicting link."""
    for m in arxiv_store.unverified_mentions(db):
        fp = FoundPaper(arxiv_id=m["arxiv_id"], role=m["role"], title=m["entry_title"])
        checked = check_link(fp, meta)
        if checked.flag == arxiv_store.FLAG_UNVERIFIED:
            continue
        arxiv_store.set_mention_flag(db, m["post_id"], m["arxiv_id"], checked.flag)
        if checked.flag in (arxiv_store.FLAG_TITLE_MISMATCH, arxiv_store.FLAG_NOT_ON_ARXIV):
            arxiv_store.queue_relink(db, m["post_id"], m["arxiv_id"], m["entry_title"])
