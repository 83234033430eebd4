"""Command and button handlers: small ``async def``s over pure helpers.

Handlers read the database and config from ``context.bot_data`` (see :mod:`bot.chat`);
/latest and /paper live in :mod:`bot.paper_commands`, the "waiting for your text"
state in :mod:`bot.conversation`.
"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import conversation, i18n, render, topics
from bot.chat import deps as _deps
from bot.chat import edit_or_reply as _edit_or_reply
from bot.chat import lang_of as _lang_of
from bot.chat import reply, ui_langs
from bot.chat import subscriber as _subscriber
from bot.keyboards import (
    describe_mode,
    describe_topics,
    hour_keyboard,
    lang_keyboard,
    mode_keyboard,
    settings_text,
    topics_keyboard,
    tz_keyboard,
    valid_tz,
    weekly_settings,
)
from bot.paper_commands import latest, paper, parse_paper_arg, prefetch_window
from jobs.config import Config
from jobs.steps.deliver import retry_after_seconds
from jobs.store import subscribers as subs

__all__ = ["is_admin", "latest", "paper", "parse_paper_arg", "reply", "settings_text",
           "ui_langs", "valid_tz"]

log = logging.getLogger("paperbot.bot")

# ------------------------------------------------------------------ pure helpers
def is_admin(config: Config, chat_id: int | None, user_id: int | None) -> bool:
    admins = set(config.telegram.admin_chat_ids)
    return (chat_id in admins) or (user_id is not None and user_id in admins)


# ------------------------------------------------------------------ plumbing
async def skip_handled_updates(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -2 (first): drop an update handled before a restart (persisted update_id)."""
    if not isinstance(update, Update):
        return
    db, _ = _deps(context)
    if not subs.claim_update(db, update.update_id):
        log.info("update %s was handled before; skipped", update.update_id)
        raise ApplicationHandlerStop


# ------------------------------------------------------------------ commands
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, config = _deps(context)
    chat, user = update.effective_chat, update.effective_user
    existing = subs.get(db, chat.id)
    lang = existing["lang"] if existing else i18n.pick_lang(
        user.language_code if user else None, ui_langs(config))
    status, sub = subs.subscribe(db, chat.id, lang=lang, kind=chat.type,
                                 username=chat.username or (user.username if user else None))
    markup = None
    if status == "new":
        text = i18n.t(lang, "welcome", lang=i18n.lang_name(lang), mode=describe_mode(sub, lang),
                      topics=describe_topics(sub, lang))
        code = user.language_code if user else None
        if code and i18n.match_lang(code, ui_langs(config)) is None:
            # their language is not one paperbot speaks: say which ones it does
            text += "\n\n" + i18n.t(lang, "lang_unsupported", langs=", ".join(ui_langs(config)))
            markup = lang_keyboard(ui_langs(config))
    else:
        text = i18n.t(lang, "welcome_back" if status == "revived" else "already")
    await reply(update, context, text, reply_markup=markup)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = _deps(context)
    lang = _lang_of(update, context)
    sub = subs.get(db, update.effective_chat.id)
    if sub is None or not sub["active"]:
        await reply(update, context, i18n.t(lang, "not_subscribed"))
        return
    subs.deactivate(db, sub["chat_id"], "stopped by user (/stop)")
    await reply(update, context, i18n.t(lang, "stopped"))


async def help_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, context, i18n.t(_lang_of(update, context), "help"))


async def lang_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, config = _deps(context)
    sub = await _subscriber(update, context)
    if sub is None:
        return
    if context.args:
        wanted = context.args[0].lower()
        if wanted not in ui_langs(config):
            await reply(update, context, i18n.t(sub["lang"], "lang_unknown",
                                                langs=", ".join(ui_langs(config))))
            return
        subs.update_settings(db, sub["chat_id"], lang=wanted)
        await reply(update, context, i18n.t(wanted, "lang_set", lang=i18n.lang_name(wanted)))
        if wanted != sub["lang"]:
            prefetch_window(context, wanted)
        return
    await reply(update, context, i18n.t(sub["lang"], "lang_prompt"),
                reply_markup=lang_keyboard(ui_langs(config)))


async def mode_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = _deps(context)
    sub = await _subscriber(update, context)
    if sub is None:
        return
    lang = sub["lang"]
    args = [a.lower() for a in context.args or []]
    if args and args[0] == "instant":
        sub = subs.update_settings(db, sub["chat_id"], mode="instant")
        await reply(update, context, i18n.t(lang, "mode_set", mode=describe_mode(sub, lang)))
        return
    if args and args[0] in ("weekly", "digest"):
        if args[0] == "weekly":
            values = weekly_settings(args[1:], lang)
        else:
            hour = args[1].split(":")[0] if len(args) > 1 else ""
            values = {"digest_hour": int(hour)} if hour.isdigit() and int(hour) < 24 else {}
        sub = subs.update_settings(db, sub["chat_id"], mode=args[0], **values)
        if "digest_hour" in values:
            await reply(update, context, i18n.t(lang, "mode_set", mode=describe_mode(sub, lang)))
        else:  # the hour is asked for with buttons
            await reply(update, context, i18n.t(lang, "hour_prompt", tz=sub["tz"]),
                        reply_markup=hour_keyboard())
        return
    await reply(update, context, i18n.t(lang, "mode_prompt", mode=describe_mode(sub, lang)),
                reply_markup=mode_keyboard(lang))


