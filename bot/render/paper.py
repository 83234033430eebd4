"""One paper as a Telegram message (pure): the summary layout, the fallback layout, the
curators line ("discussed by N blogs in M languages") and the reader's "why you got
this" line.

Links: only arXiv, the known paper sites (PDF, Hugging Face, alphaXiv) and the blog
posts themselves are ever links or URLs in a message. Everything a blog, arXiv or the
model wrote is *quoted* (:func:`.pieces.quoted`, rules in :mod:`.quoting`).

Link previews: messages are sent with previews disabled (one policy): a message links
to several pages (arXiv, PDF, Hugging Face, alphaXiv, the blog posts), and a preview
card of the first link would repeat the title and abstract and bury the summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .buttons import Feedback, feedback_markup
from .pieces import (
    MAX_MESSAGE,
    Message,
    Piece,
    bold,
    clip,
    concat,
    italic,
    link,
    message,
    quoted,
    text,
)
from .quoting import quoted_label
from .text import (
    _oneline,
    _para,
    blog_words,
    first_sentences,
    hashtag,
    is_good,
    paper_links,
    short_authors,
)


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
    curators: int = 6

    def scaled(self, f: float) -> Limits:
        return Limits(
            title=max(40, int(self.title * f)), tldr=max(40, int(self.tldr * f)),
            key_point=max(30, int(self.key_point * f)), key_points=max(1, int(self.key_points * f)),
            blogs_said=max(0, int(self.blogs_said * f)),
            mention_text=max(0, int(self.mention_text * f)),
            mentions=max(1, int(self.mentions * f)), categories=max(1, int(self.categories * f)),
            curators=max(1, int(self.curators * f)),
        )


@dataclass(frozen=True)
class Labels:
    """Localized labels (plain text; ``{n}``/``{m}``/``{names}``/``{what}`` placeholders)."""

    tldr: str = "TL;DR"
    key_points: str = "Key points"
    blogs_said: str = "What the blogs said"
    via: str = "via"
    abstract: str = "Abstract (English)"
    pending: str = "The summary in your language is being written; this message will update."
    discussed_one: str = "Discussed by 1 blog: {names}"
    discussed_some: str = "Discussed by {n} blogs: {names}"
    discussed_many: str = "Discussed by {n} blogs in {m} languages: {names}"
    why: str = "Why you got this: {what}"
    why_topic: str = "topic {what}"
    why_author: str = "you follow {what}"
    why_curators: str = "discussed by {n} blogs"
    why_everything: str = "you follow every topic"

    @classmethod
    def from_catalog(cls, get: Any) -> Labels:
        """``get(key) -> str`` for label_* keys (e.g. ``lambda k: bot.i18n.raw(lang, k)``)."""
        return cls(*(get(f"label_{f}") for f in cls.__dataclass_fields__))


LABELS, LIMITS = Labels(), Limits()  # the defaults (English labels)


@dataclass(frozen=True)
class Curators:
    """Who discussed a paper: the blogs (source names) and their languages."""

    blogs: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()

    @classmethod
    def from_mentions(cls, mentions: Sequence[Mapping[str, Any]]) -> Curators:
        """Blogs with a primary mention (any mention when none is primary), in order."""
        chosen = [m for m in mentions if m.get("role", "primary") == "primary"] or list(mentions)
        blogs = tuple(dict.fromkeys(_oneline(m.get("source")) for m in chosen if m.get("source")))
        langs = tuple(dict.fromkeys(m["lang"] for m in chosen if m.get("lang")))
        return cls(blogs, langs)

    @property
    def count(self) -> int:
        return len(self.blogs)


@dataclass(frozen=True)
class Why:
    """Why a reader got a paper: the topics and followed authors it matched (none of
    either: they follow everything), and how many blogs discussed it."""

    topics: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    curators: int = 0


@dataclass(frozen=True)
class PaperView:
    """What a paper message shows. ``summary`` is a best_summary() dict or None; without
    a good one (see :func:`is_good`) the message has the fallback layout: title, authors,
    the abstract's first sentences (English), the blogs' own words. ``pending``: a summary
    is being written (the message says it will update). ``why``: the reader's reasons
    (None: no "why" line, e.g. /paper)."""

    arxiv_id: str
    title: str | None = None
    authors: Sequence[str] = ()
    categories: Sequence[str] = ()
    summary: Mapping[str, Any] | None = None
    mentions: Sequence[Mapping[str, Any]] = field(default_factory=tuple)  # source, post_url, post_title, text
    abstract: str | None = None
    lang: str | None = None
    pending: bool = False
    why: Why | None = None

    @property
    def good(self) -> bool:
        return is_good(self.summary)

    @property
    def curators(self) -> Curators:
        return Curators.from_mentions(self.mentions)


def curators_text(c: Curators, labels: Labels, lim: Limits = Limits()) -> str:
    """"Discussed by 3 blogs in 2 languages: a, b, c" ("" for a paper no blog discussed)."""
    if not c.count:
        return ""
    names = ", ".join(c.blogs[: lim.curators]) + (" …" if c.count > lim.curators else "")
    fmt = (labels.discussed_one if c.count == 1 else labels.discussed_some
           if len(c.langs) <= 1 else labels.discussed_many)
    return fmt.format(n=c.count, m=max(1, len(c.langs)), names=names)


def why_text(why: Why, labels: Labels) -> str:
    """"Why you got this: topic cs.CL · you follow Ada Lovelace · discussed by 3 blogs"."""
    parts = [labels.why_topic.format(what=", ".join(why.topics))] if why.topics else []
    if why.authors:
        parts.append(labels.why_author.format(what=", ".join(why.authors)))
    if not parts:
        parts.append(labels.why_everything)
    if why.curators >= 2:
        parts.append(labels.why_curators.format(n=why.curators))
    return labels.why.format(what=" · ".join(parts))


def _title_line(view: PaperView, lim: Limits) -> list[Piece]:
    links = paper_links(view.arxiv_id)
    s = view.summary if view.good else {}
    original = _oneline(view.title) or _oneline((view.summary or {}).get("title")) or view.arxiv_id
    out = [bold(link(quoted_label(clip(original, lim.title)), links["arXiv"]))]
    translated = _oneline(s.get("title"))
    if translated and translated.casefold() != original.casefold():
        out += [text("\n"), italic(quoted(clip(translated, lim.title)))]
    return out


def _post_urls(view: PaperView) -> list[str]:
    return [m["post_url"] for m in view.mentions if m.get("post_url")]


def _links_line(arxiv_id: str) -> Piece:
    return concat([link(k, v) for k, v in paper_links(arxiv_id).items()], " · ")


def _tags(view: PaperView, lim: Limits) -> list[Piece]:
    cats = [c for c in view.categories if c][: lim.categories]
    return [text("\n" + " ".join(hashtag(c) for c in cats))] if cats else []


def _via(view: PaperView, labels: Labels, lim: Limits) -> list[Piece]:
    posts = [m for m in view.mentions if m.get("post_url")][: lim.mentions]
    if not posts:
        return []
    items = [link(quoted_label(_oneline(m.get("source"))) or "blog", m["post_url"])
             for m in posts]
    return [text(f"\n{labels.via}: "), concat(items, ", ")]


def _quotes(view: PaperView, lim: Limits) -> list[Piece]:
    """``— <post title>: the blog's words`` per blog post."""
    parts: list[Piece] = []
    posts = _post_urls(view)
    for m in [m for m in view.mentions if m.get("post_url")][: lim.mentions]:
        label = _oneline(m.get("post_title")) or _oneline(m.get("source")) or "blog"
        parts += [text("\n— "), link(quoted_label(clip(label, 120)) or "blog", m["post_url"])]
        words = blog_words(m, view.title)
        if words and lim.mention_text:
            parts += [text(": "), quoted(clip(words, lim.mention_text), allowed=posts)]
    return parts


