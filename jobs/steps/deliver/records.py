"""What a send is recorded in: the retry policy, the run's report, a :class:`Job` (one
message) and the :class:`DeliveryBook` (the deliveries ledger it is written to)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable
from typing import Any

import sqlite_utils

from bot import render
from jobs.config import Config
from jobs.store import delivery as ledger
from jobs.store import subscribers as subs
from jobs.store.fallback_messages import remember_message

from .pacer import broadcast_limit

log = logging.getLogger("paperbot.delivery")

BACKOFF_CAP = 64  # the longest retry wait, in units of retry_backoff_seconds
PROBE_CAP = 8  # the longest wait between tries while Telegram is unreachable (2 min)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    base: float  # seconds before the first retry
    window: dt.timedelta  # how long after the first failure to keep trying

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        tg = config.telegram
        return cls(tg.retry_backoff_seconds, dt.timedelta(hours=tg.retry_for_hours))

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th failure in a row (1-based): base × 2^(n-1)."""
        return self.base * min(BACKOFF_CAP, 2 ** max(0, min(failures - 1, 30)))

    def probe_delay(self, probes: int) -> float:
        """The wait before trying Telegram again after ``probes`` failed runs: the same
        back-off, capped lower (rows waiting longer are all woken by the recovery)."""
        return min(self.delay(probes), self.base * PROBE_CAP)


def in_flight_limit(config: Config) -> int:
    """The most sends awaiting Telegram's answer at once: the rate × 0.2 s, 4..100 (the
    sender keeps it to rate × twice the answer time it sees; each costs an httpx
    connection, and a crash leaves those rows ambiguous)."""
    return max(4, min(100, math.ceil(broadcast_limit(config) * 0.2)))


# --------------------------------------------------------------------------- report
@dataclasses.dataclass
class DeliveryReport:
    planned: int = 0
    messages: int = 0  # messages Telegram accepted
    sent: int = 0  # rows marked sent (a digest message carries several)
    failed: int = 0  # rows failed for good (chat gone, bad request, retries exhausted)
    skipped: int = 0
    deactivated: int = 0
    plain_fallbacks: int = 0
    retries: int = 0  # rows put back for a retry later (the request did not reach Telegram)
    rate_limited: int = 0  # 429 answers received
    ambiguous: int = 0  # rows left ambiguous (answer lost, or an interrupted run found)
    digests: int = 0
    outage: bool = False  # Telegram unreachable: the run stopped early or did not start
    stopped: bool = False
    elapsed: float = 0.0

    def merge(self, other: DeliveryReport) -> DeliveryReport:
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, (a or b) if isinstance(a, bool) else a + b)
        return self

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        parts = [f"{k} {v}" for k, v in self.as_dict().items()
                 if k not in ("stopped", "elapsed", "outage")]
        return ", ".join(parts) + f" in {self.elapsed:.1f}s" + (
            " (Telegram unreachable: retrying later)" if self.outage else "") + (
            " (stopped)" if self.stopped else "")


# --------------------------------------------------------------------------- books
@dataclasses.dataclass(eq=False)
class Job:
    chat_id: int
    key: Any  # what the book finds the rows by
    build: Callable[[], render.Message | None]
    group: bool = False
    retries: int = 0  # transient failures so far
    retry_until: str | None = None
    rows: int = 1  # ledger rows the message carries
    seq: int = 0  # the order in which the run started sending it


class DeliveryBook:
    """Subscriber messages: the ``deliveries`` ledger (``key`` = the arxiv IDs)."""

    gone_is_final = True  # a blocked bot / deleted chat: the subscriber becomes inactive
    resend_ambiguous = False  # never risk a duplicate without the operator

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def claim(self, job: Job) -> bool:
        return ledger.claim(self.db, job.chat_id, job.key)

    def sent(self, job: Job, message_id: int, note: str | None,
             msg: render.Message) -> None:
        ledger.mark_sent(self.db, job.chat_id, job.key, message_id, note=note)
        # shown with the fallback layout: edited when the summaries arrive (issue 12)
        remember_message(self.db, job.chat_id, message_id, msg)

    def released(self, job: Job, reason: str) -> None:
        ledger.release(self.db, job.chat_id, job.key, reason)

    def retry(self, job: Job, reason: str, *, at: str, until: str) -> None:
        ledger.retry_later(self.db, job.chat_id, job.key, reason, at=at, until=until)

    def failed(self, job: Job, reason: str) -> None:
        ledger.mark_failed(self.db, job.chat_id, job.key, reason)

    def skipped(self, job: Job, reason: str) -> None:
        ledger.mark_skipped(self.db, job.chat_id, job.key, reason)

    def ambiguous(self, job: Job, reason: str) -> None:
        ledger.mark_ambiguous(self.db, job.chat_id, job.key, reason)

    def gone(self, job: Job, reason: str) -> int:
        """Failed, and the chat made inactive; returns its other pending rows skipped."""
        ledger.mark_failed(self.db, job.chat_id, job.key, reason)
        log.info("chat %s deactivated: %s", job.chat_id, reason)
        return subs.deactivate(self.db, job.chat_id, reason)
