"""Source back-off and admin alerts: each problem is announced once, even with two
announcers racing; a cleared alert is announced again when the problem comes back."""

from __future__ import annotations

import dataclasses
import datetime as dt

from jobs.config import parse_config
from jobs.service import health
from jobs.steps.deliver import announce_alerts
from jobs.store import crawl as crawl_store
from jobs.store import health as hstore


def config(alert_after: int = 2):
    return parse_config({"schedule": {"crawl_every_minutes": 60.0,
                                      "source_alert_after_runs": alert_after},
                         "sources": [{"name": "a", "kind": "rss", "url": "https://a.example/f"},
                                     {"name": "b", "kind": "rss", "url": "https://b.example/f"}]},
                        env={})


def run(db, source: str, ok: bool, posts: int = 1) -> None:
    run_id = crawl_store.start_run(db, source, pid=1)
    crawl_store.finish_run(db, run_id, ok=ok, error=None if ok else "HTTP 500",
                           posts_seen=posts, posts_new=0, papers_new=0)


def test_backoff_grows_and_is_capped():
    assert health.backoff_minutes(0, 60) == 0
    assert [health.backoff_minutes(f, 60) for f in (1, 2, 3, 4, 10)] == [60, 120, 240, 360, 360]
    assert health.backoff_minutes(5, 600) == 600  # never shorter than one interval


async def test_failing_source_is_backed_off_and_alerted_once_then_recovers(db):
    cfg = config()
    crawl_store.sync_sources(db, cfg.sources)

    def admin_messages() -> list[tuple]:
        return db.execute("select alert_key, chat_id, state from alert_sends").fetchall()

    now = dt.datetime.now(dt.UTC)
    run(db, "a", ok=False)
    run(db, "b", ok=True)
    assert health.after_crawl(db, cfg, now) == []
    run(db, "a", ok=False)
    assert health.after_crawl(db, cfg, now) == ["source-failing:a"]
    due, waiting = health.due_sources(db, cfg, now + dt.timedelta(minutes=60))
    assert due == ["b"] and waiting == ["a"]  # two failures: two intervals' wait
    assert announce_alerts(db, [900, 901]) == ["source-failing:a"]
    assert announce_alerts(db, [900, 901]) == []  # a second announcer finds nothing new
    assert admin_messages() == [("source-failing:a", 900, "pending"),
                                ("source-failing:a", 901, "pending")]
    assert "source a failed 2 runs" in hstore.open_alerts(db)[0]["message"]
    run(db, "a", ok=False)
    assert health.after_crawl(db, cfg, now) == []  # still open: not raised again
    assert announce_alerts(db, [900, 901]) == [] and len(admin_messages()) == 2

    run(db, "a", ok=True)
    health.after_crawl(db, cfg, now)
    assert hstore.open_alerts(db) == [] and health.due_sources(db, cfg, now)[1] == []
    run(db, "a", ok=False)
    run(db, "a", ok=False)
    assert health.after_crawl(db, cfg, now) == ["source-failing:a"]  # back again: re-raised
    assert announce_alerts(db, [900]) == ["source-failing:a"]
    # the first raise's unsent messages are superseded by this one's
    assert [r for r in admin_messages() if r[2] == "pending"] == [("source-failing:a", 900,
                                                                   "pending")]


async def test_a_source_that_finds_no_posts_is_alerted(db):
    cfg = dataclasses.replace(config(alert_after=3))
    crawl_store.sync_sources(db, cfg.sources)
    now = dt.datetime.now(dt.UTC)
    for _ in range(3):
        run(db, "a", ok=True, posts=0)
        run(db, "b", ok=True, posts=4)
    assert health.after_crawl(db, cfg, now) == ["source-empty:a"]


async def test_bulk_delivery_failures_raise_one_alert(db):
    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for i in range(12):
        db.execute("insert into deliveries(chat_id, arxiv_id, lang, state, attempts, created_at, "
                   "updated_at) values(?, '2401.00001', 'en', 'failed', 1, ?, ?)",
                   [i, stamp, stamp])
    assert health.check_deliveries(db, now) == "deliveries-failing"
    assert health.check_deliveries(db, now) is None  # once
    later = now + dt.timedelta(hours=1)
    assert health.check_deliveries(db, later) is None
    assert hstore.open_alerts(db) == []  # cleared once the failures are old
