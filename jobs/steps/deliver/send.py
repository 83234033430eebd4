"""Sending: the paced sender shared by instant messages, digests and admin alerts.

A :class:`Job` is one message to one chat, recorded in a :class:`Book` (the deliveries
ledger, or the admin alerts' sends). For each job the sender waits for the chat's gap
and a pacer slot, claims the rows (``pending → sending``, committed *before* the API
call), sends, and records what Telegram answered (see :mod:`.errors`):

* accepted → ``sent`` (message_id);
* 429 → back to ``pending`` and re-queued after the pause (the pacer pauses everyone);
* not sent (5xx answer, refused, connect/pool timeout) → ``pending`` with
  ``next_attempt_at`` = now + ``retry_backoff_seconds × 2^n`` (capped at 64×), until
  ``retry_for_hours`` after the first failure, then ``failed``;
* ambiguous (read timeout, dropped answer) → ``ambiguous``, never resent automatically;
* chat gone → ``failed`` and the subscriber made inactive; bad request → ``failed``.

**Outage circuit**: :data:`TRIP` failed sends (not sent, or ambiguous) all started
after the latest-started send that succeeded stop the run: nothing more is started,
the rest stays ``pending``, and ``meta['delivery.outage']`` records it; later runs wait
for its ``next_probe_at`` (the same back-off per failed probe, capped at 8×) and then
probe with real sends. The first
success closes it and makes every row waiting for a retry due at once. The health
check raises one ``deliveries-failing`` alert per outage (see ``jobs/service/health``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import sqlite_utils
import telegram
from telegram.constants import ParseMode

from jobs.config import Config
from jobs.store import delivery as ledger
from jobs.store import health as hstore

from .errors import (
    Ambiguous,
    BotUnusable,
    ChatGone,
    DeliveryError,
    FloodWait,
    MarkupRejected,
    NotSent,
    classify,
)
from .pacer import PACED, PacedRateLimiter, Pacer
from .plan import NO_PREVIEW
from .records import DeliveryBook, DeliveryReport, Job, RetryPolicy, in_flight_limit

log = logging.getLogger("paperbot.delivery")

TRIP = 3  # failed sends, started after the last one that succeeded, that open the circuit
MAX_DEFERRED = 5000  # jobs waiting in memory (chat gaps, 429 pauses) before reading more
BUSY_RECHECK = 0.02  # a chat's next message waits for the answer to its previous one
MIN_IN_FLIGHT = 2  # a stalled server never gets more than a few requests queued at once
INITIAL_ANSWER_TIME = 0.05  # s; then a moving average of the answers' times

_iso = ledger.precise  # retry and probe times, to the millisecond


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pacer_for(bot: telegram.Bot, config: Config) -> tuple[Pacer, bool]:
    """The bot's own pacer (shared with everything it sends) when it has one, else a new
    pacer for this run; and whether the bot's limiter handles 429s itself."""
    limiter = getattr(bot, "rate_limiter", None)
    if isinstance(limiter, PacedRateLimiter):
        return limiter.pacer, True
    return Pacer.from_config(config), False


