"""Ledger-driven delivery: plan (who gets which paper), send instantly or as digests.

Exactly-once, as far as Telegram allows: each (chat, paper) row goes pending → sending
(committed *before* the API call) → sent(message_id) | failed(reason) | skipped
(committed right after). A crash between the two writes leaves the row in ``sending``:
it is counted and reported as *ambiguous* and never resent automatically
(``jobs.store.delivery.resolve_ambiguous`` is the operator's decision).

Pacing: one global pacer spaces sends evenly at ``[telegram] max_messages_per_second``
(no bursts, so Telegram's own bucket is never drained); each private chat gets at most
``per_chat_messages_per_second`` and each group/channel ``group_messages_per_minute``.
The bot's ``AIORateLimiter`` (see :mod:`bot.app`) stays underneath as a safety net.
A ``RetryAfter`` pauses *all* sending for the time Telegram asked, then the message is
retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import heapq
import itertools
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils
import telegram
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot import i18n, render
from jobs.config import Config
from jobs.steps import personalize
from jobs.store import delivery as ledger
from jobs.store import subscribers as subs
from jobs.store import utcnow
from jobs.store.fallback_messages import remember_message
from jobs.store.summaries import best_summary

log = logging.getLogger("paperbot.delivery")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
RETRY_DELAYS = (1.0, 5.0, 20.0)  # transient errors (5xx, network): waits before each retry
PLAN_LAG_SECONDS = 120
BANK_SECONDS = 0.25  # at most this much of missed send slots is caught up  # re-examine summaries written shortly before the last plan


# --------------------------------------------------------------------------- errors
class DeliveryError(Exception):
    """A failed send, grouped by what the sender does next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """Not delivered; try again after ``after`` seconds. ``pause_all``: Telegram asked
    every send to wait (flood control)."""

    def __init__(self, reason: str, *, after: float | None = None, pause_all: bool = False):
        super().__init__(reason)
        self.after, self.pause_all = after, pause_all


class ChatGone(DeliveryError):
    """The chat cannot receive messages (blocked, kicked, deleted, not found): make the
    subscriber inactive; /start revives them."""


class MarkupRejected(DeliveryError):
    """Telegram could not parse our HTML: resend once as plain text."""


class Undeliverable(DeliveryError):
    """This message can never be sent as is (e.g. too long): mark the row failed."""


class BotUnusable(DeliveryError):
    """The token was rejected or another instance holds the bot: stop the whole run."""


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for (PTB 22 warns about the type of ``retry_after``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry = exc.retry_after
    return retry.total_seconds() if isinstance(retry, dt.timedelta) else float(retry)


def classify(exc: Exception) -> DeliveryError:
    """Map a python-telegram-bot error to what the sender should do next."""
    msg = str(exc)
    low = msg.lower()
    if isinstance(exc, RetryAfter):
        seconds = retry_after_seconds(exc)
        return RetryLater(f"flood control: retry after {seconds:g}s", after=seconds,
                          pause_all=True)
    if isinstance(exc, Forbidden):
        return ChatGone(f"Forbidden: {msg}")
    if isinstance(exc, ChatMigrated):
        return ChatGone(f"chat migrated to {exc.new_chat_id}")
    if isinstance(exc, InvalidToken | Conflict | EndPointNotFound):
        return BotUnusable(f"{type(exc).__name__}: {msg}")
    if isinstance(exc, BadRequest):
        if "can't parse entities" in low or "can't find end tag" in low:
            return MarkupRejected(msg)
        if "chat not found" in low or "user is deactivated" in low or "peer_id_invalid" in low:
            return ChatGone(msg)
        return Undeliverable(msg)
    if isinstance(exc, TimedOut | NetworkError):  # NetworkError covers 5xx and transport errors
        return RetryLater(f"{type(exc).__name__}: {msg}")
    if isinstance(exc, TelegramError):
        return Undeliverable(f"{type(exc).__name__}: {msg}")
    return RetryLater(f"{type(exc).__name__}: {msg}")


# --------------------------------------------------------------------------- report
@dataclasses.dataclass
class DeliveryReport:
    planned: int = 0
    messages: int = 0  # messages Telegram accepted
    sent: int = 0  # ledger rows marked sent (a digest message carries several)
    failed: int = 0
    skipped: int = 0
    deactivated: int = 0
    plain_fallbacks: int = 0
    retries: int = 0
    rate_limited: int = 0  # RetryAfter answers received
    ambiguous: int = 0  # rows found in 'sending' (a crashed run) when this run started
    digests: int = 0
    stopped: bool = False
    elapsed: float = 0.0

    def merge(self, other: DeliveryReport) -> DeliveryReport:
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "stopped":
                setattr(self, f.name, a or b)
            elif f.name == "ambiguous":
                setattr(self, f.name, max(a, b))
            else:
                setattr(self, f.name, a + b)
        return self

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items()
                         if k not in ("stopped", "elapsed")) + f" in {self.elapsed:.1f}s" + (
            " (stopped)" if self.stopped else "")


