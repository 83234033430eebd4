"""Delivery through the real PTB Bot against the local Bot API stub: planning, the
ledger, Telegram's limits and errors, digests, escaping, admin alerts."""

import asyncio
import datetime as dt
import re
from collections import Counter

import pytest

from bot.transport import build_bot
from jobs import store
from jobs.steps.deliver import (
    announce_alerts,
    deliver_pending,
    plan_deliveries,
    send_alerts,
    send_due_digests,
    sync_channels,
)
from jobs.store import delivery as ledger
from jobs.store import health as hstore
from jobs.store import subscribers as subs
from tests.bot_fixtures import TOKEN, add_subscribers, make_config, seed_paper
from tests.servers.telegram import TelegramStub


@pytest.fixture
def db():
    return store.memory_db()


def ids_in(message) -> list[str]:
    """The papers a message is about (each links its arXiv page twice: title and links)."""
    return list(dict.fromkeys(re.findall(r"https://arxiv\.org/abs/(\d{4}\.\d{5})\"",
                                         message.text)))


async def deliver(stub, db, config, **kw):
    bot = build_bot(config=config, token=TOKEN)
    async with bot:
        return await deliver_pending(db, bot=bot, config=config, **kw)


@pytest.mark.slow
async def test_1000_subscribers_x_3_papers_exactly_once(db):
    async with TelegramStub(rate=1000, chat_rate=50) as stub:
        config = make_config(stub, max_messages_per_second=1000)
        langs = ["en", "ko", "ja"]
        for i in range(1000):
            topics = ["cs.CV"] if i % 5 == 0 else (["diffusion"] if i % 7 == 0 else [])
            add_subscribers(db, [1000 + i], lang=langs[i % 3], topics=topics)
        seed_paper(db, "2401.00001", title="Language models", categories=["cs.CL"], langs=langs)
        seed_paper(db, "2401.00002", title="Vision transformers", categories=["cs.CV"],
                   langs=langs)
        seed_paper(db, "2401.00003", title="Diffusion for text", categories=["cs.LG"],
                   langs=langs)
        expected = {}
        for i in range(1000):
            if i % 5 == 0:
                expected[1000 + i] = ["2401.00002"]
            elif i % 7 == 0:
                expected[1000 + i] = ["2401.00003"]
            else:
                expected[1000 + i] = ["2401.00001", "2401.00002", "2401.00003"]
        planned = plan_deliveries(db, config=config)
        assert planned == sum(len(v) for v in expected.values())
        assert plan_deliveries(db, config=config) == 0  # idempotent
        report = await deliver(stub, db, config)
        got = {}
        for m in stub.sent:
            got.setdefault(m.chat_id, []).extend(ids_in(m))
        assert {k: sorted(v) for k, v in got.items()} == expected  # each matching paper once
        assert stub.stats["too_many_requests"] == 0 and report.rate_limited == 0
        assert report.sent == planned and report.failed == 0
        # the subscriber's language was used
        ko = [m for m in stub.sent if m.chat_id == 1001][0]
        assert "[ko]" in ko.visible
        assert all(m.link_preview_options == {"is_disabled": True} for m in stub.sent[:5])
        # a second run sends nothing
        again = await deliver(stub, db, config)
        assert again.messages == 0 and len(stub.sent) == planned


