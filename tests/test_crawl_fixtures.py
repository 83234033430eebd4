"""ACCEPTANCE: `paperbot crawl once` over the realistic fixture sites (one local server per
site, the real hosts rewritten to them) and the local arXiv API stub gives exactly
tests/fixtures/expected.json; a second run adds nothing and re-extracts nothing.

One crawl pair (first run, second run) is shared by the tests of this module: they
assert different things about the same outcome.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import FIXTURES, db_rows, run_paperbot, write_config
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer

SITES = FIXTURES / "sites"
EXPECTED: dict[str, dict] = json.loads((FIXTURES / "expected.json").read_text("utf-8"))
INDEX = {p["id"]: p for p in json.loads((FIXTURES / "arxiv_index.json").read_text("utf-8"))}
HOSTS = sorted(p.name for p in SITES.iterdir() if p.is_dir())

FAST = """
[crawl]
download_delay_seconds = 0.0
timeout_seconds = 5.0
retries = 0
concurrency_per_site = 2

[arxiv]
api_url = '{arxiv}'
min_interval_seconds = 0.01
max_retries = 1
"""


def load_site(server: BlogServer, host: str, bases: dict[str, str]) -> None:
    """Serve ``sites/<host>`` as the site: ``dir/index.html`` at ``/dir`` (and ``/dir/``),
    ``feed.xml`` also at ``/feed``, every real host URL rewritten to its local server."""
    root = SITES / host
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text("utf-8")
        for other, base in bases.items():
            text = text.replace(f"https://{other}", base).replace(f"http://{other}", base)
        rel = "/" + path.relative_to(root).as_posix()
        if path.name == "index.html":
            parent = rel[: -len("index.html")]
            for alias in {parent, parent.rstrip("/") or "/"}:
                server.add_page(alias, text, "text/html")
        elif path.name == "feed.xml":
            server.add_page(rel, text, "application/rss+xml")
            server.add_page(rel[: -len(".xml")], text, "application/rss+xml")
        else:
            server.add_page(rel, text)


def local(url: str, bases: dict[str, str]) -> str:
    parts = urlsplit(url)
    return bases[parts.netloc] + parts.path


def config_text(tmp: Path, bases: dict[str, str], arxiv_url: str) -> str:
    b = bases
    return f"state_dir = '{tmp / 'state'}'\n" + FAST.format(arxiv=arxiv_url) + f"""
[[sources]]
name = 'rosinality'
kind = 'rss'
url = '{b["rosinality.substack.com"]}/feed'
lang = 'ko'

[[sources]]
name = 'papersdigest'
kind = 'rss'
url = '{b["papersdigest.substack.com"]}/feed'
lang = 'en'
use_feed_content = false
content_selector = 'div.available-content'

[[sources]]
name = 'pytorch-kr'
kind = 'discourse'
url = '{b["discuss.pytorch.kr"]}/c/news/14.json'
lang = 'ko'
title_pattern = '(?i)top ml papers|주요 ML 논문'

[[sources]]
name = 'csdn'
kind = 'html'
url = '{b["blog.csdn.net"]}/Zhipu_AI/category_12522936.html'
lang = 'zh'
link_selector = 'ul.column_article_list li a'
content_selector = '#content_views'
title_selector = 'h1#articleContentId'
date_selector = 'span.time'
title_pattern = '大模型周报'

[[sources]]
name = 'titanida'
kind = 'html'
url = '{b["titanida.com"]}/'
lang = 'ru'
link_selector = 'h2.post-title a, a.post-link'
content_selector = 'article .post-content, article'
title_selector = 'h1.post-title, h1'
date_selector = 'time.dt-published, time'
"""


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every row that extraction writes (posts minus the fetch timestamp)."""
    return {
        "posts": db_rows(db_path, "select id, url, source, title, published_at, content_hash, "
                                "status, extractor_version, extracted_at from posts order by id"),
        "papers": db_rows(db_path, "select * from papers order by arxiv_id"),
        "mentions": db_rows(db_path, "select * from mentions order by post_id, arxiv_id"),
        "unresolved": db_rows(db_path, "select * from unresolved order by id"),
        "arxiv_searches": db_rows(db_path, "select * from arxiv_searches order by term"),
    }


async def _scenario(tmp: Path) -> dict:
    out: dict = {"tmp": tmp}
    servers = [BlogServer() for _ in HOSTS]
    async with ArxivStub() as arxiv:
        for s in servers:
            await s.__aenter__()
        try:
            bases = {host: s.url("").rstrip("/") for host, s in zip(HOSTS, servers, strict=True)}
            for host, s in zip(HOSTS, servers, strict=True):
                load_site(s, host, bases)
            out["bases"] = bases
            config = str(write_config(tmp, config_text(tmp, bases, arxiv.url)))
            db_path = tmp / "state" / "paperbot.db"

            out["first"] = await run_paperbot("--config", config, "crawl", "once", cwd=tmp)
            out["first_hits"] = sum(s.total_hits for s in servers)
            out["first_304"] = sum(s.not_modified for s in servers)
            out["first_arxiv"] = list(arxiv.requests)
            out["snap1"] = snapshot(db_path)

            out["second"] = await run_paperbot("--config", config, "crawl", "once", cwd=tmp)
            out["second_hits"] = sum(s.total_hits for s in servers) - out["first_hits"]
            out["second_304"] = sum(s.not_modified for s in servers) - out["first_304"]
            out["second_arxiv"] = arxiv.requests[len(out["first_arxiv"]):]
            out["snap2"] = snapshot(db_path)
            out["db"] = db_path
        finally:
            for s in servers:
                await s.__aexit__(None, None, None)
    return out


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    return asyncio.run(_scenario(tmp_path_factory.mktemp("fixtures-crawl")))


