"""In a group, only the group's administrators change or stop its subscription; members
get a polite refusal in the group's language and can still read (/latest, /settings).
Through the real PTB Application and the local Bot API server (getChatMember)."""

import asyncio

import pytest

from jobs import store
from jobs.store import subscribers as subs
from tests.bot_fixtures import make_config, running_app
from tests.servers.telegram import TelegramStub

GROUP, OWNER, ADMIN, MEMBER, BOT_ADMIN = -1001234567890, 11, 12, 13, 14
REFUSAL = "only the group's administrators"


@pytest.fixture
async def stub():
    async with TelegramStub() as s:
        s.set_member(GROUP, OWNER, "creator")
        s.set_member(GROUP, ADMIN, "administrator")
        s.set_member(GROUP, MEMBER, "member")
        yield s


async def say(stub, user_id, text, **kw):
    """``text`` from ``user_id`` in the group; the bot's reply."""
    before = len(stub.messages_to(GROUP))
    stub.inject_command(GROUP, text, user_id=user_id, chat_type="supergroup", **kw)
    got = await stub.wait_for_sent(before + 1, chat_id=GROUP, timeout=5)
    return got[-1]


async def test_only_group_admins_change_or_stop_the_group(stub):
    db = store.memory_db()
    config = make_config(stub, admin_chat_ids=[BOT_ADMIN])
    async with running_app(stub, db, config):
        assert "Welcome" in (await say(stub, ADMIN, "/start")).visible
        assert subs.get(db, GROUP)["kind"] == "supergroup"

        for command in ("/lang ko", "/mode digest 7", "/tz Asia/Tokyo", "/topics cs.CV",
                        "/stop", "/start", "/lang@paperbot_test_bot ru"):
            reply = await say(stub, MEMBER, command)
            assert REFUSAL in reply.visible, (command, reply.visible)
        sub = subs.get(db, GROUP)
        assert (sub["active"], sub["lang"], sub["mode"], sub["tz"], sub["topics"]) == \
            (1, "en", "instant", "UTC", [])
        # one getChatMember for all of that: the answer is cached
        assert stub.stats["getChatMember"] == 2  # ADMIN's /start, then MEMBER

        # a settings button pressed by a member: an alert, nothing changes
        answers = len(stub.callback_answers)
        stub.inject_callback(GROUP, "lang:ja", user_id=MEMBER, chat_type="supergroup")
        await stub.wait_until(lambda: len(stub.callback_answers) > answers)
        assert REFUSAL in stub.callback_answers[-1]["text"]
        assert str(stub.callback_answers[-1]["show_alert"]).lower() == "true"
        assert subs.get(db, GROUP)["lang"] == "en"

        # members still read; another bot's command is none of our business
        assert REFUSAL not in (await say(stub, MEMBER, "/settings")).visible
        assert REFUSAL not in (await say(stub, MEMBER, "/latest")).visible
        before = len(stub.messages_to(GROUP))
        stub.inject_command(GROUP, "/stop@some_other_bot", user_id=MEMBER,
                            chat_type="supergroup")
        await asyncio.sleep(0.5)
        assert len(stub.messages_to(GROUP)) == before

        # a member's plain reply to an admin's /topics prompt is ignored
        await say(stub, ADMIN, "/topics")
        stub.inject_message(GROUP, "diffusion, robotics", user_id=MEMBER, chat_type="supergroup")
        await asyncio.sleep(0.5)
        assert subs.get(db, GROUP)["topics"] == []

        # admins do: a chat admin, an admin posting as the group, the bot's admin, the owner
        assert "日本語" in (await say(stub, ADMIN, "/lang ja")).visible
        reply = await say(stub, MEMBER, "/lang en")
        assert "管理者" in reply.visible  # the refusal speaks the group's language
        await say(stub, GROUP, "/mode digest 7", anonymous_admin=True)
        assert subs.get(db, GROUP)["mode"] == "digest"
        await say(stub, BOT_ADMIN, "/tz Asia/Seoul")
        assert subs.get(db, GROUP)["tz"] == "Asia/Seoul"
        await say(stub, OWNER, "/stop")
        assert subs.get(db, GROUP)["active"] == 0


async def test_private_chats_ask_nobody(stub):
    db = store.memory_db()
    async with running_app(stub, db, make_config(stub)):
        stub.inject_command(MEMBER, "/start")
        await stub.wait_for_sent(1, chat_id=MEMBER)
        stub.inject_command(MEMBER, "/lang ko")
        await stub.wait_for_sent(2, chat_id=MEMBER)
    assert subs.get(db, MEMBER)["lang"] == "ko" and stub.stats["getChatMember"] == 0
