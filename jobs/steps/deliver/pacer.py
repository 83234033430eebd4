"""The pacer: one per bot, shared by broadcasts, digests, admin alerts and command replies.

Telegram documents ~30 messages per second overall (up to 1000 with paid broadcasts),
about one per second in a private chat and 20 per minute in a group, and answers 429
+ ``retry_after`` beyond. Aiming *at* the limit loses: timing jitter crosses it, each
429 stops everything for whole seconds, and the send rate drops well below the limit.
So the pacer holds a line under it:

* **even spacing** at ``limit × rate_safety`` (default 0.93; GCRA's emission interval):
  each send has a slot one interval after the previous one's; a send late by less than
  the tolerance (one interval, at least 5 ms) keeps the schedule, a later one (the loop
  was busy, the queue was idle) starts it afresh — missed slots are never caught up in
  a burst;
* a **sliding one-second window** of the sends themselves, capped just above the target,
  as a hard guarantee whatever the timing; and what Telegram itself counted: it counts
  a message when it handles it, so requests it handled late and together (it stalled,
  the network held them) fall into one of *its* seconds. The answers received within
  the last second less the round trip, plus the requests awaiting theirs, stay under
  the limit;
* per-chat gaps (private ``1/per_chat_messages_per_second``, groups
  ``60/group_messages_per_minute``), kept here so broadcasts and replies share them;
* on a **429**: every send pauses for exactly ``retry_after``, then the rate ramps back
  from a quarter of the target to the target over ``max(2 s, retry_after)`` instead of
  jumping back. Logged as one WARNING line per pause.

:class:`PacedRateLimiter` installs the pacer in python-telegram-bot (``ExtBot``'s
``rate_limiter``), so every request of the bot goes through it; the delivery sender
takes its slot itself (claim the row, then send) and passes ``rate_limit_args=PACED``.
No library offers this (aiolimiter is a leaky bucket that bursts its whole capacity
after idling, and none ramps after a pause), hence these ~150 lines.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from jobs.config import Config

from .errors import retry_after_seconds

log = logging.getLogger("paperbot.delivery")

PACED = {"paced": True}  # rate_limit_args of a request whose slot was taken already
RAMP_FLOOR = 0.25  # after a 429 pause, sending resumes at this share of the target
MIN_RAMP_SECONDS = 2.0
MIN_TOLERANCE = 0.005  # GCRA tolerance floor (s): asyncio's timer granularity
ANSWER_WAIT = 0.005  # s: recheck when only answers still to come hold the next send
COUNTED_PREFIXES = ("send", "edit", "copy", "forward")  # methods that post messages


def broadcast_limit(config: Config) -> float:
    """Messages per second Telegram allows this bot: ``max_messages_per_second``; with
    ``paid_broadcast`` and the limit left at the free 30/s, Telegram's paid 1000/s."""
    tg = config.telegram
    if tg.paid_broadcast and tg.max_messages_per_second == FloodLimit.MESSAGES_PER_SECOND:
        return float(FloodLimit.PAID_MESSAGES_PER_SECOND)
    return tg.max_messages_per_second


def is_group(chat_id: Any) -> bool:
    """Groups and channels: negative IDs, or ``@name``."""
    if isinstance(chat_id, str):
        return not chat_id.lstrip("-").isdigit() or chat_id.startswith("-")
    return isinstance(chat_id, int) and chat_id < 0


