"""Bad days at the sources, under the real service. Every source first works (so Scrapy's
HTTP cache holds a copy of its feed), then breaks in one of the ways a site breaks: a
server that never answers, one that trickles a byte at a time, a refused connection,
500, 503, 404, a 10 MB feed, bytes in no encoding, a redirect loop, an error page where
the feed was, a listing page mangled beyond reading. Each broken source is recorded
(last error in words, failures in a row), backed off (crawled less and less often) and
alerted to the admin chat once, never to a subscriber; the stored copy is never passed
off as a fresh one. The healthy sources, one of them with malformed HTML that still has
papers in it, keep delivering. When the sites come back, the sources recover and their
alerts are cleared."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.conftest import paperbot_env, run_paperbot, write_config
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import Blog, ServiceProc, poll, query, service_config

ADMIN, READER = 999, 1001
HEALTHY = {"good": "2307.03172", "malformed": "2309.17453"}
MALFORMED = ("<html><body><div class='post-body'><p><a href='https://arxiv.org/abs/{pid}'>"
             "https://arxiv.org/abs/{pid}</a><p><b>A paper worth reading. ({pid}) <<< & <i>"
             "</p></div><div></span></table></body")
LISTING = "<html><body><ul class='posts'><li><a href='{href}'>first</a></li></ul></body></html>"
# fault → (how the blog server breaks, what the source's last error says)
FAULTS = {
    "hang": ({"hang": True}, "timed out after 1 s"),
    "trickle": ({"trickle": True}, "timed out after 1 s"),
    "refused": (None, "connection refused"),  # its own server, stopped
    "err500": ({"status": 500}, "HTTP 500 Internal Server Error"),
    "err503": ({"status": 503}, "HTTP 503 Service Unavailable"),
    "err404": ({"status": 404}, "HTTP 404 Not Found"),
    "huge": ({"body": b"<?xml version='1.0'?><rss><channel>" + b"x" * (10 * 1024 * 1024),
              "content_type": "application/rss+xml"}, "response too large"),
    "badenc": ({"body": bytes(range(128, 256)) * 64, "content_type": "application/rss+xml"},
               "not an RSS/Atom feed"),
    "loop": ({"redirect_loop": True}, "redirect loop"),
    "badfeed": ({"body": b"<html><body><h1>Service temporarily unavailable</h1></body></html>",
                 "content_type": "text/html"}, "not an RSS/Atom feed"),
    "badhtml": ({"body": b"<html><body><ul class='posts'><li><a hr\x00\xff<<<</ul",
                 "content_type": "text/html"}, "no post links match"),
}


def html_source(name: str, url: str) -> str:
    return (f"\n[[sources]]\nname = '{name}'\nkind = 'html'\nurl = '{url}'\nlang = 'en'\n"
            f"link_selector = 'ul.posts a'\ncontent_selector = 'div.post-body'\n")


@pytest.mark.slow
async def test_every_source_fault_is_recorded_backed_off_alerted_once_and_cleared(tmp_path):
    async with (BlogServer() as server, BlogServer() as down, ArxivStub() as arxiv,
                TelegramStub() as tg):
        blogs = {name: Blog(server, f"/{name}") for name in [*HEALTHY, *FAULTS]}
        blogs["refused"] = Blog(down, "/refused")
        for blog in blogs.values():
            blog.publish("first", ["2305.18290"])
        server.add_page("/badhtml/", LISTING.format(href="/badhtml/posts/first.html"))
        feeds = {name: (f"/{name}/" if name == "badhtml" else f"/{name}/feed.xml")
                 for name in FAULTS}
        config = service_config(
            tmp_path, sources=[(n, b.feed_url, "en") for n, b in blogs.items() if n != "badhtml"],
            telegram_url=tg.base_url, llm_url=None, arxiv_url=arxiv.url,
            every_minutes=0.03, alert_after=2, admin=ADMIN, crawl_timeout=1.0,
            extra=html_source("badhtml", server.url("/badhtml/")))
        db = tmp_path / "state" / "paperbot.db"
        svc = await ServiceProc(tmp_path, config, api_key=False).start()  # fallback summaries
        try:
            await svc.wait_for_line(r"paperbot running", timeout=20)
            tg.inject_command(READER, "/start", language_code="en")
            await tg.wait_for_sent(1, chat_id=READER)
            # every source works once: the HTTP cache now holds every feed and page
            await poll(lambda: query(db, "select count(*) from sources where last_success_at "
                                         "is not null")[0][0] == len(blogs), timeout=30,
                       what="a first success everywhere")
            for name, (fault, _why) in FAULTS.items():
                if fault is not None:
                    server.fail(feeds[name], **fault)
            await down.go_down()
            blogs["good"].publish("news", [HEALTHY["good"]])
            blogs["malformed"].publish("news", [], html=MALFORMED.format(
                pid=HEALTHY["malformed"]))
            got = await tg.wait_for_sent(1 + len(HEALTHY), chat_id=READER, timeout=30)
            assert {pid for pid in HEALTHY.values() if any(pid in m.text for m in got)} \
                == set(HEALTHY.values())

            def alerted():
                return {name for name in FAULTS
                        if any(f"source {name} " in m.text for m in tg.messages_to(ADMIN))}

            await poll(lambda: alerted() == set(FAULTS), timeout=40, interval=0.3,
                       what=f"alerts for every failing source (got {alerted()})")
            # two more crawl cycles: no alert is repeated, the broken sources sit them out
            good_runs = query(db, "select count(*) from crawl_runs where source = 'good'")[0][0]
            await poll(lambda: query(db, "select count(*) from crawl_runs where source = "
                                         "'good'")[0][0] >= good_runs + 2, timeout=30,
                       what="two more crawls")
            health = {r[0]: r[1:] for r in query(
                db, "select name, consecutive_failures, last_error, backoff_until from sources")}
            runs = dict(query(db, "select source, count(*) from crawl_runs group by source"))
            for name, (_fault, why) in FAULTS.items():
                failures, error, backoff = health[name]
                assert failures >= 2 and why in (error or ""), (name, health[name])
                assert backoff is not None, name
                assert runs[name] < runs["good"], (name, runs)  # crawled less often
                (gap,) = query(db, "select (julianday(backoff_until) - julianday(last_run_at))"
                                   " * 86400 from sources where name = ?", (name,))[0]
                assert gap >= 2 * 1.8 - 1, (name, gap)
            assert any("backed off, not crawled this time" in line for line in svc.lines)
            for name in HEALTHY:
                assert health[name][0] == 0, (name, health[name])

            # the sites come back: every source recovers and its alert is cleared
            server.heal()
            await down.come_back()
            await poll(lambda: query(db, "select count(*) from alerts where key like "
                                         "'source-failing:%' and cleared_at is null")[0][0] == 0,
                       timeout=60, interval=0.3, what="every source recovered")
            assert query(db, "select count(*) from sources where consecutive_failures > 0 "
                             "or backoff_until is not null") == [(0,)]
            svc.signal(signal.SIGTERM)
            assert await svc.wait(12) == 0
        finally:
            await svc.close()

    admin_texts = [m.text for m in tg.messages_to(ADMIN)]
    for name in FAULTS:
        assert sum(f"source {name} " in t for t in admin_texts) == 1, (name, admin_texts)
    for name in HEALTHY:
        assert not any(f"source {name} " in t for t in admin_texts)
    assert not any("source" in m.text and "failed" in m.text for m in tg.messages_to(READER))
    assert query(db, "select count(*) from alerts where key like 'source-failing:%'")[0][0] \
        == len(FAULTS)


async def test_dns_and_tls_failures_are_named(tmp_path):
    """Faults the service test cannot stage on one loopback server, by `crawl once`."""
    async with BlogServer() as server:
        blog = Blog(server)
        blog.publish("first", ["2305.18290"])
        tls_url = blog.feed_url.replace("http://", "https://")  # a plain-HTTP port
        config = write_config(tmp_path, f"state_dir = '{tmp_path / 'state'}'\n" + f"""
[crawl]
download_delay_seconds = 0.0
timeout_seconds = 3.0
retries = 0

[[sources]]
name = "dns"
kind = "rss"
url = "http://no-such-host.invalid/feed.xml"

[[sources]]
name = "tls"
kind = "rss"
url = "{tls_url}"
""")
        result = await asyncio.wait_for(run_paperbot("--config", str(config), "crawl", "once",
                                                     cwd=tmp_path, env=paperbot_env(tmp_path)),
                                        60)
    assert result.code == 1
    assert "FAILED dns: DNS lookup failed (no such host)" in result.stderr
    assert "FAILED tls: TLS handshake failed (wrong version number)" in result.stderr
