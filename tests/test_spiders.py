"""Spiders: parsing tested offline on the saved fixture pages (Scrapy responses built in
memory), then crawl politeness and `crawl once --url` through the real CLI."""

from __future__ import annotations

import json

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse

from crawler.models import Post
from crawler.spiders import SPIDERS, spider_for
from crawler.spiders.discourse import DiscourseSpider, forum_base, json_url
from crawler.spiders.html import HtmlSpider, parse_date_text
from crawler.spiders.url import UrlSpider
from jobs.config import DEFAULT_SOURCES, Source, parse_config
from tests.conftest import FIXTURES, db_rows, run_paperbot, state_db, write_config
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer, rss_feed

SITES = FIXTURES / "sites"


def response(url: str, path: str, cls=HtmlResponse, text: str | None = None, **kwargs):
    body = (text if text is not None else (SITES / path).read_text("utf-8")).encode("utf-8")
    return cls(url=url, body=body, encoding="utf-8", request=scrapy.Request(url, **kwargs))


def default_source(name: str, url: str) -> Source:
    """A built-in default source (its real selectors), pointed at ``url``."""
    cfg = parse_config({"sources": [{**s, "url": url} for s in DEFAULT_SOURCES
                                    if s["name"] == name]}, env={})
    return cfg.sources[0]


def test_every_source_kind_has_a_spider():
    assert set(SPIDERS) == {"rss", "discourse", "html", "url"}
    with pytest.raises(ValueError):
        spider_for("gopher")


# -- discourse ------------------------------------------------------------------------

def test_discourse_topic_list_keeps_only_matching_topics():
    src = default_source("pytorch-kr-weekly", "https://discuss.pytorch.kr/c/news/14.json")
    spider = DiscourseSpider(source=src)
    out = list(spider.parse_list(response(src.url, "discuss.pytorch.kr/c/news/14.json",
                                          TextResponse), page=1))
    assert [r.url for r in out] == [
        "https://discuss.pytorch.kr/t/2024-04-22-04-28-ml-top-ml-papers-of-the-week/4180.json",
        "https://discuss.pytorch.kr/t/2024-03-18-03-24-top-ml-papers-of-the-week/3912.json",
        "https://discuss.pytorch.kr/t/2023-10-02-10-08-top-ml-papers-of-the-week/2620.json",
    ]  # not the category's "about" topic, not the PyTorch 2.3 release notes
    assert spider.errors == []


def test_discourse_topic_gives_the_first_post_as_the_body():
    src = default_source("pytorch-kr-weekly", "https://discuss.pytorch.kr/c/news/14.json")
    spider = DiscourseSpider(source=src)
    path = "discuss.pytorch.kr/t/2024-04-22-04-28-ml-top-ml-papers-of-the-week/4180.json"
    data = json.loads((SITES / path).read_text("utf-8"))
    post_url = "https://discuss.pytorch.kr/t/2024-04-22-04-28-ml-top-ml-papers-of-the-week/4180"
    (post,) = spider.parse_topic(response(post_url + ".json", path, TextResponse),
                                 post_url=post_url)
    assert isinstance(post, Post)
    assert post.url == post_url and post.title == data["title"] and post.lang == "ko"
    assert post.html == data["post_stream"]["posts"][0]["cooked"]
    assert post.published_at == "2024-04-29T02:05:33+00:00"


def test_discourse_pagination_and_forum_base():
    assert forum_base("https://forum.example/community/c/papers/7.json") == \
        "https://forum.example/community"
    assert forum_base("https://discuss.pytorch.kr/latest.json") == "https://discuss.pytorch.kr"
    assert json_url("/c/news/14?page=1") == "/c/news/14.json?page=1"
    src = Source(name="f", kind="discourse", url="https://f.example/latest.json", max_pages=2)
    spider = DiscourseSpider(source=src)
    page = {"topic_list": {"topics": [{"id": 1, "slug": "a", "title": "A"}],
                           "more_topics_url": "/latest?page=1"}}
    out = list(spider.parse_list(response(src.url, "", TextResponse, text=json.dumps(page)),
                                 page=1))
    assert [r.url for r in out] == ["https://f.example/t/a/1.json",
                                    "https://f.example/latest.json?page=1"]
    page["topic_list"]["topics"] = [{"id": 2, "slug": "b", "title": "B"}]
    last = list(spider.parse_list(response(src.url, "", TextResponse, text=json.dumps(page)),
                                  page=2))
    assert [r.url for r in last] == ["https://f.example/t/b/2.json"]  # max_pages reached


def test_discourse_non_json_answer_is_a_named_error():
    src = Source(name="f", kind="discourse", url="https://f.example/latest.json")
    spider = DiscourseSpider(source=src)
    assert list(spider.parse_list(response(src.url, "", TextResponse, text="<html>login"),
                                  page=1)) == []
    assert spider.errors and "not a Discourse topic list" in spider.errors[0]


