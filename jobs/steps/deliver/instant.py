"""Instant delivery: every due row of instant-mode subscribers, one message per paper,
due retries first, then never-tried rows in plan order, read in batches."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import sqlite_utils
import telegram

from bot import render
from jobs.config import Config
from jobs.store import delivery as ledger

from .plan import paper_message, paper_view
from .records import DeliveryBook, DeliveryReport, Job
from .send import Sender

log = logging.getLogger("paperbot.delivery")
BATCH = 500


def instant_jobs(db: sqlite_utils.Database, book: DeliveryBook) -> Iterator[tuple[Job, Any]]:
    """Due retries first, then never-tried rows in plan order; read in batches."""
    cache: dict[tuple[str, str], render.PaperView | None] = {}

    def job(row: dict) -> tuple[Job, Any]:
        key, chat = (row["arxiv_id"], row["lang"]), row["chat_id"]
        return Job(chat_id=chat, key=(row["arxiv_id"],),
                   build=lambda: paper_message(db, chat, _view(db, cache, key), key[1]),
                   group=chat < 0 or (row["kind"] or "private") != "private",
                   retries=row["retries"] or 0, retry_until=row["retry_until"]), book

    for row in ledger.retry_batch(db, now=ledger.precise(), limit=BATCH):
        yield job(row)
    after = 0
    while batch := ledger.fresh_batch(db, after_rowid=after, limit=BATCH):
        for row in batch:
            after = row["rowid"]
            yield job(row)


def _view(db: sqlite_utils.Database, cache: dict,
          key: tuple[str, str]) -> render.PaperView | None:
    """A paper as shown in a language, read once for its whole audience."""
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = paper_view(db, *key)
    return cache[key]


async def deliver_pending(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config,
                          stop: asyncio.Event | None = None) -> DeliveryReport:
    """Send every due row of instant-mode subscribers, one message per paper.

    Returns when nothing due is left, when Telegram looks unreachable (rows stay pending,
    retried with back-off), or soon after ``stop`` is set: no new message is started and
    the ones in flight are finished and recorded. Raises :class:`BotUnusable` when
    Telegram rejects the token.
    """
    started = time.monotonic()
    report = DeliveryReport()
    stale = ledger.expire_sending(db)
    if stale:
        report.ambiguous += stale
        log.warning("%d deliveries were interrupted between sending and recording (a crash): "
                    "marked ambiguous, not resent (see `paperbot deliver ambiguous`)", stale)
    sender = Sender(db, bot, config, report, stop)
    try:
        if sender.outage_wait() <= 0:
            await sender.run(instant_jobs(db, DeliveryBook(db)))
    finally:
        sender.settle_outage()
        report.stopped = bool(stop is not None and stop.is_set())
        report.elapsed = time.monotonic() - started
    return report
