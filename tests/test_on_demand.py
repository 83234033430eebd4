"""Summaries paid for when read (issue 12), through the real PTB Application against the
local Bot API server and the real AsyncOpenAI client against the local OpenAI-compatible
server: archived papers cost nothing until someone asks; whoever asks gets the fallback
layout at once and the message is edited when the summary is ready; a summary still in
the wrong language after its retry is never delivered as a summary, and is upgraded (and
recent messages edited, never resent) by a later run."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from bot.transport import build_bot
from jobs import store
from jobs.clients.llm import build_client
from jobs.config import Secrets
from jobs.status import render_status_text, status_report
from jobs.steps.deliver import deliver_pending, plan_deliveries
from jobs.steps.edits import edit_upgraded
from jobs.steps.summarize import Summarizer
from jobs.store import summaries as sstore
from tests.bot_fixtures import TOKEN, add_subscribers, make_config, running_app, seed_paper
from tests.servers.openai import CANNED, OpenAIStub
from tests.servers.telegram import TelegramStub

JA_PENDING = "日本語の要約を作成中です"
LONG_AGO = "2000-01-01T00:00:00+00:00"


@pytest.fixture
async def servers():
    async with TelegramStub() as tg, OpenAIStub() as llm:
        yield tg, llm


@pytest.fixture
def db():
    return store.memory_db()


def config_for(tg, llm, **llm_cfg):
    return make_config(tg, llm={"base_url": llm.base_url, "model": "stub-model",
                                "max_retries": 0, "timeout_seconds": 5.0, **llm_cfg})


@contextlib.asynccontextmanager
async def bot_with_summaries(tg, db, config):
    """The bot as the service runs it: a Summarizer in bot_data whose upgrades edit the
    messages that showed the fallback layout."""
    client = build_client(config, Secrets(openai_api_key="test-key"))
    async with running_app(tg, db, config) as app:
        async def on_upgraded(pairs):
            await edit_upgraded(db, app.bot, pairs)

        summarizer = Summarizer(db, config=config, client=client, on_upgraded=on_upgraded)
        app.bot_data["summarizer"] = summarizer
        try:
            yield app, summarizer
        finally:
            await client.close()


async def say(tg, chat_id, text, **kw):
    before = len(tg.messages_to(chat_id))
    tg.inject_command(chat_id, text, **kw)
    return (await tg.wait_for_sent(before + 1, chat_id=chat_id, timeout=5))[-1]


async def edited(tg, message_id, timeout=10):
    await tg.wait_until(lambda: any(e.message_id == message_id for e in tg.edits),
                        timeout=timeout)
    return [e for e in tg.edits if e.message_id == message_id][-1]


def backfill(db, n):
    """``n`` archived papers (first seen by a backfill: never pushed), newest last."""
    ids = [f"2401.{i:05d}" for i in range(1, n + 1)]
    for pid in ids:
        seed_paper(db, pid, title=f"Archived paper {pid}", langs=(), notify=False,
                   blog_text=f"블로그가 {pid} 논문을 소개했습니다.")
    return ids


async def test_ja_newcomer_after_a_backfill_gets_japanese_summaries_on_latest(servers, db):
    tg, llm = servers
    config = config_for(tg, llm)
    ids = backfill(db, 8)
    add_subscribers(db, [1], lang="en", now=LONG_AGO)  # an old reader, in English
    async with bot_with_summaries(tg, db, config) as (_app, summarizer):
        await summarizer.pending()  # the scheduled run after the backfill crawl
        assert llm.calls == 0  # nobody asked for an archived paper: no call

        await say(tg, 2, "/start", language_code="ja")
        assert llm.calls == 0  # joining costs nothing either

        reply = await say(tg, 2, "/latest")
        window = sstore.latest_ids(db, limit=config.telegram.latest_count)
        assert window == ids[::-1][:5]
        # answered at once with the fallback layout: abstract, the blog's words, a note
        assert JA_PENDING in reply.visible
        assert "アブストラクト (英語): Abstract of Archived paper" in reply.visible
        assert "블로그가 2401.00008 논문을 소개했습니다." in reply.visible
        assert CANNED["ja"][1] not in reply.visible

        edit = await edited(tg, reply.message_id)
        assert edit.visible.count(CANNED["ja"][1]) == 5  # every paper now has its TL;DR
        assert JA_PENDING not in edit.visible and "アブストラクト" not in edit.visible
        assert llm.calls == 5 and dict(llm.by_lang) == {"ja": 5}  # the window, nothing more
        summarized = {r[0] for r in db.execute("select distinct arxiv_id from summaries")}
        assert summarized == set(window)

        # an archived paper outside the window: /paper answers at once, then edits
        reply = await say(tg, 2, f"/paper {ids[0]}")
        assert JA_PENDING in reply.visible and "アブストラクト (英語)" in reply.visible
        edit = await edited(tg, reply.message_id)
        assert CANNED["ja"][1] in edit.visible and CANNED["ja"][2][0] in edit.visible
        assert llm.calls == 6

        # the same paper again: the stored summary, no call, nothing to edit
        reply = await say(tg, 2, f"/paper {ids[0]}")
        assert CANNED["ja"][1] in reply.visible and JA_PENDING not in reply.visible
        assert llm.calls == 6

        # choosing a new language writes that reader's /latest window in it, no more
        tg.inject_command(2, "/lang ko")
        await tg.wait_until(lambda: llm.by_lang["ko"] == 5, timeout=10)
        await tg.wait_until(lambda: sstore.good_ids(db, window, "ko") == set(window))
        assert llm.calls == 11
    assert not sstore.good_ids(db, ids[:3], "ko")  # outside the window: untouched


async def test_without_a_model_the_fallback_layout_says_nothing_is_coming(servers, db):
    tg, _llm = servers
    config = make_config(tg)
    backfill(db, 2)
    async with running_app(tg, db, config):
        await say(tg, 3, "/start", language_code="ja")
        reply = await say(tg, 3, "/latest")
        assert "アブストラクト (英語)" in reply.visible and JA_PENDING not in reply.visible
    assert tg.edits == []


async def deliver(tg, db, config):
    bot = build_bot(config=config, token=TOKEN)
    async with bot:
        plan_deliveries(db, config=config)
        return await deliver_pending(db, bot=bot, config=config)


async def test_wrong_language_twice_gets_the_fallback_then_an_edit_never_a_resend(servers, db):
    tg, llm = servers
    config = config_for(tg, llm, concurrency=1)
    add_subscribers(db, [10, 11], lang="ja", now=LONG_AGO)
    seed_paper(db, "2402.00001", title="Fresh paper", langs=(),
               blog_text="新しい論文です。推論が速くなります。")
    client = build_client(config, Secrets(openai_api_key="test-key"))
    bot = build_bot(config=config, token=TOKEN)
    try:
        async with bot:
            summarizer = Summarizer(db, config=config, client=client,
                                    on_upgraded=lambda pairs: edit_upgraded(db, bot, pairs))
            llm.push("wrong_lang", "wrong_lang")
            report = await summarizer.pending()
            assert report.flagged == 1 and llm.calls == 2
            # the retry restated the language after the quoted text, firmly
            assert "Your previous answer was not in Japanese" in \
                llm.requests[1]["messages"][1]["content"].rsplit("</blog_text>", 1)[1]

            sent = await deliver(tg, db, config)
            assert sent.messages == 2
            for chat_id in (10, 11):
                (msg,) = tg.messages_to(chat_id)
                assert CANNED["en"][1] not in msg.visible  # not the wrong-language text
                assert "アブストラクト (英語): Abstract of Fresh paper." in msg.visible
                assert "新しい論文です。推論が速くなります。" in msg.visible
            # chat 11's message was sent 49 hours ago: too old to edit
            old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)).strftime(
                "%Y-%m-%dT%H:%M:%S+00:00")
            db.execute("update fallback_messages set sent_at = ? where chat_id = 11", [old])

            report = await summarizer.pending()  # the next run: retried, now right
            assert report.written == 1 and report.flagged == 0 and llm.calls == 3
            assert sstore.best_summary(db, "2402.00001", "ja")["lang_ok"] == 1
            (edit,) = tg.edits
            assert edit.chat_id == 10 and edit.message_id == tg.messages_to(10)[0].message_id
            assert CANNED["ja"][1] in edit.visible and "アブストラクト" not in edit.visible
            assert len(tg.sent) == 2  # never resent
            again = await deliver(tg, db, config)
            assert again.messages == 0 and len(tg.sent) == 2
    finally:
        await client.close()


async def test_flagged_retries_are_bounded(servers, db):
    tg, llm = servers
    config = config_for(tg, llm, concurrency=1)
    add_subscribers(db, [20], lang="ko", now=LONG_AGO)
    seed_paper(db, "2402.00002", title="Stubborn paper", langs=())
    llm.default = "wrong_lang"
    client = build_client(config, Secrets(openai_api_key="test-key"))
    try:
        summarizer = Summarizer(db, config=config, client=client)
        for _ in range(sstore.MAX_FLAGGED_RUNS + 2):
            await summarizer.pending()
        assert llm.calls == 2 * sstore.MAX_FLAGGED_RUNS  # two calls a run, then it stops
        summary = sstore.best_summary(db, "2402.00002", "ko")
        assert summary["lang_ok"] == 0 and summary["flagged_runs"] == sstore.MAX_FLAGGED_RUNS
        status = sstore.summary_status(db, config)
        assert status["flagged_by_lang"] == {"ko": 1}
        # `paperbot status` says it in readable lines, not as a Python dict
        text = render_status_text(status_report(db, config))
        llm_part = text[text.index("llm: model stub-model"):].splitlines()[:6]
        assert "{" not in "\n".join(llm_part)
        tokens = status["tokens_today"]
        assert llm_part[1] == (f"  tokens: {tokens:,} today, {tokens:,} in total; budget: "
                               f"{2_000_000 - tokens:,} of 2,000,000 left today")
        assert llm_part[3] == f"  calls today: {2 * sstore.MAX_FLAGGED_RUNS} (0 failed)"
        assert llm_part[4] == "  summaries: ko 1"
        assert llm_part[5] == "  flagged (still in the wrong language): ko 1"
    finally:
        await client.close()
