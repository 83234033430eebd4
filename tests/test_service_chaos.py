"""Crash safety: `paperbot run` is SIGKILLed (with its crawl child, as systemd kills a
unit's cgroup) at random moments — during a crawl, during summarizing, during a
broadcast — and restarted, ten times, while the blog keeps publishing. In the end
every subscriber has every paper exactly once (rows a kill left in 'sending' become
'ambiguous' and are never resent; there are at most a few), no paper is lost,
every paper has its summaries, and the database passes PRAGMA integrity_check."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter

import pytest

from jobs import store
from jobs.store import crawl as crawl_store
from jobs.store import subscribers as subs
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.openai import OpenAIStub
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import Blog, ServiceProc, poll, query, service_config

KILLS = 10
SUBSCRIBERS = {2000 + i: ("en", "ko")[i % 2] for i in range(16)}
# arXiv IDs from the stub's index, two per post
PAPERS = ["2307.08197", "2307.12966", "2309.00071", "2309.14525", "2309.17421", "2310.01352",
          "2310.01714", "2310.01889", "2310.02207", "2310.02226", "2310.02304", "2310.02992",
          "2310.03025", "2310.03744", "2310.13548", "2306.14048", "2306.15595", "2305.18290",
          "2304.09842", "2303.15389", "2212.14052", "2205.14135", "2111.00396", "2108.12409"]


def seed(config_path, db_path) -> None:
    """Subscribers since long ago, and a source that already had its first crawl (so
    what it finds is pushed, not archived as a backlog)."""
    from jobs.config import load_config

    config = load_config(config_path)
    db = store.open_db(db_path)
    crawl_store.sync_sources(db, config.sources)
    db.execute("update sources set last_success_at = '2000-01-01T00:00:00+00:00'")
    for chat_id, lang in SUBSCRIBERS.items():
        subs.subscribe(db, chat_id, lang=lang, now="2000-01-01T00:00:00+00:00")
    db.conn.close()


@pytest.mark.slow
async def test_sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice(tmp_path):
    rng = random.Random(20240101)
    async with (BlogServer() as server, ArxivStub() as arxiv, OpenAIStub() as llm,
                TelegramStub() as tg):
        llm.default = {"kind": "slow", "delay": 0.4}
        blog = Blog(server)
        config = service_config(tmp_path, sources=[("notes", blog.feed_url, "ko")],
                                telegram_url=tg.base_url, llm_url=llm.base_url,
                                arxiv_url=arxiv.url, every_minutes=0.02, poll_seconds=0.3)
        text = config.read_text().replace("max_messages_per_second = 200.0",
                                          "max_messages_per_second = 25.0")
        config.write_text(text)
        db = tmp_path / "state" / "paperbot.db"
        seed(config, db)
        published: list[str] = []
        phases: Counter[str] = Counter()

        for i in range(KILLS):
            phase = ("crawl", "summarize", "deliver")[i % 3]
            if len(published) < len(PAPERS):
                new = PAPERS[len(published):len(published) + 2]
                blog.publish(f"post{i}", new)
                published += new
            svc = await ServiceProc(tmp_path, config).start()
            try:
                await svc.wait_for_line(r"paperbot running", timeout=20)
                sent_before, calls_before = len(tg.sent), llm.calls
                try:
                    if phase == "crawl":
                        await svc.wait_for_line(r"crawl \(schedule\)", timeout=6)
                        await asyncio.sleep(rng.uniform(0.1, 1.2))
                    elif phase == "summarize":
                        await poll(lambda b=calls_before: llm.in_flight > 0 or llm.calls > b,
                                   timeout=8, interval=0.02)
                        await asyncio.sleep(rng.uniform(0.0, 0.3))
                    else:
                        await poll(lambda b=sent_before: len(tg.sent) > b + 2, timeout=8,
                                   interval=0.01)
                        await asyncio.sleep(rng.uniform(0.0, 0.3))
                    phases[phase] += 1
                except AssertionError:
                    phases[f"{phase} (not reached: killed anyway)"] += 1
                svc.kill_group()
                await svc.wait(5)
            finally:
                await svc.close()

        # one last, undisturbed run delivers whatever is left
        svc = await ServiceProc(tmp_path, config).start()
        try:
            await svc.wait_for_line(r"paperbot running", timeout=20)

            def settled():
                pending = query(db, "select count(*) from deliveries where state = 'pending'")
                papers = {r[0] for r in query(db, "select arxiv_id from papers where "
                                                  "has_primary = 1 and notify = 1")}
                summarized = query(db, "select count(distinct arxiv_id || lang) from summaries")
                return (pending == [(0,)] and papers >= set(published)
                        and summarized[0][0] >= 2 * len(published))

            await poll(settled, timeout=30, interval=0.3, what="everything delivered")
            await asyncio.sleep(1.0)  # a few more polls: nothing more may be sent
            svc.signal(15)
            assert await svc.wait(12) == 0
        finally:
            await svc.close()

    print(f"\nkill phases: {dict(phases)}")
    assert sum(v for k, v in phases.items() if "not reached" not in k) >= 8, phases
    for phase in ("crawl", "summarize", "deliver"):
        assert phases[phase] >= 2, phases

    # no paper lost: every published paper is stored, pushable, summarized in both languages
    assert {r[0] for r in query(db, "select arxiv_id from papers where has_primary = 1 "
                                    "and notify = 1")} >= set(published)
    for lang in ("en", "ko"):
        have = {r[0] for r in query(db, "select arxiv_id from summaries where lang = ?",
                                    (lang,))}
        assert have >= set(published), lang

    # exactly once: a message per (subscriber, paper); only ambiguous rows may lack one
    sent = Counter((m.chat_id, pid) for m in tg.sent for pid in published if pid in m.text)
    assert max(sent.values()) == 1, [k for k, v in sent.items() if v > 1]
    states = {(r[0], r[1]): r[2] for r in query(db, "select chat_id, arxiv_id, state "
                                                    "from deliveries")}
    ambiguous = [k for k, s in states.items() if s in ("sending", "ambiguous")]
    print(f"deliveries: {Counter(states.values())}, ambiguous: {len(ambiguous)}")
    # a kill can leave only the sends awaiting Telegram's answer ambiguous: at most the
    # sender's in-flight limit per kill during delivery (never resent, reported instead)
    from jobs.config import load_config
    from jobs.steps.deliver.records import in_flight_limit

    per_kill = in_flight_limit(load_config(config))
    assert len(ambiguous) <= phases["deliver"] * per_kill, (per_kill, ambiguous)
    for chat_id in SUBSCRIBERS:
        for pid in published:
            if (chat_id, pid) in ambiguous:
                assert sent[(chat_id, pid)] <= 1
            else:
                assert sent[(chat_id, pid)] == 1, (chat_id, pid, states.get((chat_id, pid)))
                assert states[(chat_id, pid)] == "sent"

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma foreign_key_check").fetchall() == []
    finally:
        conn.close()
