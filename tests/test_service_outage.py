"""A Telegram outage seen by `paperbot run`: sendMessage answers 500 for a while (five
minutes in production; a few seconds here, with the retry back-off scaled down by
``[telegram] retry_backoff_seconds``), then recovers. Every subscriber gets every paper
exactly once, the admin gets exactly one alert about it — after the recovery, since
Telegram could not carry it before — and the log has warnings, not tracebacks."""

from __future__ import annotations

import asyncio
from collections import Counter

from jobs import store
from jobs.store import crawl as crawl_store
from jobs.store import subscribers as subs
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import Blog, ServiceProc, poll, query, service_config

SUBSCRIBERS = range(3000, 3020)
PAPERS = ["2307.08197", "2307.12966", "2309.00071"]  # in the arXiv stub's index
ADMIN = 900
OUTAGE_SECONDS = 4.0


def seed(config_path, db_path) -> None:
    """Subscribers since long ago; a source already crawled once (its papers are news)."""
    from jobs.config import load_config

    config = load_config(config_path)
    db = store.open_db(db_path)
    crawl_store.sync_sources(db, config.sources)
    db.execute("update sources set last_success_at = '2000-01-01T00:00:00+00:00'")
    for chat_id in SUBSCRIBERS:
        subs.subscribe(db, chat_id, lang="en", now="2000-01-01T00:00:00+00:00")
    db.conn.close()


async def test_five_minutes_of_500_then_recovery_exactly_once_and_one_alert(tmp_path):
    async with BlogServer() as server, ArxivStub() as arxiv, TelegramStub() as tg:
        blog = Blog(server)
        blog.publish("weekly", PAPERS)
        config = service_config(tmp_path, sources=[("notes", blog.feed_url, "en")],
                                telegram_url=tg.base_url, llm_url=None, arxiv_url=arxiv.url,
                                every_minutes=0.05, poll_seconds=0.3, admin=ADMIN)
        config.write_text(config.read_text().replace(
            "per_chat_messages_per_second = 50.0",
            "per_chat_messages_per_second = 50.0\nretry_backoff_seconds = 0.2"))
        db = tmp_path / "state" / "paperbot.db"
        seed(config, db)
        tg.outage("sendMessage", status=500)
        svc = await ServiceProc(tmp_path, config, api_key=False).start()
        try:
            await svc.wait_for_line(r"paperbot running", timeout=20)
            await poll(lambda: query(db, "select count(*) from deliveries")[0][0]
                       == len(SUBSCRIBERS) * len(PAPERS), timeout=20, what="the plan")
            outage_began = asyncio.get_running_loop().time()
            await poll(lambda: query(db, "select 1 from alerts where key = "
                                         "'deliveries-failing'"), timeout=10,
                       what="the deliveries-failing alert")
            left = OUTAGE_SECONDS - (asyncio.get_running_loop().time() - outage_began)
            await asyncio.sleep(max(0.0, left))
            failed_tries = tg.stats["injected_500"]
            tg.end_outage()

            def settled():
                rows = query(db, "select state, count(*) from deliveries group by state")
                alert = query(db, "select state from alert_sends")
                return rows == [("sent", len(SUBSCRIBERS) * len(PAPERS))] and alert == [("sent",)]

            await poll(settled, timeout=20, interval=0.2, what="everything delivered")
            await asyncio.sleep(1.0)  # a few more polls and heartbeats: nothing more is sent
            svc.signal(15)
            assert await svc.wait(12) == 0
        finally:
            await svc.close()

    sent = Counter((m.chat_id, pid) for m in tg.sent for pid in PAPERS if pid in m.text)
    assert set(sent) == {(c, p) for c in SUBSCRIBERS for p in PAPERS}
    assert max(sent.values()) == 1  # exactly once
    (alert,) = tg.messages_to(ADMIN)  # one alert for the whole outage
    assert "Telegram has been unreachable" in alert.text
    # retried with back-off while it lasted: tens of tries, not one per row per poll
    assert 4 <= failed_tries < 200, failed_tries
    assert "Traceback" not in svc.output
    assert not [line for line in svc.lines if " ERROR " in line], svc.output[-3000:]
