"""The pacer: the arithmetic on a fake clock (the line it holds, no catch-up burst, the
429 pause and the ramp back), then against the local Bot API server enforcing a strict
sliding one-second window like Telegram: no 429 at 30 msg/s, paid broadcasts above it,
and a command reply that meets a 429 waits for the pause (one WARNING, no traceback)."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.transport import build_bot
from jobs.steps.deliver import Pacer, broadcast_limit, deliver_pending, plan_deliveries
from tests.bot_fixtures import TOKEN, add_subscribers, make_config, running_app, seed_paper
from tests.servers.telegram import SlidingWindow, TelegramStub

LONG_AGO = "2000-01-01T00:00:00+00:00"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def greedy(pacer: Pacer, clock: Clock, seconds: float) -> list[float]:
    """Send as fast as the pacer allows for ``seconds``; the send times."""
    end, times = clock.t + seconds, []
    while clock.t < end:
        wait = pacer.wait(clock.t)
        if wait > 0:
            clock.t += wait
            continue
        pacer.take(clock.t)
        times.append(clock.t)
    return times


def busiest_second(times: list[float]) -> int:
    window = SlidingWindow(10**6, 1.0)
    best = 0
    for t in times:
        window.add(t)
        best = max(best, window.count(t))
    return best


def test_holds_the_line_under_the_limit():
    clock = Clock()
    pacer = Pacer(30, safety=0.93, clock=clock)
    times = greedy(pacer, clock, 20.0)
    assert 0.92 * 30 <= len(times) / 20.0 <= 0.94 * 30  # 27.9 msg/s, not 30
    assert busiest_second(times) <= 28  # any one second, like Telegram counts
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 1 / 27.9 - 1e-9  # evenly spaced: no burst


def test_no_catch_up_burst_after_idle_or_a_late_loop():
    clock = Clock()
    pacer = Pacer(100, clock=clock)
    greedy(pacer, clock, 1.0)
    clock.t += 5.0  # idle (or the event loop was busy): the missed slots are not owed
    after = greedy(pacer, clock, 1.0)
    assert after[1] - after[0] >= 0.0  # at most one early send (the GCRA tolerance) …
    assert sum(1 for t in after if t < after[0] + 0.05) <= 6  # … never a burst
    assert busiest_second(after) <= 94


def test_per_chat_gaps_hold_and_a_broadcast_remembers_only_the_last_gap():
    clock = Clock()
    pacer = Pacer(100, per_chat=1.0, group_per_minute=20, clock=clock)
    pacer.chat_take(-1001, clock.t)  # a group: 20 a minute, 3 s apart
    pacer.chat_take(7, clock.t)
    clock.t += 0.5
    assert pacer.chat_wait(7, clock.t) == 0.5  # a private chat: 1 s apart
    assert pacer.chat_wait(-1001, clock.t) == 2.5
    assert pacer.chat_wait(8, clock.t) == 0.0
    # a 10,000-chat broadcast at the pacer's pace: what it remembers is the chats of
    # the last gap, not its audience
    remembered = 0
    for chat_id in range(10_000, 20_000):
        clock.t += pacer.wait(clock.t)
        pacer.take(clock.t)
        pacer.chat_take(chat_id, clock.t)
        remembered = max(remembered, len(pacer.chat_next))
    assert remembered <= 3 * 100  # rate × the longest gap (the group's, at the front)
    assert pacer.chat_wait(19_999, clock.t) == 1.0  # the latest ones are still held
    assert pacer.chat_wait(-1001, clock.t) == 0.0


def test_429_pauses_exactly_retry_after_then_ramps_back():
    clock = Clock()
    pacer = Pacer(30, clock=clock)
    greedy(pacer, clock, 2.0)
    flood_at = clock.t
    pacer.flood(3.0, what="sendMessage to 1")
    assert pacer.wait(clock.t) == 3.0
    times = greedy(pacer, clock, 8.0)
    assert times[0] == flood_at + 3.0  # exactly retry_after, not "+ 0.1"
    first, later = (sum(1 for t in times if lo <= t - times[0] < lo + 1.0) for lo in (0, 4))
    assert first <= 0.6 * 27.9  # ramping, not jumping straight back to full speed
    assert later >= 27  # back on the line once the ramp is over
    assert pacer.floods == 1
    pacer.flood(3.0, what="sendMessage to 2")  # a second 429 while paused: same pause
    pacer.flood(3.0, what="sendMessage to 3")
    assert pacer.floods == 2


def test_what_telegram_counted_late_and_together_holds_the_next_send():
    clock = Clock()
    pacer = Pacer(30, clock=clock)
    # Telegram stalled, then handled 28 of our requests at once: their answers arrive
    # together, and it counts them in one of its seconds
    for _ in range(28):
        pacer.answered(pacer.sending(), accepted=True)
    assert pacer.wait(clock.t) == 0.0  # 28 counted: one more fits under 30
    waiting = pacer.sending()  # … in flight: Telegram will count it too
    assert pacer.wait(clock.t) == 1.0  # nothing more until those answers are a second old
    clock.t += 1.0
    pacer.answered(waiting, accepted=True)
    assert pacer.wait(clock.t) == 0.0
    failed = pacer.sending()
    pacer.answered(failed, accepted=False)  # refused or lost: not counted by Telegram
    assert pacer.in_flight == 0 and list(pacer.answers) == [clock.t]  # the old ones aged out


def test_window_cap_below_small_limits_and_paid_broadcast_limit():
    assert Pacer(5).window_cap == 4 and Pacer(30).window_cap == 28
    assert Pacer(100).window_cap == 94 and Pacer(1000).window_cap == 931

    class Stub:
        base_url = base_file_url = "http://127.0.0.1:9/bot"

    assert broadcast_limit(make_config(Stub, max_messages_per_second=30,
                                       paid_broadcast=True)) == 1000
    assert broadcast_limit(make_config(Stub, max_messages_per_second=300,
                                       paid_broadcast=True)) == 300  # a spending cap
    assert broadcast_limit(make_config(Stub, max_messages_per_second=30)) == 30


async def deliver_to(stub, db, config, chats) -> tuple[float, object]:
    add_subscribers(db, chats, now=LONG_AGO)
    seed_paper(db, "2401.00001")
    plan_deliveries(db, config=config)
    bot = build_bot(config=config, token=TOKEN)
    async with bot:
        started = time.monotonic()
        report = await deliver_pending(db, bot=bot, config=config)
        return time.monotonic() - started, report


async def test_no_429_from_a_strict_30_per_second_window(db):
    async with TelegramStub(rate=30, chat_rate=1) as stub:
        config = make_config(stub, max_messages_per_second=30, per_chat_messages_per_second=1)
        elapsed, report = await deliver_to(stub, db, config, range(100, 190))
        assert report.sent == 90 and stub.stats["too_many_requests"] == 0
        assert stub.stats["max_per_second"] < 30  # room left for timing jitter
        # ~0.93 of the limit on a quiet machine (bench/deliver.py measures it); the bound only
        # catches pacing that waits twice (15/s) while a loaded CI machine still passes
        assert 90 / elapsed >= 0.6 * 30


async def test_paid_broadcast_goes_past_the_free_limit(db):
    async with TelegramStub(rate=30, paid_rate=1000) as stub:
        config = make_config(stub, max_messages_per_second=30, paid_broadcast=True)
        elapsed, report = await deliver_to(stub, db, config, range(100, 400))
        assert report.sent == 300 and stub.stats["too_many_requests"] == 0
        assert stub.stats["paid"] == 300  # every message asked for allow_paid_broadcast
        assert stub.stats["max_per_second"] > 30 and elapsed < 300 / 30  # beyond 30/s


async def test_a_command_reply_meeting_429_waits_for_the_pause(db, caplog):
    async with TelegramStub() as stub:
        config = make_config(stub)
        async with running_app(stub, db, config):
            stub.fail_next("sendMessage", 1, status=429, retry_after=1)
            sent_at = time.monotonic()
            stub.inject_command(55, "/help")
            (reply,) = await stub.wait_for_sent(1, chat_id=55, timeout=10)
            assert reply.at - sent_at >= 1.0  # retried after exactly the pause
            await asyncio.sleep(0.1)
    flood = [r for r in caplog.records if "429" in r.getMessage()
             and r.levelno >= logging.INFO]
    assert [r.levelname for r in flood] == ["WARNING"] and not flood[0].exc_info
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
