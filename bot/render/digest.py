"""Lists of papers (pure): a digest or /latest packed into as few messages as fit, each
paper whole in exactly one message and numbered like its row of feedback buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .buttons import Feedback, feedback_markup
from .paper import LABELS, LIMITS, Labels, Limits, PaperView, render_paper
from .pieces import MAX_MESSAGE, Message, Piece, concat, message, text, utf16_len


def render_digest(views: Sequence[PaperView], labels: Labels = LABELS, *,
                  header: Piece | None = None, limit: int = MAX_MESSAGE,
                  limits: Limits = LIMITS, buttons: bool = True,
                  state: Mapping[str, Feedback] | None = None) -> list[Message]:
    """Papers packed into as few messages as fit; each paper whole in exactly one message.
    ``buttons``: each message gets a numbered row of feedback buttons per paper (state
    from ``state``)."""
    sep = text("\n\n")
    head_len = utf16_len(header.visible) + 2 if header else 0
    lang = next((v.lang for v in views if v.lang), None)
    messages: list[Message] = []
    current: list[Piece] = [header] if header else []
    ids: list[str] = []
    waiting: list[str] = []
    used = utf16_len(header.visible) if header else 0

    def close() -> None:
        markup = feedback_markup(ids, state, numbered=True) if buttons else None
        messages.append(message(concat(current), ids, layout="list", lang=lang,
                                header=header.html if header and not messages else None,
                                waiting=tuple(waiting), reply_markup=markup))

    for view in views:
        block = render_paper(view, labels, compact=True, limit=limit - head_len - 5,
                             limits=limits)
        blen = utf16_len(block.visible)
        if ids and used + blen + 2 + len(f"{len(ids) + 1}. ") > limit:
            close()
            current, ids, waiting, used = [], [], [], 0
        number = text(f"{len(ids) + 1}. ") if buttons else text("")
        piece = concat([number, Piece(block.html, block.visible, block.plain)])
        used += utf16_len(piece.visible) + (2 if current else 0)
        if current:
            current.append(sep)
        current.append(piece)
        ids.append(view.arxiv_id)
        waiting += block.waiting
    if ids:
        close()
    return messages


def render_list(views: Sequence[PaperView], labels: Labels = LABELS, *,
                header: Piece | None = None, limit: int = MAX_MESSAGE, buttons: bool = True,
                state: Mapping[str, Feedback] | None = None) -> Message | None:
    """The papers of one list message rendered again (an edit): in one message, fields
    shortened as needed; None when even that does not fit."""
    for f in (1.0, 0.8, 0.6, 0.45, 0.3, 0.2):
        parts = render_digest(views, labels, header=header, limit=limit,
                              limits=Limits().scaled(f), buttons=buttons, state=state)
        if len(parts) == 1:
            return parts[0]
    return None
