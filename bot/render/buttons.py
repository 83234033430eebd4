"""The feedback buttons under every paper message (pure): 👍 / 👎 / 🔖.

Callback data is ``fb:<action>:<arxiv id>`` (at most 64 bytes, Telegram's limit: the
longest versionless arXiv ID is far below it). A list message (/latest, a digest) has
one row per paper, numbered like the papers in the text. A press edits only the
keyboard (``editMessageReplyMarkup``) to show the new state; the message is never sent
again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

PREFIX = "fb"
ACTIONS = ("up", "down", "save")
MAX_CALLBACK_BYTES = 64
MAX_ROWS = 33  # 3 buttons a row: Telegram takes at most 100 buttons in a keyboard


class Feedback(NamedTuple):
    vote: int = 0  # 1 👍, -1 👎, 0 none
    saved: bool = False


def callback_data(action: str, arxiv_id: str) -> str:
    data = f"{PREFIX}:{action}:{arxiv_id}"
    if action not in ACTIONS or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"no callback data for {action!r} {arxiv_id!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, str] | None:
    """``fb:up:2401.12345`` → ("up", "2401.12345"); None for any other button."""
    prefix, _, rest = (data or "").partition(":")
    action, _, arxiv_id = rest.partition(":")
    if prefix != PREFIX or action not in ACTIONS or not arxiv_id:
        return None
    return action, arxiv_id


def _row(arxiv_id: str, state: Feedback, number: int | None) -> list[InlineKeyboardButton]:
    n = f"{number} " if number is not None else ""
    labels = {"up": "👍" + ("✓" if state.vote > 0 else ""),
              "down": "👎" + ("✓" if state.vote < 0 else ""),
              "save": "🔖" + ("✓" if state.saved else "")}
    return [InlineKeyboardButton(n + labels[a], callback_data=callback_data(a, arxiv_id))
            for a in ACTIONS]


def feedback_markup(arxiv_ids: Sequence[str], state: Mapping[str, Feedback] | None = None, *,
                    numbered: bool = False) -> InlineKeyboardMarkup | None:
    """One row of buttons per paper (numbered 1, 2, … when ``numbered``)."""
    state = state or {}
    rows = [_row(a, state.get(a, Feedback()), i + 1 if numbered else None)
            for i, a in enumerate(arxiv_ids[:MAX_ROWS])]
    return InlineKeyboardMarkup(rows) if rows else None


def markup_ids(markup: Any) -> tuple[list[str], bool]:
    """The papers a feedback keyboard is about, in order, and whether it is numbered
    (a list message); ([], False) for any other keyboard."""
    ids: list[str] = []
    numbered = False
    for row in getattr(markup, "inline_keyboard", None) or ():
        for button in row:
            parsed = parse_callback(getattr(button, "callback_data", None))
            if parsed and parsed[1] not in ids:
                ids.append(parsed[1])
                numbered = numbered or button.text[:1].isdigit()
    return ids, numbered
