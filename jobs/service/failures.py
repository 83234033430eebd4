"""What stopped ``paperbot run``, as one readable line (the error first, its causes
after it, where it happened last; the traceback only at DEBUG), and the exit code that
tells systemd whether a restart can help (``RestartPreventExitStatus=2``)."""

from __future__ import annotations

import traceback
from pathlib import Path

EXIT_FAILURE = 1  # may heal by itself (network, Telegram down): systemd restarts
EXIT_CONFIG = 2  # needs a person (bad config, missing or rejected token): no restart

_MAX_PART = 300


def token_rejected(exc: BaseException) -> bool:
    """Telegram answered 401 to the token: at start (PTB's ``InvalidToken``) or while
    sending (:class:`jobs.steps.deliver.BotUnusable` made from it)."""
    from telegram.error import InvalidToken

    if isinstance(exc, InvalidToken):
        return True
    return str(getattr(exc, "reason", "")).startswith(InvalidToken.__name__)


def exit_code(exc: BaseException) -> int:
    return EXIT_CONFIG if token_rejected(exc) else EXIT_FAILURE


def _part(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > _MAX_PART:
        text = text[: _MAX_PART - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _where(exc: BaseException) -> str | None:
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if not frames:
        return None
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def describe(exc: BaseException) -> str:
    """``"InvalidToken: … — Telegram rejected …"`` or ``"NetworkError: …; caused by
    ConnectError: … (at _transport.py:123 in handle_async_request)"``: one line."""
    if token_rejected(exc):  # (PTB's message quotes the token: not repeated here)
        return (f"InvalidToken — Telegram rejected the bot token: set a valid "
                f"TELEGRAM_BOT_TOKEN (from @BotFather); exiting {EXIT_CONFIG}, not restarting")
    parts, seen, innermost = [], set(), exc
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(_part(current))
        innermost = current
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    where = _where(innermost)
    return "; caused by ".join(parts) + (f" (at {where})" if where else "")
