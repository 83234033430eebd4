"""Telegram message rendering (pure): paper view dicts in, HTML messages out.

* :mod:`.pieces` — escaped pieces, the message type, UTF-16 limits, quoted text;
* :mod:`.quoting` — others' text made safe: no link but arXiv, the paper sites, the posts;
* :mod:`.text` — one-line text, first sentences, the blogs' words, links of a paper;
* :mod:`.paper` — one paper (summary / fallback layout, curators line, "why" line);
* :mod:`.digest` — lists of papers (digests, /latest) split between papers;
* :mod:`.buttons` — the 👍 / 👎 / 🔖 feedback keyboard and its callback data.

A message never exceeds 4096 characters after entity parsing; a digest is split between
papers, never inside an entity.
"""

from .buttons import Feedback, callback_data, feedback_markup, markup_ids, parse_callback
from .digest import render_digest, render_list
from .paper import (
    Curators,
    Labels,
    Limits,
    PaperView,
    Why,
    curators_text,
    paper_piece,
    plain_summary_line,
    render_paper,
    why_text,
)
from .pieces import (
    MAX_MESSAGE,
    Message,
    Piece,
    bold,
    clip,
    code,
    concat,
    italic,
    link,
    message,
    quote,
    quoted,
    raw_html,
    text,
    utf16_len,
)
from .quoting import is_paper_site, quote_segments, quoted_label
from .text import blog_words, first_sentences, hashtag, is_good, paper_links, short_authors

__all__ = [
    "Curators", "Feedback", "Labels", "Limits", "MAX_MESSAGE", "Message", "PaperView", "Piece",
    "Why", "blog_words", "bold", "callback_data", "clip", "code", "concat", "curators_text",
    "feedback_markup", "first_sentences", "hashtag", "is_good", "is_paper_site", "italic",
    "link", "markup_ids", "message", "paper_links", "paper_piece", "parse_callback",
    "plain_summary_line", "quote", "quote_segments", "quoted", "quoted_label", "raw_html",
    "render_digest", "render_list", "render_paper", "short_authors", "text", "utf16_len",
    "why_text",
]
