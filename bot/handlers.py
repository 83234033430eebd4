"""Command and button handlers: small ``async def``s over pure helpers.

Handlers read the database and config from ``context.bot_data["db"]`` /
``["config"]`` (set by :func:`bot.app.build_application`); the service may add
``bot_data["run_crawl"]`` and ``bot_data["status_text"]`` (async callables) for the
admin commands /crawl and /status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import i18n, render, topics
from crawler.arxiv_ids import parse_arxiv_id
from jobs.config import SUPPORTED_LANGS, Config
from jobs.steps.deliver import NO_PREVIEW, labels, paper_view, retry_after_seconds
from jobs.store import delivery as ledger
from jobs.store import subscribers as subs

log = logging.getLogger("paperbot.bot")

COMMON_TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Seoul",
                    "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "America/New_York",
                    "America/Los_Angeles")

# ------------------------------------------------------------------ pure helpers
def parse_paper_arg(text: str) -> str | None:
    """``2401.12345v2`` / an arXiv, alphaXiv or Hugging Face URL / ``arXiv:…`` → versionless ID."""
    return parse_arxiv_id(text.strip()) if text and text.strip() else None


def ui_langs(config: Config) -> list[str]:
    """Languages offered: en, ko, ja, zh, ru plus whatever the config adds."""
    out = list(SUPPORTED_LANGS)
    out += [lang for lang in config.telegram.languages if lang not in out]
    return out


def is_admin(config: Config, chat_id: int | None, user_id: int | None) -> bool:
    admins = set(config.telegram.admin_chat_ids)
    return (chat_id in admins) or (user_id is not None and user_id in admins)


def describe_mode(sub: dict, lang: str) -> str:
    if sub.get("mode") == "digest":
        return i18n.raw(lang, "mode_digest").format(hour=sub.get("digest_hour", 9),
                                                    tz=sub.get("tz") or "UTC")
    return i18n.raw(lang, "mode_instant")


def describe_topics(sub: dict, lang: str) -> str:
    return ", ".join(sub.get("topics") or []) or i18n.raw(lang, "topics_everything")


def settings_text(sub: dict, lang: str) -> str:
    return i18n.t(lang, "settings", active=i18n.raw(lang, "yes" if sub["active"] else "no"),
                  lang=i18n.lang_name(sub["lang"]), mode=describe_mode(sub, lang),
                  tz=sub.get("tz") or "UTC", topics=describe_topics(sub, lang))


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def lang_keyboard(langs: Sequence[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(i18n.lang_name(code), callback_data=f"lang:{code}")
         for code in langs], 3))


def mode_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(i18n.raw(lang, "btn_instant"), callback_data="mode:instant"),
        InlineKeyboardButton(i18n.raw(lang, "btn_digest"), callback_data="mode:digest"),
    ]])


def hour_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(f"{h:02d}:00", callback_data=f"hour:{h}") for h in range(24)], 6))


def tz_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(z, callback_data=f"tz:{z}") for z in COMMON_TIMEZONES], 2))


def topics_keyboard(current: Sequence[str], lang: str) -> InlineKeyboardMarkup:
    chosen = {c.casefold() for c in current}
    buttons = [InlineKeyboardButton(("✓ " if c.casefold() in chosen else "") + c,
                                    callback_data=f"topic:{c}") for c in topics.COMMON_CATEGORIES]
    rows = _rows(buttons, 4)
    rows.append([InlineKeyboardButton(i18n.raw(lang, "btn_clear"), callback_data="topics:clear"),
                 InlineKeyboardButton(i18n.raw(lang, "btn_done"), callback_data="topics:done")])
    return InlineKeyboardMarkup(rows)


def valid_tz(name: str) -> str | None:
    name = (name or "").strip()
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        lowered = {z.lower(): z for z in available_timezones()}
        return lowered.get(name.lower())
    return name


# ------------------------------------------------------------------ plumbing
def _deps(context: ContextTypes.DEFAULT_TYPE):
    return context.bot_data["db"], context.bot_data["config"]


def _lang_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    db, config = _deps(context)
    chat = update.effective_chat
    sub = subs.get(db, chat.id) if chat else None
    if sub:
        return sub["lang"]
    user = update.effective_user
    return i18n.pick_lang(user.language_code if user else None, ui_langs(config))


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *,
                reply_markup: InlineKeyboardMarkup | None = None, parse_html: bool = True):
    """Send ``text`` to the update's chat; waits once if Telegram asks (RetryAfter)."""
    kwargs = {"chat_id": update.effective_chat.id, "text": text,
              "parse_mode": ParseMode.HTML if parse_html else None,
              "link_preview_options": NO_PREVIEW, "reply_markup": reply_markup}
    try:
        return await context.bot.send_message(**kwargs)
    except RetryAfter as exc:
        await asyncio.sleep(retry_after_seconds(exc) + 0.1)
        return await context.bot.send_message(**kwargs)


async def _edit_or_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                         reply_markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=reply_markup,
                                      link_preview_options=NO_PREVIEW)
    except TelegramError:  # message too old / unchanged: say it in a new message
        await reply(update, context, text, reply_markup=reply_markup)


async def _subscriber(update: Update, context: ContextTypes.DEFAULT_TYPE) -> dict | None:
    db, _ = _deps(context)
    sub = subs.get(db, update.effective_chat.id)
    if sub is None:
        await reply(update, context, i18n.t(_lang_of(update, context), "not_subscribed"))
    return sub


