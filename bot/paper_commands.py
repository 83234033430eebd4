"""/latest and /paper: answered at once, summaries paid for only when read.

A paper without a good summary in the reader's language is shown with the fallback
layout (title, authors, the abstract's first sentences in English, the blogs' own words)
and a note that the summary is on its way; the summary is written on demand (archived
papers included) and the message is edited when it is ready. Choosing a new language
writes the summaries of that reader's /latest window, nothing more.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.ext import ContextTypes

from bot import i18n, render
from bot.chat import deps, lang_of, reply, summarizer
from crawler.arxiv_ids import parse_arxiv_id
from jobs.steps import personalize
from jobs.steps.deliver import labels, paper_view
from jobs.steps.edits import refresh_message
from jobs.store import fallback_messages as fstore
from jobs.store import summaries as sstore

log = logging.getLogger("paperbot.bot")


def parse_paper_arg(text: str) -> str | None:
    """``2401.12345v2`` / an arXiv, alphaXiv or Hugging Face URL / ``arXiv:…`` → versionless ID."""
    return parse_arxiv_id(text.strip()) if text and text.strip() else None


def _summaries_then_edit(context: ContextTypes.DEFAULT_TYPE, chat_id: int, lang: str,
                         arxiv_ids: Sequence[str], message_ids: Sequence[int]) -> None:
    """In the background: write the missing summaries, then edit the messages (also when
    no summary came: the "on its way" note goes)."""
    db, _ = deps(context)
    writer = summarizer(context)

    async def run() -> None:
        try:
            await writer.on_demand(arxiv_ids, lang)
        finally:
            for message_id in message_ids:
                await refresh_message(db, context.bot, chat_id, message_id)

    context.application.create_task(run(), name=f"paperbot:summaries-{lang}")


def prefetch_window(context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
    """A reader chose ``lang``: write the summaries of their /latest window in it (in the
    background), not the archive's."""
    writer = summarizer(context)
    if writer is None:
        return
    db, config = deps(context)
    ids = sstore.latest_ids(db, limit=config.telegram.latest_count)
    if ids:
        context.application.create_task(writer.on_demand(ids, lang),
                                        name=f"paperbot:window-{lang}")


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, config = deps(context)
    lang = lang_of(update, context)
    ids = sstore.latest_ids(db, limit=config.telegram.latest_count)
    if not await send_list(update, context, ids, i18n.t(lang, "latest_header")):
        await reply(update, context, i18n.t(lang, "latest_none"))


async def send_list(update: Update, context: ContextTypes.DEFAULT_TYPE, arxiv_ids: Sequence[str],
                    header_html: str) -> bool:
    """The papers ``arxiv_ids`` as a list the chat asked for (/latest, /top): numbered,
    with feedback buttons, no "why" lines; missing summaries written on demand and the
    messages edited when ready. False when none of the papers is known."""
    db, _ = deps(context)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    writer = summarizer(context)
    views = [v for v in (paper_view(db, i, lang) for i in arxiv_ids) if v is not None]
    if not views:
        return False
    missing = [v.arxiv_id for v in views if not v.good]
    shown = header_html
    if missing and writer is not None:
        shown += "\n" + render.italic(i18n.raw(lang, "label_pending")).html
    sent: list[int] = []
    for part in personalize.list_messages(db, chat_id, views, labels(lang),
                                          header=render.raw_html(shown), personal=False):
        message = await reply(update, context, part.html, reply_markup=part.reply_markup)
        sent.append(message.message_id)
        # remembered with the plain header: the edit drops the "on its way" note
        kept = dataclasses.replace(part, header=header_html if part.header else None,
                                   layout="list-asked")
        fstore.remember_message(db, chat_id, message.message_id, kept)
    if missing and writer is not None:
        _summaries_then_edit(context, chat_id, lang, missing, sent)
    return True


async def paper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = deps(context)
    lang = lang_of(update, context)
    chat_id = update.effective_chat.id
    arxiv_id = parse_paper_arg(" ".join(context.args or []))
    if arxiv_id is None:
        await reply(update, context, i18n.t(lang, "paper_usage"))
        return
    view = paper_view(db, arxiv_id, lang)
    if view is None:
        await reply(update, context, i18n.t(lang, "paper_not_found", arxiv_id=arxiv_id,
                                            url=render.paper_links(arxiv_id)["arXiv"]))
        return
    writer = summarizer(context)
    pending = not view.good and writer is not None
    msg = personalize.paper_message(db, chat_id, dataclasses.replace(view, pending=pending),
                                    labels(lang), personal=False)
    msg = dataclasses.replace(msg, layout="paper-asked")
    message = await reply(update, context, msg.html, reply_markup=msg.reply_markup)
    fstore.remember_message(db, chat_id, message.message_id, msg)
    if pending:
        _summaries_then_edit(context, chat_id, lang, [arxiv_id], [message.message_id])
