"""Find the content: a post (HTML page, HTML fragment, Markdown or plain text) → lines.

1. **Body** (:mod:`.content`): on a whole page the post body is picked by the content selectors of the
   sites paperbot knows (and common CMS classes); page chrome is dropped: scripts, nav,
   forms, footers, and elements whose class/id names comments, related posts, sharing,
   subscribing, tip jars, toolbars, sidebars, menus. Discourse oneboxes and link cards
   (a copied title + abstract of the linked page) become the bare link.
2. **Lines** (here, each line finished by :mod:`.textlines`): the body is flattened into lines at block tags and ``<br>``; a table row is
   one line with its cells joined by `` | ``. Links keep their href (tracking redirects
   that carry their target are unwrapped); bare URLs and Markdown ``[text](url)`` in the
   text become links too, so ``<a href=U>U</a>``, ``U`` and ``[U](U)`` are the same line.

Plain text / Markdown (no tags) is split at newlines. Pure, no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from . import patterns as P
from .content import body_roots, looks_like_html, strip_chrome
from .lines import Line
from .textlines import finish_line, join_broken_urls, tabulate, text_lines

_BLOCK_TAGS = frozenset([
    "p", "div", "li", "ul", "ol", "blockquote", "section", "article", "aside", "figure",
    "figcaption", "dl", "dt", "dd", "main", "details", "summary", "center", "address"])
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


class _Builder:
    __slots__ = ("lines", "parts", "links", "bold", "li", "heading", "strong", "base", "marker",
                 "markdown")

    def __init__(self, base: str | None = None) -> None:
        self.base = base
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.bold = 0
        self.strong: list[str] = []
        self.li = 0
        self.heading = 0
        self.marker: str | None = None  # "3. ": an <ol> item's number, for its first line
        self.markdown = False  # Markdown with inline HTML: blank lines in text end a line

    def flush(self) -> None:
        raw = "".join(self.parts)
        if self.marker and raw.strip():
            if not P.numbering(raw.strip()):  # the item writes its own number: keep that one
                raw = self.marker + raw
            self.marker = None
        links, self.links, self.parts = self.links, [], []
        bold, self.bold = self.bold, 0
        strong, self.strong = self.strong, []
        hint = f"h{self.heading}" if self.heading else "li" if self.li else "p"
        line = finish_line(raw, links, hint)
        if line is None:
            return
        line.strong.extend(s for s in (" ".join(x.split()) for x in strong) if s)
        if hint == "p" and bold and bold >= 0.9 * len(line.text.replace(" ", "")) and len(line.text) <= 200:
            line.hint = "b"
        self.lines.append(line)


def _walk(node: Tag, b: _Builder, bold: bool) -> None:
    after_chip = False
    for child in node.children:
        kind = child.__class__  # exact classes first: the common cases, without isinstance chains
        if kind is NavigableString or kind is not Tag and isinstance(child, NavigableString):
            if kind is not NavigableString and isinstance(child, Comment):
                continue
            s = str(child)
            after_chip = False
            if b.markdown and "\n" in s and _BLANK_LINE.search(s):
                # Markdown with inline HTML (a README, a docs page): a blank line ends a paragraph
                first, *rest = _BLANK_LINE.split(s)
                b.parts.append(first)
                for part in rest:
                    b.flush()
                    b.parts.append(part)
                continue
            b.parts.append(s)
            if bold:
                b.bold += len(s) - s.count(" ")
            continue
        if kind is not Tag and not isinstance(child, Tag):
            continue
        name = child.name
        if name in _CHIPS:
            if after_chip and b.parts and b.parts[-1][-1:].isdigit():
                # <span>arXiv 2607.26998</span><span>LLM</span>: a number then a word, two
                # boxes; but <span>2501.1</span><span>2948</span> is one number cut in two
                head = next(iter(child.strings), "")[:1]
                if head.isalpha():
                    b.parts.append(" ")
            after_chip = True
        else:
            after_chip = False
        if name == "br":
            b.flush()
        elif name == "hr":
            b.flush()
            b.lines.append(Line("", [], "hr"))
        elif name == "pre":
            b.flush()
            for br in child.find_all("br"):
                br.replace_with("\n")
            for raw in child.get_text().splitlines():
                if "\t" in raw.strip():  # a tab-separated table pasted as text
                    raw = " | ".join(part for part in raw.split("\t") if part.strip())
                line = finish_line(raw, [], "pre")
                if line is not None:
                    b.lines.append(line)
        elif name in _HEADINGS:
            b.flush()
            b.heading = _HEADINGS[name]
            _walk(child, b, bold)
            b.flush()
            b.heading = 0
        elif name == "table":
            _walk_table(child, b)
        elif name == "ol":
            _walk_ol(child, b, bold)
        elif name in _BLOCK_TAGS:
            b.flush()
            is_li = name in ("li", "dt", "dd")
            b.li += is_li
            _walk(child, b, bold)
            b.flush()
            b.li -= is_li
        elif name == "a":
            href = (child.get("href") or "").strip()
            start = len(b.parts)
            _walk(child, b, bold)
            if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
                if b.base and not href.startswith(("http://", "https://")):
                    href = urljoin(b.base, href)  # "/papers/2402.00838" on huggingface.co
                b.links.append((href, "".join(b.parts[start:])))
        elif name in ("strong", "b"):
            start = len(b.parts)
            _walk(child, b, True)
            b.strong.append("".join(b.parts[start:]))
        else:
            _walk(child, b, bold)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_MARKDOWN_LINE = re.compile(r"(?m)^(?:#{1,6} \S|[-*] \S|\d{1,3}\. \S|---\s*$|\[[^\]]+\]\([^)]+\))")
# inline boxes a page lines up without spaces (tags, chips, metadata)
_CHIPS = frozenset(["span", "a", "time", "code", "small", "label", "abbr", "cite", "em", "i",
                    "strong", "b", "mark", "sup", "sub"])


def _walk_ol(ol: Tag, b: _Builder, bold: bool) -> None:
    """An ordered list as a reader sees it: each item's first line opens with its number
    (a mirror or a copy of the page keeps "1." "2." as text, and the extraction then reads
    the same sequence either way)."""
    b.flush()
    try:
        number = int(str(ol.get("start") or "1").strip())
    except ValueError:
        number = 1
    for child in ol.children:
        if isinstance(child, Tag) and child.name == "li":
            b.flush()
            b.marker = f"{number}. "
            b.li += 1
            _walk(child, b, bold)
            b.flush()
            b.li -= 1
            b.marker = None
            number += 1
        elif isinstance(child, Tag):
            _walk(child, b, bold)  # a stray tag inside the list: its content as is
            b.flush()
        elif isinstance(child, NavigableString) and not isinstance(child, Comment):
            b.parts.append(str(child))
    b.flush()


def _own_rows(node: Tag) -> list[Tag]:
    """The table's rows in order, not those of tables nested in its cells (no searches)."""
    rows: list[Tag] = []
    for child in _child_tags(node):
        if child.name == "tr":
            rows.append(child)
        elif child.name != "table":
            rows.extend(_own_rows(child))
    return rows


