"""Conversation state that expires, and the small things a subscriber notices, through the
real PTB Application against the local Bot API server. Time is compressed through the
clock the handlers read (``bot_data["clock"]``), never slept."""

from __future__ import annotations

import logging

import pytest

from jobs import store
from jobs.store import subscribers as subs
from tests.bot_fixtures import make_config, running_app, seed_paper
from tests.servers.telegram import TelegramStub


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def stub():
    async with TelegramStub() as s:
        yield s


@pytest.fixture
def db():
    return store.memory_db()


async def say(stub, chat_id, text, **kw):
    before = len(stub.messages_to(chat_id))
    stub.inject_command(chat_id, text, **kw)
    return (await stub.wait_for_sent(before + 1, chat_id=chat_id, timeout=5))[-1]


async def press(stub, chat_id, data):
    before = len(stub.edits)
    stub.inject_callback(chat_id, data)
    await stub.wait_until(lambda: len(stub.edits) > before, timeout=5)
    return stub.edits[-1]


async def test_abandoned_prompts_never_turn_later_chat_into_settings(stub, db):
    clock = Clock()
    async with running_app(stub, db, make_config(stub)) as app:
        app.bot_data["clock"] = clock
        await say(stub, 1, "/start")

        # /topics, then 6 minutes of silence, then "thanks!": nothing changes
        prompt = await say(stub, 1, "/topics")
        assert "/cancel" in prompt.visible and "5 minutes" in prompt.visible
        clock.advance(6 * 60)
        answer = await say(stub, 1, "thanks!")
        assert subs.get(db, 1)["topics"] == []
        assert "/topics" in answer.visible and "nothing was changed" in answer.visible
        await say(stub, 1, "diffusion")  # and the wait is over for good
        assert subs.get(db, 1)["topics"] == []

        # /topics → /settings → /help → "thanks!": the next command ended the wait
        await say(stub, 1, "/topics")
        await say(stub, 1, "/settings")
        await say(stub, 1, "/help")
        answer = await say(stub, 1, "thanks!")
        assert subs.get(db, 1)["topics"] == [] and "/help" in answer.visible

        # within the 5 minutes the answer is taken (keyboard presses extend the wait)
        await say(stub, 1, "/topics")
        clock.advance(4 * 60)
        await press(stub, 1, "topic:cs.CV")
        clock.advance(4 * 60)
        await say(stub, 1, "diffusion, RLHF")
        assert subs.get(db, 1)["topics"] == ["cs.CV", "diffusion", "RLHF"]


async def test_cancel_works_in_every_waiting_state(stub, db):
    clock = Clock()
    async with running_app(stub, db, make_config(stub)) as app:
        app.bot_data["clock"] = clock
        await say(stub, 2, "/start")
        assert "nothing to cancel" in (await say(stub, 2, "/cancel")).visible

        # topics
        await say(stub, 2, "/topics")
        assert "Cancelled" in (await say(stub, 2, "/cancel")).visible
        await say(stub, 2, "vision")
        assert subs.get(db, 2)["topics"] == []

        # time zone typed as text after /tz
        prompt = await say(stub, 2, "/tz")
        assert "/cancel" in prompt.visible
        assert "Cancelled" in (await say(stub, 2, "/cancel")).visible
        await say(stub, 2, "Asia/Seoul")
        assert subs.get(db, 2)["tz"] == "UTC"
        await say(stub, 2, "/tz")
        answer = await say(stub, 2, "Mars/Olympus")  # a bad name: asked again
        assert "Mars/Olympus" in answer.visible
        await say(stub, 2, "asia/seoul")
        assert subs.get(db, 2)["tz"] == "Asia/Seoul"

        # the time zone asked after picking a digest hour
        await say(stub, 2, "/mode")
        await press(stub, 2, "mode:digest")
        await press(stub, 2, "hour:8")
        assert "Cancelled" in (await say(stub, 2, "/cancel")).visible
        await say(stub, 2, "Europe/Berlin")
        assert subs.get(db, 2)["tz"] == "Asia/Seoul"

        # an expired wait is nothing to cancel
        await say(stub, 2, "/topics")
        clock.advance(301)
        assert "nothing to cancel" in (await say(stub, 2, "/cancel")).visible


async def test_in_a_group_only_the_asker_answers(stub, db):
    stub.set_member(-500, 7, "administrator")  # a group's settings are its admins' (user 8: a member)
    async with running_app(stub, db, make_config(stub)):
        await say(stub, -500, "/start", user_id=7, chat_type="group")
        await say(stub, -500, "/topics", user_id=7, chat_type="group")
        stub.inject_message(-500, "spam spam", user_id=8, chat_type="group")
        await say(stub, -500, "robotics", user_id=7, chat_type="group")
        assert subs.get(db, -500)["topics"] == ["robotics"]


