"""Text helpers for messages (pure): one-line and paragraph forms, first sentences,
what a blog said (never a bare URL), author lists, hashtags, a paper's links."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


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
    return truncate(out, limit)


def truncate(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut at a word when one ends in the last
    40 %, then "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
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
