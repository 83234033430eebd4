"""Rate limits as strict as Telegram's documented ones: sliding windows over the messages
accepted (overall, paid broadcast, per private chat, per group a minute) and the 429
``retry_after`` a message over a limit gets."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds (a log of the accepted ones)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = max(1, int(limit)), period
        self.times: deque[float] = deque()

    @classmethod
    def per_second(cls, rate: float) -> SlidingWindow:
        """``rate`` per second as a window: 30/s → 30 in any second; 0.5/s → 1 in 2 s."""
        return cls(math.floor(rate), 1.0) if rate >= 1 else cls(1, 1.0 / rate)

    def count(self, now: float) -> int:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        return len(self.times)

    def wait(self, now: float, limit: int | None = None) -> float:
        """0.0 when one more event fits now (under ``limit``, default the window's own),
        else the seconds until it does."""
        limit = self.limit if limit is None else limit
        n = self.count(now)
        if n < limit:
            return 0.0
        return self.times[n - limit] + self.period - now

    def add(self, now: float) -> None:
        self.times.append(now)


class RateLimits:
    """The rate part of :class:`~tests.servers.telegram.server.TelegramStub` (a mixin: the
    limits are the stub's ``rate``, ``paid_rate``, ``chat_rate``, ``group_per_minute``; the
    windows live in its state, reset by ``reset()``)."""

    rate: float | None
    paid_rate: float
    chat_rate: float | None
    group_per_minute: float | None
    stats: dict[str, int]
    _global: SlidingWindow
    _chat_windows: dict[Any, SlidingWindow]

    def _rate_limited(self, chat_id: Any, paid: bool) -> int | None:
        """Seconds to retry after when ``chat_id`` is over a limit, else None (counted)."""
        now = time.monotonic()
        window = None
        is_group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
        if is_group and self.group_per_minute:
            window = self._chat_windows.get(chat_id) or SlidingWindow(
                math.floor(self.group_per_minute), 60.0)
        elif not is_group and self.chat_rate:
            window = self._chat_windows.get(chat_id) or SlidingWindow.per_second(self.chat_rate)
        if window is not None:
            self._chat_windows[chat_id] = window
        overall = self.paid_rate if paid else self.rate
        wait = self._global.wait(now, math.floor(overall)) if overall else 0.0
        if window is not None:
            wait = max(wait, window.wait(now))
        if wait > 0:  # check every window before counting in any
            return max(1, math.ceil(wait))
        self._global.add(now)
        if window is not None:
            window.add(now)
        self.stats["max_per_second"] = max(self.stats["max_per_second"],
                                           self._global.count(now))
        if paid:
            self.stats["paid"] += 1
        return None
