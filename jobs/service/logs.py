"""Logging of every ``paperbot`` command: one redacted line per record on stderr (PTB,
httpx, openai, Scrapy and paperbot alike, at every level), and the crawl child's stderr
relayed record by record."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

from jobs.config import Secrets

_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")  # a Telegram bot token, anywhere


class RedactingFormatter(logging.Formatter):
    """Formats each record as ONE line (journald: one entry per event) and removes
    secrets from it: the bot token (httpx logs ``…/bot<token>/getUpdates``), the API
    key, anything shaped like a bot token, also inside tracebacks."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return _TOKEN_RE.sub("<redacted>", text)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return self.redact(text).replace("\r", "").replace("\n", " | ")


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that log every request at INFO/DEBUG: kept at WARNING unless the level is DEBUG.
# (Their records go through the redacting formatter at any level: httpx logs the Bot API
# URL, which contains the token.)
CHATTY_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2", "apscheduler", "hpack")

_HANDLER_MARK = "_paperbot_handler"


def setup_logging(secrets: Secrets, level: str) -> RedactingFormatter:
    """The one logging set-up of every command: stderr, one line per record, secrets
    redacted from every record of every logger (the root handlers are the only handlers;
    libraries propagate to them), warnings and uncaught exceptions included. Safe to call
    again (the level and the secrets are updated)."""
    fmt = RedactingFormatter(LOG_FORMAT, [secrets.telegram_bot_token or "",
                                          secrets.openai_api_key or ""])
    root = logging.getLogger()
    if not any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    for handler in root.handlers:
        handler.setFormatter(fmt)
    set_log_level(level)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    return fmt


def set_log_level(level: str) -> None:
    value = logging.getLevelName(level.upper())
    if not isinstance(value, int):
        value = logging.INFO
    logging.getLogger().setLevel(value)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if value > logging.DEBUG
                                         else logging.NOTSET)
    # openai's only INFO lines say when it retries a call ("Retrying request in …")
    logging.getLogger("openai").setLevel(logging.INFO if value > logging.DEBUG
                                         else logging.NOTSET)


def _log_uncaught(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
    """A crash is one redacted record too (httpx errors can carry the request URL)."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    logging.getLogger("paperbot").critical("fatal error: %s", exc, exc_info=(exc_type, exc, tb))


def install_log_redaction(secrets: Secrets, level: str) -> RedactingFormatter:
    """Kept for callers from before :func:`setup_logging` (``paperbot run``)."""
    return setup_logging(secrets, level)


_CONTINUATION = re.compile(r"^[\s{}\[\]'\"]|^$")


async def relay_log_records(stream: asyncio.StreamReader, write: Callable[[str], None], *,
                            idle: float = 0.2) -> None:
    """Copy a child's stderr to ours one record per line: continuation lines (Scrapy's
    indented dumps, tracebacks) are joined to the record they belong to with `` | ``."""
    record: list[str] = []

    def flush() -> None:
        if record:
            write(" | ".join(record))
            record.clear()

    while True:
        try:
            raw = await asyncio.wait_for(stream.readline(), idle if record else None)
        except TimeoutError:
            flush()
            continue
        except (ValueError, asyncio.LimitOverrunError):  # an absurdly long line
            continue
        if not raw:
            break
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if record and _CONTINUATION.match(line):
            record.append(line.strip())
        else:
            flush()
            record.append(line)
    flush()
