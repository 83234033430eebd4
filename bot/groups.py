"""Groups: only a group's administrators change its subscription.

:func:`group_admin_guard` runs before every handler (``bot.app``, group -2, right after
the duplicate-update check). In a group or supergroup, the settings commands, /stop,
/follow and /exclude, every button (settings, 👍 / 👎 / 🔖) and the plain replies a
settings prompt waits for need the sender to be a chat administrator (``getChatMember``,
cached briefly), an administrator posting as the group, or a bot admin. Anyone else
gets a polite refusal in the group's language and nothing changes; /latest, /paper,
/top, /saved, /bib, /settings and /help stay open to every member.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import i18n, render
from jobs.store import subscribers as subs

log = logging.getLogger("paperbot.bot")

GROUP_ADMIN_TTL = 60.0  # seconds a getChatMember answer is trusted
# what changes a group's subscription or what it receives (its votes and follows too)
GROUP_SETTINGS_COMMANDS = frozenset({"start", "stop", "lang", "mode", "tz", "topics", "follow",
                                     "exclude"})
_ADMIN_STATUSES = ("creator", "administrator")


def _command(text: str | None, bot_username: str | None) -> str | None:
    """``/lang@paperbot_bot ko`` → ``lang``; '' for a command to another bot; None for
    text that is not a command."""
    if not text or not text.startswith("/"):
        return None
    name, _, to = text.split(maxsplit=1)[0][1:].partition("@")
    if to and bot_username and to.lower() != bot_username.lower():
        return ""
    return name.lower()


async def may_change_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender may change this group's subscription: a chat administrator
    (getChatMember, answer cached for GROUP_ADMIN_TTL seconds), an admin posting as the
    group, or a bot admin. A failed check refuses (the next try asks again)."""
    chat, user, message = update.effective_chat, update.effective_user, update.message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # anonymous admin, not a linked channel
    if user is None:
        return False
    if user.id in context.bot_data["config"].telegram.admin_chat_ids:
        return True  # a bot admin
    cache: dict = context.bot_data.setdefault("group_admins", {})
    now = time.monotonic()
    hit = cache.get((chat.id, user.id))
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember(%s, %s) failed: %s", chat.id, user.id, exc)
        return False
    if len(cache) > 10_000:
        for key in [k for k, (until, _) in cache.items() if until <= now]:
            del cache[key]
    allowed = member.status in _ADMIN_STATUSES
    cache[(chat.id, user.id)] = (now + GROUP_ADMIN_TTL, allowed)
    return allowed


async def group_admin_guard(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before every handler: in a group, the settings commands and /stop, the settings
    buttons and the replies they wait for are for the group's administrators; anyone
    else gets a polite refusal (a plain reply is just ignored) and nothing changes."""
    if not isinstance(update, Update) or update.effective_chat is None \
            or update.effective_chat.type not in ("group", "supergroup"):
        return
    query, command = update.callback_query, None
    if query is None:
        if update.message is None or not update.message.text:
            return
        command = _command(update.message.text, context.bot.username)
        if command is not None and command not in GROUP_SETTINGS_COMMANDS:
            return  # /latest, /paper, /settings, /help, another bot's command: for everyone
    if await may_change_group(update, context):
        return
    refusal = i18n.t(_group_lang(update, context), "group_admin_only")
    try:
        if query is not None:
            await query.answer(render.raw_html(refusal).visible, show_alert=True)
        elif command:
            await context.bot.send_message(update.effective_chat.id, refusal,
                                           parse_mode=ParseMode.HTML)
    except TelegramError as exc:  # refused either way
        log.info("could not send the group refusal: %s", exc)
    raise ApplicationHandlerStop


def _group_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    sub = subs.get(context.bot_data["db"], update.effective_chat.id)
    if sub:
        return sub["lang"]
    user = update.effective_user
    return i18n.pick_lang(user.language_code if user else None, i18n.UI_LANGS)
