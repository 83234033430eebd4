"""`paperbot crawl once --since DATE` backfills a blog's archive: past the per-crawl
``max_posts`` of regular crawls, within its share of the time limit, and a run stopped
there continues with the posts it has not stored (none fetched twice). Against a local
blog serving an RSS feed with more items than ``max_posts``."""

from __future__ import annotations

import pytest

from tests.conftest import FAST_CRAWL, NO_ARXIV, db_rows, run_paperbot, state_db, write_config
from tests.servers.blog import BlogServer, rss_feed

POSTS = 8


def archive(blog: BlogServer, posts: int = POSTS) -> None:
    items = []
    for k in range(posts):
        path = f"/posts/{k}.html"
        blog.add_page(path, f"<html><body><div class='post'><p>Week {k}: notes on "
                            f"<a href='https://arxiv.org/abs/2401.{10000 + k:05d}'>a paper</a>."
                            "</p></div></body></html>")
        items.append((f"Week {k}", path, f"Mon, {1 + k % 28:02d} {('Jan', 'Feb')[k // 28]} 2024 09:00:00 +0000"))
    blog.add_page("/feed.xml", rss_feed(blog.url("").rstrip("/"), list(reversed(items))),
                  "application/rss+xml")


def config(tmp_path, blog: BlogServer, *, limit_minutes: float = 20.0):
    return write_config(tmp_path, f"""
state_dir = "{tmp_path / 'state'}"
[[sources]]
name = "weekly"
kind = "rss"
url = "{blog.url('/feed.xml')}"
content_selector = "div.post"
max_posts = 3
[schedule]
crawl_time_limit_minutes = {limit_minutes}
""" + FAST_CRAWL + NO_ARXIV)


def page_hits(blog: BlogServer) -> dict[str, int]:
    return {k: v for k, v in blog.hits.items() if k.startswith("/posts/")}


def stored(tmp_path) -> int:
    if not state_db(tmp_path).exists():
        return 0
    return db_rows(state_db(tmp_path), "select count(*) from posts")[0][0]


async def test_a_regular_crawl_takes_max_posts_a_backfill_the_whole_archive_once(tmp_path):
    async with BlogServer() as blog:
        archive(blog)
        cfg = config(tmp_path, blog)
        regular = await run_paperbot("--config", str(cfg), "crawl", "once", cwd=tmp_path)
        assert regular.code == 0, regular.stderr
        assert stored(tmp_path) == 3  # the newest max_posts
        backfill = await run_paperbot("--config", str(cfg), "crawl", "once", "--since", "2024-01-01",
                                      cwd=tmp_path)
        assert backfill.code == 0, backfill.stderr
        assert stored(tmp_path) == POSTS
        again = await run_paperbot("--config", str(cfg), "crawl", "once", "--since", "2024-01-01",
                                   cwd=tmp_path)
        assert again.code == 0, again.stderr
    hits = page_hits(blog)
    # the backfill skipped the 3 posts the regular crawl stored; the second one skipped all
    assert len(hits) == POSTS and set(hits.values()) == {1}
    assert db_rows(state_db(tmp_path), "select count(distinct arxiv_id) from mentions") == [(POSTS,)]


@pytest.mark.slow
async def test_a_backfill_cut_by_the_time_limit_continues_where_it_stopped(tmp_path):
    posts = 40
    async with BlogServer() as blog:
        archive(blog, posts)
        # every page takes 0.25 s; a 6 s limit gives fetching ~3 s: not the whole archive
        # (Scrapy finishes the requests it has already queued, at most 16 here)
        blog.latency = 0.25
        cfg = config(tmp_path, blog, limit_minutes=0.1)
        runs = []
        while stored(tmp_path) < posts and len(runs) < 6:
            done = await run_paperbot("--config", str(cfg), "crawl", "once", "--since", "2024-01-01",
                                      cwd=tmp_path)
            assert done.code == 0, done.stderr  # stopping at the time limit is not a failure
            runs.append(stored(tmp_path))
    assert runs[0] < posts and runs[-1] == posts
    assert all(n == 1 for n in page_hits(blog).values())  # no post page fetched twice