# --------------------------------------------------------------------------- planning
def plan_deliveries(db: sqlite_utils.Database, *, config: Config) -> int:
    """Create pending ledger rows for active subscribers × pushable papers.

    A paper is pushed to a subscriber when it has a primary mention (``has_primary``),
    was not archived by a backfill (``notify``), has a summary in the subscriber's
    language (a fallback summary counts), matches the subscriber's topics, and was first
    seen at/after the subscriber's ``subscribed_at`` (no backlog for newcomers).
    Only (paper, language) pairs whose paper or summary is new since the last plan are
    examined, so this stays cheap with many subscribers. Returns the rows created.
    """
    now = utcnow()
    mark = ledger.plan_watermark(db)
    since = None
    if mark:
        since = (dt.datetime.fromisoformat(mark) - dt.timedelta(seconds=PLAN_LAG_SECONDS)
                 ).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    created = 0
    for cand in ledger.plan_candidates(db, since=since):
        if cand["lang"] not in config.telegram.languages:
            continue
        created += ledger.plan_for_everyone(db, cand["arxiv_id"], cand["lang"],
                                            cand["first_seen_at"], now=now)
        picky = ledger.topic_subscribers(db, cand["lang"], cand["first_seen_at"])
        if picky:  # topics, exclusions, votes: bot.profile.decide (issue 13)
            chosen = personalize.wanted_by(picky, personalize.candidate_facts(db, cand))
            created += ledger.plan_rows(db, cand["arxiv_id"], cand["lang"], chosen, now=now)
    ledger.set_plan_watermark(db, now)
    if created:
        log.info("planned %d deliveries", created)
    return created


async def sync_channels(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config) -> dict:
    """Mirror ``[[telegram.channels]]`` into subscribers (``from_config = 1``); ``@name``
    chat IDs are resolved with getChat."""
    out = []
    for ch in config.telegram.channels:
        chat_id = ch.chat_id
        username = None
        if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
            try:
                chat = await bot.get_chat(chat_id)
            except TelegramError as exc:
                log.warning("channel %s: cannot resolve (%s); skipped", chat_id, exc)
                continue
            chat_id, username = chat.id, ch.chat_id.lstrip("@")
        out.append({"chat_id": int(chat_id), "lang": ch.lang, "mode": ch.mode,
                    "topics": ch.topics, "digest_hour": ch.digest_hour, "tz": ch.tz,
                    "username": username})
    return subs.sync_channels(db, out)


# --------------------------------------------------------------------------- rendering
def paper_view(db: sqlite_utils.Database, arxiv_id: str, lang: str) -> render.PaperView | None:
    """What a message about ``arxiv_id`` shows in ``lang`` (None: unknown paper)."""
    paper = ledger.paper_view(db, arxiv_id)
    if paper is None:
        return None
    return render.PaperView(
        arxiv_id=arxiv_id, title=paper["title"], authors=paper["authors"],
        categories=paper["categories"], summary=best_summary(db, arxiv_id, lang),
        mentions=[m for m in paper["mentions"] if m["role"] == "primary"] or paper["mentions"],
        abstract=paper["abstract"], lang=lang)


def labels(lang: str) -> render.Labels:
    return render.Labels.from_catalog(lambda k: i18n.raw(lang, k))


# --------------------------------------------------------------------------- sending
def in_flight_limit(config: Config) -> int:
    """Sends awaiting Telegram's answer at once: ~40 ms worth at the global rate (Telegram
    answers in tens of ms), 4..12. Small on purpose: httpx's pool costs grow with the
    requests in flight, and it bounds the rows a crash can leave ambiguous."""
    return max(4, min(12, math.ceil(config.telegram.max_messages_per_second * 0.04)))


