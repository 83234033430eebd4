"""The real PTB Application, started by hand (initialize/start/start_polling) against the
local Bot API stub: users subscribe and change settings through injected updates."""

import pytest

from jobs import store
from jobs.store import subscribers as subs
from tests.bot_fixtures import make_config, running_app, seed_paper
from tests.servers.telegram import TelegramStub

ADMIN = 999


@pytest.fixture
async def stub():
    async with TelegramStub() as s:
        yield s


@pytest.fixture
def db():
    return store.memory_db()


async def say(stub, chat_id, text, *, n=None, **kw):
    """Inject ``text`` from ``chat_id`` and wait for the bot's reply; return it."""
    before = len(stub.messages_to(chat_id))
    stub.inject_command(chat_id, text, **kw)
    got = await stub.wait_for_sent(before + (n or 1), chat_id=chat_id, timeout=5)
    return got[-1]


async def press(stub, chat_id, data, **kw):
    before = len(stub.edits)
    stub.inject_callback(chat_id, data, **kw)
    await stub.wait_until(lambda: len(stub.edits) > before, timeout=5)
    return stub.edits[-1]


async def test_subscribe_and_change_settings(stub, db):
    config = make_config(stub, admin_chat_ids=[ADMIN])
    async with running_app(stub, db, config):
        # /start in Korean: a Korean welcome that explains the bot and the settings commands
        reply = await say(stub, 501, "/start", language_code="ko")
        assert "paperbot에 오신 것을 환영합니다" in reply.visible
        assert "/lang" in reply.visible and "/topics" in reply.visible
        assert reply.parse_mode == "HTML"
        sub = subs.get(db, 501)
        assert sub["active"] == 1 and sub["lang"] == "ko" and sub["mode"] == "instant"

        # unsupported language_code → English
        reply = await say(stub, 502, "/start", language_code="pt-br")
        assert "Welcome to paperbot" in reply.visible and subs.get(db, 502)["lang"] == "en"

        # /lang shows a keyboard with every language; pressing 日本語 switches
        reply = await say(stub, 501, "/lang")
        buttons = [b["callback_data"] for row in reply.reply_markup["inline_keyboard"]
                   for b in row]
        assert buttons == ["lang:en", "lang:ko", "lang:ja", "lang:zh", "lang:ru"]
        edit = await press(stub, 501, "lang:ja")
        assert "日本語" in edit.visible and subs.get(db, 501)["lang"] == "ja"
        assert stub.callback_answers  # the button press was answered

        # /topics: toggle a category on the keyboard, then type keywords
        reply = await say(stub, 501, "/topics")
        assert "cs.CL" in str(reply.reply_markup)
        await press(stub, 501, "topic:cs.CV")
        assert subs.get(db, 501)["topics"] == ["cs.CV"]
        reply = await say(stub, 501, "diffusion, RLHF")
        assert subs.get(db, 501)["topics"] == ["cs.CV", "diffusion", "RLHF"]
        assert "diffusion" in reply.visible
        await say(stub, 501, "/topics clear")
        assert subs.get(db, 501)["topics"] == []

        # /mode → daily digest → 08:00 → Asia/Seoul
        reply = await say(stub, 501, "/mode")
        await press(stub, 501, "mode:digest")
        await press(stub, 501, "hour:8")
        edit = await press(stub, 501, "tz:Asia/Seoul")
        sub = subs.get(db, 501)
        assert (sub["mode"], sub["digest_hour"], sub["tz"]) == ("digest", 8, "Asia/Seoul")
        assert "Asia/Seoul" in edit.visible
        reply = await say(stub, 501, "/tz Mars/Olympus")
        assert "Mars/Olympus" in reply.visible and subs.get(db, 501)["tz"] == "Asia/Seoul"
        await say(stub, 501, "/tz europe/berlin")
        assert subs.get(db, 501)["tz"] == "Europe/Berlin"
        await say(stub, 501, "/mode instant")
        assert subs.get(db, 501)["mode"] == "instant"

        reply = await say(stub, 501, "/settings")
        assert "Europe/Berlin" in reply.visible and "日本語" in reply.visible

        # /stop, then /start revives
        await say(stub, 501, "/stop")
        assert subs.get(db, 501)["active"] == 0
        reply = await say(stub, 501, "/start")
        assert subs.get(db, 501)["active"] == 1
        assert "おかえりなさい" in reply.visible

    # command menus were set per language
    ko = stub.commands[("default", "ko")]
    assert {c["command"] for c in ko} >= {"start", "lang", "mode", "topics", "paper"}
    assert any(c["description"] == "언어 선택" for c in ko)
    assert {c["command"] for c in stub.commands[(f"chat:{ADMIN}", "")]} >= {"status", "crawl"}


async def test_admin_commands_and_refusal(stub, db):
    config = make_config(stub, admin_chat_ids=[ADMIN])
    async with running_app(stub, db, config) as app:
        reply = await say(stub, 777, "/status")
        assert "only for the bot's administrators" in reply.visible
        reply = await say(stub, 777, "/crawl", language_code="ru")
        assert "только для администраторов" in reply.visible
        reply = await say(stub, ADMIN, "/status")
        assert "not available" in reply.visible

        async def status_text():
            return "sources ok <3 & fine"

        calls = []

        async def run_crawl():
            calls.append(1)
            return "2 new papers"

        app.bot_data["status_text"] = status_text
        app.bot_data["run_crawl"] = run_crawl
        reply = await say(stub, ADMIN, "/status")
        assert reply.visible == "sources ok <3 & fine"
        await say(stub, ADMIN, "/crawl", n=2)
        assert calls == [1]
        assert "2 new papers" in stub.messages_to(ADMIN)[-1].visible


async def test_paper_latest_sources_help(stub, db):
    config = make_config(stub)
    seed_paper(db, "2401.00001", title="Tiny <Models> & Co", langs=["en", "ko"])
    seed_paper(db, "2401.00002", title="Second paper", langs=["en"])
    async with running_app(stub, db, config):
        await say(stub, 601, "/start", language_code="ko")
        reply = await say(stub, 601, "/paper https://arxiv.org/abs/2401.00001v2")
        assert "Tiny <Models> & Co" in reply.visible and "[ko]" in reply.visible
        # no Korean summary and no model here: the fallback layout, in one message
        reply = await say(stub, 601, "/paper 2401.00002")
        assert "초록 (영어): Abstract of Second paper." in reply.visible
        assert "The blog liked it." in reply.visible and "[en]" not in reply.visible
        reply = await say(stub, 601, "/paper 2312.99999")
        assert "2312.99999" in reply.visible and "https://arxiv.org/abs/2312.99999" in reply.text
        reply = await say(stub, 601, "/latest")
        assert "Tiny <Models> & Co" in reply.visible and "Second paper" in reply.visible
        reply = await say(stub, 601, "/sources")
        assert "blog-ko" in reply.visible
        reply = await say(stub, 601, "/help")
        assert "/paper" in reply.visible


async def test_restart_does_not_rehandle_old_updates(stub, db):
    config = make_config(stub)
    async with running_app(stub, db, config):
        await say(stub, 701, "/start")
        await say(stub, 701, "/stop")
    assert len(stub.messages_to(701)) == 2
    # Telegram offers the same updates again (as after a crash before confirming them)
    stub.redeliver_all()
    async with running_app(stub, db, config):
        reply = await say(stub, 701, "/settings")  # a new update is handled...
    # ...but the old /start and /stop were not: exactly one new reply, still unsubscribed
    assert len(stub.messages_to(701)) == 3
    assert "Subscribed: no" in reply.visible
    assert subs.get(db, 701)["active"] == 0