# -- html ----------------------------------------------------------------------------

CSDN_LIST = "https://blog.csdn.net/Zhipu_AI/category_12522936.html"


def test_html_listing_follows_only_the_configured_post_links():
    spider = HtmlSpider(source=default_source("csdn-zhipu-weekly", CSDN_LIST))
    out = list(spider.parse_listing(
        response(CSDN_LIST, "blog.csdn.net/Zhipu_AI/category_12522936.html"), page=1))
    assert [r.url for r in out] == [
        f"https://blog.csdn.net/Zhipu_AI/article/details/{n}"
        for n in (140442716, 139829735, 138402317, 135402788)]  # not the sidebar's 140211397
    assert all(r.cb_kwargs == {"checked": True} for r in out)  # title_pattern met on the list


def test_html_listing_with_root_relative_links():
    spider = HtmlSpider(source=default_source("titanida", "https://titanida.com/"))
    out = list(spider.parse_listing(response("https://titanida.com/", "titanida.com/index.html"),
                                    page=1))
    assert [r.url for r in out] == [
        "https://titanida.com/Jamba-hybrid-transformer-mamba",
        "https://titanida.com/llama-cpp-server-setup",
        "https://titanida.com/LLaVA-RLHF-aligning-large-multimodal-models"]


def test_html_post_page_title_date_and_body_by_selectors():
    spider = HtmlSpider(source=default_source("csdn-zhipu-weekly", CSDN_LIST))
    url = "https://blog.csdn.net/Zhipu_AI/article/details/139829735"
    (post,) = spider.parse_post(response(url, "blog.csdn.net/Zhipu_AI/article/details/"
                                              "139829735/index.html"), checked=True)
    assert post.title == "何恺明新作:无需矢量量化的自回归图像生成|大模型周报"
    assert post.published_at == "2024-06-24T10:08:47+00:00"
    assert post.html.startswith('<div id="content_views"')
    assert "相关推荐" not in post.html  # the page chrome stays outside the body

    spider = HtmlSpider(source=default_source("titanida", "https://titanida.com/"))
    url = "https://titanida.com/Jamba-hybrid-transformer-mamba"
    (post,) = spider.parse_post(response(url, "titanida.com/Jamba-hybrid-transformer-mamba/"
                                              "index.html"))
    assert post.title == "Jamba: гибрид Transformer и Mamba от AI21 Labs"
    assert post.published_at == "2024-04-02T07:00:00+00:00"  # +03:00 → UTC
    assert 'class="post-content' in post.html[:200]


LISTING = """<html><body><ul>
<li><a class="p" href="/posts/{a}">Weekly papers {a}</a></li>
<li><a class="p" href="/posts/{b}">Release notes {b}</a></li>
<li><a class="p" href="#comments">comments</a></li></ul>
<a class="next" href="/page/{n}">Older</a></body></html>"""


def test_html_next_page_title_pattern_and_limits():
    src = Source(name="b", kind="html", url="https://b.example/", link_selector="a.p",
                 next_page_selector="a.next", max_pages=2, title_pattern="Weekly", max_posts=2)
    spider = HtmlSpider(source=src)
    page1 = list(spider.parse_listing(response(
        "https://b.example/", "", text=LISTING.format(a=1, b=2, n=2)), page=1))
    assert [r.url for r in page1] == ["https://b.example/posts/1", "https://b.example/page/2"]
    page2 = list(spider.parse_listing(response(
        "https://b.example/page/2", "", text=LISTING.format(a=3, b=4, n=3)), page=2))
    assert [r.url for r in page2] == ["https://b.example/posts/3"]  # page 3 > max_pages
    page3 = list(spider.parse_listing(response(
        "https://b.example/page/3", "", text=LISTING.format(a=5, b=6, n=4)), page=1))
    assert page3 == []  # max_posts reached


def test_html_listing_without_matches_is_an_error():
    src = Source(name="b", kind="html", url="https://b.example/", link_selector="a.nothing")
    spider = HtmlSpider(source=src)
    list(spider.parse_listing(response("https://b.example/", "", text=LISTING), page=1))
    assert spider.errors and "no post links match" in spider.errors[0]


def test_url_spider_ignores_title_pattern_and_uses_page_title():
    src = Source(name="url:titanida.com", kind="url", lang="ru", title_pattern="never",
                 url="https://titanida.com/LLaVA-RLHF-aligning-large-multimodal-models")
    spider = UrlSpider(source=src)
    (post,) = spider.parse_post(response(
        src.url, "titanida.com/LLaVA-RLHF-aligning-large-multimodal-models/index.html"),
        checked=True)
    assert post.title.startswith("LLaVA-RLHF: Aligning Large Multimodal Models")
    assert post.published_at == "2023-10-16T07:00:00+00:00"


