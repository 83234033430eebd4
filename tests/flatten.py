"""Render a post the way mirrors, reposts and text excerpts show it: no headings, no bold,
no lists, no tables — only its text lines (and links).

* :func:`flat_html` — each line a ``<p>`` (or, ``br=True``, all lines in one ``<p>``
  separated by ``<br>``), ``<a href>`` kept: a Telegram-channel mirror / WeChat repost.
* :func:`plain_text` — text lines with bare URLs (``T U`` for a link ``T`` to ``U``; just
  ``U`` when the link text is the URL or a domain): a text excerpt, an e-mail text part.

A table row becomes one line with its cells separated by `` | `` (a table rendered as
text). Block boundaries come from the HTML block elements and ``<br>``.
"""

from __future__ import annotations

import html as H
import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

_BLOCK = frozenset([
    "p", "div", "li", "ul", "ol", "blockquote", "section", "article", "h1", "h2", "h3", "h4", "h5",
    "h6", "tr", "table", "thead", "tbody", "pre", "dt", "dd", "dl", "figure", "figcaption", "hr",
    "header", "footer", "nav", "aside", "main", "details", "summary"])
_DOMAINISH = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?$", re.I)


def text_lines(html: str, *, links: str) -> list[str]:
    """The lines of ``html``; ``links`` = "a" (keep ``<a href>``) or "bare" (URL text)."""
    soup = BeautifulSoup(html, "lxml")
    for t in soup(["script", "style"]):
        t.decompose()
    out: list[str] = []
    cur: list[str] = []

    def flush() -> None:
        s = " | ".join(p for p in ("".join(cur)).split("\t") if p.strip())
        s = " ".join(s.split())
        if s:
            out.append(s)
        cur.clear()

    def walk(node: Tag) -> None:
        for c in node.children:
            if isinstance(c, Comment):
                continue
            if isinstance(c, NavigableString):
                text = str(c)
                if c.find_parent("pre") is not None and "\n" in text:
                    # preformatted text keeps its lines (and tabs); a mirror shows them so
                    for k, part in enumerate(text.split("\n")):
                        if k:
                            flush()
                        cur.append(H.escape(part) if links == "a" else part)
                    continue
                cur.append(H.escape(text) if links == "a" else text)
                continue
            if not isinstance(c, Tag):
                continue
            if c.name == "br":
                flush()
            elif c.name == "a" and c.get("href"):
                start = len(cur)
                walk(c)
                inner = "".join(cur[start:])
                del cur[start:]
                href = c["href"]
                if links == "a":
                    cur.append(f'<a href="{H.escape(href)}">{inner}</a>')
                else:
                    text = " ".join(inner.split())
                    cur.append(f" {href} " if not text or text == href or _DOMAINISH.match(text)
                               else f"{inner} {href} ")
            elif c.name in ("td", "th"):
                walk(c)
                cur.append(" | ")
            elif c.name in _BLOCK:
                flush()
                walk(c)
                flush()
            else:
                walk(c)

    walk(soup.body or soup)
    flush()
    return [line.rstrip(" |") for line in out]


def flat_html(html: str, *, br: bool = False) -> str:
    lines = text_lines(html, links="a")
    if br:
        return "<div><p>" + "<br>\n".join(lines) + "</p></div>"
    return "".join(f"<p>{line}</p>\n" for line in lines)


def plain_text(html: str) -> str:
    return "\n".join(text_lines(html, links="bare")) + "\n"