class Sender:
    """Paces, sends and records. One per run; the pacer is the bot's."""

    def __init__(self, db: sqlite_utils.Database, bot: telegram.Bot, config: Config,
                 report: DeliveryReport, stop: asyncio.Event | None, *,
                 plain_text: bool = False) -> None:
        self.db, self.bot, self.report = db, bot, report
        self.plain_text = plain_text  # send every message as plain text (admin alerts)
        self.stop = stop or asyncio.Event()
        self.pacer, self.limited = pacer_for(bot, config)
        self.policy = RetryPolicy.from_config(config)
        self.paid = config.telegram.paid_broadcast
        # sends awaiting their answer: rate × answer time (Little's law), 2..max_in_flight
        self.max_in_flight = in_flight_limit(config)
        self.answer_time = INITIAL_ANSWER_TIME
        self.deferred: list[tuple[float, int, Job, Any]] = []
        self.seq = itertools.count()
        self.tasks: set[asyncio.Task] = set()
        self.busy: set[int] = set()  # chats with a message in flight: one at a time each
        self.fatal: BotUnusable | None = None
        # the outage circuit: sends that failed, started after the latest-started success
        self.started = itertools.count(1)
        self.last_ok, self.failing = 0, set()
        self.tripped: str | None = None
        self.succeeded = False

    # -- the outage circuit -----------------------------------------------------------
    def outage_wait(self) -> float:
        """Seconds until Telegram may be probed again (0: send now)."""
        out = ledger.outage(self.db)
        if not out:
            return 0.0
        wait = (dt.datetime.fromisoformat(out["next_probe_at"]) - _now()).total_seconds()
        if wait > 0:
            self.report.outage = True
        return max(0.0, wait)

    def settle_outage(self) -> None:
        """Record what this run learnt about Telegram being reachable."""
        out = ledger.outage(self.db)
        now = _now()
        if self.tripped is not None:
            probes = (out or {}).get("probes", 0) + 1
            wait = self.policy.probe_delay(probes)
            ledger.set_outage(self.db, {
                "since": (out or {}).get("since") or _iso(now), "probes": probes,
                "next_probe_at": _iso(now + dt.timedelta(seconds=wait)),
                "last_error": self.tripped})
            self.report.outage = True
            if out is None:
                log.warning("Telegram looks unreachable (%d sends in a row failed, last: %s): "
                            "sending paused; retrying with back-off", len(self.failing),
                            self.tripped)
            else:
                log.info("Telegram still unreachable (%d tries since %s, last: %s); next try "
                         "in %.1fs", probes, out.get("since"), self.tripped, wait)
        elif self.succeeded and out:
            ledger.set_outage(self.db, None)
            woke = ledger.wake_waiting(self.db, now=_iso(now))
            woke += hstore.wake_alert_sends(self.db, now=_iso(now))
            log.warning("Telegram is reachable again (unreachable since %s); %d messages "
                        "waiting for a retry are due now", out.get("since"), woke)

    def _failed(self, job: Job, reason: str) -> None:
        """A send that may mean Telegram is unreachable: :data:`TRIP` of them, all started
        after the latest-started send that succeeded, open the circuit."""
        if job.seq > self.last_ok:
            self.failing.add(job.seq)
        if len(self.failing) >= TRIP and self.tripped is None:
            self.tripped = reason  # no new send is started

    def _succeeded(self, job: Job) -> None:
        self.succeeded = True
        self.last_ok = max(self.last_ok, job.seq)
        self.failing = {seq for seq in self.failing if seq > self.last_ok}

    # -- the loop ---------------------------------------------------------------------
    async def _sleep(self, seconds: float) -> None:
        if seconds < 0.5:
            await asyncio.sleep(max(0.0, seconds))
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _slot(self) -> bool:
        """Wait for a global send slot and take it; False when stopping."""
        while not self.stop.is_set() and self.fatal is None:
            delay = self.pacer.wait(self.pacer.clock())
            if delay <= 0:
                self.pacer.take(self.pacer.clock())
                return True
            await self._sleep(delay)
        return False

    def _defer(self, job: Job, at: float, book: Any) -> None:
        heapq.heappush(self.deferred, (at, next(self.seq), job, book))

    async def run(self, jobs: Iterator[tuple[Job, Any]]) -> None:
        """Send ``(job, book)`` pairs until they run out, a stop, a fatal error or the
        outage circuit opens; the messages in flight are always finished and recorded."""
        exhausted = False
        try:
            while not self.stop.is_set() and self.fatal is None and self.tripped is None:
                now = self.pacer.clock()
                if self.deferred and self.deferred[0][0] <= now:
                    _, _, job, book = heapq.heappop(self.deferred)
                elif not exhausted and len(self.deferred) < MAX_DEFERRED:
                    item = next(jobs, None)
                    if item is None:
                        exhausted = True
                        continue
                    job, book = item
                else:
                    if not self.deferred and not self.tasks:
                        break
                    timeout = self.deferred[0][0] - now if self.deferred else 1.0
                    if self.tasks:
                        await asyncio.wait(self.tasks, timeout=max(timeout, 0.001),
                                           return_when=asyncio.FIRST_COMPLETED)
                    else:
                        await self._sleep(timeout)
                    continue
                ready = self.pacer.chat_wait(job.chat_id, now)
                if ready > 0 or job.chat_id in self.busy:
                    self._defer(job, now + max(ready, BUSY_RECHECK), book)
                    continue
                while len(self.tasks) >= self._in_flight_limit():
                    await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
                if not await self._slot() or self.tripped is not None:
                    break
                if not book.claim(job):  # pending → sending, before the API call
                    continue
                self.pacer.chat_take(job.chat_id, self.pacer.clock(), group=job.group)
                self.busy.add(job.chat_id)
                job.seq = next(self.started)
                task = asyncio.create_task(self._send(job, book))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        finally:
            if self.tasks:  # finish the messages in flight
                await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.fatal is not None:
            raise self.fatal

    def _in_flight_limit(self) -> int:
        wanted = math.ceil(self.pacer.target * self.answer_time * 3) + 1
        return max(MIN_IN_FLIGHT, min(self.max_in_flight, wanted))

    async def _send(self, job: Job, book: Any) -> None:
        started = time.monotonic()
        try:
            await self._send_inner(job, book)
        except Exception as exc:  # never leave a claimed row without an outcome
            log.exception("delivery to %s failed unexpectedly", job.chat_id)
            with contextlib.suppress(Exception):
                book.ambiguous(job, f"internal error: {exc}")
            self.report.ambiguous += job.rows
        finally:
            self.busy.discard(job.chat_id)
            self.answer_time += 0.2 * (time.monotonic() - started - self.answer_time)

    async def _send_inner(self, job: Job, book: Any) -> None:
        try:
            msg = job.build()
        except Exception as exc:
            log.exception("cannot render the message to %s", job.chat_id)
            book.failed(job, f"cannot render: {exc}")
            self.report.failed += job.rows
            return
        if msg is None:
            book.skipped(job, "no summary to show")
            self.report.skipped += job.rows
            return
        extra: dict[str, Any] = {"rate_limit_args": PACED} if self.limited else {}
        if self.paid and isinstance(book, DeliveryBook):
            extra["allow_paid_broadcast"] = True
        plain = self.plain_text
        while True:
            try:
                sent = await self.bot.send_message(
                    chat_id=job.chat_id, text=msg.plain_text if plain else msg.html,
                    parse_mode=None if plain else ParseMode.HTML,
                    link_preview_options=NO_PREVIEW, reply_markup=msg.reply_markup, **extra)
            except Exception as exc:
                err = classify(exc)
                if isinstance(err, MarkupRejected) and not plain:
                    log.warning("chat %s: HTML rejected (%s); resending as plain text",
                                job.chat_id, err.reason)
                    plain = True
                    if await self._slot():
                        continue
                    err = NotSent("stopped before the plain-text resend")
                self._on_error(job, book, err)
                return
            fallback = plain and not self.plain_text
            book.sent(job, sent.message_id, "sent as plain text: HTML rejected" if fallback
                      else None, msg)
            self._succeeded(job)
            self.report.messages += 1
            self.report.sent += job.rows
            self.report.plain_fallbacks += int(fallback)
            return

    def _on_error(self, job: Job, book: Any, err: DeliveryError) -> None:
        if isinstance(err, FloodWait):  # refused, not delivered: after the pause
            book.released(job, err.reason)
            self.report.rate_limited += 1
            if not self.limited:
                self.pacer.flood(err.after, what=f"sendMessage to {job.chat_id}")
            self._defer(job, self.pacer.pause_until, book)
        elif isinstance(err, NotSent) or (isinstance(err, Ambiguous) and book.resend_ambiguous):
            self._failed(job, err.reason)
            self._retry(job, book, err.reason)
        elif isinstance(err, ChatGone) and not book.gone_is_final:
            self._retry(job, book, err.reason)
        elif isinstance(err, Ambiguous):
            self._failed(job, err.reason)
            book.ambiguous(job, err.reason)
            self.report.ambiguous += job.rows
            log.warning("chat %s: %s: the message may have arrived; left ambiguous, not "
                        "resent (settle with `paperbot deliver ambiguous`)", job.chat_id,
                        err.reason)
        elif isinstance(err, ChatGone):
            self.report.skipped += book.gone(job, err.reason)
            self.report.failed += job.rows
            self.report.deactivated += 1
        elif isinstance(err, BotUnusable):
            book.released(job, err.reason)
            self.fatal = err
        else:
            book.failed(job, err.reason)
            self.report.failed += job.rows

    def _retry(self, job: Job, book: Any, reason: str) -> None:
        """Back to pending with back-off, or failed once ``retry_for_hours`` are over."""
        now = _now()
        until = job.retry_until or _iso(now + self.policy.window)
        tries = job.retries + 1
        if _iso(now) >= until:
            book.failed(job, f"gave up after {tries} tries in "
                             f"{self.policy.window.total_seconds() / 3600:g} h: {reason}")
            self.report.failed += job.rows
            log.warning("chat %s: gave up after %d tries: %s", job.chat_id, tries, reason)
            return
        delay = self.policy.delay(tries)
        book.retry(job, reason, at=_iso(now + dt.timedelta(seconds=delay)), until=until)
        self.report.retries += job.rows
        log.info("chat %s: %s; retry %d in %.1fs", job.chat_id, reason, tries, delay)
