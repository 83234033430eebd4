"""Admin alerts, delivered like every other message.

An alert raised (``jobs.store.health.raise_alert``) is *announced* once: a WARNING
``ALERT <key>: <message>`` log line and one ``alert_sends`` row per admin chat. The
rows then go through the same paced sender as the broadcasts, and are marked sent only
once Telegram accepted them. Unlike a subscriber's message, an alert is at-least-once:

* a 429 waits out the pause and is sent after it;
* a 5xx / refused / timed-out send — and an ambiguous one: a duplicate alert is better
  than a lost one — is retried with back-off for ``retry_for_hours``;
* "chat not found" / 403 (an admin who never started the bot, or blocked it) is retried
  the same way and logged, so the alert reaches them once they /start the bot.

An alert cleared before it could be sent still goes out, saying when it was resolved.
"""

from __future__ import annotations

import asyncio
import logging
import time

import sqlite_utils
import telegram

from bot import render
from jobs.config import Config
from jobs.store import health as hstore
from jobs.store.delivery import precise

from .records import DeliveryReport, Job
from .send import Sender

log = logging.getLogger("paperbot.alerts")

PREFIX = "⚠️ paperbot: "


def alert_text(message: str, cleared_at: str | None = None) -> str:
    text = PREFIX + message + (f"\n(resolved since {cleared_at})" if cleared_at else "")
    return render.clip(text, render.MAX_MESSAGE)


def announce_alerts(db: sqlite_utils.Database, admin_chat_ids: list[int]) -> list[str]:
    """Announce every alert raised and not yet announced: the log line, and a pending
    send per admin chat. Each alert once, even with concurrent callers. Returns the keys."""
    keys = []
    for alert in hstore.unplanned_alerts(db):
        if hstore.plan_alert(db, alert["key"], alert["raised_at"], admin_chat_ids):
            log.warning("ALERT %s: %s", alert["key"], alert["message"])
            keys.append(alert["key"])
    return keys


class AlertBook:
    """Admin alert messages: ``alert_sends`` rows (``key`` = the row id)."""

    gone_is_final = False  # the admin may /start the bot later: keep trying
    resend_ambiguous = True  # at least once: a duplicate alert beats a lost one

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def claim(self, job: Job) -> bool:
        return hstore.claim_alert_send(self.db, job.key)

    def sent(self, job: Job, message_id: int, note: str | None,
             msg: render.Message) -> None:
        hstore.finish_alert_send(self.db, job.key, "sent", message_id=message_id, reason=note)

    def released(self, job: Job, reason: str) -> None:
        hstore.finish_alert_send(self.db, job.key, "pending", reason=reason)

    def retry(self, job: Job, reason: str, *, at: str, until: str) -> None:
        hstore.finish_alert_send(self.db, job.key, "pending", reason=reason,
                                 next_attempt_at=at, retry_until=until, counts_retry=True)
        if job.retries == 0:
            log.warning("alert to admin chat %s not delivered (%s); retrying until %s",
                        job.chat_id, reason, until)

    def failed(self, job: Job, reason: str) -> None:
        hstore.finish_alert_send(self.db, job.key, "failed", reason=reason)
        log.error("alert to admin chat %s given up: %s", job.chat_id, reason)

    def skipped(self, job: Job, reason: str) -> None:
        hstore.finish_alert_send(self.db, job.key, "skipped", reason=reason)

    ambiguous = released  # not reached (resend_ambiguous); never leave it in 'sending'


def _alert_jobs(db: sqlite_utils.Database, book: AlertBook):
    for row in hstore.due_alert_sends(db, now=precise()):
        text = alert_text(row["message"], row["cleared_at"])
        msg = render.Message(html="", visible=text, plain=text)
        yield Job(chat_id=row["chat_id"], key=row["id"], build=lambda msg=msg: msg,
                  retries=row["retries"] or 0, retry_until=row["retry_until"]), book


async def send_alerts(db: sqlite_utils.Database, *, bot: telegram.Bot, config: Config,
                      stop: asyncio.Event | None = None) -> DeliveryReport:
    """Send the alert messages due now (plain text, admin chats only)."""
    started = time.monotonic()
    report = DeliveryReport()
    sender = Sender(db, bot, config, report, stop, plain_text=True)
    try:
        if sender.outage_wait() <= 0:
            await sender.run(_alert_jobs(db, AlertBook(db)))
    finally:
        sender.settle_outage()
        report.elapsed = time.monotonic() - started
    return report
