"""Telegram message rendering (pure): paper view dicts in, HTML messages out.

Every message is assembled from :class:`Piece` objects that escape their text, so no
blog or paper text can become markup (``<script>``, ``&`` and a stray ``<`` arrive as
text). Each piece also knows its *visible* text (what Telegram counts after parsing
entities) and a plain-text form (used when Telegram rejects the HTML and we resend as
plain text). Limits are checked on the visible text in UTF-16 code units, as
Telegram counts them, so a message never exceeds 4096 characters after entity
parsing; a digest is split between papers, never inside an entity.

Link previews: messages are sent with previews disabled (one policy): a message links
to several pages (arXiv, PDF, Hugging Face, alphaXiv, the blog posts), and a preview
card of the first link would repeat the title and abstract and bury the summary.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

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
    href = html.escape(url, quote=True)
    return Piece(f'<a href="{href}">{html.escape(label, quote=False)}</a>', label,
                 f"{label} ({url})")


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
    """One message: HTML to send, its visible text, a plain-text fallback; and what it
    takes to render it again (an edit when a summary arrives): its ``layout`` (``paper``:
    one paper in full, ``list``: /latest or a digest), the list ``header`` it opens with,
    the language, and the papers shown with the fallback layout (``waiting``)."""

    html: str
    visible: str
    plain: str
    arxiv_ids: tuple[str, ...] = ()
    layout: str = "paper"
    header: str | None = None
    lang: str | None = None
    waiting: tuple[str, ...] = ()

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


def _oneline(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def _para(s: str | None) -> str:
    s = re.sub(r"[ \t\r\f\v]+", " ", s or "")
    return re.sub(r"\n\s*\n+", "\n\n", s).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z0-9\"'(\[가-힣\u3040-\u30ff\u4e00-\u9fffА-ЯЁ])")


def first_sentences(text: str | None, n: int = 2, limit: int = 400) -> str:
    """The first ``n`` sentences of ``text``, at most ``limit`` characters (cut at a word)."""
    text = _oneline(text)
    if not text:
        return ""
    out = ""
    for s in _SENTENCE_END.split(text)[:n]:
        if out and len(out) + len(s) + 1 > limit:
            break
        out = f"{out} {s}".strip()
    if len(out) <= limit:
        return out
    cut = out[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


_BARE_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\barxiv\.org/)[^\s<>\"']*", re.I)


def _without_urls(s: str) -> str:
    s = _BARE_URL.sub(" ", s)
    s = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", " ", s)  # what a removed link leaves behind
    return re.sub(r"\s+", " ", s).strip(" -–—|:;,")


def blog_words(mention: Mapping[str, Any], paper_title: str | None = None) -> str:
    """What a blog said about the paper, for quoting: its own text (for a table row, the
    description cell), else the entry title it gave the paper when that is not just the
    paper's title; never a bare URL."""
    words = _without_urls(_oneline(mention.get("text")))
    if not words:
        entry = _without_urls(_oneline(mention.get("entry_title")))
        if entry and entry.casefold() != _oneline(paper_title).casefold():
            words = entry
    return words if any(ch.isalpha() for ch in words) else ""


def is_good(summary: Mapping[str, Any] | None) -> bool:
    """A summary shown as a summary: model-written and in the reader's language (a
    fallback, or a summary flagged for its language, gets the fallback layout)."""
    return bool(summary) and not summary.get("is_fallback") and bool(summary.get("lang_ok", 1))


def short_authors(authors: Sequence[str] | None, max_names: int = 3) -> str:
    names = [a.strip() for a in (authors or []) if a and a.strip()]
    if len(names) <= max_names:
        return ", ".join(names)
    return ", ".join(names[:max_names]) + " et al."


def hashtag(category: str) -> str:
    return "#" + re.sub(r"[^0-9A-Za-z_]", "_", category)


def paper_links(arxiv_id: str) -> dict[str, str]:
    return {
        "arXiv": f"https://arxiv.org/abs/{arxiv_id}",
        "PDF": f"https://arxiv.org/pdf/{arxiv_id}",
        "Hugging Face": f"https://huggingface.co/papers/{arxiv_id}",
        "alphaXiv": f"https://www.alphaxiv.org/abs/{arxiv_id}",
    }


@dataclass(frozen=True)
class Limits:
    """Maximum visible characters per field; shrunk until the message fits."""

    title: int = 300
    tldr: int = 700
    key_point: int = 280
    key_points: int = 5
    blogs_said: int = 900
    mention_text: int = 300
    mentions: int = 4
    categories: int = 6

    def scaled(self, f: float) -> Limits:
        return Limits(
            title=max(40, int(self.title * f)), tldr=max(40, int(self.tldr * f)),
            key_point=max(30, int(self.key_point * f)), key_points=max(1, int(self.key_points * f)),
            blogs_said=max(0, int(self.blogs_said * f)),
            mention_text=max(0, int(self.mention_text * f)),
            mentions=max(1, int(self.mentions * f)), categories=max(1, int(self.categories * f)),
        )


