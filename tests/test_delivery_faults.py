"""Delivery semantics when Telegram misbehaves, against the local Bot API server:

* an answer that comes after the client's read timeout (the message *was* delivered)
  leaves the row ambiguous — never resent by itself — and the operator settles it with
  ``paperbot deliver ambiguous --resend|--drop``;
* a refused connection (nothing reached Telegram) is retried, not ambiguous;
* admin alerts are sent like any message: a 429 is waited out, an admin who never
  started the bot ("chat not found") gets the alert once they do, a 500 is retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import Counter

from bot.transport import build_bot
from jobs import store
from jobs.steps.deliver import announce_alerts, deliver_pending, plan_deliveries, send_alerts
from jobs.store import delivery as ledger
from jobs.store import health as hstore
from tests.bot_fixtures import TOKEN, add_subscribers, make_config, seed_paper
from tests.conftest import paperbot_env, run_paperbot, write_config
from tests.servers.telegram import TelegramStub

LONG_AGO = "2000-01-01T00:00:00+00:00"


def cli_config(tmp_path, stub) -> None:
    write_config(tmp_path, f"""
        state_dir = "{tmp_path / 'state'}"
        sources = []
        [telegram]
        api_base_url = "{stub.base_url}"
        api_base_file_url = "{stub.base_file_url}"
        max_messages_per_second = 1000
        per_chat_messages_per_second = 100
        """)


async def paperbot(tmp_path, *args: str):
    env = paperbot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    return await run_paperbot("--config", str(tmp_path / "paperbot.toml"), *args,
                              cwd=tmp_path, env=env)


async def test_answers_after_the_read_timeout_are_ambiguous_and_never_duplicated(tmp_path):
    chats = list(range(7000, 7100))
    late = set(chats[::10])  # every tenth answer comes after the client gave up
    async with TelegramStub() as stub:
        cli_config(tmp_path, stub)
        config = make_config(stub, tmp_path / "state")
        db = store.open_db(config.db_path)
        add_subscribers(db, chats, now=LONG_AGO)
        seed_paper(db, "2401.00001", title="Slow answers")
        plan_deliveries(db, config=config)
        stub.answer_late(3.0, chat_ids=late)
        bot = build_bot(config=config, token=TOKEN, read_timeout=1.5)
        async with bot:
            report = await deliver_pending(db, bot=bot, config=config)
            again = await deliver_pending(db, bot=bot, config=config)
        await asyncio.sleep(1.6)  # the late answers are all out
        assert stub.stats["late_answers"] == len(late)
        # 100 messages, each delivered exactly once: no resend of a maybe-delivered one
        assert Counter(m.chat_id for m in stub.sent) == Counter(chats)
        assert report.ambiguous == len(late) and report.sent == len(chats) - len(late)
        assert again.messages == 0 and again.ambiguous == 0
        states = {r["chat_id"]: r["state"] for r in ledger.deliveries_for(db)}
        assert {c for c, s in states.items() if s == "ambiguous"} == late
        assert not report.outage  # slow answers among good ones do not stop the broadcast

        status = await paperbot(tmp_path, "status", "--json")
        assert json.loads(status.stdout)["deliveries"]["ambiguous"] == len(late)
        listed = await paperbot(tmp_path, "deliver", "ambiguous", "--json")
        assert listed.code == 0, listed.stderr
        rows = json.loads(listed.stdout)["ambiguous"]
        assert {r["chat_id"] for r in rows} == late and rows[0]["reason"].startswith("ReadTimeout")

        # the operator decides: one chat is known to have it (drop), the rest are resent
        first, *rest = sorted(late)
        dropped = await paperbot(tmp_path, "deliver", "ambiguous", "--drop", "--chat",
                                 str(first))
        assert dropped.code == 0 and "1 ambiguous deliveries dropped" in dropped.stdout
        resent = await paperbot(tmp_path, "deliver", "ambiguous", "--resend")
        assert "9 ambiguous deliveries will be sent again" in resent.stdout
        out = await paperbot(tmp_path, "deliver", "once")
        assert out.code == 0, out.stderr
        per_chat = Counter(m.chat_id for m in stub.sent)
        assert {c for c, n in per_chat.items() if n == 2} == set(rest)  # as chosen
        assert per_chat[first] == 1
        assert ledger.state_counts(db)["ambiguous"] == 0 and ledger.ambiguous(db) == []
        db.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_refused_connection_is_retried_not_ambiguous(db):
    async with TelegramStub() as stub:
        good = make_config(stub, retry_backoff_seconds=0.2)
        down = make_config(stub, retry_backoff_seconds=0.2,
                           api_base_url=f"http://127.0.0.1:{closed_port()}/bot")
        add_subscribers(db, range(10, 15), now=LONG_AGO)
        seed_paper(db, "2401.00001")
        plan_deliveries(db, config=good)
        bot = build_bot(config=down, token=TOKEN)
        report = await deliver_pending(db, bot=bot, config=down)
        # nothing reached Telegram: rows wait for a retry (those in flight when three in a
        # row had failed and the circuit opened; the others were not even tried)
        assert report.ambiguous == 0 and report.retries >= 3 and report.outage
        counts = ledger.state_counts(db)
        assert counts["pending"] == 5 and counts["retrying"] == report.retries
        assert ledger.outage(db)["probes"] == 1
        await asyncio.sleep(0.25)  # the circuit's next probe
        bot = build_bot(config=good, token=TOKEN)
        async with bot:
            report = await deliver_pending(db, bot=bot, config=good)
        assert sorted(m.chat_id for m in stub.sent) == list(range(10, 15))
        assert report.sent == 5 and ledger.outage(db) is None


async def test_admin_alerts_survive_429_and_an_admin_who_never_started_the_bot(db, caplog):
    async with TelegramStub() as stub:
        config = make_config(stub, admin_chat_ids=[900, 901], retry_backoff_seconds=0.2)
        stub.not_found(901)  # this admin never sent /start
        for i in range(6):  # six alerts in the same second
            hstore.raise_alert(db, f"source-failing:s{i}", f"source s{i} failed")
        announce_alerts(db, config.telegram.admin_chat_ids)
        stub.fail_next("sendMessage", 3, status=429, retry_after=1)
        bot = build_bot(config=config, token=TOKEN)
        async with bot:
            report = await send_alerts(db, bot=bot, config=config)
            assert report.rate_limited >= 1
            assert sorted(m.text for m in stub.messages_to(900)) == [
                f"⚠️ paperbot: source s{i} failed" for i in range(6)]  # none lost to the 429
            waiting = hstore.undelivered_alert_sends(db)
            assert {(r["chat_id"], r["state"]) for r in waiting} == {(901, "pending")}
            assert all("chat not found" in r["reason"].lower() for r in waiting)
            # the admin starts the bot; the next retries reach them
            stub.missing.discard(901)
            for _ in range(20):
                await asyncio.sleep(0.2)
                await send_alerts(db, bot=bot, config=config)
                if len(stub.messages_to(901)) == 6:
                    break
        assert len(stub.messages_to(901)) == 6 and len(stub.messages_to(900)) == 6
        assert hstore.undelivered_alert_sends(db) == []
        assert all(a["sent_at"] for a in hstore.open_alerts(db))
        assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
        flood = [r for r in caplog.records if "429" in r.getMessage()
                 and r.levelno >= logging.INFO]
        # one WARNING line per pause (not per request), no traceback
        assert 1 <= len(flood) <= report.rate_limited
        assert all(r.levelname == "WARNING" and not r.exc_info for r in flood)


async def test_an_alert_cleared_before_it_could_be_sent_still_arrives(db):
    async with TelegramStub() as stub:
        config = make_config(stub, admin_chat_ids=[900], retry_backoff_seconds=0.1)
        hstore.raise_alert(db, "deliveries-failing", "Telegram has been unreachable")
        announce_alerts(db, [900])
        stub.outage("sendMessage", status=500)
        bot = build_bot(config=config, token=TOKEN)
        async with bot:
            assert (await send_alerts(db, bot=bot, config=config)).retries == 1
            hstore.clear_alert(db, "deliveries-failing")
            stub.end_outage()
            await asyncio.sleep(0.15)
            assert (await send_alerts(db, bot=bot, config=config)).messages == 1
        (msg,) = stub.messages_to(900)
        assert msg.text.startswith("⚠️ paperbot: Telegram has been unreachable")
        assert "(resolved since" in msg.text
