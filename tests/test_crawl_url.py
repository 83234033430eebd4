"""`crawl once --url` of a post that is already stored (from its feed's full content):
the page is fetched conditionally like a crawl (a 304 keeps the stored version), and a
page that yields fewer papers than the stored version (a stub, a paywall) does not
replace it: the mentions stay and the difference is recorded. A richer page does
replace it."""

from __future__ import annotations

import asyncio
from html import escape

import pytest

from tests.conftest import NO_ARXIV, db_rows, run_paperbot, state_db, write_config
from tests.servers.blog import BlogServer
from tests.service_fixtures import post_html

WEEK = ["2401.10020", "2402.03300", "2403.09611"]


def feed_with_content(base: str, path: str, html: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>b</title>'
            f"<link>{base}/</link><item><title>Week</title><link>{base}{path}</link>"
            f"<pubDate>Mon, 15 Jan 2024 09:00:00 GMT</pubDate>"
            f"<content:encoded>{escape(html)}</content:encoded></item></channel></rss>")


@pytest.mark.slow
async def test_refetching_a_stored_post_never_loses_its_papers(tmp_path):
    async with BlogServer() as blog:
        page = "/p/week"
        blog.add_page("/feed.xml", feed_with_content(blog.url(""), page, post_html(WEEK)),
                      "application/rss+xml")
        blog.add_page(page, post_html(WEEK[:1], "Subscribe to read more."))  # a stub
        config = str(write_config(tmp_path, f"state_dir = '{tmp_path / 'state'}'\n{NO_ARXIV}"
                                  f"[crawl]\ndownload_delay_seconds = 0.0\n"
                                  f"[[sources]]\nname = 'notes'\nkind = 'rss'\n"
                                  f"url = '{blog.url('/feed.xml')}'\nlang = 'ko'\n"))
        db = state_db(tmp_path)

        async def refetch():
            return await run_paperbot("--config", config, "crawl", "once", "--url",
                                      blog.url(page), cwd=tmp_path)

        def stored():
            return (db_rows(db, "select arxiv_id from mentions order by arxiv_id"),
                    db_rows(db, "select content_hash, error, lang, source from posts"))

        assert (await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path)).code == 0
        first = stored()
        assert first[0] == [(i,) for i in WEEK] and blog.hits[page] == 0  # from the feed

        # unchanged since it was stored: a conditional GET, answered 304
        result = await refetch()
        assert result.code == 0, result.stderr
        assert blog.not_modified == 1 and "not modified" in result.stderr
        assert stored() == first

        # the page changed into a poorer version: not stored, the difference recorded
        await asyncio.sleep(1.1)  # HTTP dates have whole seconds
        blog.add_page(page, post_html(WEEK[:1], "Subscribe now to read the rest."))
        result = await refetch()
        assert result.code == 0, result.stderr
        note = "the page now yields 1 paper(s), the stored version 3 (missing: 2402.03300, " \
               "2403.09611)"
        assert note in result.stderr
        mentions, [(content, error, lang, source)] = stored()
        assert mentions == first[0] and content == first[1][0][0]
        assert note in error and (lang, source) == ("ko", "notes")

        # a richer page replaces it
        await asyncio.sleep(1.1)
        blog.add_page(page, post_html([*WEEK, "2404.19756"]))
        result = await refetch()
        assert result.code == 0, result.stderr
        mentions, [(content, error, _lang, _source)] = stored()
        assert len(mentions) == 4 and content != first[1][0][0] and error is None