@dataclass(frozen=True)
class Labels:
    tldr: str = "TL;DR"
    key_points: str = "Key points"
    blogs_said: str = "What the blogs said"
    via: str = "via"
    abstract: str = "Abstract (English)"
    pending: str = "The summary in your language is being written; this message will update."

    @classmethod
    def from_catalog(cls, get: Any) -> Labels:
        """``get(key) -> str`` for label_* keys (e.g. ``lambda k: bot.i18n.raw(lang, k)``)."""
        return cls(get("label_tldr"), get("label_key_points"), get("label_blogs_said"),
                   get("label_via"), get("label_abstract"), get("label_pending"))


@dataclass(frozen=True)
class PaperView:
    """What a paper message shows. ``summary`` is a best_summary() dict or None; without
    a good one (see :func:`is_good`) the message has the fallback layout: title, authors,
    the abstract's first sentences (English), the blogs' own words. ``pending``: a summary
    is being written (the message says it will update)."""

    arxiv_id: str
    title: str | None = None
    authors: Sequence[str] = ()
    categories: Sequence[str] = ()
    summary: Mapping[str, Any] | None = None
    mentions: Sequence[Mapping[str, Any]] = field(default_factory=tuple)  # source, post_url, post_title, text
    abstract: str | None = None
    lang: str | None = None
    pending: bool = False

    @property
    def good(self) -> bool:
        return is_good(self.summary)


def _title_line(view: PaperView, lim: Limits) -> list[Piece]:
    links = paper_links(view.arxiv_id)
    s = view.summary if view.good else {}
    original = _oneline(view.title) or _oneline((view.summary or {}).get("title")) or view.arxiv_id
    out = [bold(link(clip(original, lim.title), links["arXiv"]))]
    translated = _oneline(s.get("title"))
    if translated and translated.casefold() != original.casefold():
        out += [text("\n"), italic(clip(translated, lim.title))]
    return out


def _links_line(arxiv_id: str) -> Piece:
    return concat([link(k, v) for k, v in paper_links(arxiv_id).items()], " · ")


def _tags(view: PaperView, lim: Limits) -> list[Piece]:
    cats = [c for c in view.categories if c][: lim.categories]
    return [text("\n" + " ".join(hashtag(c) for c in cats))] if cats else []


def _via(view: PaperView, labels: Labels, lim: Limits) -> list[Piece]:
    posts = [m for m in view.mentions if m.get("post_url")][: lim.mentions]
    if not posts:
        return []
    items = [link(_oneline(m.get("source")) or "blog", m["post_url"]) for m in posts]
    return [text(f"\n{labels.via}: "), concat(items, ", ")]


def _quotes(view: PaperView, lim: Limits) -> list[Piece]:
    """``— <post title>: the blog's words`` per blog post."""
    parts: list[Piece] = []
    for m in [m for m in view.mentions if m.get("post_url")][: lim.mentions]:
        label = _oneline(m.get("post_title")) or _oneline(m.get("source")) or "blog"
        parts += [text("\n— "), link(clip(label, 120), m["post_url"])]
        words = blog_words(m, view.title)
        if words and lim.mention_text:
            parts.append(text(": " + clip(words, lim.mention_text)))
    return parts


def _lead(view: PaperView) -> str:
    """The fallback's stand-in for a TL;DR: the abstract's first sentences (English), else
    what a stored fallback summary has."""
    lead = first_sentences(view.abstract)
    if not lead and view.summary and view.summary.get("is_fallback"):
        lead = _para(view.summary.get("tldr"))
    return lead


