"""Bad days at the sources, under the real service: a 500, a timeout, a server that
never answers, a 10 MB feed, bytes in no encoding, a redirect loop — and malformed HTML
that still has papers in it. The healthy sources still deliver; each failing source is
recorded (last error, failures in a row), backed off (crawled less and less often) and
alerted to the admin chat once, after `source_alert_after_runs` runs — never to a
subscriber."""

from __future__ import annotations

import signal

import pytest

from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import Blog, ServiceProc, poll, query, service_config

ADMIN, READER = 999, 1001
HEALTHY = {"good": "2307.03172", "malformed": "2309.17453"}
FAULTS = {
    "err500": {"status": 500},
    "slow": {"delay": 2.5},  # longer than the 1 s download timeout
    "hang": {"hang": True},
    "huge": {"body": b"<?xml version='1.0'?><rss><channel>" + b"x" * (10 * 1024 * 1024),
             "content_type": "application/rss+xml"},
    "badenc": {"body": bytes(range(128, 256)) * 64, "content_type": "application/rss+xml"},
    "loop": {"redirect_loop": True},  # fails after REDIRECT_MAX_TIMES hops
}
MALFORMED = ("<html><body><div class='post-body'><p><a href='https://arxiv.org/abs/{pid}'>"
             "https://arxiv.org/abs/{pid}</a><p><b>A paper worth reading. ({pid}) <<< & <i>"
             "</p></div><div></span></table></body")


@pytest.mark.slow
async def test_failing_sources_are_recorded_backed_off_and_alerted_once(tmp_path):
    async with BlogServer() as server, ArxivStub() as arxiv, TelegramStub() as tg:
        blogs = {name: Blog(server, f"/{name}") for name in [*HEALTHY, *FAULTS]}
        for blog in blogs.values():
            blog.publish("first", ["2305.18290"])
        for name, fault in FAULTS.items():
            server.fail(f"/{name}/feed.xml", **fault)
        config = service_config(
            tmp_path, sources=[(n, b.feed_url, "en") for n, b in blogs.items()],
            telegram_url=tg.base_url, llm_url=None, arxiv_url=arxiv.url,
            every_minutes=0.03, alert_after=2, admin=ADMIN, crawl_timeout=1.0)
        db = tmp_path / "state" / "paperbot.db"
        svc = await ServiceProc(tmp_path, config, api_key=False).start()  # fallback summaries
        try:
            await svc.wait_for_line(r"paperbot running", timeout=20)
            tg.inject_command(READER, "/start", language_code="en")
            await tg.wait_for_sent(1, chat_id=READER)
            await poll(lambda: query(db, "select 1 from sources where name = 'good' and "
                                         "last_success_at is not null"), what="first crawl")
            blogs["good"].publish("news", [HEALTHY["good"]])
            blogs["malformed"].publish("news", [], html=MALFORMED.format(
                pid=HEALTHY["malformed"]))
            got = await tg.wait_for_sent(1 + len(HEALTHY), chat_id=READER, timeout=30)
            assert {pid for pid in HEALTHY.values() if any(pid in m.text for m in got)} \
                == set(HEALTHY.values())

            def alerted():
                return {name for name in FAULTS
                        if any(f"source {name} " in m.text for m in tg.messages_to(ADMIN))}

            await poll(lambda: alerted() == set(FAULTS), timeout=30, interval=0.3,
                       what=f"alerts for every failing source (got {alerted()})")
            # more crawl cycles: no alert is repeated, failing sources are crawled less
            good_runs = query(db, "select count(*) from crawl_runs where source = 'good'")[0][0]
            await poll(lambda: query(db, "select count(*) from crawl_runs where source = "
                                         "'good'")[0][0] >= good_runs + 2, timeout=30,
                       what="two more crawls")
            svc.signal(signal.SIGTERM)
            assert await svc.wait(12) == 0
        finally:
            await svc.close()

        admin_texts = [m.text for m in tg.messages_to(ADMIN)]
        for name in FAULTS:
            assert sum(f"source {name} " in t for t in admin_texts) == 1, (name, admin_texts)
        assert not any("source" in m.text and "failed" in m.text
                       for m in tg.messages_to(READER))  # alerts never go to subscribers
        for name in HEALTHY:
            assert not any(f"source {name} " in t for t in admin_texts)

        health = {r[0]: r[1:] for r in query(
            db, "select name, consecutive_failures, last_error, backoff_until, last_success_at "
                "from sources")}
        runs = dict(query(db, "select source, count(*) from crawl_runs group by source"))
        for name in FAULTS:
            failures, error, backoff, _ok = health[name]
            assert failures >= 2 and error, (name, health[name])
            assert backoff is not None, name
            # backed off: skipped by some crawls, next attempt ≥ 2 intervals after the last
            assert runs[name] < runs["good"], (name, runs)
            assert any("backed off, not crawled this time" in line and name in line
                       for line in svc.lines), name
            (gap,) = query(db, "select (julianday(backoff_until) - julianday(last_run_at)) "
                               "* 86400 from sources where name = ?", (name,))[0]
            assert gap >= 2 * 1.8 - 1, (name, gap)
        for name in HEALTHY:
            assert health[name][0] == 0 and health[name][3], (name, health[name])
        assert query(db, "select count(*) from alerts where key like 'source-%' and "
                         "sent_at is not null")[0][0] == len(FAULTS)
