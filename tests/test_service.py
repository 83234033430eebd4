"""`paperbot run` end to end, as systemd would run it, against local servers for a blog,
the arXiv API, an OpenAI-compatible API and the Telegram Bot API.

Users subscribe with /start in four languages; a new post appears on the blog; within
one crawl interval each subscriber gets that post's papers, in their language, exactly
once. A crawl run by hand meanwhile neither doubles a crawl nor meets "database is
locked". SIGTERM with a crawl in progress → exit 0 within 10 s. The bot token and the
API key never appear in any log line (DEBUG level)."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import jsonschema
import pytest

from jobs.cli.status import STATUS_SCHEMA
from tests.conftest import paperbot_env, run_paperbot
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.openai import CANNED, OpenAIStub
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import (
    API_KEY,
    TOKEN,
    Blog,
    ServiceProc,
    poll,
    query,
    service_config,
)

USERS = {101: "ko", 102: "ja", 103: "en", 104: "ru"}
OLD_PAPER = "2305.18290"
NEW_PAPERS = ["2307.03172", "2309.17453"]


def no_overlap(db_path) -> None:
    """Crawl processes never ran at the same time (one interval per crawl pid)."""
    spans = sorted(query(db_path, "select min(started_at), max(finished_at), pid "
                                  "from crawl_runs group by pid, substr(started_at, 1, 16)"))
    for (s1, e1, p1), (s2, _e2, p2) in zip(spans, spans[1:], strict=False):
        assert e1 is not None and s2 >= e1, f"crawls overlap: pid {p1} {s1}..{e1}, pid {p2} {s2}"


@pytest.mark.slow
async def test_subscribers_get_a_new_posts_papers_once_in_their_language(tmp_path):
    async with (BlogServer() as server, ArxivStub() as arxiv, OpenAIStub() as llm,
                TelegramStub() as tg):
        blog = Blog(server)
        blog.publish("old", [OLD_PAPER])  # the first crawl archives it: nobody gets it
        config = service_config(tmp_path, sources=[("notes", blog.feed_url, "ko")],
                                telegram_url=tg.base_url, llm_url=llm.base_url,
                                arxiv_url=arxiv.url, every_minutes=0.05, log_level="DEBUG",
                                extra=f"\n[site]\nout_dir = '{tmp_path / 'site'}'\n")
        db = tmp_path / "state" / "paperbot.db"
        svc = await ServiceProc(tmp_path, config).start()
        try:
            await svc.wait_for_line(r"paperbot running", timeout=20)
            for chat_id, lang in USERS.items():
                tg.inject_command(chat_id, "/start", language_code=lang)
            for chat_id in USERS:
                await tg.wait_for_sent(1, chat_id=chat_id, timeout=10)  # the welcome
            await poll(lambda: query(db, "select 1 from sources where last_success_at "
                                         "is not null"), what="the first crawl")
            assert query(db, "select notify from papers where arxiv_id = ?", (OLD_PAPER,)) \
                == [(0,)]

            blog.publish("new", NEW_PAPERS)
            published = time.monotonic()
            for chat_id in USERS:
                await tg.wait_for_sent(1 + len(NEW_PAPERS), chat_id=chat_id, timeout=25)
            # one crawl interval is 3 s; a crawl (~2.5 s), summaries and sending on top
            assert time.monotonic() - published < 15

            # a crawl by hand while the service runs: it waits for the lock, never overlaps
            by_hand = await run_paperbot("--config", str(config), "crawl", "once", "--wait",
                                         cwd=tmp_path, env=paperbot_env(tmp_path))
            assert by_hand.code == 0, by_hand.stderr
            assert "database is locked" not in by_hand.stderr
            mark = len(svc.lines)
            await svc.wait_for_line(r"crawl finished", start=mark, timeout=20)

            for chat_id, lang in USERS.items():
                got = tg.messages_to(chat_id)[1:]
                assert len(got) == len(NEW_PAPERS), [m.visible[:60] for m in got]
                for pid in NEW_PAPERS:
                    mine = [m for m in got if pid in m.text]
                    assert len(mine) == 1, (chat_id, pid)
                    assert CANNED[lang][1] in mine[0].visible, (lang, mine[0].visible[:300])
                assert not any(OLD_PAPER in m.text for m in got)
            assert query(db, "select state, count(*) from deliveries group by state") == [
                ("sent", len(USERS) * len(NEW_PAPERS))]
            # [site] out_dir: the static site was rebuilt after the crawls, summaries in
            page = tmp_path / "site" / "ru" / "p" / f"{NEW_PAPERS[0]}.html"
            await poll(lambda: page.exists() and CANNED["ru"][1] in page.read_text("utf-8"),
                       what="the site rebuilt after a crawl")
            # each new paper summarized once per language; the archived one nobody asked
            # for costs nothing (it is summarized when someone asks: /latest, /paper)
            assert llm.calls == len(set(USERS.values())) * len(NEW_PAPERS)
            assert query(db, "select count(*) from summaries where arxiv_id = ?",
                         (OLD_PAPER,)) == [(0,)]
            no_overlap(db)

            status = await run_paperbot("--config", str(config), "status", "--json",
                                        cwd=tmp_path, env=paperbot_env(tmp_path))
            assert status.code == 0, status.stderr
            report = json.loads(status.stdout)
            jsonschema.validate(report, STATUS_SCHEMA)  # a live heartbeat: documented too
            assert report["service"]["running"] is True
            assert {"crawl", "deliver", "digests", "heartbeat"} <= set(
                report["service"]["heartbeat"]["next_runs"])
            assert report["deliveries"]["sent"] == len(USERS) * len(NEW_PAPERS)
            assert report["subscribers"]["active_total"] == len(USERS)
            assert report["sources"][0]["last_success_at"]

            # SIGTERM while a crawl is in progress (the feed now hangs)
            server.fail("/feed.xml", hang=True)
            mark = len(svc.lines)
            await svc.wait_for_line(r"crawl \(schedule\)", start=mark, timeout=15)
            await asyncio.sleep(0.5)
            stopped = time.monotonic()
            svc.signal(signal.SIGTERM)
            code = await svc.wait(timeout=12)
            assert code == 0, svc.output[-3000:]
            assert time.monotonic() - stopped < 10
        finally:
            await svc.close()
        out = svc.output
        assert "database is locked" not in out
        assert TOKEN not in out and TOKEN.split(":")[1] not in out
        assert API_KEY not in out
        assert "/bot<redacted>/" in out  # httpx did log its URLs, redacted
        assert all("\n" not in line for line in svc.lines)
        assert query(db, "select count(*) from deliveries where state = 'sending'") == [(0,)]
        assert "paperbot stopped (exit 0)" in out
        after = await run_paperbot("--config", str(config), "status", cwd=tmp_path,
                                   env=paperbot_env(tmp_path))
        assert "service: NOT RUNNING" in after.stdout and "stopped cleanly" in after.stdout


async def test_run_without_a_token_exits_2_and_says_what_to_do(tmp_path):
    result = await run_paperbot("run", cwd=tmp_path, env=paperbot_env(tmp_path), timeout=20)
    assert result.code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "--no-bot" in result.stderr
