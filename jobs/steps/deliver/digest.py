"""Daily and weekly digests: one message (split between papers past 4096 characters) at
each digest subscriber's hour, in their time zone (weekly: on their weekday, the week's
most discussed of their papers).

``subscribers.next_digest_at`` (UTC) says when a subscriber's next digest is due; the
digest job reads only the subscribers due now through a partial index, and those whose
time is not known yet (new, or their schedule changed: a trigger resets it). A day with
nothing pending still counts as done, so a paper arriving after the hour waits for the
next day's digest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils
import telegram

from bot import i18n, render
from jobs.config import Config
from jobs.steps import personalize
from jobs.store import delivery as ledger

from .plan import labels, paper_view
from .records import DeliveryBook, DeliveryReport, Job
from .send import Sender

BATCH = 500  # digest subscribers read at once


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


_iso = ledger.precise


def next_digest_time(sub: dict, now: dt.datetime) -> dt.datetime:
    """When ``sub``'s next digest is due: today's hour (their time zone; possibly already
    past, i.e. due now) unless a digest went out today, else tomorrow's; a weekly digest:
    the same on their weekday (``digest_weekday``, 0 = Monday)."""
    tz = _zone(sub.get("tz"))
    day = now.astimezone(tz).date()
    last = sub.get("last_digest_at")
    if last and dt.datetime.fromisoformat(last).astimezone(tz).date() >= day:
        day += dt.timedelta(days=1)
    if sub.get("mode") == "weekly":
        day += dt.timedelta(days=(int(sub.get("digest_weekday") or 0) - day.weekday()) % 7)
    hour = int(sub.get("digest_hour") or 0)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


def digest_due(sub: dict, now: dt.datetime) -> bool:
    """Has the subscriber's digest hour come today (their time zone; for a weekly digest,
    on their weekday) without a digest yet?"""
    return next_digest_time(sub, now) <= now


def _digest_jobs(db: sqlite_utils.Database, sub: dict, book: DeliveryBook, *, stamp: str,
                 report: DeliveryReport) -> list[tuple[Job, DeliveryBook]]:
    """The messages of ``sub``'s digest (none: nothing due)."""
    lang, chat = sub["lang"], sub["chat_id"]
    views = []
    for row in ledger.pending_for_chat(db, chat, now=stamp):
        view = paper_view(db, row["arxiv_id"], row["lang"] or lang)
        if view is None or view.summary is None:
            ledger.skip_pending(db, chat, [row["arxiv_id"]], "no summary to show")
            report.skipped += 1
            continue
        views.append((view, row))
    if not views:
        return []
    retries = {v.arxiv_id: (r["retries"] or 0, r["retry_until"]) for v, r in views}
    # ranked by curator count, then recency; votes since planning apply (issue 13)
    weekly = sub.get("mode") == "weekly"
    kept, dropped = personalize.digest_views(db, sub, [v for v, _ in views], weekly=weekly)
    if dropped:
        ledger.skip_pending(db, chat, dropped, "left out of the digest")
        report.skipped += len(dropped)
    if not kept:
        return []
    header = render.raw_html(i18n.t(lang, "weekly_header" if weekly else "digest_header",
                                    count=len(kept)))
    group = chat < 0 or sub.get("kind") not in (None, "private")
    jobs = []
    for part in personalize.list_messages(db, chat, kept, labels(lang), header=header,
                                          sub=sub):
        tries = max(retries[a][0] for a in part.arxiv_ids)
        until = min((retries[a][1] for a in part.arxiv_ids if retries[a][1]), default=None)
        jobs.append((Job(chat_id=chat, key=part.arxiv_ids, build=lambda part=part: part,
                         group=group, retries=tries, retry_until=until,
                         rows=len(part.arxiv_ids)), book))
    return jobs


async def send_due_digests(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config,
                           now: dt.datetime | None = None, stop: asyncio.Event | None = None
                           ) -> DeliveryReport:
    """Send today's digest to every digest-mode subscriber whose local hour has come.

    A subscriber with nothing pending gets no message (their day is still marked done);
    one whose messages could not all be sent (Telegram unreachable, a stop) stays due.
    """
    started = time.monotonic()
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    stamp = _iso(now)
    report = DeliveryReport()
    sender = Sender(db, bot, config, report, stop)
    book = DeliveryBook(db)
    seen: set[int] = set()
    try:
        if sender.outage_wait() > 0:
            return report
        while not (stop is not None and stop.is_set()) and sender.tripped is None:
            due = [s for s in ledger.digest_subscribers_due(db, now=stamp, limit=BATCH)
                   if s["chat_id"] not in seen]
            if not due:
                break
            seen.update(s["chat_id"] for s in due)
            jobs, sending = [], []
            for sub in due:
                if sub["next_digest_at"] is None:
                    when = next_digest_time(sub, now)
                    if when > now:
                        ledger.set_digest_schedule(db, sub["chat_id"], next_at=_iso(when))
                        continue
                mine = _digest_jobs(db, sub, book, stamp=stamp, report=report)
                if mine:
                    jobs += mine
                    sending.append(sub)
                    report.digests += 1
                elif not ledger.pending_for_chat(db, sub["chat_id"]):
                    _day_done(db, sub, now)
            await sender.run(iter(jobs))
            for sub in sending:
                if not ledger.pending_for_chat(db, sub["chat_id"]):
                    _day_done(db, sub, now)
    finally:
        sender.settle_outage()
        report.stopped = bool(stop is not None and stop.is_set())
        report.elapsed = time.monotonic() - started
    return report


def _day_done(db: sqlite_utils.Database, sub: dict, now: dt.datetime) -> None:
    after = {**sub, "last_digest_at": _iso(now)}
    ledger.set_digest_schedule(db, sub["chat_id"], next_at=_iso(next_digest_time(after, now)),
                               last_at=_iso(now))
