"""Plumbing shared by the handlers: what the service put in ``bot_data``, the chat's
language, and replies that survive Telegram's flood control.

``bot_data`` holds ``db`` and ``config`` (set by :func:`bot.app.build_application`); the
service adds ``summarizer`` (a :class:`jobs.steps.summarize.Summarizer`), ``run_crawl``
and ``status_text``; tests may add ``clock`` (see :mod:`bot.conversation`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import i18n
from jobs.config import SUPPORTED_LANGS, Config
from jobs.steps.deliver import NO_PREVIEW, retry_after_seconds
from jobs.store import subscribers as subs

log = logging.getLogger("paperbot.bot")


def deps(context: ContextTypes.DEFAULT_TYPE) -> tuple[Any, Config]:
    return context.bot_data["db"], context.bot_data["config"]


def ui_langs(config: Config) -> list[str]:
    """Languages offered: en, ko, ja, zh, ru plus whatever the config adds."""
    out = list(SUPPORTED_LANGS)
    out += [lang for lang in config.telegram.languages if lang not in out]
    return out


def summarizer(context: ContextTypes.DEFAULT_TYPE) -> Any | None:
    """The service's summarizer when a model is configured (summaries on demand)."""
    found = context.bot_data.get("summarizer")
    return found if found is not None and found.enabled else None


def lang_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    db, config = deps(context)
    chat = update.effective_chat
    sub = subs.get(db, chat.id) if chat else None
    if sub:
        return sub["lang"]
    user = update.effective_user
    return i18n.pick_lang(user.language_code if user else None, ui_langs(config))


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *,
                reply_markup: InlineKeyboardMarkup | None = None, parse_html: bool = True):
    """Send ``text`` to the update's chat; when Telegram asks to wait (429), wait once
    and send again (one WARNING line, no traceback)."""
    chat_id = update.effective_chat.id
    kwargs = {"chat_id": chat_id, "text": text,
              "parse_mode": ParseMode.HTML if parse_html else None,
              "link_preview_options": NO_PREVIEW, "reply_markup": reply_markup}
    try:
        return await context.bot.send_message(**kwargs)
    except RetryAfter as exc:
        wait = retry_after_seconds(exc)
        log.warning("flood control on a reply to chat %s: sending again in %.1fs", chat_id, wait)
        await asyncio.sleep(wait + 0.1)
        return await context.bot.send_message(**kwargs)


async def edit_or_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                        reply_markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=reply_markup,
                                      link_preview_options=NO_PREVIEW)
    except TelegramError:  # message too old / unchanged: say it in a new message
        await reply(update, context, text, reply_markup=reply_markup)


async def subscriber(update: Update, context: ContextTypes.DEFAULT_TYPE) -> dict | None:
    """The chat's subscription; None (after saying so) when there is none."""
    db, _ = deps(context)
    sub = subs.get(db, update.effective_chat.id)
    if sub is None:
        await reply(update, context, i18n.t(lang_of(update, context), "not_subscribed"))
    return sub
