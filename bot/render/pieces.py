"""Message pieces (pure): escaped HTML with its visible and plain-text forms.

Every message is assembled from :class:`Piece` objects that escape their text, so no
blog or paper text can become markup (``<script>``, ``&`` and a stray ``<`` arrive as
text). Each piece also knows its *visible* text (what Telegram counts after parsing
entities) and a plain-text form (used when Telegram rejects the HTML and we resend as
plain text). Limits are checked on the visible text in UTF-16 code units, as
Telegram counts them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .quoting import quote_segments

MAX_MESSAGE = 4096


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Piece:
    html: str
    visible: str
    plain: str


def text(s: str) -> Piece:
    return Piece(html.escape(s, quote=False), s, s)


def _wrap(tag: str, pieces: Sequence[Piece], attrs: str = "") -> Piece:
    inner = concat(pieces)
    return Piece(f"<{tag}{attrs}>{inner.html}</{tag}>", inner.visible, inner.plain)


def bold(*pieces: Piece | str) -> Piece:
    return _wrap("b", [_p(p) for p in pieces])


def italic(*pieces: Piece | str) -> Piece:
    return _wrap("i", [_p(p) for p in pieces])


def quote(*pieces: Piece | str) -> Piece:
    return _wrap("blockquote", [_p(p) for p in pieces])


def link(label: str, url: str) -> Piece:
    """A link; only http(s) targets (anything else is shown as the label alone)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return text(label)
    href = html.escape(url, quote=True)
    return Piece(f'<a href="{href}">{html.escape(label, quote=False)}</a>', label,
                 f"{label} ({url})")


def code(s: str, plain: str | None = None) -> Piece:
    return Piece(f"<code>{html.escape(s, quote=False)}</code>", s, s if plain is None else plain)


def quoted(s: str | None, *, allowed: Iterable[str] = ()) -> Piece:
    """Text someone else wrote (a blog, arXiv, the model), safe to show: see
    :func:`.quoting.quote_segments`. A domain is shown in ``<code>``, which Telegram
    never links; the plain-text fallback has no entities, so there it reads evil[.]com."""
    return concat(text(value) if kind == "text" else code(value, plain=plain)
                  for kind, value, plain in quote_segments(s, allowed=allowed))


_TAG = re.compile(r"<[^>]+>")


def raw_html(markup: str, visible: str | None = None, plain: str | None = None) -> Piece:
    """Trusted markup (a catalog string rendered by bot.i18n.t) with its visible text
    (derived from the markup when not given: tags removed, entities decoded)."""
    if visible is None:
        visible = html.unescape(_TAG.sub("", markup))
    return Piece(markup, visible, visible if plain is None else plain)


def _p(p: Piece | str) -> Piece:
    return text(p) if isinstance(p, str) else p


def concat(pieces: Iterable[Piece | str], sep: str = "") -> Piece:
    items = [_p(p) for p in pieces]
    s = text(sep)
    return Piece(
        s.html.join(p.html for p in items),
        s.visible.join(p.visible for p in items),
        s.plain.join(p.plain for p in items),
    )


@dataclass(frozen=True)
class Message:
    """One message: HTML to send, its visible text, a plain-text fallback, its inline
    keyboard (``reply_markup``: the feedback buttons, or None); and what it takes to
    render it again (an edit when a summary arrives): its ``layout`` (``paper``: one
    paper in full, ``list``: /latest or a digest), the list ``header`` it opens with,
    the language, and the papers shown with the fallback layout (``waiting``)."""

    html: str
    visible: str
    plain: str
    arxiv_ids: tuple[str, ...] = ()
    layout: str = "paper"
    header: str | None = None
    lang: str | None = None
    waiting: tuple[str, ...] = ()
    reply_markup: Any = None

    @property
    def length(self) -> int:
        return utf16_len(self.visible.strip())

    @property
    def plain_text(self) -> str:
        """The plain-text fallback, clipped to the message limit."""
        return clip(self.plain.strip(), MAX_MESSAGE)


def message(piece: Piece, arxiv_ids: Sequence[str] = (), **meta: Any) -> Message:
    return Message(piece.html, piece.visible, piece.plain, tuple(arxiv_ids), **meta)


def clip(s: str, limit: int) -> str:
    """``s`` cut to at most ``limit`` UTF-16 units, with an ellipsis when cut."""
    if utf16_len(s) <= limit:
        return s
    out, n = [], 0
    for ch in s:
        w = 2 if ord(ch) > 0xFFFF else 1
        if n + w > limit - 1:
            break
        out.append(ch)
        n += w
    return "".join(out).rstrip() + "…"