def _child_tags(tag: Tag):
    return (c for c in tag.children if isinstance(c, Tag))


def _cells(tr: Tag) -> list[Tag]:
    return [c for c in _child_tags(tr) if c.name in ("td", "th")]


_LAYOUT_BLOCKS = frozenset(["p", "div", "h1", "h2", "h3", "h4", "li", "br"])


def _holds_layout(cell: Tag) -> bool:
    """A cell holding a nested table or more than four paragraphs / blocks."""
    blocks = 0
    for tag in cell.descendants:
        if tag.__class__ is not Tag:
            continue
        if tag.name == "table":
            return True
        if tag.name in _LAYOUT_BLOCKS:
            blocks += 1
            if blocks > 4:
                return True
    return False


def _is_layout(rows: list[Tag]) -> bool:
    """A table used for page layout (e-mail newsletters): one column, or cells holding
    nested tables / several paragraphs, not a grid of short cells."""
    widest = 0
    for tr in rows:
        cells = _cells(tr)
        widest = max(widest, len(cells))
        if any(_holds_layout(cell) for cell in cells):
            return True
    return widest < 2


def _walk_table(table: Tag, b: _Builder) -> None:
    """Each row of a data table becomes one line ``cell | cell | cell``; a layout table's
    cells are walked like any other block."""
    b.flush()
    rows = _own_rows(table)
    if _is_layout(rows):
        for tr in rows:
            for cell in _cells(tr):
                _walk(cell, b, False)
                b.flush()
        return
    for tr in rows:
        texts: list[str] = []
        links: list[tuple[str, str]] = []
        for cell in _cells(tr):
            sub = _Builder(b.base)
            _walk(cell, sub, False)
            sub.flush()
            texts.append(" ".join(ln.text for ln in sub.lines))
            for ln in sub.lines:
                links.extend((lk.href, lk.text) for lk in ln.links)
        if any(t.strip() for t in texts) or links:
            line = finish_line("| " + " | ".join(t.replace("|", "/") for t in texts) + " |", links, "p")
            if line is not None:
                b.lines.append(line)


def page_lines(content: str, base_url: str | None = None) -> list[Line]:
    """The post's lines, chrome removed (HTML) or as written (plain text / Markdown);
    relative links resolved against ``base_url`` (the post's URL)."""
    if not looks_like_html(content):
        return text_lines(content)
    soup = BeautifulSoup(content, "lxml")
    b = _Builder(base_url)
    b.markdown = len(_MARKDOWN_LINE.findall(content[:20000])) >= 3
    for root in body_roots(soup, content):
        strip_chrome(soup, root)
        _walk(root, b, False)
        b.flush()
    return tabulate(join_broken_urls(b.lines))
