"""What a reader tells paperbot, and what they get back from it: the 👍 / 👎 / 🔖 buttons,
/top (the most discussed papers of a week or month), /saved, /bib (saved papers as a
BibTeX file), /follow (authors) and /exclude (keywords and categories).

A button press edits only the message's keyboard (``editMessageReplyMarkup``) to show
the new state, and answers the press with a short note; the message is never resent.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import bibtex, i18n, render
from bot.chat import deps, lang_of, reply, subscriber
from bot.keyboards import describe_list
from bot.paper_commands import send_list
from bot.profile import (
    MAX_EXCLUDES,
    add_items,
    apply_vote,
    clean_names,
    normalize_author,
    remove_items,
    vote_terms,
)
from bot.topics import matching, parse_topics
from jobs.steps import personalize
from jobs.steps.deliver import paper_view
from jobs.store import curators as cstore
from jobs.store import feedback as fstore
from jobs.store import subscribers as subs

log = logging.getLogger("paperbot.bot")

PERIODS = {"week": 7, "month": 30}
TOP_SIZE = 10
SAVED_SHOWN = 20


def period_days(args: list[str]) -> int | None:
    """/top's argument → days (``week`` when none); None when unknown."""
    word = (args[0].lower() if args else "week").strip()
    aliases = {"w": "week", "7": "week", "m": "month", "30": "month"}
    return PERIODS.get(aliases.get(word, word))


def _since(days: int) -> str:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


async def top(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = deps(context)
    lang = lang_of(update, context)
    days = period_days(context.args or [])
    if days is None:
        await reply(update, context, i18n.t(lang, "top_usage"))
        return
    ids = [r["arxiv_id"] for r in cstore.most_discussed(db, since=_since(days), limit=TOP_SIZE)]
    header = i18n.t(lang, "top_header_week" if days == 7 else "top_header_month")
    if not ids or not await send_list(update, context, ids, header):
        await reply(update, context, i18n.t(lang, "top_none", days=days))


async def saved(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = deps(context)
    sub = await subscriber(update, context)
    if sub is None:
        return
    lang = sub["lang"]
    total = fstore.saved_count(db, sub["chat_id"])
    if not total:
        await reply(update, context, i18n.t(lang, "saved_none"))
        return
    pieces: list[render.Piece] = []
    for i, p in enumerate(fstore.saved_papers(db, sub["chat_id"], limit=SAVED_SHOWN), 1):
        url = render.paper_links(p["arxiv_id"])["arXiv"]
        title = render.clip(p["title"] or p["arxiv_id"], 200)
        pieces += [render.text(f"\n{i}. "), render.link(title, url),
                   render.text(f" ({p['arxiv_id']})")]
    text = i18n.t(lang, "saved_header", count=total) + render.concat(pieces).html
    if total > SAVED_SHOWN:
        text += "\n" + i18n.t(lang, "saved_more", count=total - SAVED_SHOWN)
    await reply(update, context, text)


async def bib(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = deps(context)
    sub = await subscriber(update, context)
    if sub is None:
        return
    papers = fstore.saved_papers(db, sub["chat_id"])
    if not papers:
        await reply(update, context, i18n.t(sub["lang"], "saved_none"))
        return
    data = bibtex.bibliography(papers).encode("utf-8")
    await context.bot.send_document(
        chat_id=sub["chat_id"], document=InputFile(data, filename="paperbot-saved.bib"),
        caption=i18n.t(sub["lang"], "bib_caption", count=len(papers)), parse_mode="HTML")


def _edit_list(current: list[str], text: str, parse, key) -> list[str] | None:
    """``clear`` → []; ``-x`` → without x; ``x`` → with x; "" → None (just show)."""
    text = text.strip()
    if not text:
        return None
    if text.lower() in ("clear", "none", "-"):
        return []
    if text.startswith("-"):
        return remove_items(current, parse(text[1:]), key=key)
    return add_items(current, parse(text), key=key, limit=MAX_EXCLUDES)


async def _edit_list_setting(update: Update, context: ContextTypes.DEFAULT_TYPE, *, field: str,
                             parse, key, command: str, arg: str, empty: str) -> None:
    """``/follow`` and ``/exclude``: edit a list setting from the command's words, then say
    what it holds (``<command>_usage`` with no words, ``<command>_set`` after a change)."""
    db, _ = deps(context)
    sub = await subscriber(update, context)
    if sub is None:
        return
    lang = sub["lang"]
    changed = _edit_list(sub[field], " ".join(context.args or []), parse, key)
    if changed is not None:
        sub = subs.update_settings(db, sub["chat_id"], **{field: changed})
    text = i18n.t(lang, f"{command}_{'usage' if changed is None else 'set'}",
                  **{arg: describe_list(sub[field], lang, empty)})
    await reply(update, context, text)


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _edit_list_setting(update, context, field="follows", parse=clean_names,
                             key=normalize_author, command="follow", arg="authors", empty="nobody")


async def exclude(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _edit_list_setting(update, context, field="excludes", parse=parse_topics,
                             key=str.casefold, command="exclude", arg="keywords", empty="nothing")


# ------------------------------------------------------------------ the buttons
def _vote(db, sub: dict, view: render.PaperView, action: str) -> tuple[int, str]:
    """Record a 👍 / 👎 press (a second press on the same button takes the vote back);
    the new vote and what the note says it lowered."""
    old = fstore.state(db, sub["chat_id"], [view.arxiv_id]).get(view.arxiv_id, (0, False))[0]
    new = 1 if action == "up" else -1
    if old == new:
        new = 0
    facts = personalize.facts_of(view)
    keywords = [t for t in matching(sub["topics"], categories=facts.categories, text=facts.text)]
    weights = apply_vote(sub["weights"], vote_terms(facts, keywords), old=old, new=new)
    fstore.record_vote(db, sub["chat_id"], view.arxiv_id, vote=new, weights=weights)
    lowered = ", ".join([*view.categories[:1], *keywords[:2]]) or (view.title or "")[:60]
    return new, lowered


async def feedback_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    db, _ = deps(context)
    query = update.callback_query
    parsed = render.parse_callback(query.data)
    chat_id = update.effective_chat.id
    sub = subs.get(db, chat_id)
    lang = lang_of(update, context)
    if parsed is None or sub is None:
        await query.answer(i18n.raw(lang, "not_subscribed"))
        return
    action, arxiv_id = parsed
    view = paper_view(db, arxiv_id, lang)
    if view is None:
        await query.answer(i18n.raw(lang, "fb_unknown"))
        return
    if action == "save":
        note = i18n.raw(lang, "fb_saved" if fstore.toggle_saved(db, chat_id, arxiv_id)
                        else "fb_unsaved")
    else:
        vote, lowered = _vote(db, sub, view, action)
        note = (i18n.raw(lang, "fb_undone") if vote == 0 else i18n.raw(lang, "fb_up") if vote > 0
                else i18n.raw(lang, "fb_down").format(what=lowered))
    await query.answer(note)
    shown = getattr(query.message, "reply_markup", None)
    ids, numbered = render.markup_ids(shown)
    ids = ids or [arxiv_id]
    markup = render.feedback_markup(ids, personalize.button_state(db, chat_id, ids),
                                    numbered=numbered)
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:  # not modified, or the message is gone: the vote counts anyway
        log.info("feedback keyboard in chat %s not edited: %s", chat_id, exc)
