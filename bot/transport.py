"""How the bot reaches Telegram: the pacer, the HTTP clients and the send-only bot
(``paperbot deliver once``). Kept apart from :mod:`bot.app` so a process that only sends
does not load the command handlers; nothing here does I/O or builds anything at import.

Every HTTP client of the bot shares one TLS context: each context holds its own parsed
copy of the CA bundle (about 0.9 MB), and the bot has two clients (``getUpdates``'s long
poll and everything else).
"""

from __future__ import annotations

import functools
import ssl

import httpx
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from jobs.config import Config
from jobs.steps.deliver import PacedRateLimiter, Pacer, in_flight_limit


def rate_limiter(config: Config) -> PacedRateLimiter:
    """The bot's one pacer (see :mod:`jobs.steps.deliver.pacer`): broadcasts, digests,
    alerts and command replies share it; a 429 pauses them all, then ramps back."""
    return PacedRateLimiter(Pacer.from_config(config))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``),
    built on first use and shared by every client of the process."""
    return httpx.create_ssl_context()


def http_request(*, pool_size: int, read_timeout: float | None = None) -> HTTPXRequest:
    """python-telegram-bot's HTTP client over the shared TLS context. ``read_timeout``:
    how long to wait for Telegram's answer (PTB's default, 5 s, when None)."""
    return HTTPXRequest(connection_pool_size=pool_size,
                        httpx_kwargs={"verify": tls_context()},
                        **({"read_timeout": read_timeout} if read_timeout else {}))


def pool_size(config: Config) -> int:
    # httpx's pool costs O(connections) per request: size it to the sends in flight.
    return in_flight_limit(config) + 4


def build_bot(*, config: Config, token: str, read_timeout: float | None = None) -> ExtBot:
    """A paced bot for sending only (``paperbot deliver once``). ``read_timeout``: how
    long to wait for Telegram's answer (PTB's default, 5 s, when None); a send whose
    answer does not come in time is *ambiguous*. It never polls, so its ``getUpdates``
    client is its one client rather than a second, idle one."""
    request = http_request(pool_size=pool_size(config), read_timeout=read_timeout)
    return ExtBot(token, base_url=config.telegram.api_base_url,
                  base_file_url=config.telegram.api_base_file_url,
                  request=request, get_updates_request=request,
                  rate_limiter=rate_limiter(config))