async def tz_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = _deps(context)
    sub = await _subscriber(update, context)
    if sub is None:
        return
    lang = sub["lang"]
    if context.args:
        name = valid_tz(" ".join(context.args))
        if name is None:
            await reply(update, context, i18n.t(lang, "tz_invalid", tz=" ".join(context.args)))
            return
        subs.update_settings(db, sub["chat_id"], tz=name)
        await reply(update, context, i18n.t(lang, "tz_set", tz=name))
        return
    conversation.start(update, context, "tz")
    await reply(update, context, i18n.t(lang, "tz_prompt", tz=sub["tz"]),
                reply_markup=tz_keyboard())


async def topics_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = _deps(context)
    sub = await _subscriber(update, context)
    if sub is None:
        return
    lang = sub["lang"]
    text = " ".join(context.args or []).strip()
    if text.lower() in ("clear", "all", "none", "-"):
        sub = subs.update_settings(db, sub["chat_id"], topics=[])
        await reply(update, context, i18n.t(lang, "topics_set", topics=describe_topics(sub, lang)))
        return
    if text:
        sub = subs.update_settings(db, sub["chat_id"],
                                   topics=topics.merge(sub["topics"], topics.parse_topics(text)))
        await reply(update, context, i18n.t(lang, "topics_set", topics=describe_topics(sub, lang)))
        return
    conversation.start(update, context, "topics")
    await reply(update, context, i18n.t(lang, "topics_prompt", topics=describe_topics(sub, lang)),
                reply_markup=topics_keyboard(sub["topics"], lang))


async def free_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message: the answer to a prompt still waiting (keywords after /topics, a
    time zone after /tz), else a hint in private chats."""
    waiting = conversation.answered_by(update, context)
    private = update.effective_chat.type == "private"
    if waiting is None:
        if private:
            await reply(update, context, i18n.t(_lang_of(update, context), "text_hint"))
        return
    lang = _lang_of(update, context)
    if waiting.expired(conversation.now(context)):
        await reply(update, context, i18n.t(lang, "wait_expired", command=waiting.command))
        return
    db, _ = _deps(context)
    sub = subs.get(db, update.effective_chat.id)
    if sub is None:
        return
    text = (update.effective_message.text or "").strip()
    if waiting.kind == "topics":
        sub = subs.update_settings(db, sub["chat_id"], topics=topics.merge(
            sub["topics"], topics.parse_topics(text)))
        await reply(update, context, i18n.t(lang, "topics_set",
                                            topics=describe_topics(sub, lang)))
    elif waiting.kind == "tz":
        name = valid_tz(text)
        if name is None:
            conversation.start(update, context, "tz")  # ask again
            await reply(update, context, i18n.t(lang, "tz_invalid", tz=text[:64]))
            return
        subs.update_settings(db, sub["chat_id"], tz=name)
        await reply(update, context, i18n.t(lang, "tz_set", tz=name))


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: stop waiting for text, whatever was asked."""
    waiting = conversation.end(context)
    lang = _lang_of(update, context)
    live = waiting is not None and not waiting.expired(conversation.now(context))
    await reply(update, context, i18n.t(lang, "cancelled" if live else "nothing_to_cancel"))


_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@(\w+))?")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command paperbot does not have: say so and point to /help (in a group, only
    when the command names this bot)."""
    m = _COMMAND.match(update.effective_message.text or "")
    if m is None:
        return
    if update.effective_chat.type != "private" and (
            (m.group(2) or "").lower() != (context.bot.username or "").lower()):
        return
    await reply(update, context, i18n.t(_lang_of(update, context), "unknown_command",
                                        command="/" + m.group(1)))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _, config = _deps(context)
    lang = _lang_of(update, context)
    pieces = []
    for s in config.sources:
        if s.enabled:
            pieces += [render.text("\n• "), render.link(s.name, s.url),
                       render.text(f" ({i18n.lang_name(s.lang)})")]
    body = render.concat(pieces)
    await reply(update, context, i18n.t(lang, "sources_header") + body.html)


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    sub = await _subscriber(update, context)
    if sub is None:
        return
    await reply(update, context, settings_text(sub, sub["lang"]))


async def _admin_hook(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str):
    """The service's callable ``bot_data[key]`` for an admin; else reply why not (None)."""
    _, config = _deps(context)
    lang = _lang_of(update, context)
    if not _admin(update, config):
        await reply(update, context, i18n.t(lang, "admin_only"))
        return None
    fn = context.bot_data.get(key)
    if fn is None:
        await reply(update, context, i18n.t(lang, "unavailable"))
    return fn


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    fn = await _admin_hook(update, context, "status_text")
    if fn is None:
        return
    text = await fn()
    await reply(update, context, render.clip(str(text), render.MAX_MESSAGE), parse_html=False)


