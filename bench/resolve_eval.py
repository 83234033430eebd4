"""The extract + resolve path on the labelled corpus, against the local arXiv API (and the
Semantic Scholar / OpenAlex stubs with ``--fallbacks``): what a crawl of these posts would
store, scored against the truth file.

Each corpus post is stored as the crawl's pipeline stores it (its URL, title, date,
language and the body its source's ``content_selector`` picks), then the real extract
step runs: extraction, link checks, the resolution queue through a real ``ArxivClient``
over HTTP to ``tests/servers/arxiv.py`` serving ``tests/fixtures/corpus/arxiv_index.json``
(every paper the posts mention plus same-name decoys).

Printed: primaries whose ID the post writes (recall, precision), link-less primaries found
by title (recall), wrong IDs (a delivered primary that is not one of the post's papers:
must be 0), arXiv requests, and the link-less primaries still missing.

    .venv/bin/python bench/resolve_eval.py [--fallbacks] [--show-missing]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.models import Post  # noqa: E402
from jobs import store  # noqa: E402
from jobs.clients.arxiv import ArxivClient, build_http_client  # noqa: E402
from jobs.clients.scholar import OpenAlex, SemanticScholar  # noqa: E402
from jobs.steps.extract import extract_pending  # noqa: E402
from jobs.store import crawl as crawl_store  # noqa: E402
from tests import corpus  # noqa: E402
from tests.servers.arxiv import ArxivStub  # noqa: E402
from tests.servers.scholar import OpenAlexStub, SemanticScholarStub  # noqa: E402


def store_posts(db, truth: dict[str, dict]) -> dict[int, str]:
    sites = sorted({p["site"] for p in truth.values()})
    crawl_store.sync_sources(db, [SimpleNamespace(name=s, kind="url", url=f"https://{s}/", lang=None)
                                  for s in sites])
    ids = {}
    for key, post in truth.items():
        crawl_store.save_post(db, Post(url=post["url"] + "#" + key, source=post["site"],
                                       title=post.get("title"), html=corpus.post_input(key),
                                       published_at=post.get("published"), lang=post["lang"]),
                              notify=False)
        (post_id,) = db.execute("select id from posts where url = ?", [post["url"] + "#" + key]).fetchone()
        ids[post_id] = key
    return ids


def score(db, ids: dict[int, str], truth: dict[str, dict]) -> dict:
    got: dict[str, set[str]] = defaultdict(set)
    for post_id, arxiv_id in db.execute(
            "select m.post_id, m.arxiv_id from mentions m join papers p using(arxiv_id) "
            "where m.role = 'primary' and coalesce(m.flag, '') not in ('title-mismatch', 'not-on-arxiv')"):
        got[ids[post_id]].add(arxiv_id)
    t = defaultdict(lambda: defaultdict(int))
    missing, wrong = [], []
    for key, post in truth.items():
        uncertain = set(post.get("uncertain") or {})
        primary = set(post["primary"]) - uncertain
        linkless = set(post.get("linkless") or {}) - uncertain
        linked = primary - linkless
        found = got[key] - uncertain
        for group in ("all", f"lang:{post['lang']}"):
            g = t[group]
            g["linked"] += len(linked)
            g["linked_hit"] += len(found & linked)
            g["linkless"] += len(linkless)
            g["linkless_hit"] += len(found & linkless)
            g["found"] += len(found)
            g["wrong"] += len(found - primary)
        missing += [(key, i, post["linkless"][i]) for i in sorted(linkless - found)]
        wrong += [(key, i) for i in sorted(found - primary)]
    return {"totals": t, "missing": missing, "wrong": wrong}


async def run(*, fallbacks: bool) -> tuple[dict, int, float]:
    truth = corpus.truth()
    index = corpus.arxiv_index()
    async with ArxivStub(index) as arxiv, SemanticScholarStub(index) as s2, OpenAlexStub(index) as oa:
        with tempfile.TemporaryDirectory() as tmp:
            db = store.open_db(Path(tmp) / "paperbot.db")
            ids = store_posts(db, truth)
            client = ArxivClient(build_http_client(user_agent="paperbot-bench", timeout_seconds=30),
                                 api_url=arxiv.url, min_interval_seconds=0)
            indexes = []
            if fallbacks:
                http = build_http_client(user_agent="paperbot-bench", timeout_seconds=30)
                indexes = [SemanticScholar(http, base_url=s2.base_url, min_interval_seconds=0),
                           OpenAlex(http, base_url=oa.base_url, min_interval_seconds=0)]
            started = time.monotonic()
            with client:
                await asyncio.to_thread(extract_pending, db, arxiv=client, fallbacks=indexes)
            elapsed = time.monotonic() - started
            return score(db, ids, truth), len(arxiv.requests), elapsed


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fallbacks", action="store_true", help="also ask the Semantic Scholar / OpenAlex stubs")
    parser.add_argument("--show-missing", action="store_true")
    args = parser.parse_args()
    result, requests, elapsed = asyncio.run(run(fallbacks=args.fallbacks))
    print(f"{'group':12} {'linked recall':>13} {'precision':>9} {'link-less recall':>16} {'wrong IDs':>9}")
    for g in ["all"] + sorted(k for k in result["totals"] if k != "all"):
        t = result["totals"][g]
        print(f"{g:12} {ratio(t['linked_hit'], t['linked']):>13} "
              f"{ratio(t['found'] - t['wrong'], t['found']):>9} "
              f"{ratio(t['linkless_hit'], t['linkless']):>9} ({t['linkless_hit']}/{t['linkless']})"
              f" {t['wrong']:>6}")
    print(f"\narXiv requests: {requests}; extract + resolve: {elapsed:.1f} s")
    for key, arxiv_id in result["wrong"]:
        print(f"  WRONG {arxiv_id} in {key}")
    if args.show_missing:
        for key, arxiv_id, how in result["missing"]:
            print(f"  missing {arxiv_id} in {key}: {how[:90]}")


if __name__ == "__main__":
    main()
