"""The bot's loop stays free: while the summarize step works through a backlog
(thousands of pairs to queue, check and write: a new model or prompt version, or
``summarize --lang`` for a language nobody read before), commands are answered within
100 ms, and the step holds one batch of pairs at a time, not the whole backlog."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from jobs import store
from jobs.steps import summary_queue
from jobs.steps.summarize import summarize_pending
from jobs.store import summary_due
from tests import store_seed
from tests.bot_fixtures import make_config, running_app
from tests.servers.telegram import TelegramStub

PAPERS = 5_000


@pytest.fixture
def frozen_heap():
    """The objects earlier tests left in this process are not the service's: keep the
    collector's full passes over them (hundreds of ms) out of the measurement."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.mark.slow
async def test_commands_are_answered_while_a_backlog_is_summarized(tmp_path, frozen_heap):
    db = store.open_db(tmp_path / "paperbot.db")
    store_seed.bulk_seed(db, papers=PAPERS, subscribers=5)  # 4,000 pushable papers
    async with TelegramStub() as stub:
        config = make_config(stub, state_dir=tmp_path)
        async with running_app(stub, db, config):
            stalls = [0.0]

            async def tick() -> None:  # the longest the loop went without running it
                last = time.monotonic()
                while True:
                    await asyncio.sleep(0.005)
                    now = time.monotonic()
                    stalls[0], last = max(stalls[0], now - last), now

            ticker = asyncio.create_task(tick())
            work = asyncio.create_task(summarize_pending(db, config=config, client=None,
                                                         langs=["ja", "zh"]))
            await asyncio.sleep(0.02)  # under way
            latencies = []
            for i in range(8):
                before = len(stub.messages_to(500 + i))
                asked = time.monotonic()
                stub.inject_command(500 + i, "/help")
                got = await stub.wait_for_sent(before + 1, chat_id=500 + i, timeout=5)
                latencies.append(got[-1].at - asked)
                await asyncio.sleep(0.05)
            assert not work.done(), "the step finished before the commands: nothing measured"
            report = await work
            ticker.cancel()
    # the step went through the backlog in batches, and every command was quick
    assert report.fallbacks == 2 * PAPERS * 4 // 5
    assert summary_due.without_summary(db, ["ja", "zh"]) == {"ja": 0, "zh": 0}
    assert stalls[0] < 0.1 and max(latencies) < 0.1, (stalls, sorted(latencies))
    db.conn.close()


async def test_a_batch_is_all_the_step_holds(db, monkeypatch):
    """However big the backlog, the pairs handed to the summarizer come a batch at a time."""
    store_seed.bulk_seed(db, papers=2000, subscribers=5)
    config = make_config(type("S", (), {"base_url": "http://127.0.0.1:9/bot",
                                        "base_file_url": "http://127.0.0.1:9/file/bot"})())
    sizes = []
    pairs = summary_queue.queued_pairs

    async def spy(*args, **kwargs):
        async for work in pairs(*args, **kwargs):
            sizes.append(len(work))
            yield work

    monkeypatch.setattr("jobs.steps.summarize.queued_pairs", spy)
    report = await summarize_pending(db, config=config, client=None, langs=["ja", "ru"])
    assert report.fallbacks == 2 * 1600
    assert max(sizes) <= 2 * summary_queue.BATCH and sum(sizes) == 2 * 1600
