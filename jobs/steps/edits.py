"""Messages sent with the fallback layout are edited in place (``editMessageText``) when
their summaries arrive: never resent, and only within 48 hours of sending.

A message is rendered again from what was remembered when it was sent (see
:mod:`jobs.store.fallback_messages`): its layout, list header, language and papers, with
today's summaries. Papers still without a good summary keep the fallback layout and
keep waiting for a later upgrade.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import sqlite_utils
import telegram
from telegram.constants import ParseMode

from bot import render
from jobs.steps import personalize
from jobs.steps.deliver import (
    NO_PREVIEW,
    Ambiguous,
    FloodWait,
    NotSent,
    classify,
    labels,
    paper_view,
)
from jobs.store import fallback_messages as fstore
from jobs.store import subscribers as subs

log = logging.getLogger("paperbot.edits")


def rerender(db: sqlite_utils.Database, rows: list[dict],
             chat_id: int | None = None) -> render.Message | None:
    """The remembered message ``rows`` rendered with the summaries stored now (for
    ``chat_id``: its "why" lines unless it asked for the message, its buttons' state)."""
    lang = rows[0]["lang"]
    views = [v for v in (paper_view(db, r["arxiv_id"], lang) for r in rows) if v is not None]
    if not views:
        return None
    layout, _, asked = rows[0]["layout"].partition("-")  # 'paper' / 'list' [-asked]
    sub = subs.get(db, chat_id) if chat_id is not None else None
    if layout == "paper":
        return personalize.paper_message(db, chat_id, views[0], labels(lang), sub=sub,
                                         personal=not asked) if sub else render.render_paper(
            views[0], labels(lang))
    header = render.raw_html(rows[0]["header"]) if rows[0]["header"] else None
    buttons = personalize.wants_personal(sub)
    if sub and not asked:
        views = personalize.with_why(sub, views)
    state = personalize.button_state(db, chat_id, [v.arxiv_id for v in views]) if buttons else None
    return render.render_list(views, labels(lang), header=header, buttons=buttons, state=state)


async def refresh_message(db: sqlite_utils.Database, bot: telegram.Bot, chat_id: int,
                          message_id: int) -> bool:
    """Render a remembered message again and edit it if it was sent within the edit
    window. True when Telegram took the edit."""
    rows = fstore.message_rows(db, chat_id, message_id)
    if not rows:
        return False
    if rows[0]["sent_at"] < fstore.window_start():
        fstore.forget(db, chat_id, message_id)
        return False
    msg = rerender(db, rows, chat_id)
    if msg is None:
        fstore.forget(db, chat_id, message_id)
        return False
    for attempt in range(2):
        try:
            await bot.edit_message_text(chat_id=chat_id, message_id=message_id, text=msg.html,
                                        parse_mode=ParseMode.HTML, reply_markup=msg.reply_markup,
                                        link_preview_options=NO_PREVIEW)
        except Exception as exc:  # grouped by what to do next, like sending
            err = classify(exc)
            if "message is not modified" in err.reason.lower():
                break  # it already shows this
            if isinstance(err, FloodWait) and attempt == 0:
                log.warning("flood control on an edit in chat %s: retrying in %.1fs", chat_id,
                            err.after)
                await asyncio.sleep(err.after + 0.1)
                continue
            # transient (and an edit is idempotent, so an ambiguous one too): a later
            # upgrade tries again
            if isinstance(err, FloodWait | NotSent | Ambiguous):
                log.info("edit in chat %s not done (%s)", chat_id, err.reason)
                return False
            log.info("message %s in chat %s cannot be edited (%s): forgotten", message_id,
                     chat_id, err.reason)
            fstore.forget(db, chat_id, message_id)
            return False
        else:
            fstore.settle(db, chat_id, message_id, msg.waiting)
            return True
    fstore.settle(db, chat_id, message_id, msg.waiting)
    return False


async def edit_upgraded(db: sqlite_utils.Database, bot: telegram.Bot,
                        pairs: Iterable[tuple[str, str]]) -> int:
    """Edit every message sent within the edit window that waits for one of the
    (arxiv_id, lang) ``pairs`` just summarized. Returns the messages edited."""
    edited = 0
    for chat_id, message_id in fstore.waiting_messages(db, pairs, since=fstore.window_start()):
        edited += await refresh_message(db, bot, chat_id, message_id)
    if edited:
        log.info("edited %d messages sent with the fallback layout", edited)
    return edited