@dataclasses.dataclass
class _Job:
    chat_id: int
    arxiv_ids: tuple[str, ...]
    group: bool
    build: Callable[[], render.Message | None]
    tries: int = 0


class _Sender:
    """Paces, sends and records. One per delivery run."""

    def __init__(self, db: sqlite_utils.Database, bot: telegram.Bot, config: Config,
                 report: DeliveryReport, stop: asyncio.Event | None,
                 retry_delays: Sequence[float]) -> None:
        tg = config.telegram
        self.db, self.bot, self.report = db, bot, report
        self.stop = stop or asyncio.Event()
        self.retry_delays = tuple(retry_delays)
        self.interval = 1.0 / tg.max_messages_per_second
        self.private_gap = 1.0 / tg.per_chat_messages_per_second if (
            tg.per_chat_messages_per_second > 0) else 0.0
        self.group_gap = max(self.private_gap, 60.0 / tg.group_messages_per_minute) if (
            tg.group_messages_per_minute > 0) else self.private_gap
        self.max_in_flight = in_flight_limit(config)
        self.sem = asyncio.Semaphore(self.max_in_flight)
        self.next_slot = time.monotonic()
        self.pause_until = 0.0
        self.chat_next: dict[int, float] = {}
        self.deferred: list[tuple[float, int, _Job]] = []
        self.seq = itertools.count()
        self.tasks: set[asyncio.Task] = set()
        self.fatal: BotUnusable | None = None
        self.done_chats: set[int] = set()

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def _pace(self) -> bool:
        """Wait for the next global send slot (and any flood-control pause)."""
        while not self.stop.is_set():
            now = time.monotonic()
            target = max(self.next_slot, self.pause_until)
            if target <= now:
                # Slots missed while the loop was busy are caught up, but never more than
                # 250 ms worth: the long-run rate stays at the limit, with no burst after
                # idling (Telegram's own bucket is far larger than that).
                self.next_slot = max(self.next_slot, now - BANK_SECONDS) + self.interval
                return True
            await self._sleep(target - now)
        return False

    def _defer(self, job: _Job, at: float) -> None:
        heapq.heappush(self.deferred, (at, next(self.seq), job))

    async def run(self, jobs: Iterator[_Job]) -> None:
        exhausted = False
        try:
            while not self.stop.is_set() and self.fatal is None:
                now = time.monotonic()
                if self.deferred and self.deferred[0][0] <= now:
                    job = heapq.heappop(self.deferred)[2]
                elif not exhausted and len(self.deferred) < 5000:
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        continue
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
                ready = self.chat_next.get(job.chat_id, 0.0)
                if ready > now:
                    self._defer(job, ready)
                    continue
                if not await self._pace():
                    break
                await self.sem.acquire()
                if self.stop.is_set():
                    self.sem.release()
                    break
                # pending → sending is committed before the API call
                if not ledger.try_claim(self.db, job.chat_id, job.arxiv_ids):
                    self.sem.release()
                    continue
                self.chat_next[job.chat_id] = time.monotonic() + (
                    self.group_gap if job.group else self.private_gap)
                task = asyncio.create_task(self._send(job))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        finally:
            if self.tasks:  # finish the messages in flight
                await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.fatal is not None:
            raise self.fatal

    async def _send(self, job: _Job) -> None:
        try:
            await self._send_inner(job)
        except Exception as exc:  # never leave a claimed row without an outcome
            log.exception("delivery to %s failed unexpectedly", job.chat_id)
            ledger.mark_failed(self.db, job.chat_id, job.arxiv_ids, f"internal error: {exc}")
            self.report.failed += len(job.arxiv_ids)
        finally:
            self.sem.release()

    async def _send_inner(self, job: _Job) -> None:
        msg = job.build()
        if msg is None:
            ledger.mark_skipped(self.db, job.chat_id, job.arxiv_ids, "no summary to show")
            self.report.skipped += len(job.arxiv_ids)
            return
        plain = False
        while True:
            try:
                sent = await self.bot.send_message(
                    chat_id=job.chat_id,
                    text=msg.plain_text if plain else msg.html,
                    parse_mode=None if plain else ParseMode.HTML,
                    link_preview_options=NO_PREVIEW, reply_markup=msg.reply_markup,
                )
            except Exception as exc:
                err = classify(exc)
                if isinstance(err, MarkupRejected) and not plain:
                    log.warning("chat %s: HTML rejected (%s); resending as plain text",
                                job.chat_id, err.reason)
                    plain = True
                    continue
                self._on_error(job, err)
                return
            note = "sent as plain text: HTML rejected" if plain else None
            ledger.mark_sent(self.db, job.chat_id, job.arxiv_ids, sent.message_id, note=note)
            # shown with the fallback layout: edited when the summaries arrive (issue 12)
            remember_message(self.db, job.chat_id, sent.message_id, msg)
            self.report.messages += 1
            self.report.sent += len(job.arxiv_ids)
            self.report.plain_fallbacks += int(plain)
            return

    def _on_error(self, job: _Job, err: DeliveryError) -> None:
        chat, ids = job.chat_id, job.arxiv_ids
        if isinstance(err, RetryLater):
            now = time.monotonic()
            if err.pause_all:
                ledger.release(self.db, chat, ids, err.reason)  # Telegram refused it: not sent
                self.report.rate_limited += 1
                self.pause_until = max(self.pause_until, now + (err.after or 1.0))
                log.warning("flood control: pausing all sends for %.1fs", err.after or 1.0)
                self._defer(job, self.pause_until)
                return
            if job.tries >= len(self.retry_delays):
                ledger.mark_failed(self.db, chat, ids, f"gave up after {job.tries + 1} tries: "
                                   f"{err.reason}")
                self.report.failed += len(ids)
                return
            ledger.release(self.db, chat, ids, err.reason)
            delay = self.retry_delays[job.tries]
            job.tries += 1
            self.report.retries += 1
            log.info("chat %s: %s; retry %d in %.1fs", chat, err.reason, job.tries, delay)
            self._defer(job, now + delay)
        elif isinstance(err, ChatGone):
            ledger.mark_failed(self.db, chat, ids, err.reason)
            self.report.failed += len(ids)
            skipped = subs.deactivate(self.db, chat, err.reason)
            self.report.skipped += skipped
            self.report.deactivated += 1
            log.info("chat %s deactivated: %s", chat, err.reason)
        elif isinstance(err, BotUnusable):
            ledger.release(self.db, chat, ids, err.reason)
            self.fatal = err
            self.stop.set()
        else:
            ledger.mark_failed(self.db, chat, ids, err.reason)
            self.report.failed += len(ids)


