"""What a failed send means, grouped by what the sender does next.

The line that matters is whether the request may have reached Telegram:

* provably **not sent** — retried: the connection was refused or never established
  (``httpx.ConnectError``, ``ConnectTimeout``), no connection was free (``PoolTimeout``),
  Telegram answered 429 (flood control) or a 5xx status (it answered, and said it did
  not do it);
* **ambiguous** — never retried automatically: the request was written (or partly) and
  no answer came back (``ReadTimeout``, ``WriteTimeout``, a connection dropped
  mid-answer, an unreadable answer). Telegram may well have delivered it;
* **permanent** — final: the chat is gone (403 blocked/kicked, chat not found, user
  deactivated), or this message can never be sent as is (another 400);
* **fatal** — the bot itself is unusable (token rejected, another instance polling).
"""

from __future__ import annotations

import datetime as dt
import warnings

import httpx
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

# httpx errors raised before a single byte of the request left this machine
NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class DeliveryError(Exception):
    """A failed send, grouped by what the sender does next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FloodWait(DeliveryError):
    """429: Telegram refused it (not delivered) and asked every send to wait ``after``
    seconds."""

    def __init__(self, reason: str, *, after: float) -> None:
        super().__init__(reason)
        self.after = after


class NotSent(DeliveryError):
    """Transient, and provably not delivered (5xx answer, refused, connect/pool timeout):
    retry later with back-off."""


class Ambiguous(DeliveryError):
    """The request may have reached Telegram; its answer did not reach us. Never resent
    automatically (a subscriber would get the paper twice)."""


class ChatGone(DeliveryError):
    """The chat cannot receive messages (blocked, kicked, deleted, not found)."""


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


def _transport_cause(exc: BaseException) -> BaseException | None:
    """The httpx exception PTB wrapped (``raise NetworkError(...) from err``), if any."""
    cause = exc.__cause__
    while cause is not None and not isinstance(cause, httpx.HTTPError):
        cause = cause.__cause__
    return cause


def classify(exc: Exception) -> DeliveryError:
    """Map a python-telegram-bot error to what the sender should do next."""
    msg = str(exc)
    low = msg.lower()
    if isinstance(exc, RetryAfter):
        seconds = retry_after_seconds(exc)
        return FloodWait(f"flood control: retry after {seconds:g}s", after=seconds)
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
    if isinstance(exc, NetworkError):  # TimedOut included
        cause = _transport_cause(exc)
        if isinstance(cause, NOT_SENT_CAUSES):
            return NotSent(f"{type(cause).__name__}: {cause or msg}")
        if cause is not None:  # written, then no (readable) answer
            return Ambiguous(f"{type(cause).__name__} after the request was sent: "
                             f"{cause or msg}")
        if isinstance(exc, TimedOut) or "unknown error in http implementation" in low:
            return Ambiguous(f"{type(exc).__name__}: {msg}")
        # PTB raises a bare NetworkError for an HTTP answer it has no class for: 5xx
        return NotSent(f"server error: {msg}")
    if isinstance(exc, TelegramError):  # e.g. "Invalid server response": it did answer
        return Ambiguous(f"{type(exc).__name__}: {msg}")
    return Ambiguous(f"{type(exc).__name__}: {msg}")
