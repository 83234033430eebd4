"""The delivery step: plan → ledger → send at Telegram's limits, never twice, never lost.

Exactly-once, as far as Telegram allows: each (chat, paper) row goes pending → sending
(committed *before* the API call) → sent(message_id) | failed | skipped | ambiguous
(committed right after). What a failure means decides what happens next
(:mod:`.errors`): only a request that provably did not reach Telegram is retried (with
back-off, for ``[telegram] retry_for_hours``); one that may have reached it is left
*ambiguous* for the operator (``paperbot deliver ambiguous --resend|--drop``); only a
chat that is gone, or a message Telegram will never take, fails for good.

Modules, by concern:

* :mod:`.plan` — who gets which paper (pending rows), channels, what a message shows;
* :mod:`.pacer` — the pacer every message of the bot goes through (GCRA under the
  limit, sliding window, per-chat gaps, 429 pause and ramp), installed in PTB;
* :mod:`.send` — the sender (claim, send, record) and the outage circuit;
* :mod:`.records` — the retry policy, the report, a job and the ledger it is written to;
* :mod:`.instant` — instant delivery (due retries, then new rows in plan order);
* :mod:`.digest` — daily digests at each subscriber's hour;
* :mod:`.alerts` — admin alerts, sent through the same sender;
* :mod:`.errors` — Telegram's errors grouped by what the sender does next.
"""

from .alerts import alert_text, announce_alerts, send_alerts
from .digest import digest_due, next_digest_time, send_due_digests
from .errors import (
    Ambiguous,
    BotUnusable,
    ChatGone,
    DeliveryError,
    FloodWait,
    MarkupRejected,
    NotSent,
    Undeliverable,
    classify,
    retry_after_seconds,
)
from .instant import deliver_pending
from .pacer import PacedRateLimiter, Pacer, broadcast_limit
from .plan import NO_PREVIEW, labels, paper_message, paper_view, plan_deliveries, sync_channels
from .records import DeliveryReport, RetryPolicy, in_flight_limit

__all__ = [
    "NO_PREVIEW", "Ambiguous", "BotUnusable", "ChatGone", "DeliveryError", "DeliveryReport",
    "FloodWait", "MarkupRejected", "NotSent", "Pacer", "PacedRateLimiter", "RetryPolicy",
    "Undeliverable", "alert_text", "announce_alerts", "broadcast_limit", "classify",
    "deliver_pending", "digest_due", "in_flight_limit", "labels", "next_digest_time",
    "paper_message", "paper_view", "plan_deliveries", "retry_after_seconds", "send_alerts",
    "send_due_digests", "sync_channels",
]