def _instant_jobs(db: sqlite_utils.Database, cache: dict) -> Iterator[_Job]:
    after = 0
    while True:
        batch = ledger.pending_batch(db, mode="instant", after_rowid=after, limit=500)
        if not batch:
            return
        for row in batch:
            after = row["rowid"]
            key = (row["arxiv_id"], row["lang"])
            yield _Job(chat_id=row["chat_id"], arxiv_ids=(row["arxiv_id"],),
                       group=row["chat_id"] < 0 or (row["kind"] or "private") != "private",
                       build=_cached_paper(db, cache, key, row["chat_id"]))


def _cached_paper(db, cache: dict, key: tuple[str, str],
                  chat_id: int) -> Callable[[], render.Message | None]:
    def build() -> render.Message | None:
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            view = paper_view(db, key[0], key[1])
            cache[key] = None if view is None or view.summary is None else view
        view = cache[key]  # the reader's "why" line and buttons (issue 13)
        return None if view is None else personalize.paper_message(db, chat_id, view,
                                                                    labels(key[1]))

    return build


async def deliver_pending(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config,
                          now: dt.datetime | None = None, stop: asyncio.Event | None = None,
                          retry_delays: Sequence[float] = RETRY_DELAYS) -> DeliveryReport:
    """Send every pending row of instant-mode subscribers, one message per paper.

    Returns when nothing is left to send (transient failures are retried with
    ``retry_delays`` first), or soon after ``stop`` is set: no new message is started
    and the ones in flight are finished and recorded. Raises :class:`BotUnusable` when
    Telegram rejects the token.
    """
    started = time.monotonic()
    report = DeliveryReport(ambiguous=len(ledger.ambiguous(db)))
    if report.ambiguous:
        log.warning("%d deliveries are ambiguous (left in 'sending' by an interrupted run); "
                    "not resent", report.ambiguous)
    sender = _Sender(db, bot, config, report, stop, retry_delays)
    try:
        await sender.run(_instant_jobs(db, {}))
    finally:
        report.stopped = bool(stop is not None and stop.is_set())
        report.elapsed = time.monotonic() - started
    return report


