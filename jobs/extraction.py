"""The extract step: posts with status 'crawled' → papers, mentions, unresolved entries.

Safe to re-run and to kill: each post is recorded in one transaction, and a post
whose body has not changed is never extracted twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlite_utils

from crawler.extract import EXTRACTOR_VERSION, extract_papers
from jobs.store import crawl as crawl_store

log = logging.getLogger(__name__)


def extract_pending(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Extract every pending post. Returns the new paper IDs per source name."""
    new_by_source: dict[str, list[str]] = defaultdict(list)
    for post in crawl_store.posts_to_extract(db, extractor_version=EXTRACTOR_VERSION):
        try:
            found = extract_papers(post["html"] or "", title=post["title"], lang=post["lang"])
        except Exception as exc:  # one bad post must not stop the others
            log.exception("extraction failed for %s", post["url"])
            crawl_store.mark_post_failed(db, post["id"], f"{type(exc).__name__}: {exc}")
            continue
        new_ids = crawl_store.record_extraction(
            db, post["id"], found, extractor_version=EXTRACTOR_VERSION
        )
        new_by_source[post["source"]].extend(new_ids)
        log.info("%s: %d papers (%d new) in %s", post["source"], len(found), len(new_ids),
                 post["url"])
    return dict(new_by_source)
