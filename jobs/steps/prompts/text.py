"""Plain text out of third-party or model text: markup stripped, only arXiv links and the
mentioning posts' own URLs kept (:func:`is_allowed_url`), length bounded (:func:`truncate`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.render.text import truncate  # noqa: F401 (re-exported: the prompts' one cutter)

INLINE_SPACE = re.compile(r"[ \t\r\f\v]+")
URL_PATTERN = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"'`\[\](){}]+", re.I)
_TRAILING = ".,;:!?)]}>'\"»」』】。，、！？；：）"
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_MD_MARKS = re.compile(r"(\*\*|__|~~|`+|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
_LINE_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*•·]\s+|\d+[.)]\s+)")


def _norm_url(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.netloc.lower().removeprefix('www.')}{path}{query}"


def is_allowed_url(url: str, allowed: set[str]) -> bool:
    """arXiv links and the mentioning posts' own URLs are allowed; nothing else."""
    candidate = url if "://" in url else "http://" + url
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        return True
    return _norm_url(candidate) in {_norm_url(u) for u in allowed}


def strip_links(text: str, allowed: set[str]) -> str:
    def repl(m: re.Match) -> str:
        url = m.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            tail = url[-1] + tail
            url = url[:-1]
        return (url if is_allowed_url(url, allowed) else "") + tail

    return URL_PATTERN.sub(repl, text)


def plain_text(text: str, allowed: set[str]) -> str:
    """One field as plain text: markup removed, foreign links removed, whitespace tidy."""
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}".strip(), text or "")
    text = _HTML_TAG.sub(" ", text)
    text = _HTML_ENTITY.sub(" ", text)
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    lines = [_LINE_PREFIX.sub("", line) for line in text.splitlines()]
    text = " ".join(line.strip() for line in lines if line.strip())
    text = strip_links(text, allowed)
    text = _MD_MARKS.sub("", text)
    text = INLINE_SPACE.sub(" ", text)
    # what a removed link leaves behind: "visit ." / "( )" / "at :"
    text = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", "", text)
    text = re.sub(r"\s+([.,;:!?。，、！？])", r"\1", text)
    return INLINE_SPACE.sub(" ", text).strip()