class Pacer:
    """Global even spacing + sliding window + per-chat gaps + 429 pause and ramp.

    ``clock`` is injectable so the arithmetic is tested without sleeping."""

    def __init__(self, limit: float, *, safety: float = 0.93, per_chat: float = 1.0,
                 group_per_minute: float = 20.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.target = limit * safety
        self.interval = 1.0 / self.target
        self.tolerance = max(self.interval, MIN_TOLERANCE)
        # the hard cap on sends in any one second: just above the target, below the limit
        self.window_cap = max(1, min(math.floor(self.target) + 1, math.floor(limit) - 1))
        self.private_gap = 1.0 / per_chat if per_chat > 0 else 0.0
        self.group_gap = max(self.private_gap, 60.0 / group_per_minute) if (
            group_per_minute > 0) else self.private_gap
        self.clock = clock
        self.tat = clock()  # the slot of the next send (GCRA's theoretical arrival time)
        self.window: deque[float] = deque()
        # what Telegram counted: answers within the last second less the round trip, plus
        # the requests awaiting theirs, kept under the limit
        self.answer_cap = max(1, math.floor(limit) - 1)
        self.answers: deque[float] = deque()
        self.in_flight = 0
        self.round_trip = 0.0  # moving average of the counted requests' answer times
        self.pause_until = 0.0
        self.ramp_seconds = MIN_RAMP_SECONDS
        # chat → when it may get its next message, oldest send first: only the chats of
        # the last gap are kept (a broadcast's memory is its rate × gap, not its audience)
        self.chat_next: OrderedDict[Any, float] = OrderedDict()
        self.floods = 0

    @classmethod
    def from_config(cls, config: Config) -> Pacer:
        tg = config.telegram
        return cls(broadcast_limit(config), safety=tg.rate_safety,
                   per_chat=tg.per_chat_messages_per_second,
                   group_per_minute=tg.group_messages_per_minute)

    # -- the arithmetic --------------------------------------------------------------
    def rate_at(self, now: float) -> float:
        """The rate aimed at, at ``now``: the target, or on the way back after a pause."""
        if now < self.pause_until:
            return 0.0
        ramp = (now - self.pause_until) / self.ramp_seconds
        return self.target * (RAMP_FLOOR + (1 - RAMP_FLOOR) * min(1.0, ramp))

    def wait(self, now: float) -> float:
        """Seconds until one more send is allowed (0.0: now)."""
        if now < self.pause_until:
            return self.pause_until - now
        early = self.tat - now
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= self.window_cap:
            early = max(early, self.window[0] + 1.0 - now)
        horizon = 1.0 - min(self.round_trip, 0.5)
        while self.answers and self.answers[0] <= now - horizon:
            self.answers.popleft()
        over = len(self.answers) + self.in_flight - self.answer_cap + 1
        if over > 0:  # wait until enough answers are a second old (or come back)
            early = max(early, self.answers[over - 1] + horizon - now if over <= len(
                self.answers) else ANSWER_WAIT)
        return max(0.0, early)

    def sending(self) -> float:
        """A counted request leaves (its answer is awaited); returns when."""
        self.in_flight += 1
        return self.clock()

    def answered(self, sent_at: float, *, accepted: bool) -> None:
        """Its answer came back (``accepted``: Telegram took the message), or it failed."""
        now = self.clock()
        self.in_flight = max(0, self.in_flight - 1)
        if accepted:
            self.answers.append(now)
            self.round_trip += 0.1 * (now - sent_at - self.round_trip)

    def take(self, now: float) -> None:
        """Count one send at ``now`` (call only when :meth:`wait` said 0)."""
        on_schedule = now - self.tat < self.tolerance
        self.tat = (self.tat if on_schedule else now) + 1.0 / self.rate_at(now)
        self.window.append(now)

    def flood(self, seconds: float, *, what: str = "a request") -> None:
        """Telegram answered 429: pause every send for exactly ``seconds``, then ramp."""
        now = self.clock()
        until = now + seconds
        if now < self.pause_until:  # the same flood, answered to a request in flight
            self.pause_until = self.tat = max(self.pause_until, until)
            log.debug("429 on %s during the pause", what)
            return
        self.floods += 1
        self.pause_until = until
        self.ramp_seconds = max(MIN_RAMP_SECONDS, seconds)
        self.tat = until
        log.warning("Telegram flood control: 429 on %s (retry after %gs); every send pauses "
                    "%gs, then ramps back to %.1f msg/s", what, seconds, seconds, self.target)

    # -- per chat ---------------------------------------------------------------------
    def chat_wait(self, chat_id: Any, now: float) -> float:
        return max(0.0, self.chat_next.get(chat_id, 0.0) - now)

    def chat_take(self, chat_id: Any, now: float, *, group: bool | None = None) -> None:
        if group is None:
            group = is_group(chat_id)
        gap = self.group_gap if group else self.private_gap
        if gap <= 0:
            return
        self.chat_next[chat_id] = now + gap
        self.chat_next.move_to_end(chat_id)
        # forget chats whose gap is over; the front is the oldest send, so a group's longer
        # gap there delays forgetting the private chats behind it by one gap at most
        while next(iter(self.chat_next.values())) <= now:
            self.chat_next.popitem(last=False)

    # -- waiting ----------------------------------------------------------------------
    async def acquire(self) -> None:
        """Wait for the next global send slot and take it."""
        while True:
            now = self.clock()
            delay = self.wait(now)
            if delay <= 0:
                self.take(now)
                return
            await asyncio.sleep(delay)

    async def acquire_chat(self, chat_id: Any, *, group: bool) -> None:
        """Wait until ``chat_id`` may get a message, then for a global slot; take both."""
        while (delay := self.chat_wait(chat_id, self.clock())) > 0:
            await asyncio.sleep(delay)
        await self.acquire()
        self.chat_take(chat_id, self.clock(), group=group)

    async def wait_unpaused(self) -> None:
        while (delay := self.pause_until - self.clock()) > 0:
            await asyncio.sleep(delay)


class PacedRateLimiter(BaseRateLimiter[dict]):
    """python-telegram-bot's hook: every message a bot sends takes a :class:`Pacer` slot
    (groups also their chat gap), so replies to commands and broadcasts share one budget.
    A 429 pauses the pacer; requests paced by the caller (``rate_limit_args=PACED``) get
    the ``RetryAfter`` back to decide themselves, the others are retried after the pause
    (``max_retries`` times)."""

    def __init__(self, pacer: Pacer, *, max_retries: int = 2) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict | list[dict]:
        paced = bool(rate_limit_args and rate_limit_args.get("paced"))
        counted = endpoint.startswith(COUNTED_PREFIXES) and "chat_id" in data
        chat_id = data.get("chat_id")
        for attempt in range(self.max_retries + 1):
            if paced:
                pass
            elif counted and is_group(chat_id):
                await self.pacer.acquire_chat(chat_id, group=True)
            elif counted:
                await self.pacer.acquire()
                self.pacer.chat_take(chat_id, self.pacer.clock(), group=False)
            else:
                await self.pacer.wait_unpaused()
            sent_at = self.pacer.sending() if counted else 0.0
            accepted = False
            try:
                result = await callback(*args, **kwargs)
                accepted = True
                return result
            except RetryAfter as exc:
                self.pacer.flood(retry_after_seconds(exc), what=f"{endpoint} to {chat_id}")
                if paced or attempt == self.max_retries:
                    raise
            finally:
                if counted:
                    self.pacer.answered(sent_at, accepted=accepted)
        raise AssertionError("unreachable")  # pragma: no cover
