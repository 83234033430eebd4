"""One crawl, one downloader: sources on the same site share its politeness (one request
in flight, the configured delay between requests), and each source is still reported on
its own."""

from __future__ import annotations

import statistics
from itertools import pairwise

import pytest

from tests.conftest import NO_ARXIV, db_rows, run_paperbot, state_db, write_config
from tests.servers.blog import BlogServer, one_paper_feed

SOURCES = 50
DELAY = 0.06
BROKEN = 7  # this source's feed answers 500


@pytest.mark.slow
async def test_fifty_sources_on_one_site_get_one_request_at_a_time(tmp_path):
    async with BlogServer() as site:
        site.latency = 0.02
        for i in range(SOURCES):
            site.add_page(f"/feed{i}.xml", one_paper_feed(site.url(""), i), "application/rss+xml")
        site.fail(f"/feed{BROKEN}.xml", status=500)
        body = (f"state_dir = '{tmp_path / 'state'}'\n[crawl]\ndownload_delay_seconds = {DELAY}\n"
                "concurrency_per_site = 1\ntimeout_seconds = 5.0\nretries = 0\n"
                "obey_robots = true\n" + NO_ARXIV)
        for i in range(SOURCES):
            body += (f"\n[[sources]]\nname = 'notes-{i}'\nkind = 'rss'\n"
                     f"url = '{site.url(f'/feed{i}.xml')}'\nlang = 'ko'\n")
        config = str(write_config(tmp_path, body))

        result = await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path,
                                    timeout=120)

    assert result.code == 1  # one source failed
    assert site.hits["/robots.txt"] == 1  # robots.txt once for the site, not per source
    assert site.total_hits == 1 + SOURCES
    assert site.peak_in_flight == 1
    gaps = [b - a for a, b in pairwise(site.arrivals)]
    # the site sees the delay between two requests: the median at least the delay, and
    # few gaps under half of it — a busy machine can delay one arrival and bunch it with
    # the next (before: ~58 requests in a second, every gap ~0)
    short = [g for g in gaps if g < DELAY / 2]
    assert statistics.median(gaps) >= DELAY and len(short) <= len(gaps) // 10, sorted(gaps)[:8]
    runs = {r[0]: r[1:] for r in db_rows(
        state_db(tmp_path), "select source, ok, posts_seen, posts_new, papers_new, error "
                            "from crawl_runs")}
    assert runs.pop(f"notes-{BROKEN}")[:2] == (0, 0)
    assert set(runs.values()) == {(1, 1, 1, 1, None)}  # every other source: its own post
    health = dict(db_rows(state_db(tmp_path), "select name, consecutive_failures from sources"))
    assert health[f"notes-{BROKEN}"] == 1 and sum(health.values()) == 1
    assert f"FAILED notes-{BROKEN}: HTTP 500" in result.stderr
