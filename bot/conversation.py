"""Conversation state: a chat waiting for free text after a prompt (keywords after
/topics, a time zone after /tz).

A wait lasts :data:`WAIT_SECONDS` from the prompt (each press on the prompt's keyboard
extends it), ends at the next command, and /cancel ends it saying so. Only the user who
was asked may answer (in a group, others' messages are not taken as the answer). Time
comes from ``bot_data["clock"]`` (seconds, monotonic; default :func:`time.monotonic`),
so tests compress it instead of sleeping.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

WAIT_SECONDS = 300.0
KINDS = {"topics": "/topics", "tz": "/tz"}  # what is waited for → the command that asked
_KEY = "waiting"


@dataclass(frozen=True)
class Waiting:
    kind: str
    until: float
    user_id: int | None

    @property
    def command(self) -> str:
        return KINDS[self.kind]

    def expired(self, now: float) -> bool:
        return now >= self.until


def now(context: ContextTypes.DEFAULT_TYPE) -> float:
    return (context.bot_data.get("clock") or time.monotonic)()


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def start(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    """The chat now waits for ``kind`` text from this user."""
    context.chat_data[_KEY] = Waiting(kind, now(context) + WAIT_SECONDS, _user_id(update))


def extend(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    """A press on the prompt's keyboard: the wait for ``kind`` goes on from now."""
    current = context.chat_data.get(_KEY)
    if isinstance(current, Waiting) and current.kind == kind and not current.expired(
            now(context)):
        start(update, context, kind)


def end(context: ContextTypes.DEFAULT_TYPE, kind: str | None = None) -> Waiting | None:
    """Stop waiting (for ``kind`` only, when given); the wait that was on, if any."""
    current = context.chat_data.get(_KEY)
    if not isinstance(current, Waiting) or (kind is not None and current.kind != kind):
        return None
    del context.chat_data[_KEY]
    return current


def answered_by(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Waiting | None:
    """The wait a plain message from this user answers (taken: it ends), or None. An
    expired wait is ended and returned too: the caller says it expired."""
    current = context.chat_data.get(_KEY)
    if not isinstance(current, Waiting):
        return None
    if current.user_id is not None and current.user_id != _user_id(update):
        return None
    del context.chat_data[_KEY]
    return current


async def end_on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any command (but /cancel, which reports it) ends the wait: an abandoned prompt
    never turns later chat into an answer."""
    end(context)