def _fallback_piece(view: PaperView, labels: Labels, lim: Limits, compact: bool) -> Piece:
    parts: list[Piece] = _title_line(view, lim)
    authors = short_authors(view.authors)
    if authors and not compact:
        parts.append(text("\n" + clip(authors, 200)))
    lead = _lead(view)
    if lead:
        parts += [text("\n" if compact else "\n\n"), bold(labels.abstract + ":"),
                  text(" " + clip(lead, lim.tldr))]
    if compact:
        said = next((w for w in (blog_words(m, view.title) for m in view.mentions) if w), "")
        if said and lim.mention_text:
            parts.append(text("\n“" + clip(said, max(40, lim.mention_text // 2)) + "”"))
    else:
        quotes = _quotes(view, lim)
        if quotes:
            parts += [text("\n\n"), bold(labels.blogs_said), *quotes]
    if view.pending and labels.pending and not compact:  # a list says it once, in its header
        parts += [text("\n\n"), italic(labels.pending)]
    parts += [text("\n\n" if not compact else "\n"), _links_line(view.arxiv_id)]
    if compact:
        parts += _via(view, labels, lim)
    parts += _tags(view, lim)
    return concat(parts)


def paper_piece(view: PaperView, labels: Labels, lim: Limits, *, compact: bool = False) -> Piece:
    if not view.good:
        return _fallback_piece(view, labels, lim, compact)
    s = view.summary or {}
    parts: list[Piece] = _title_line(view, lim)
    authors = short_authors(view.authors)
    if authors and not compact:
        parts.append(text("\n" + clip(authors, 200)))
    tldr = _para(s.get("tldr"))
    if tldr:
        parts += [text("\n\n"), bold(labels.tldr + ":"), text(" " + clip(tldr, lim.tldr))]
    points = [_oneline(p) for p in (s.get("key_points") or []) if _oneline(p)]
    if points and not compact:
        parts += [text("\n\n"), bold(labels.key_points)]
        for p in points[: lim.key_points]:
            parts.append(text("\n• " + clip(p, lim.key_point)))
    if not compact:
        said = _para(s.get("blogs_said"))
        quotes = _quotes(view, lim)
        if (said and lim.blogs_said) or quotes:
            parts += [text("\n\n"), bold(labels.blogs_said)]
            if said and lim.blogs_said:
                parts.append(text("\n" + clip(said, lim.blogs_said)))
            parts += quotes
    parts += [text("\n\n" if not compact else "\n"), _links_line(view.arxiv_id)]
    if compact:
        parts += _via(view, labels, lim)
    parts += _tags(view, lim)
    return concat(parts)


def render_paper(view: PaperView, labels: Labels = Labels(), *, compact: bool = False,
                 limit: int = MAX_MESSAGE, limits: Limits = Limits()) -> Message:
    """One paper as one message of at most ``limit`` visible characters."""
    meta = {"lang": view.lang, "waiting": () if view.good else (view.arxiv_id,)}
    lim = limits
    for _ in range(12):
        msg = message(paper_piece(view, labels, lim, compact=compact), [view.arxiv_id], **meta)
        if msg.length <= limit:
            return msg
        lim = lim.scaled(0.6)
    # Pathological input (e.g. hundreds of categories): keep only title, TL;DR and links.
    bare = replace(view, mentions=(), categories=(), authors=())
    return message(paper_piece(bare, labels, lim, compact=True), [view.arxiv_id], **meta)


def render_digest(views: Sequence[PaperView], labels: Labels = Labels(), *,
                  header: Piece | None = None, limit: int = MAX_MESSAGE,
                  limits: Limits = Limits()) -> list[Message]:
    """Papers packed into as few messages as fit; each paper whole in exactly one message."""
    sep = text("\n\n")
    head_len = utf16_len(header.visible) + 2 if header else 0
    lang = next((v.lang for v in views if v.lang), None)
    messages: list[Message] = []
    current: list[Piece] = [header] if header else []
    ids: list[str] = []
    waiting: list[str] = []
    used = utf16_len(header.visible) if header else 0

    def close() -> None:
        messages.append(message(concat(current), ids, layout="list", lang=lang,
                                header=header.html if header and not messages else None,
                                waiting=tuple(waiting)))

    for view in views:
        block = render_paper(view, labels, compact=True, limit=limit - head_len, limits=limits)
        blen = utf16_len(block.visible)
        extra = blen + (2 if current else 0)
        if ids and used + extra > limit:
            close()
            current, ids, waiting, used, extra = [], [], [], 0, blen
        if current:
            current.append(sep)
        current.append(Piece(block.html, block.visible, block.plain))
        ids.append(view.arxiv_id)
        waiting += block.waiting
        used += extra
    if ids:
        close()
    return messages


def render_list(views: Sequence[PaperView], labels: Labels = Labels(), *,
                header: Piece | None = None, limit: int = MAX_MESSAGE) -> Message | None:
    """The papers of one list message rendered again (an edit): in one message, fields
    shortened as needed; None when even that does not fit."""
    for f in (1.0, 0.8, 0.6, 0.45, 0.3, 0.2):
        parts = render_digest(views, labels, header=header, limit=limit,
                              limits=Limits().scaled(f))
        if len(parts) == 1:
            return parts[0]
    return None


def plain_summary_line(view: PaperView) -> str:
    """A short plain-text line for admin output and logs."""
    return f"{view.arxiv_id} {_oneline(view.title)[:80]}"
