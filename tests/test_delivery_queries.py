"""The delivery path reads only what it returns or what is due: every statement it runs
— the planner's idle poll, planning a new paper for its audience, the sender's "what is
due" reads and its bookkeeping, digests, the health check, admin alerts, the ambiguous
rows — is captured as it runs (sqlite3 trace) and its ``EXPLAIN QUERY PLAN`` must show
no full ``SCAN`` of deliveries, subscribers, papers, summaries, mentions or posts.

(``HOT_QUERIES`` lists the store functions behind them, for the store's own query-plan
test and ``bench/store.py``.)"""

from __future__ import annotations

import datetime as dt
import re

from bot.transport import build_bot
from jobs.service import health
from jobs.steps.deliver import (
    announce_alerts,
    deliver_pending,
    plan_deliveries,
    send_alerts,
    send_due_digests,
)
from jobs.store import delivery as ledger
from jobs.store import delivery_plan as planning
from jobs.store import health as hstore
from tests.bot_fixtures import TOKEN, add_subscribers, make_config, seed_paper
from tests.servers.telegram import TelegramStub

BIG_TABLES = {"deliveries", "subscribers", "papers", "summaries", "mentions", "posts",
              "alert_sends"}
HOT_QUERIES = [
    planning.new_summary_pairs, planning.new_paper_pairs, planning.plan_candidate,
    planning.plan_everyone, planning.audience_batch, ledger.fresh_batch, ledger.retry_batch, ledger.pending_for_chat,
    ledger.digest_subscribers_due, hstore.delivery_outcomes_since, ledger.wake_waiting,
    ledger.expire_sending, ledger.ambiguous, hstore.due_alert_sends, hstore.alert_sends_due,
]
_TABLE_REF = re.compile(r"\b(?:from|join|update|into)\s+(\w+)(?:\s+(?:as\s+)?(?!indexed\b|"
                        r"where\b|set\b|join\b|on\b|order\b|group\b|limit\b)(\w+))?", re.I)


def full_scans(db, statements: list[str]) -> list[tuple[str, str]]:
    """(statement, plan line) for every full scan of a big table."""
    bad = []
    for sql in dict.fromkeys(statements):
        if not re.match(r"\s*(select|update|insert|delete|with)\b", sql, re.I):
            continue
        names = {}
        for table, alias in _TABLE_REF.findall(sql):
            names[table.lower()] = table.lower()
            if alias:
                names[alias.lower()] = table.lower()
        for row in db.execute("explain query plan " + sql):
            m = re.match(r"SCAN (\w+)", row[3])
            if m and names.get(m.group(1).lower(), m.group(1).lower()) in BIG_TABLES:
                bad.append((sql, row[3]))
    return bad


def seed(db, config) -> None:
    old = "2000-01-01T00:00:00+00:00"
    add_subscribers(db, range(1000, 1060), now=old)
    add_subscribers(db, range(2000, 2015), now=old, topics=["cs.CV"])
    add_subscribers(db, range(3000, 3020), now=old, mode="digest", digest_hour=0)
    for i in range(34):
        seed_paper(db, f"2401.{i:05d}", title=f"Paper {i}")
    plan_deliveries(db, config=config)
    # a history: most rows sent, some failed, skipped, ambiguous, waiting for a retry
    db.execute("update deliveries set state = 'sent', sent_at = created_at, message_id = 1 "
               "where arxiv_id < '2401.00030'")
    db.execute("update deliveries set state = 'failed' where arxiv_id = '2401.00030'")
    db.execute("update deliveries set state = 'ambiguous' where arxiv_id = '2401.00031' "
               "and chat_id < 1010")
    db.execute("update deliveries set next_attempt_at = '2000-01-01T00:00:00.000+00:00', "
               "retries = 1 where arxiv_id = '2401.00032' and chat_id < 1010")


async def test_the_delivery_path_never_scans_a_big_table(db):
    async with TelegramStub() as stub:
        config = make_config(stub, admin_chat_ids=[900])
        seed(db, config)
        statements: list[str] = []
        db.conn.set_trace_callback(statements.append)
        try:
            assert plan_deliveries(db, config=config) == 0  # the idle poll
            seed_paper(db, "2402.00001", title="A new paper", categories=["cs.CV"])
            assert plan_deliveries(db, config=config) == 95  # its audience, in batches
            bot = build_bot(config=config, token=TOKEN)
            async with bot:
                report = await deliver_pending(db, bot=bot, config=config)
                assert report.sent > 200
                now = dt.datetime.now(dt.UTC)
                assert (await send_due_digests(db, bot=bot, config=config, now=now)).digests
                hstore.raise_alert(db, "source-failing:x", "source x failed")
                health.check_deliveries(db, now)
                announce_alerts(db, [900])
                assert hstore.alert_sends_due(db, now=ledger.precise())
                assert (await send_alerts(db, bot=bot, config=config)).messages == 1
            ledger.ambiguous(db)
            ledger.settle_ambiguous(db, resend=False, chat_id=1000)
            ledger.expire_sending(db)
            ledger.wake_waiting(db, now=ledger.precise())
        finally:
            db.conn.set_trace_callback(None)
    ran = " ".join(statements)
    for index in ("deliveries_due", "subscribers_audience", "summaries_created_at",
                  "subscribers_digest_due", "alert_sends_due", "deliveries_done"):
        assert f"indexed by {index}" in ran, index  # the queries this test is about ran
    assert full_scans(db, statements) == []


def test_the_checker_finds_a_full_scan(db):
    assert full_scans(db, ["select count(*) from deliveries d where d.reason = 'x'"]) == [
        ("select count(*) from deliveries d where d.reason = 'x'", "SCAN d")]