def _post_id(crawled, key: str) -> int | None:
    url = local(EXPECTED[key]["url"], crawled["bases"])
    rows = db_rows(crawled["db"], "select id from posts where url = ?", [url])
    return rows[0][0] if rows else None


def test_first_crawl_succeeds_for_every_source(crawled):
    first = crawled["first"]
    assert first.code == 0, first.stderr
    for name in ("rosinality", "papersdigest", "pytorch-kr", "csdn", "titanida"):
        assert name in first.stdout


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_post_gives_exactly_its_expected_papers(crawled, key):
    exp = EXPECTED[key]
    post_id = _post_id(crawled, key)
    if post_id is None:
        # only a post with nothing in it may be skipped (the title_pattern filters it)
        assert exp["primary"] == [] and exp["references"] == [], f"{key} was not crawled"
        return
    rows = db_rows(crawled["db"], "select arxiv_id, role, flag from mentions where post_id = ? "
                                "order by rowid", [post_id])
    primary = [r[0] for r in rows if r[1] == "primary"]
    references = [r[0] for r in rows if r[1] == "reference"]
    assert sorted(primary) == sorted(exp["primary"]), key
    assert sorted(references) == sorted(exp["references"]), key
    for linked_id in exp.get("mismatch", {}):
        assert linked_id not in primary
    open_titles = [r[0] for r in db_rows(crawled["db"], "select title from unresolved where "
                                       "post_id = ? and resolved_id is null", [post_id])]
    assert sorted(open_titles) == sorted(exp.get("unresolved", [])), key


def test_nothing_else_is_stored(crawled):
    expected_ids = {i for e in EXPECTED.values() for i in e["primary"] + e["references"]}
    stored = {r[0] for r in db_rows(crawled["db"], "select arxiv_id from papers")}
    assert stored == expected_ids
    primaries = {i for e in EXPECTED.values() for i in e["primary"]}
    flagged = {r[0] for r in db_rows(crawled["db"], "select arxiv_id from papers "
                                                  "where has_primary = 1")}
    assert flagged == primaries


def test_unresolved_entries_never_get_an_invented_id(crawled):
    rows = db_rows(crawled["db"], "select title, resolved_id, attempts, next_retry_at, reason "
                                "from unresolved")
    wanted = {t for e in EXPECTED.values() for t in e.get("unresolved", [])}
    open_rows = [r for r in rows if r[1] is None]
    assert {r[0] for r in open_rows} == wanted
    for _title, _id, attempts, retry_at, reason in open_rows:
        assert attempts == 1 and retry_at > crawled["snap1"]["posts"][0][8]  # a later retry
        assert reason == "no-match"
    # every search is cached (hits and misses) until it may be tried again
    searches = db_rows(crawled["db"], "select term, results, expires_at from arxiv_searches")
    first_extracted = crawled["snap1"]["posts"][0][8]
    assert searches and all(expires > first_extracted for _t, _r, expires in searches)
    assert any(json.loads(results) == [] for _t, results, _e in searches)  # a miss is cached


def test_every_paper_is_enriched_with_arxiv_metadata(crawled):
    rows = db_rows(crawled["db"], "select arxiv_id, title, authors, abstract, categories, "
                                "published, updated, enriched_at from papers")
    for arxiv_id, title, authors, abstract, categories, published, updated, enriched in rows:
        src = INDEX[arxiv_id]
        assert enriched and title == src["title"], arxiv_id
        assert json.loads(authors) == src["authors"]
        assert json.loads(categories)[0] == src["categories"][0]
        assert abstract == src["abstract"]
        assert (published, updated) == (src["published"], src["updated"])


def test_arxiv_is_asked_politely_and_in_batches(crawled):
    requests = crawled["first_arxiv"]
    id_lists = [p["id_list"] for _t, p, _ua in requests if p.get("id_list")]
    assert id_lists and all(len(q.split(",")) <= 100 for q in id_lists)
    linked = {i for e in EXPECTED.values() for i in e["primary"] + e["references"]}
    # one round trip covers every linked ID of every post (plus the wrong link)
    assert len(id_lists) <= 2
    assert all(ua.startswith("paperbot/") for _t, _p, ua in requests)
    asked = {i for q in id_lists for i in q.split(",")}
    assert asked <= linked | {i for e in EXPECTED.values() for i in e.get("mismatch", {})}


def test_second_crawl_adds_nothing_and_reextracts_nothing(crawled):
    second = crawled["second"]
    assert second.code == 0, second.stderr
    assert crawled["snap2"] == crawled["snap1"]  # same rows, same extracted_at, same cache
    assert crawled["second_arxiv"] == []  # nothing to enrich, misses not due yet
    # every page came back 304 through Scrapy's RFC2616 HTTP cache (robots.txt has no ETag)
    assert crawled["second_hits"] == crawled["first_hits"]
    robots = len(HOSTS)
    assert crawled["second_304"] == crawled["second_hits"] - robots
    runs = db_rows(crawled["db"], "select papers_new from crawl_runs order by id")
    assert [r[0] for r in runs[len(runs) // 2:]] == [0] * (len(runs) // 2)