async def test_no_backlog_no_archived_no_references(db):
    async with TelegramStub() as stub:
        config = make_config(stub)
        seed_paper(db, "2401.00001", title="Old paper")  # before anyone subscribed
        add_subscribers(db, [1], now="2999-01-01T00:00:00+00:00")  # subscribed "later"
        add_subscribers(db, [2], now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00002", title="Backfill", notify=False)
        seed_paper(db, "2401.00003", title="Only cited", primary=False)
        seed_paper(db, "2401.00004", title="No summary yet", langs=[])
        plan_deliveries(db, config=config)
        await deliver(stub, db, config)
        assert [ids_in(m) for m in stub.messages_to(2)] == [["2401.00001"]]
        assert stub.messages_to(1) == []
        # the summary arrives later: planned and sent then
        ledger.insert_summary_row(db, "2401.00004", "en", title="No summary yet", tldr="t")
        assert plan_deliveries(db, config=config) == 1
        await deliver(stub, db, config)
        assert [ids_in(m) for m in stub.messages_to(2)] == [["2401.00001"], ["2401.00004"]]


async def test_blocked_and_missing_chats_are_deactivated_after_one_attempt(db):
    async with TelegramStub() as stub:
        config = make_config(stub)
        add_subscribers(db, [10, 11, 12], now="2000-01-01T00:00:00+00:00")
        stub.block(10)
        stub.not_found(11)
        seed_paper(db, "2401.00001")
        seed_paper(db, "2401.00002")
        plan_deliveries(db, config=config)
        report = await deliver(stub, db, config)
        attempts = Counter(chat for _, chat, _ in stub.attempts)
        assert attempts[10] == 1 and attempts[11] == 1  # one attempt each, then inactive
        assert len(stub.messages_to(12)) == 2
        blocked = subs.get(db, 10)
        assert blocked["active"] == 0 and "blocked by the user" in blocked["inactive_reason"]
        assert subs.get(db, 11)["active"] == 0
        assert report.deactivated == 2
        states = {(d["chat_id"], d["arxiv_id"]): d["state"] for d in ledger.deliveries_for(db)}
        assert sorted(s for (c, _), s in states.items() if c == 10) == ["failed", "skipped"]
        # a new paper is not attempted for them
        seed_paper(db, "2401.00003")
        plan_deliveries(db, config=config)
        await deliver(stub, db, config)
        assert Counter(chat for _, chat, _ in stub.attempts)[10] == 1


async def test_bad_html_resent_once_as_plain_text(db):
    async with TelegramStub() as stub:
        config = make_config(stub)
        add_subscribers(db, [20], now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001", title="Plain & simple")
        plan_deliveries(db, config=config)
        stub.fail_next("sendMessage", 1, status=400,
                       description='Bad Request: can\'t parse entities: Unsupported start tag '
                                   '"foo" at byte offset 3')
        report = await deliver(stub, db, config)
        (msg,) = stub.messages_to(20)
        assert msg.parse_mode is None and "Plain & simple" in msg.text
        assert "https://arxiv.org/abs/2401.00001" in msg.text
        assert report.plain_fallbacks == 1
        (row,) = ledger.deliveries_for(db, chat_id=20)
        assert row["state"] == "sent" and row["message_id"] == msg.message_id


async def test_server_errors_are_retried_later_with_backoff_then_given_up(db):
    async with TelegramStub() as stub:
        config = make_config(stub, retry_backoff_seconds=0.5, retry_for_hours=0.0005)  # 1.8 s
        add_subscribers(db, [30], now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001")
        plan_deliveries(db, config=config)
        stub.fail_next("sendMessage", 2, status=500)
        report = await deliver(stub, db, config)
        # not four tries in a row: one, then the row waits for its retry
        assert report.retries == 1 and stub.messages_to(30) == []
        (row,) = ledger.deliveries_for(db, chat_id=30)
        assert row["state"] == "pending" and row["retries"] == 1 and row["next_attempt_at"]
        assert (await deliver(stub, db, config)).retries == 0  # not due yet: not tried
        await asyncio.sleep(0.6)
        report = await deliver(stub, db, config)  # fails again: now waits 1 s
        assert report.retries == 1 and stub.messages_to(30) == []
        assert (await deliver(stub, db, config)).retries == 0
        await asyncio.sleep(1.1)
        report = await deliver(stub, db, config)
        assert report.sent == 1 and len(stub.messages_to(30)) == 1
        assert [code for *_, code in stub.attempts] == [500, 500, 200]
        assert ledger.deliveries_for(db, chat_id=30)[0]["state"] == "sent"

        seed_paper(db, "2401.00002")
        plan_deliveries(db, config=config)
        stub.outage("sendMessage", status=502)
        deadline = asyncio.get_running_loop().time() + 8
        while ledger.deliveries_for(db, chat_id=30)[1]["state"] == "pending":
            assert asyncio.get_running_loop().time() < deadline
            await deliver(stub, db, config)
            await asyncio.sleep(0.1)
        row = ledger.deliveries_for(db, chat_id=30)[1]
        assert row["state"] == "failed" and "gave up after" in row["reason"]
        assert 2 <= row["retries"] <= 4  # 0.5, 1, 2 s apart: back-off, not a loop
        assert len(stub.messages_to(30)) == 1
        assert subs.get(db, 30)["active"] == 1  # a server problem is not the user's fault


async def test_retry_after_pauses_all_sending(db):
    # the bot believes it may send 100/s; the server allows 5 in any second and says 429
    async with TelegramStub(rate=5) as stub:
        config = make_config(stub, max_messages_per_second=100)
        add_subscribers(db, range(40, 52), now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001")
        plan_deliveries(db, config=config)
        report = await deliver(stub, db, config)
        assert report.rate_limited >= 1 and report.sent == 12
        assert sorted(m.chat_id for m in stub.sent) == list(range(40, 52))  # once each
        # after the first 429 (retry after 1 s) nothing was sent for a second
        codes = [(code, i) for i, (_, _, code) in enumerate(stub.attempts)]
        first_429 = next(i for code, i in codes if code == 429)
        sent_before = sum(1 for code, i in codes if code == 200 and i < first_429)
        gap = stub.sent[sent_before].at - stub.sent[sent_before - 1].at
        assert gap >= 0.9


async def test_stop_finishes_in_flight_and_leaves_the_rest_pending(db):
    async with TelegramStub() as stub:
        config = make_config(stub, max_messages_per_second=50)
        add_subscribers(db, range(100, 160), now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001")
        plan_deliveries(db, config=config)
        stop = asyncio.Event()

        async def stopper():
            await stub.wait_for_sent(10, timeout=5)
            stop.set()

        task = asyncio.create_task(stopper())
        report = await deliver(stub, db, config, stop=stop)
        await task
        counts = ledger.state_counts(db)
        assert report.stopped and counts["sending"] == 0
        assert counts["sent"] == len(stub.sent) < 60 and counts["pending"] == 60 - counts["sent"]
        await deliver(stub, db, config)
        assert sorted(m.chat_id for m in stub.sent) == list(range(100, 160))


async def test_digest_at_the_subscribers_hour(db):
    async with TelegramStub() as stub:
        config = make_config(stub)
        add_subscribers(db, [50], mode="digest", digest_hour=9, tz="Asia/Seoul",
                        now="2000-01-01T00:00:00+00:00")
        add_subscribers(db, [51], mode="digest", digest_hour=9, tz="Asia/Seoul",
                        now="2000-01-01T00:00:00+00:00")
        for i in range(3):
            seed_paper(db, f"2401.0000{i}", title=f"Digest paper {i}")
        for i in range(14):  # chat 51 gets a digest too long for one message
            seed_paper(db, f"2402.{i:05d}", title=f"Long {i}", tldr="word " * 150)
        # give chat 50 only the first three: drop the long ones from its plan
        plan_deliveries(db, config=config)
        for i in range(14):
            ledger.skip_pending(db, 50, [f"2402.{i:05d}"], "test")
        # instant delivery never sends digest rows
        assert (await deliver(stub, db, config)).messages == 0
        bot = build_bot(config=config, token=TOKEN)
        async with bot:
            early = dt.datetime(2030, 1, 1, 23, 59, tzinfo=dt.UTC)  # 08:59 in Seoul
            assert (await send_due_digests(db, bot=bot, config=config, now=early)).messages == 0
            at = dt.datetime(2030, 1, 2, 0, 1, tzinfo=dt.UTC)  # 09:01 in Seoul
            report = await send_due_digests(db, bot=bot, config=config, now=at)
            later = await send_due_digests(db, bot=bot, config=config,
                                           now=at + dt.timedelta(hours=3))
        (digest,) = stub.messages_to(50)
        assert sorted(ids_in(digest)) == ["2401.00000", "2401.00001", "2401.00002"]
        assert "digest" in digest.visible.lower()
        parts = stub.messages_to(51)
        assert len(parts) > 1 and all(len(p.visible) <= 4096 for p in parts)
        got = [i for p in parts for i in ids_in(p)]
        assert sorted(got) == sorted(set(got)) and len(got) == 17  # every paper exactly once
        assert report.digests == 2 and later.messages == 0
        assert ledger.state_counts(db)["pending"] == 0


async def test_hostile_text_is_delivered_without_markup(db):
    title = "<script>alert(1)</script> & Attention < Everything"
    blog = "The <b>authors</b> say 1 < 2 & <script>x</script>"
    async with TelegramStub() as stub:
        config = make_config(stub)
        add_subscribers(db, [60], now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001", title=title, blog_text=blog, post_title="<i>Weekly</i> & <")
        plan_deliveries(db, config=config)
        report = await deliver(stub, db, config)
        (msg,) = stub.messages_to(60)
        assert msg.parse_mode == "HTML" and report.plain_fallbacks == 0
        # quoted text loses its HTML tags and nothing else (bot/quoting.py)
        assert "alert(1) & Attention < Everything" in msg.visible
        assert "The authors say 1 < 2 & x" in msg.visible and "Weekly & <" in msg.visible
        assert "<script>" not in msg.visible
        assert stub.stats["bad_entities"] == 0


async def test_channels_from_config_and_alerts(db):
    async with TelegramStub() as stub:
        stub.add_chat(-100123, type="channel", username="papers_ko")
        config = make_config(stub, admin_chat_ids=[900], group_messages_per_minute=600,
                             channels=[{"chat_id": "@papers_ko", "lang": "ko"},
                                       {"chat_id": -100555, "lang": "en", "topics": ["cs.CV"]}])
        bot = build_bot(config=config, token=TOKEN)
        async with bot:
            await sync_channels(db, bot=bot, config=config)
            ch = subs.get(db, -100123)
            assert ch["from_config"] == 1 and ch["lang"] == "ko" and ch["kind"] == "channel"
            seed_paper(db, "2401.00001", langs=["en", "ko"], categories=["cs.CL"])
            plan_deliveries(db, config=config)
            await deliver_pending(db, bot=bot, config=config)
            hstore.raise_alert(db, "source-failing:x", "source X failed 3 times")
            assert announce_alerts(db, config.telegram.admin_chat_ids) == ["source-failing:x"]
            assert announce_alerts(db, config.telegram.admin_chat_ids) == []  # once
            assert (await send_alerts(db, bot=bot, config=config)).messages == 1
            assert (await send_alerts(db, bot=bot, config=config)).messages == 0
        assert [ids_in(m) for m in stub.messages_to(-100123)] == [["2401.00001"]]
        assert stub.messages_to(-100555) == []  # topics: cs.CV only
        (alert,) = stub.messages_to(900)
        assert alert.text == "⚠️ paperbot: source X failed 3 times" and alert.parse_mode is None
        assert {m.chat_id for m in stub.sent} == {-100123, 900}  # alerts go to admins only


async def test_digest_schedule_follows_the_subscribers_settings(db):
    async with TelegramStub() as stub:
        config = make_config(stub)
        add_subscribers(db, [70, 71], mode="digest", digest_hour=9, tz="Asia/Seoul",
                        now="2000-01-01T00:00:00+00:00")
        seed_paper(db, "2401.00001", title="Digest me")
        plan_deliveries(db, config=config)
        bot = build_bot(config=config, token=TOKEN)
        async with bot:
            at_0830 = dt.datetime(2030, 1, 1, 23, 30, tzinfo=dt.UTC)  # 08:30 in Seoul
            assert (await send_due_digests(db, bot=bot, config=config, now=at_0830)).digests == 0
            due = db.execute("select next_digest_at from subscribers where chat_id = 70")
            assert due.fetchone()[0].startswith("2030-01-02T00:00:00")  # 09:00 in Seoul
            # one moves their digest to 8 o'clock: due now; the other still waits for 9
            subs.update_settings(db, 70, digest_hour=8)
            report = await send_due_digests(db, bot=bot, config=config, now=at_0830)
            assert report.digests == 1 and [ids_in(m) for m in stub.messages_to(70)] == [
                ["2401.00001"]]
            assert stub.messages_to(71) == []
            # the other switches to instant messages: their pending paper comes at once
            subs.update_settings(db, 71, mode="instant")
            assert (await deliver_pending(db, bot=bot, config=config)).sent == 1
        assert [ids_in(m) for m in stub.messages_to(71)] == [["2401.00001"]]
        assert ledger.state_counts(db)["pending"] == 0


def test_schema_v1_database_migrates_and_keeps_its_meaning(tmp_path):
    import sqlite3

    import sqlite_utils

    from jobs.store import schema

    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    v1 = sqlite_utils.Database(conn)
    v1["meta"].create({"key": str, "value": str}, pk="key")
    schema.MIGRATIONS[0](v1)
    v1.execute("insert into meta values('schema_version', '1')")
    v1.execute("insert into subscribers(chat_id, lang, mode, active, subscribed_at) "
               "values(1, 'en', 'digest', 1, '2000-01-01'), (2, 'en', 'instant', 1, '2000')")
    v1.execute("insert into deliveries(chat_id, arxiv_id, lang, state, attempts, created_at, "
               "updated_at) values(1, '2401.00001', 'en', 'pending', 0, '2024', '2024'), "
               "(2, '2401.00001', 'en', 'sending', 1, '2024', '2024')")
    v1.execute("insert into alerts(key, message, raised_at, sent_at) values "
               "('old', 'told already', '2024', '2024'), ('new', 'not told yet', '2024', null)")
    conn.close()

    db = store.open_db(path)
    assert store.schema_version(db) == schema.SCHEMA_VERSION >= 2
    assert db.execute("select digest from deliveries where chat_id = 1").fetchone()[0] == 1
    assert [a["key"] for a in hstore.unplanned_alerts(db)] == ["new"]  # "old" was sent
    assert ledger.expire_sending(db) == 1  # a v1 run's row left in 'sending'
    assert [(r["chat_id"], r["reason"][:11]) for r in ledger.ambiguous(db)] == [
        (2, "interrupted")]
    db.conn.close()