@pytest.mark.parametrize("text, expected", [
    ("已于\xa02024-06-24 10:08:47\xa0修改", "2024-06-24T10:08:47+00:00"),
    ("2024年5月6日", "2024-05-06T00:00:00+00:00"),
    ("2024-04-02T10:00:00+03:00", "2024-04-02T07:00:00+00:00"),
    ("Posted 2024/01/19 09:30 +0900", "2024-01-19T00:30:00+00:00"),
    ("yesterday", None),
    ("", None),
])
def test_dates_in_free_text(text, expected):
    assert parse_date_text(text) == expected


# -- politeness and --url through the real CLI -----------------------------------------------

def _feed(base: str, paths: list[str]) -> str:
    return rss_feed(base, [(p, p, "Sat, 20 Jan 2024 09:00:00 GMT") for p in paths])


OK_POST = ('<html><body><div class="post"><p><a href="https://arxiv.org/abs/2401.10020">'
           'https://arxiv.org/abs/2401.10020</a></p><p>Self-Rewarding Language Models '
           '(Weizhe Yuan, Jason Weston)</p><p>좋은 논문입니다.</p></div></body></html>')


async def test_robots_size_cap_and_timeout_are_enforced(tmp_path):
    async with BlogServer() as blog, ArxivStub() as arxiv:
        blog.add_page("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        blog.add_page("/posts/ok", OK_POST, "text/html")
        blog.add_page("/private/secret", OK_POST.replace("2401.10020", "2401.10208"),
                      "text/html")
        blog.add_page("/posts/huge", "<html><body>" + "x" * 60_000 + "</body></html>",
                      "text/html")
        blog.fail("/posts/slow", hang=True)
        paths = ["/posts/ok", "/private/secret", "/posts/huge", "/posts/slow"]
        blog.add_page("/feed.xml", _feed(blog.url(""), paths), "application/rss+xml")
        config = write_config(tmp_path, f"""
            state_dir = '{tmp_path / 'state'}'
            [crawl]
            download_delay_seconds = 0.0
            timeout_seconds = 1.0
            retries = 0
            max_response_bytes = 20000
            user_agent = 'paperbot-test/1.0 (+https://example.org/bot)'
            [arxiv]
            api_url = '{arxiv.url}'
            min_interval_seconds = 0.01
            [[sources]]
            name = 'blog'
            kind = 'rss'
            url = '{blog.url("/feed.xml")}'
            lang = 'ko'
            content_selector = 'div.post'
            """)
        result = await run_paperbot("--config", str(config), "crawl", "once", cwd=tmp_path)
        hits = dict(blog.hits)
    assert result.code == 1  # the oversized and the hanging page are named failures
    assert "FAILED blog" in result.stderr
    assert "huge" in result.stderr and "slow" in result.stderr
    assert "robots" not in result.stderr.split("FAILED blog")[1]  # skipped, not a failure
    assert hits.get("/robots.txt") == 1 and "/private/secret" not in hits  # robots obeyed
    assert db_rows(state_db(tmp_path), "select url from posts") == [(blog.url("/posts/ok"),)]
    assert db_rows(state_db(tmp_path), "select arxiv_id from papers") == [("2401.10020",)]


async def test_crawl_once_url_reads_just_that_post(tmp_path):
    page = (SITES / "titanida.com/LLaVA-RLHF-aligning-large-multimodal-models/index.html"
            ).read_text("utf-8")
    async with BlogServer() as blog, ArxivStub() as arxiv:
        blog.add_page("/LLaVA-RLHF", page, "text/html")
        blog.add_page("/other", OK_POST, "text/html")
        config = write_config(tmp_path, f"""
            state_dir = '{tmp_path / 'state'}'
            [crawl]
            download_delay_seconds = 0.0
            [arxiv]
            api_url = '{arxiv.url}'
            min_interval_seconds = 0.01
            [[sources]]
            name = 'blog'
            kind = 'rss'
            url = '{blog.url("/feed.xml")}'
            """)
        result = await run_paperbot("--config", str(config), "crawl", "once", "--url",
                                    blog.url("/LLaVA-RLHF"), "--lang", "ru", cwd=tmp_path)
        both = await run_paperbot("--config", str(config), "crawl", "once", "--url",
                                  blog.url("/x"), "--source", "blog", cwd=tmp_path)
        hits = dict(blog.hits)
    assert result.code == 0, result.stderr
    assert hits.get("/LLaVA-RLHF") == 1 and "/feed.xml" not in hits and "/other" not in hits
    source = f"url:127.0.0.1:{blog.port}"
    assert db_rows(state_db(tmp_path), "select source, lang from posts") == [(source, "ru")]
    assert db_rows(state_db(tmp_path), "select m.arxiv_id, m.role, p.title from mentions m "
                         "join papers p using(arxiv_id)") == [
        ("2309.14525", "primary", "Aligning Large Multimodal Models with Factually Augmented RLHF")]
    assert both.code == 2 and "--url" in both.stderr