async def crawl(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    fn = await _admin_hook(update, context, "run_crawl")
    if fn is None:
        return
    lang = _lang_of(update, context)
    await reply(update, context, i18n.t(lang, "crawl_started"))

    async def run() -> None:
        try:
            result = await fn()
        except Exception as exc:  # noqa: BLE001 - report any failure to the admin
            await reply(update, context, i18n.t(lang, "crawl_failed", error=str(exc)[:500]))
            return
        await reply(update, context, i18n.t(lang, "crawl_done", result=str(result)[:3000]))

    context.application.create_task(run(), update=update, name="paperbot:/crawl")


def _admin(update: Update, config: Config) -> bool:
    chat, user = update.effective_chat, update.effective_user
    return is_admin(config, chat.id if chat else None, user.id if user else None)


# ------------------------------------------------------------------ buttons
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, config = _deps(context)
    query = update.callback_query
    kind, _, value = (query.data or "").partition(":")
    sub = subs.get(db, update.effective_chat.id)
    if sub is None:
        await query.answer()
        await reply(update, context, i18n.t(_lang_of(update, context), "not_subscribed"))
        return
    lang = sub["lang"]
    await query.answer()
    if kind == "lang" and value in ui_langs(config):
        subs.update_settings(db, sub["chat_id"], lang=value)
        await _edit_or_reply(update, context, i18n.t(value, "lang_set", lang=i18n.lang_name(value)))
        if value != lang:
            prefetch_window(context, value)
    elif kind == "mode" and value == "instant":
        sub = subs.update_settings(db, sub["chat_id"], mode="instant")
        await _edit_or_reply(update, context, i18n.t(lang, "mode_set",
                                                     mode=describe_mode(sub, lang)))
    elif kind == "mode" and value in ("digest", "weekly"):
        subs.update_settings(db, sub["chat_id"], mode=value)
        await _edit_or_reply(update, context, i18n.t(lang, "hour_prompt", tz=sub["tz"]),
                             hour_keyboard())
    elif kind == "hour" and value.isdigit() and int(value) < 24:
        mode = "weekly" if sub["mode"] == "weekly" else "digest"
        sub = subs.update_settings(db, sub["chat_id"], mode=mode, digest_hour=int(value))
        conversation.start(update, context, "tz")
        await _edit_or_reply(update, context, i18n.t(lang, "mode_set",
                                                     mode=describe_mode(sub, lang))
                             + "\n" + i18n.t(lang, "tz_prompt", tz=sub["tz"]), tz_keyboard())
    elif kind == "tz" and valid_tz(value):
        conversation.end(context, "tz")
        subs.update_settings(db, sub["chat_id"], tz=valid_tz(value))
        await _edit_or_reply(update, context, i18n.t(lang, "tz_set", tz=valid_tz(value)))
    elif kind == "topic":
        conversation.extend(update, context, "topics")
        sub = subs.update_settings(db, sub["chat_id"],
                                   topics=topics.toggle(sub["topics"], topics.normalize(value)))
        await _edit_or_reply(update, context,
                             i18n.t(lang, "topics_prompt", topics=describe_topics(sub, lang)),
                             topics_keyboard(sub["topics"], lang))
    elif kind == "topics" and value == "clear":
        conversation.extend(update, context, "topics")
        sub = subs.update_settings(db, sub["chat_id"], topics=[])
        await _edit_or_reply(update, context,
                             i18n.t(lang, "topics_prompt", topics=describe_topics(sub, lang)),
                             topics_keyboard(sub["topics"], lang))
    elif kind == "topics" and value == "done":
        conversation.end(context, "topics")
        await _edit_or_reply(update, context,
                             i18n.t(lang, "topics_set", topics=describe_topics(sub, lang)))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if isinstance(context.error, RetryAfter):  # flood control twice in a row: not a bug
        log.warning("flood control: a reply was dropped (retry after %.0fs)",
                    retry_after_seconds(context.error))
        return
    log.error("error while handling an update: %s", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id,
                                           i18n.t(_lang_of(update, context), "error"),
                                           parse_mode=ParseMode.HTML)
        except Exception:  # noqa: BLE001 - nothing more to do
            log.debug("could not report the error to the chat")
