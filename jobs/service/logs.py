"""``paperbot run``'s logging: one redacted line per record, and the crawl child's
stderr relayed record by record."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable

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


def install_log_redaction(secrets: Secrets, level: str) -> RedactingFormatter:
    """Every root handler gets the redacting one-line formatter; chatty libraries are
    kept at WARNING unless the level is DEBUG."""
    fmt = RedactingFormatter(LOG_FORMAT, [secrets.telegram_bot_token or "",
                                          secrets.openai_api_key or ""])
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(stream=sys.stderr)
    for handler in root.handlers:
        handler.setFormatter(fmt)
    if level.upper() != "DEBUG":
        for name in ("httpx", "httpcore", "httpx2", "httpcore2", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # openai's only INFO lines say when it retries a call ("Retrying request in …")
        logging.getLogger("openai").setLevel(logging.INFO)
    return fmt



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