# --------------------------------------------------------------------------- digests
def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def digest_due(sub: dict, now: dt.datetime) -> bool:
    """Has the subscriber's digest hour come today (their time zone; for a weekly digest,
    on their weekday) without a digest yet?"""
    tz = _zone(sub.get("tz"))
    local = now.astimezone(tz)
    if local.hour < int(sub.get("digest_hour") or 0):
        return False
    if sub.get("mode") == "weekly" and local.weekday() != int(sub.get("digest_weekday") or 0):
        return False
    last = sub.get("last_digest_at")
    if not last:
        return True
    return dt.datetime.fromisoformat(last).astimezone(tz).date() < local.date()


async def send_due_digests(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config,
                           now: dt.datetime | None = None, stop: asyncio.Event | None = None,
                           retry_delays: Sequence[float] = RETRY_DELAYS) -> DeliveryReport:
    """Send today's digest to every digest-mode subscriber whose local hour has come
    (weekly-mode ones: on their weekday, the week's most discussed of their papers).

    One message, or several split between papers when it would exceed 4096 characters.
    A subscriber with nothing pending gets no message (their day is still marked done).
    """
    started = time.monotonic()
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    report = DeliveryReport()
    due = [s for s in subs.active(db, mode="digest") + subs.active(db, mode="weekly")
           if digest_due(s, now)]
    jobs: list[_Job] = []
    for sub in due:
        rows = ledger.pending_for_chat(db, sub["chat_id"])
        lang = sub["lang"]
        views = []
        for row in rows:
            view = paper_view(db, row["arxiv_id"], row["lang"] or lang)
            if view is None or view.summary is None:
                ledger.skip_pending(db, sub["chat_id"], [row["arxiv_id"]], "no summary to show")
                report.skipped += 1
                continue
            views.append(view)
        # ranked by curator count, then recency; votes since planning apply (issue 13)
        weekly = sub["mode"] == "weekly"
        views, dropped = personalize.digest_views(db, sub, views, weekly=weekly)
        if dropped:
            ledger.skip_pending(db, sub["chat_id"], dropped, "left out of the digest")
            report.skipped += len(dropped)
        if not views:
            subs.set_last_digest(db, sub["chat_id"], stamp)
            continue
        header = render.raw_html(i18n.t(lang, "weekly_header" if weekly else "digest_header",
                                        count=len(views)))
        for part in personalize.list_messages(db, sub["chat_id"], views, labels(lang),
                                              header=header, sub=sub):
            jobs.append(_Job(chat_id=sub["chat_id"], arxiv_ids=part.arxiv_ids,
                             group=sub["chat_id"] < 0 or sub["kind"] not in (None, "private"),
                             build=lambda part=part: part))
        report.digests += 1
    if jobs:
        sender = _Sender(db, bot, config, report, stop, retry_delays)
        await sender.run(iter(jobs))
    for sub in due:
        if not ledger.pending_for_chat(db, sub["chat_id"]):
            subs.set_last_digest(db, sub["chat_id"], stamp)
    report.stopped = bool(stop is not None and stop.is_set())
    report.elapsed = time.monotonic() - started
    return report


# --------------------------------------------------------------------------- alerts
async def send_alert(bot: telegram.Bot, *, config: Config, text: str) -> int:
    """Send ``text`` (plain text) to the admin chats only, never to subscribers.
    Returns how many admin chats got it; errors are logged, not raised."""
    sent = 0
    for chat_id in config.telegram.admin_chat_ids:
        try:
            await bot.send_message(chat_id=chat_id, text=render.clip(text, render.MAX_MESSAGE),
                                   link_preview_options=NO_PREVIEW)
            sent += 1
        except TelegramError as exc:
            log.warning("alert to admin chat %s failed: %s", chat_id, exc)
    return sent