async def test_unknown_commands_and_unsupported_languages_get_a_helpful_answer(stub, db):
    async with running_app(stub, db, make_config(stub)):
        answer = await say(stub, 3, "/subscribe", language_code="ru")
        assert "/subscribe" in answer.visible and "/help" in answer.visible
        assert "Я не знаю команду" in answer.visible

        welcome = await say(stub, 4, "/start", language_code="pt-br")
        assert "Welcome to paperbot" in welcome.visible
        assert "paperbot speaks en, ko, ja, zh, ru — pick one" in welcome.visible
        buttons = [b["callback_data"] for row in welcome.reply_markup["inline_keyboard"]
                   for b in row]
        assert buttons == ["lang:en", "lang:ko", "lang:ja", "lang:zh", "lang:ru"]
        edit = await press(stub, 4, "lang:ru")
        assert "Русский" in edit.visible and subs.get(db, 4)["lang"] == "ru"

        welcome = await say(stub, 5, "/start", language_code="ja")  # a spoken language
        assert "pick one" not in welcome.visible and welcome.reply_markup is None

        # in a group, a command for another bot is none of our business
        stub.inject_command(-600, "/weather@other_bot", chat_type="group")
        answer = await say(stub, -600, "/frobnicate@paperbot_test_bot", chat_type="group")
        assert "/frobnicate" in answer.visible
        assert len(stub.messages_to(-600)) == 1


async def test_429_on_a_command_reply_is_one_warning_line(stub, db, caplog):
    caplog.set_level(logging.INFO)
    async with running_app(stub, db, make_config(stub)):
        stub.fail_next("sendMessage", 1, status=429, retry_after=1)
        answer = await say(stub, 6, "/help")
        assert "/paper" in answer.visible  # it arrived after the wait
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and "flood control" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert warnings[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


DAIR_TABLE = """<p>이번 주 주요 ML 논문 (DAIR.AI Top ML Papers 번역)</p>
<table>
<thead><tr><th>Paper</th><th>Links</th></tr></thead>
<tbody>
<tr><td>1) <strong>Tree Search for Language Model Agents</strong> - 언어 모델 에이전트를 위한 추론
시점 트리 탐색 알고리즘을 제안합니다. 웹 환경에서 다단계 추론과 탐색을 가능하게 합니다.</td>
<td><a href="https://arxiv.org/abs/2407.01476">Paper</a>, <a href="https://x.com/dair_ai/status/1">Tweet</a></td></tr>
<tr><td>2) <strong>Lighthouse Retrieval Heads</strong> - 긴 문맥 모델에서 검색을 담당하는 어텐션
헤드를 분석합니다.</td>
<td><a href="https://arxiv.org/abs/2404.15574">Paper</a>, <a href="https://x.com/dair_ai/status/2">Tweet</a></td></tr>
</tbody></table>"""


async def test_a_table_rows_message_quotes_the_rows_description(stub, db):
    from crawler.extract import extract_papers
    from crawler.models import Post
    from jobs.store import crawl as crawl_store
    from jobs.store import delivery as ledger

    seed_paper(db, "2401.09999", title="Seeded", langs=("ko",))  # registers the source
    found = extract_papers(DAIR_TABLE, title="Top ML Papers", lang="ko")
    _, post_id = crawl_store.save_post(db, Post(
        url="https://example.org/posts/top-ml-papers", source="blog-ko",
        title="Top ML Papers of the Week", html=DAIR_TABLE, lang="ko"))
    crawl_store.record_extraction(db, post_id, found, extractor_version=1)
    ledger.set_paper_metadata(db, "2407.01476", title="Tree Search for Language Model Agents",
                              abstract="We propose an inference-time tree search. It helps.")
    ledger.insert_summary_row(db, "2404.15574", "ko", title="검색 헤드", tldr="요약입니다.",
                              model="test-model", is_fallback=False)
    async with running_app(stub, db, make_config(stub)):
        await say(stub, 8, "/start", language_code="ko")
        fallback = await say(stub, 8, "/paper 2407.01476")  # no summary: fallback layout
        summarized = await say(stub, 8, "/paper 2404.15574")  # a model summary
    assert "Top ML Papers of the Week: 언어 모델 에이전트를 위한 추론 시점 트리 탐색" in \
        fallback.visible
    assert "Top ML Papers of the Week: 긴 문맥 모델에서 검색을 담당하는 어텐션" in \
        summarized.visible
    for msg in (fallback, summarized):
        assert "x.com" not in msg.visible and "http" not in msg.visible


async def test_a_quote_is_never_a_bare_url(stub, db):
    seed_paper(db, "2401.00042", title="Linked only", langs=("en",),
               blog_text="https://arxiv.org/abs/2401.00042")
    seed_paper(db, "2401.00043", title="Linked and said", langs=("en",),
               blog_text="Great read: https://arxiv.org/abs/2401.00043 (see www.example.org/x)")
    async with running_app(stub, db, make_config(stub)):
        await say(stub, 9, "/start")
        only = await say(stub, 9, "/paper 2401.00042")
        said = await say(stub, 9, "/paper 2401.00043")
    assert "Post about 2401.00042\n" in only.visible  # the post, without a quote
    assert "Post about 2401.00043: Great read" in said.visible
    quotes = [line for msg in (only, said) for line in msg.visible.splitlines()
              if line.startswith("— ")]
    assert len(quotes) == 2
    assert not [q for q in quotes if "arxiv.org" in q or "www." in q or "http" in q]
