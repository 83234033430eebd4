"""Build the python-telegram-bot Application (no I/O here or at import).

The service hosts it in its own asyncio loop, started by hand::

    app = build_application(config=config, token=token, db=db)
    await start_bot(app)          # initialize, set command menus, start, start_polling
    ...
    await stop_bot(app)           # updater.stop, stop, shutdown

``run_polling`` is never used: it owns the loop and the signals.
"""

from __future__ import annotations

import logging

import sqlite_utils
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import conversation, groups, handlers, i18n, reader_commands
from bot.transport import http_request, pool_size, rate_limiter
from jobs.config import Config

log = logging.getLogger("paperbot.bot")

USER_COMMANDS = ("start", "stop", "lang", "mode", "tz", "topics", "latest", "paper", "top",
                 "saved", "bib", "follow", "exclude", "sources", "settings", "cancel", "help")
ADMIN_COMMANDS = ("status", "crawl")


def build_application(*, config: Config, token: str, db: sqlite_utils.Database) -> Application:
    """The bot with every handler registered; ``bot_data`` holds ``db`` and ``config``."""
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.telegram.api_base_url)
        .base_file_url(config.telegram.api_base_file_url)
        .rate_limiter(rate_limiter(config))
        .request(http_request(pool_size=pool_size(config)))
        .get_updates_request(http_request(pool_size=1))
        .build()
    )
    app.bot_data["db"] = db
    app.bot_data["config"] = config
    app.add_handler(TypeHandler(object, handlers.skip_handled_updates), group=-3)
    # in a group, only its administrators change it (before anything acts on a command)
    app.add_handler(TypeHandler(Update, groups.group_admin_guard), group=-2)
    # any command but /cancel ends a "waiting for your text" state before it is handled
    app.add_handler(MessageHandler(filters.COMMAND & ~filters.Regex(r"^/cancel(?:@\w+)?(?:\s|$)"),
                                   conversation.end_on_command), group=-1)
    commands = {
        "start": handlers.start, "stop": handlers.stop, "help": handlers.help_cmd,
        "lang": handlers.lang_cmd, "mode": handlers.mode_cmd, "tz": handlers.tz_cmd,
        "topics": handlers.topics_cmd, "latest": handlers.latest, "paper": handlers.paper,
        "sources": handlers.sources, "settings": handlers.settings,
        "cancel": handlers.cancel, "status": handlers.status, "crawl": handlers.crawl,
        "top": reader_commands.top, "saved": reader_commands.saved, "bib": reader_commands.bib,
        "follow": reader_commands.follow, "exclude": reader_commands.exclude,
    }
    for name, fn in commands.items():
        app.add_handler(CommandHandler(name, fn))
    app.add_handler(CallbackQueryHandler(reader_commands.feedback_button, pattern=r"^fb:"))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.free_text))
    app.add_error_handler(handlers.on_error)
    return app


def command_menu(lang: str, names: tuple[str, ...] = USER_COMMANDS) -> list[BotCommand]:
    return [BotCommand(name, i18n.raw(lang, f"cmd_{name}")) for name in names]


async def set_commands(app: Application, *, config: Config) -> None:
    """Command menus per language (setMyCommands with language_code) and, for admin chats,
    the admin commands too."""
    bot = app.bot
    await bot.set_my_commands(command_menu("en"), scope=BotCommandScopeDefault())
    for lang in handlers.ui_langs(config):
        await bot.set_my_commands(command_menu(lang), scope=BotCommandScopeDefault(),
                                  language_code=lang)
    for chat_id in config.telegram.admin_chat_ids:
        try:
            await bot.set_my_commands(command_menu("en", USER_COMMANDS + ADMIN_COMMANDS),
                                      scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:  # the admin never talked to the bot yet
            log.warning("admin command menu for %s not set: %s", chat_id, exc)


async def start_bot(app: Application, *, poll_timeout: float = 10.0,
                    set_menus: bool = True) -> None:
    """initialize → command menus → start → updater.start_polling (the service's way)."""
    await app.initialize()
    if set_menus:
        try:
            await set_commands(app, config=app.bot_data["config"])
        except TelegramError as exc:
            log.warning("could not set command menus: %s", exc)
    await app.start()
    await app.updater.start_polling(timeout=int(poll_timeout), poll_interval=0.0,
                                    allowed_updates=["message", "callback_query"])


async def stop_bot(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
