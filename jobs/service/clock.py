"""Time helpers of the service: UTC now, ISO strings, when the first crawl runs."""

from __future__ import annotations

import datetime as dt


def utc(now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


def iso(t: dt.datetime | None) -> str | None:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00") if t else None


def first_crawl_at(last_started: str | None, now: dt.datetime, every_minutes: float,
                   *, min_delay: float = 1.0) -> dt.datetime:
    """When the first crawl after a start runs: one interval after the last recorded
    crawl, but not before ``min_delay`` seconds from now."""
    soon = now + dt.timedelta(seconds=min_delay)
    if not last_started:
        return soon
    try:
        last = dt.datetime.fromisoformat(last_started)
    except ValueError:
        return soon
    return max(soon, last + dt.timedelta(minutes=every_minutes))