def _signal(view: PaperView, labels: Labels, lim: Limits, compact: bool) -> list[Piece]:
    """The curators line (full layout, or a list's paper discussed by several blogs) and
    the reader's "why" line."""
    out: list[Piece] = []
    curators = view.curators
    if curators.count and (not compact or curators.count > 1):
        out += [text("\n💬 "), quoted(curators_text(curators, labels, lim))]
    if view.why is not None:
        out += [text("\n"), italic(quoted(why_text(view.why, labels)))]
    return out


def _lead(view: PaperView) -> str:
    """The fallback's stand-in for a TL;DR: the abstract's first sentences (English), else
    what a stored fallback summary has."""
    lead = first_sentences(view.abstract)
    if not lead and view.summary and view.summary.get("is_fallback"):
        lead = _para(view.summary.get("tldr"))
    return lead


def _fallback_body(view: PaperView, labels: Labels, lim: Limits, compact: bool) -> list[Piece]:
    posts = _post_urls(view)
    parts: list[Piece] = []
    lead = _lead(view)
    if lead:
        parts += [text("\n" if compact else "\n\n"), bold(labels.abstract + ":"),
                  text(" "), quoted(clip(lead, lim.tldr), allowed=posts)]
    if compact:
        said = next((w for w in (blog_words(m, view.title) for m in view.mentions) if w), "")
        if said and lim.mention_text:
            parts += [text("\n“"), quoted(clip(said, max(40, lim.mention_text // 2)),
                                           allowed=posts), text("”")]
    else:
        quotes = _quotes(view, lim)
        if quotes:
            parts += [text("\n\n"), bold(labels.blogs_said), *quotes]
    if view.pending and labels.pending and not compact:  # a list says it once, in its header
        parts += [text("\n\n"), italic(labels.pending)]
    return parts


def _summary_body(view: PaperView, labels: Labels, lim: Limits, compact: bool) -> list[Piece]:
    s = view.summary or {}
    posts = _post_urls(view)

    def q(value: str) -> Piece:
        return quoted(value, allowed=posts)

    parts: list[Piece] = []
    tldr = _para(s.get("tldr"))
    if tldr:
        parts += [text("\n\n"), bold(labels.tldr + ":"), text(" "), q(clip(tldr, lim.tldr))]
    points = [_oneline(p) for p in (s.get("key_points") or []) if _oneline(p)]
    if points and not compact:
        parts += [text("\n\n"), bold(labels.key_points)]
        for p in points[: lim.key_points]:
            parts += [text("\n• "), q(clip(p, lim.key_point))]
    if not compact:
        said = _para(s.get("blogs_said"))
        quotes = _quotes(view, lim)
        if (said and lim.blogs_said) or quotes:
            parts += [text("\n\n"), bold(labels.blogs_said)]
            if said and lim.blogs_said:
                parts += [text("\n"), q(clip(said, lim.blogs_said))]
            parts += quotes
    return parts


def paper_piece(view: PaperView, labels: Labels, lim: Limits, *, compact: bool = False) -> Piece:
    """Everything but the labels and our own links is :func:`.pieces.quoted`."""
    parts: list[Piece] = _title_line(view, lim)
    authors = short_authors(view.authors)
    if authors and not compact:
        parts += [text("\n"), quoted(clip(authors, 200))]
    body = _summary_body if view.good else _fallback_body
    parts += body(view, labels, lim, compact)
    parts += [text("\n\n" if not compact else "\n"), _links_line(view.arxiv_id)]
    if compact:
        parts += _via(view, labels, lim)
    parts += _tags(view, lim)
    parts += _signal(view, labels, lim, compact)
    return concat(parts)


def render_paper(view: PaperView, labels: Labels = Labels(), *, compact: bool = False,
                 limit: int = MAX_MESSAGE, limits: Limits = Limits(), buttons: bool = False,
                 state: Mapping[str, Feedback] | None = None) -> Message:
    """One paper as one message of at most ``limit`` visible characters; ``buttons``:
    with its feedback buttons (state from ``state``)."""
    markup = feedback_markup([view.arxiv_id], state) if buttons else None
    meta = {"lang": view.lang, "waiting": () if view.good else (view.arxiv_id,),
            "reply_markup": markup}
    lim = limits
    for _ in range(12):
        msg = message(paper_piece(view, labels, lim, compact=compact), [view.arxiv_id], **meta)
        if msg.length <= limit:
            return msg
        lim = lim.scaled(0.6)
    # Pathological input (e.g. hundreds of categories): keep only title, TL;DR and links.
    bare = replace(view, mentions=(), categories=(), authors=(), why=None)
    return message(paper_piece(bare, labels, lim, compact=True), [view.arxiv_id], **meta)


def plain_summary_line(view: PaperView) -> str:
    """A short plain-text line for admin output and logs."""
    return f"{view.arxiv_id} {_oneline(view.title)[:80]}"
