"""Source health, back-off and admin alerts (decisions here, SQL in jobs.store.health).

* A source that failed ``f`` runs in a row is backed off: its next attempt waits
  ``crawl_every * 2**(f-1)`` minutes from its last run (capped at six hours, or one
  interval when that is longer). The service passes only the due sources to
  ``crawl once --source …``.
* Alerts go to the admin chats only (never to subscribers), each once:
  ``source-failing:<name>`` after ``source_alert_after_runs`` failed runs in a row,
  ``source-empty:<name>`` after as many successful runs that found no post at all
  (a feed or page layout that changed: a quiet blog still lists its old posts),
  ``deliveries-failing`` when Telegram has been unreachable for :data:`OUTAGE_PROBES`
  failed tries in a row (the delivery step's outage circuit), or when at least
  :data:`BULK_MIN_FAILED` deliveries failed for good in the last :data:`BULK_WINDOW`
  and they are at least half of the deliveries finished then, and the summarizer's
  token-budget alert. An alert is cleared when its cause goes away, so a later
  recurrence is announced again. Alerts reach the admins through the delivery step
  (:mod:`jobs.steps.deliver.alerts`: paced, retried, marked sent once accepted).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from jobs.config import Config
from jobs.store import delivery as ledger
from jobs.store import health as hstore

log = logging.getLogger("paperbot.health")

MAX_BACKOFF_MINUTES = 360.0
BULK_WINDOW = dt.timedelta(minutes=15)
BULK_MIN_FAILED = 10
OUTAGE_PROBES = 3  # failed tries in a row (each after a longer back-off) before alerting


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _parse(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def backoff_minutes(failures: int, every_minutes: float) -> float:
    """How long after its last run a source that failed ``failures`` runs in a row waits."""
    if failures <= 0:
        return 0.0
    cap = max(every_minutes, MAX_BACKOFF_MINUTES)
    return min(every_minutes * 2 ** min(failures - 1, 30), cap)


def is_due(row: dict | None, now: dt.datetime, every_minutes: float) -> bool:
    """A source is due unless it is backed off beyond this run (half an interval of slack,
    so that jitter never makes a source skip a run it was meant to get)."""
    if row is None:
        return True
    until = _parse(row.get("backoff_until"))
    return until is None or until <= now + dt.timedelta(minutes=every_minutes / 2)


def due_sources(db: Any, config: Config, now: dt.datetime) -> tuple[list[str], list[str]]:
    """(due, backed off) names among the enabled sources."""
    rows = hstore.source_rows(db)
    due, waiting = [], []
    for src in config.sources:
        if not src.enabled:
            continue
        (due if is_due(rows.get(src.name), now, config.schedule.crawl_every_minutes)
         else waiting).append(src.name)
    return due, waiting


def after_crawl(db: Any, config: Config, now: dt.datetime) -> list[str]:
    """Update back-off and source alerts from the recorded runs. Returns the alert keys
    newly raised."""
    every = config.schedule.crawl_every_minutes
    n_runs = max(1, config.schedule.source_alert_after_runs)
    rows = hstore.source_rows(db)
    raised: list[str] = []
    for src in config.sources:
        row = rows.get(src.name)
        if row is None or not src.enabled:
            continue
        failures = row.get("consecutive_failures") or 0
        fail_key, empty_key = f"source-failing:{src.name}", f"source-empty:{src.name}"
        if failures:
            last = _parse(row.get("last_run_at")) or now
            until = last + dt.timedelta(minutes=backoff_minutes(failures, every))
            hstore.set_backoff(db, src.name, _iso(until))
            if failures >= 2:
                log.info("source %s failed %d runs in a row: backed off until %s", src.name,
                         failures, _iso(until))
        elif row.get("backoff_until"):
            hstore.set_backoff(db, src.name, None)
        if failures >= n_runs:
            msg = (f"source {src.name} failed {failures} runs in a row; last error: "
                   f"{row.get('last_error') or 'unknown'}; next attempt after "
                   f"{_iso(last + dt.timedelta(minutes=backoff_minutes(failures, every)))}")
            if hstore.raise_alert(db, fail_key, msg):
                raised.append(fail_key)
                hstore.set_source_alerted(db, src.name, "failing")
        elif failures == 0 and hstore.clear_alert(db, fail_key):
            log.info("source %s recovered", src.name)
            hstore.set_source_alerted(db, src.name, None)
        runs = hstore.recent_runs(db, src.name, n_runs)
        empty = len(runs) >= n_runs and all(r["ok"] and not r["posts_seen"] for r in runs)
        if empty:
            msg = (f"source {src.name} found no post at all in its last {n_runs} runs "
                   f"(did the feed or page layout change?)")
            if hstore.raise_alert(db, empty_key, msg):
                raised.append(empty_key)
                hstore.set_source_alerted(db, src.name, "empty")
        elif runs and runs[0]["ok"] and runs[0]["posts_seen"]:
            hstore.clear_alert(db, empty_key)
    return raised


def check_deliveries(db: Any, now: dt.datetime) -> str | None:
    """Raise ``deliveries-failing`` once per trouble: Telegram unreachable, or deliveries
    failing for good in bulk; clear it when both are over. Returns the key when newly
    raised."""
    outage = ledger.outage(db)
    counts = hstore.delivery_outcomes_since(db, _iso(now - BULK_WINDOW))
    failed, sent = counts["failed"], counts["sent"]
    msg = None
    if outage and outage.get("probes", 0) >= OUTAGE_PROBES:
        msg = (f"Telegram has been unreachable since {outage.get('since')} "
               f"({outage['probes']} tries failed, last: {outage.get('last_error')}); "
               f"messages wait and are retried (see `paperbot status`)")
    elif failed >= BULK_MIN_FAILED and failed >= sent:
        msg = (f"deliveries are failing: {failed} failed and {sent} sent in the last "
               f"{int(BULK_WINDOW.total_seconds() // 60)} minutes (see `paperbot status`)")
    if msg:
        if hstore.raise_alert(db, "deliveries-failing", msg):
            return "deliveries-failing"
    elif (not outage and failed < BULK_MIN_FAILED // 2
          and hstore.clear_alert(db, "deliveries-failing")):
        log.info("deliveries recovered")
    return None
