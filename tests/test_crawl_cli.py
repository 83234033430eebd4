"""`paperbot crawl once` end to end: a local blog over HTTP → SQLite → `papers --json`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FAST_CRAWL, NO_ARXIV, db_rows, run_paperbot, state_db, write_config
from tests.servers.blog import BlogServer, rss_feed

POST_1 = """<html><head><title>Daily notes</title></head><body>
<nav><a href="/">home</a></nav>
<article><div class="post-body">
<p><a href="https://arxiv.org/abs/2401.10020v2">https://arxiv.org/abs/2401.10020v2</a></p>
<p>Self-Rewarding Language Models (Weizhe Yuan, Jason Weston)</p>
<p>모델이 자신의 응답을 평가해서 보상으로 씁니다.</p>
<p><a href="https://arxiv.org/pdf/2401.10208">https://arxiv.org/pdf/2401.10208</a></p>
<p>MM-Interleaved (Changyao Tian, Jifeng Dai)</p>
</div></article></body></html>"""

POST_2 = """<html><body><article><div class="post-body">
<p><a href="https://arxiv.org/abs/2401.10225">ChatQA</a> — GPT-4 level conversational QA.</p>
</div></article></body></html>"""


DAY_1 = ("Day 1", "/posts/1.html", "Fri, 19 Jan 2024 09:00:00 GMT", POST_1)
DAY_2 = ("Day 2", "/posts/2.html", "Sat, 20 Jan 2024 09:00:00 GMT", POST_2)


def publish(blog: BlogServer, *posts: tuple[str, str, str, str]) -> None:
    """Serve ``posts`` (title, path, date, html) and a feed listing them."""
    for _title, path, _date, html in posts:
        blog.add_page(path, html)
    blog.add_page("/feed.xml", rss_feed(blog.url(""), [p[:3] for p in posts]), "application/rss+xml")


def config_for(tmp_path, sources: list[tuple[str, str]]) -> str:
    body = f"state_dir = '{tmp_path / 'state'}'\n" + FAST_CRAWL + NO_ARXIV
    for name, url in sources:
        body += (f"\n[[sources]]\nname = '{name}'\nkind = 'rss'\nurl = '{url}'\nlang = 'ko'\n"
                 f"content_selector = 'div.post-body'\nuse_feed_content = false\n")
    return str(write_config(tmp_path, body))


async def test_crawl_once_stores_papers_and_a_second_run_adds_nothing(tmp_path):
    async with BlogServer() as blog:
        publish(blog, DAY_1, DAY_2)
        config = config_for(tmp_path, [("notes", blog.url("/feed.xml"))])

        first = await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path)
        assert first.code == 0, first.stderr
        assert "notes" in first.stdout and "2401.10020" in first.stdout
        papers = sorted(r[0] for r in db_rows(state_db(tmp_path), "select arxiv_id from papers"))
        assert papers == ["2401.10020", "2401.10208", "2401.10225"]  # versionless
        counts = db_rows(state_db(tmp_path), "select (select count(*) from posts), "
                                   "(select count(*) from mentions)")[0]

        listed = await run_paperbot("--config", config, "papers", "--json", cwd=tmp_path)
        assert listed.code == 0, listed.stderr
        by_id = {p["arxiv_id"]: p for p in json.loads(listed.stdout)["papers"]}
        assert set(by_id) == set(papers)
        mention = by_id["2401.10225"]["mentions"][0]
        assert mention == {"source": "notes", "post_url": blog.url("/posts/2.html"),
                           "role": "primary", "lang": "ko"}
        assert set(by_id["2401.10020"]) == {"arxiv_id", "title", "authors", "categories",
                                            "first_seen", "mentions"}

        second = await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path)
        assert second.code == 0, second.stderr
        assert db_rows(state_db(tmp_path), "select (select count(*) from posts), "
                                 "(select count(*) from mentions)")[0] == counts
        assert sorted(r[0] for r in db_rows(state_db(tmp_path), "select arxiv_id from papers")) == papers
        runs = db_rows(state_db(tmp_path), "select ok, papers_new from crawl_runs order by id")
        assert runs == [(1, 3), (1, 0)]


async def test_a_failing_source_does_not_stop_the_others(tmp_path):
    async with BlogServer() as good, BlogServer() as broken, BlogServer() as slow, \
            BlogServer() as loop:
        publish(good, DAY_2)
        broken.fail("/feed.xml", status=500)
        slow.fail("/feed.xml", hang=True)
        loop.fail("/feed.xml", redirect_loop=True)
        config = config_for(tmp_path, [("broken", broken.url("/feed.xml")),
                                       ("loop", loop.url("/feed.xml")),
                                       ("good", good.url("/feed.xml")),
                                       ("slow", slow.url("/feed.xml"))])

        result = await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path)

    assert result.code == 1
    assert "FAILED broken: HTTP 500" in result.stderr
    assert "FAILED slow: timed out after 3 s" in result.stderr
    assert "FAILED loop:" in result.stderr and "redirect" in result.stderr
    assert "FAILED good" not in result.stderr
    assert db_rows(state_db(tmp_path), "select arxiv_id from papers") == [("2401.10225",)]
    health = dict(db_rows(state_db(tmp_path), "select name, consecutive_failures from sources"))
    assert health == {"broken": 1, "good": 0, "loop": 1, "slow": 1}


async def test_only_the_named_source_is_crawled(tmp_path):
    async with BlogServer() as a, BlogServer() as b:
        for blog in (a, b):
            publish(blog, DAY_2)
        config = config_for(tmp_path, [("a", a.url("/feed.xml")), ("b", b.url("/feed.xml"))])
        result = await run_paperbot("--config", config, "crawl", "once", "--source", "b",
                                    cwd=tmp_path)
        assert result.code == 0, result.stderr
        assert a.total_hits == 0 and b.hits["/feed.xml"] == 1
        unknown = await run_paperbot("--config", config, "crawl", "once", "--source", "zzz",
                                     cwd=tmp_path)
        assert unknown.code == 2 and "zzz" in unknown.stderr


async def test_since_keeps_only_recent_posts_and_archives_them(tmp_path):
    async with BlogServer() as blog:
        publish(blog, DAY_1, DAY_2)
        config = config_for(tmp_path, [("notes", blog.url("/feed.xml"))])
        result = await run_paperbot("--config", config, "crawl", "once", "--since", "2024-01-20",
                                    cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert db_rows(state_db(tmp_path), "select arxiv_id, notify from papers") == [("2401.10225", 0)]


async def test_a_retried_page_is_logged_at_info(tmp_path):
    """Scrapy logs its retries at DEBUG; paperbot shows them: a page fetched twice is a
    wait the log should explain."""
    async with BlogServer() as blog:
        publish(blog, DAY_2)
        blog.fail("/feed.xml", status=503, times=1)
        config = config_for(tmp_path, [("notes", blog.url("/feed.xml"))])
        path = Path(config)
        path.write_text(path.read_text(encoding="utf-8").replace("retries = 0", "retries = 1"),
                        encoding="utf-8")
        result = await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path)
    assert result.code == 0, result.stderr
    (line,) = [ln for ln in result.stderr.splitlines() if "Retrying" in ln]
    assert " INFO scrapy.downloadermiddlewares.retry: Retrying <GET " in line
    assert "/feed.xml> (failed 1 times): 503" in line