async def skip_handled_updates(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: drop an update handled before a restart (persisted update_id)."""
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
    if status == "new":
        text = i18n.t(lang, "welcome", lang=i18n.lang_name(lang), mode=describe_mode(sub, lang),
                      topics=describe_topics(sub, lang))
    else:
        text = i18n.t(lang, "welcome_back" if status == "revived" else "already")
    await reply(update, context, text)


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
    if args and args[0] == "digest":
        values = {"mode": "digest"}
        if len(args) > 1 and args[1].split(":")[0].isdigit() and int(args[1].split(":")[0]) < 24:
            values["digest_hour"] = int(args[1].split(":")[0])
        sub = subs.update_settings(db, sub["chat_id"], **values)
        if "digest_hour" in values:
            await reply(update, context, i18n.t(lang, "mode_set", mode=describe_mode(sub, lang)))
        else:
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
    context.chat_data["awaiting_topics"] = True
    await reply(update, context, i18n.t(lang, "topics_prompt", topics=describe_topics(sub, lang)),
                reply_markup=topics_keyboard(sub["topics"], lang))


async def topics_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message right after /topics: keywords, comma separated."""
    if not context.chat_data.pop("awaiting_topics", False):
        return
    db, _ = _deps(context)
    sub = subs.get(db, update.effective_chat.id)
    if sub is None:
        return
    lang = sub["lang"]
    sub = subs.update_settings(db, sub["chat_id"], topics=topics.merge(
        sub["topics"], topics.parse_topics(update.effective_message.text or "")))
    await reply(update, context, i18n.t(lang, "topics_set", topics=describe_topics(sub, lang)))


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, config = _deps(context)
    lang = _lang_of(update, context)
    ids = ledger.latest_paper_ids(db, lang=lang, limit=config.telegram.latest_count)
    views = [v for v in (paper_view(db, i, lang) for i in ids) if v is not None]
    if not views:
        await reply(update, context, i18n.t(lang, "latest_none"))
        return
    header_html = i18n.t(lang, "latest_header")
    header = render.raw_html(header_html)
    for part in render.render_digest(views, labels(lang), header=header):
        await reply(update, context, part.html)


async def paper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = _deps(context)
    lang = _lang_of(update, context)
    arxiv_id = parse_paper_arg(" ".join(context.args or []))
    if arxiv_id is None:
        await reply(update, context, i18n.t(lang, "paper_usage"))
        return
    view = paper_view(db, arxiv_id, lang)
    if view is None:
        await reply(update, context, i18n.t(lang, "paper_not_found", arxiv_id=arxiv_id,
                                            url=render.paper_links(arxiv_id)["arXiv"]))
        return
    if view.summary is None:
        await reply(update, context, i18n.t(lang, "paper_no_summary"))
        other = paper_view(db, arxiv_id, "en")
        if other is not None and other.summary is not None:
            view = other
    await reply(update, context, render.render_paper(view, labels(lang)).html)


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
    elif kind == "mode" and value == "instant":
        sub = subs.update_settings(db, sub["chat_id"], mode="instant")
        await _edit_or_reply(update, context, i18n.t(lang, "mode_set",
                                                     mode=describe_mode(sub, lang)))
    elif kind == "mode" and value == "digest":
        subs.update_settings(db, sub["chat_id"], mode="digest")
        await _edit_or_reply(update, context, i18n.t(lang, "hour_prompt", tz=sub["tz"]),
                             hour_keyboard())
    elif kind == "hour" and value.isdigit() and int(value) < 24:
        sub = subs.update_settings(db, sub["chat_id"], mode="digest", digest_hour=int(value))
        await _edit_or_reply(update, context, i18n.t(lang, "mode_set",
                                                     mode=describe_mode(sub, lang))
                             + "\n" + i18n.t(lang, "tz_prompt", tz=sub["tz"]), tz_keyboard())
    elif kind == "tz" and valid_tz(value):
        subs.update_settings(db, sub["chat_id"], tz=valid_tz(value))
        await _edit_or_reply(update, context, i18n.t(lang, "tz_set", tz=valid_tz(value)))
    elif kind == "topic":
        sub = subs.update_settings(db, sub["chat_id"],
                                   topics=topics.toggle(sub["topics"], topics.normalize(value)))
        await _edit_or_reply(update, context,
                             i18n.t(lang, "topics_prompt", topics=describe_topics(sub, lang)),
                             topics_keyboard(sub["topics"], lang))
    elif kind == "topics" and value == "clear":
        sub = subs.update_settings(db, sub["chat_id"], topics=[])
        await _edit_or_reply(update, context,
                             i18n.t(lang, "topics_prompt", topics=describe_topics(sub, lang)),
                             topics_keyboard(sub["topics"], lang))
    elif kind == "topics" and value == "done":
        context.chat_data.pop("awaiting_topics", None)
        await _edit_or_reply(update, context,
                             i18n.t(lang, "topics_set", topics=describe_topics(sub, lang)))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update: %s", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id,
                                           i18n.t(_lang_of(update, context), "error"),
                                           parse_mode=ParseMode.HTML)
        except Exception:  # noqa: BLE001 - nothing more to do
            log.debug("could not report the error to the chat")
