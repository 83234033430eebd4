"""Find the content: a post (HTML page, HTML fragment, Markdown or plain text) → lines.

1. **Body**: on a whole page the post body is picked by the content selectors of the
   sites paperbot knows (and common CMS classes); page chrome is dropped: scripts, nav,
   forms, footers, and elements whose class/id names comments, related posts, sharing,
   subscribing, tip jars, toolbars, sidebars, menus. Discourse oneboxes and link cards
   (a copied title + abstract of the linked page) become the bare link.
2. **Lines**: the body is flattened into lines at block tags and ``<br>``; a table row is
   one line with its cells joined by `` | ``. Links keep their href (tracking redirects
   that carry their target are unwrapped); bare URLs and Markdown ``[text](url)`` in the
   text become links too, so ``<a href=U>U</a>``, ``U`` and ``[U](U)`` are the same line.

Plain text / Markdown (no tags) is split at newlines. Pure, no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ..arxiv_ids import is_arxiv_link, parse_arxiv_id
from . import patterns as P
from .lines import Line, Link, is_paper_href

CONTENT_SELECTORS = (
    "#content_views", "div.available-content", "div.body.markup", "div.cooked",
    "#js_content", "div.rich_media_content", "div.Post-RichText", "div.RichText",
    "div.tm-article-body", "div.article-formatted-body", "div.it-MdContent", "section.it-MdContent",
    "div.znc", "div.note-common-styles__textnote-body", "div.se-main-container",
    "div.tt_article_useless_p_margin", "article.markdown-body", "div.markdown-body",
    "div.tgme_widget_message_text", "div.expando div.md", "shreddit-post div[slot=text-body]",
    "div[data-test-id=post-content]", "td.fatitem", "table.fatitem",
    "div.article-content", "div.post-content", ".post-content",
    ".entry-content", ".article-content", ".post-body", ".markdown-body", "article", "main",
)
# a page that is a feed of messages: all of them are the content
FEED_SELECTORS = frozenset(["div.tgme_widget_message_text"])
_DROP_TAGS = frozenset([
    "script", "style", "noscript", "template", "iframe", "form", "button", "input", "select",
    "textarea", "svg", "canvas", "nav", "footer", "header", "img", "video", "audio", "picture",
    "link", "meta", "head", "title"])
_CHROME_RE = re.compile(
    r"(?:^|[-_\s])(?:comments?|related|recommend\w*|share|sharing|social|subscribe|subscription"
    r"|reward\w*|donat\w*|tip-?jar|sponsor\w*|footer|toolbar|side-?bar|navbar|nav|menu"
    r"|breadcrumbs?|advert\w*|ads|popup|modal|cookie\w*|ufi|button|paywall|author-bio"
    r"|newsletter-signup|tgme_widget_message_footer|tgme_widget_message_user"
    r"|tgme_widget_message_forwarded_from|tgme_widget_message_reply|js_tags|rich_media_tool"
    r"|rich_media_meta_list|related-posts|post-nav|pagination|tags?-list)(?:$|[-_\s])",
    re.IGNORECASE,
)
# link cards that copy the linked page's title and description
_CARD_RE = re.compile(
    r"(?:^|[-_\s])(?:onebox|link_preview|tgme_widget_message_link_preview|embed-block|zenn-embedded"
    r"|hatena-blog-card|og-grey|se-oglink|link-card|linkcard|bookmark|kg-bookmark-card|ogp)"
    r"(?:$|[-_\s])", re.I)
_BLOCK_TAGS = frozenset([
    "p", "div", "li", "ul", "ol", "blockquote", "section", "article", "aside", "figure",
    "figcaption", "dl", "dt", "dd", "main", "details", "summary", "center", "address"])
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_URL = re.compile(
    r"(?:https?://|www\.|(?<![\w./@-])(?:arxiv\.org|huggingface\.co/papers|alphaxiv\.org|ar5iv\.org|openreview\.net)/)"
    r"[^\s<>\"'（）【】「」，。、；！？]+", re.I)
_MD_LINK = re.compile(r"!?\[([^\]\n]{0,300})\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_TASK_BOX = re.compile(r"^([-*+]\s+)\[[ xX]\]\s+")
_MD_BADGE = re.compile(r"\[!\[([^\]\n]{0,100})\]\([^)\s]+(?:\s+\"[^\"]*\")?\)\]\((\S+?)\)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_MD_HR = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_TRAILING = ".,;:!?)]}>'\"»”’…"
_CELL_SPLIT = re.compile(r"\s*\|\s*")
_MD_RULE = re.compile(r"^\s*[|+]?\s*:?-{2,}:?\s*(?:[|+]\s*:?-{2,}:?\s*)*[|+]?\s*$")


def unwrap_redirect(href: str) -> str:
    """The target of a tracking / redirect link that carries it in its query
    (``link.zhihu.com/?target=…``, ``…/redirect?url=…``, ``l.php?u=…``), else ``href``."""
    for _ in range(3):
        try:
            parts = urlsplit(href)
        except ValueError:
            return href
        if not parts.query:
            return href
        inner = next((unquote(v) if "%" in v else v for _k, v in parse_qsl(parts.query)
                      if v.lower().startswith(("http://", "https://", "http%3a", "https%3a"))), None)
        if inner is None:
            return href
        href = unquote(inner) if inner.lower().startswith("http%3a") or inner.lower().startswith("https%3a") else inner
    return href


def make_link(href: str, text: str, start: int) -> Link:
    href = unwrap_redirect(href.strip())
    arxiv_id = parse_arxiv_id(href)
    bad = arxiv_id is None and is_arxiv_link(href)
    return Link(href, text, arxiv_id, bad, start, is_paper_href(href, arxiv_id, bad))


# ----------------------------------------------------------------------------- text → line

def _finish(raw: str, links: list[tuple[str, str]], hint: str) -> Line | None:
    """A line from its raw text and its ``<a>`` (href, text) pairs in order: whitespace
    collapsed, Markdown links/emphasis/heading marks resolved, bare URLs made links."""
    text = " ".join(raw.split())
    if "] " in text[:12]:  # a Markdown task list: "- [x] 論文リンク: …" is "- 論文リンク: …"
        text = _TASK_BOX.sub(r"\1", text, count=1)
    if "[![" in text:  # a badge: [![arXiv](shields.io/…)](https://arxiv.org/…): the link, alt as text
        text = _MD_BADGE.sub(r"[\1](\2)", text)
    if "](" in text:
        md: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            md.append((m.group(2), m.group(1)))
            return m.group(1)
        text = _MD_LINK.sub(repl, text)
        links = links + md  # order fixed below by position
    if _MD_HR.match(text) and not links:
        return Line("", [], "hr")
    m = _MD_HEADING.match(text)
    if m:
        text, hint = text[m.end():], f"h{len(m.group(1))}"
    strong: list[str] = []
    if "**" in text or "__" in text:
        whole = text.startswith(("**", "__")) and text.endswith(("**", "__"))
        strong = [m.group(2) for m in _MD_EMPHASIS.finditer(text)]
        text = _MD_EMPHASIS.sub(r"\2", text)
        if whole and hint == "p":
            hint = "b"
    if not text and not links:
        return None
    out: list[Link] = []
    pos = 0
    for href, ltext in links:
        ltext = " ".join(ltext.split())
        at = text.find(ltext, pos) if ltext else -1
        if at < 0:
            at = text.find(ltext) if ltext else pos
        out.append(make_link(href, ltext, max(at, 0)))
        if at >= 0:
            pos = at + len(ltext)
    covered = [(lk.start, lk.start + len(lk.text)) for lk in out if lk.text]
    low = text.lower()
    urls = _URL.finditer(text) if ("http" in low or "www." in low or "arxiv" in low
                                   or "huggingface" in low or "openreview" in low) else ()
    for m in urls:
        s, e = m.span()
        if any(a <= s < b for a, b in covered):
            continue
        url = m.group(0)
        cut = url.rstrip(_TRAILING)
        if url.endswith(")") and "(" in cut:
            cut += ")"
        truncated = text[s + len(cut):s + len(cut) + 3] in ("...",) or text[s + len(cut):].startswith("…")
        href = cut if cut.lower().startswith("http") else "https://" + cut
        lk = make_link(href, cut, s)
        if truncated and lk.arxiv_id is None and "arxiv" in href.lower():
            lk.bad_arxiv = lk.paper = True
        out.append(lk)
    out.sort(key=lambda lk: lk.start)
    return Line(text, out, hint, strong=strong)


def _row_line(text: str, links: list[Link], table: int) -> Line:
    """A table row's line: its cells (split at ``|``), each with the links inside it."""
    cells: list[Line] = []
    pos = 0
    inner = text.strip()
    lead = len(text) - len(text.lstrip())
    if inner.startswith("|"):
        inner, lead = inner[1:], lead + 1
    if inner.endswith("|"):
        inner = inner[:-1]
    for part in inner.split("|"):
        start = lead + pos
        end = start + len(part)
        stripped = part.strip()
        off = start + (len(part) - len(part.lstrip()))
        cell_links = [Link(lk.href, lk.text, lk.arxiv_id, lk.bad_arxiv, lk.start - off, lk.paper)
                      for lk in links if start <= lk.start < end]
        cells.append(Line(stripped, cell_links, "td"))
        pos += len(part) + 1
    line = Line(" | ".join(c.text for c in cells), [], "p", table, cells)
    offset = 0
    for c in cells:
        for lk in c.links:
            line.links.append(Link(lk.href, lk.text, lk.arxiv_id, lk.bad_arxiv, offset + lk.start, lk.paper))
        offset += len(c.text) + 3
    return line


def _is_row_text(text: str) -> bool:
    return text.count("|") >= 2 or (text.count("|") == 1 and (text.startswith("|") or text.endswith("|")))


def _pre_tables(lines: list[Line]) -> set[int]:
    """Preformatted lines that are rows of a text table: runs of three or more lines with
    column bars (a shell pipeline in a code block is one line, not a run)."""
    out: set[int] = set()
    run: list[int] = []
    for k, line in enumerate(lines + [Line("")]):
        if line.hint == "pre" and (_is_row_text(line.text) or _MD_RULE.match(line.text)):
            run.append(k)
            continue
        if len(run) >= 3:
            out.update(run)
        run = []
    return out


_CUT_URL = re.compile(r"(?:https?://)?(?:www\.)?(?:arxiv\.org|alphaxiv\.org|huggingface\.co)/(?:(?:abs|pdf|html|papers)/?)?(?:\d{1,4}\.?\d{0,4})?$", re.I)
_URL_REST = re.compile(r"^(?:abs/|pdf/|html/|papers/)?[\w./-]+$")


def join_broken_urls(lines: list[Line]) -> list[Line]:
    """A URL a repost broke across two lines ("https://arxiv.org/" + "abs/2404.16130")."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and line.text and _URL_REST.match(line.text) and prev.hint == line.hint \
                and prev.links and prev.links[-1].arxiv_id is None and _CUT_URL.search(prev.text) \
                and prev.text.endswith(prev.links[-1].text):
            joined = _finish(prev.text + line.text, [], prev.hint)
            if joined is not None and joined.links and joined.links[-1].arxiv_id:
                out[-1] = joined
                continue
        out.append(line)
    return out


def tabulate(lines: list[Line]) -> list[Line]:
    """Rows of text tables (``a | b | c`` lines, Markdown tables, HTML rows rendered the
    same way) become table lines; consecutive rows form one table. Markdown rules drop."""
    out: list[Line] = []
    table = 0
    prev_row = False
    rows_ok = _pre_tables(lines)
    for k, line in enumerate(lines):
        if (line.hint != "pre" or k in rows_ok) and _is_row_text(line.text):
            if _MD_RULE.match(line.text):
                continue
            if not prev_row:
                table += 1
            out.append(_row_line(line.text, line.links, table))
            prev_row = True
            continue
        prev_row = False
        out.append(line)
    return out


# ----------------------------------------------------------------------------- HTML

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
        line = _finish(raw, links, hint)
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
                line = _finish(raw, [], "pre")
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
            line = _finish("| " + " | ".join(t.replace("|", "/") for t in texts) + " |", links, "p")
            if line is not None:
                b.lines.append(line)


_CHROME_BOX = re.compile(
    r"^(?:side|sidebar|aside|related(?:[-_]\w+)?|comments?|comment[-_]?(?:list|area|section)|footer|nav|navbar"
    r"|menu|recommend\w*|widget[-_]?area|sharing|share)$", re.I)


def _in_chrome(tag: Tag) -> bool:
    """Inside an aside / nav / footer, or a box whose class or id *is* a chrome name
    ("sidebar", "related-posts", "comments"), not merely mentions one ("has-sidebar")."""
    for node in (tag, *tag.parents):
        if not isinstance(node, Tag):
            continue
        if node.name in ("aside", "nav", "footer"):
            return True
        cls = node.get("class")
        tokens = (cls if isinstance(cls, list) else (cls or "").split()) + [node.get("id") or ""]
        if any(t and _CHROME_BOX.match(t) for t in tokens):
            return True
    return False


def _body_roots(soup: BeautifulSoup, html: str) -> list[Tag]:
    """The post body: the first content selector that matches outside page chrome; when it
    matches several elements that are not inside one another (a channel page's messages,
    a listing's cards), all of them, in page order."""
    head = html[:3000].lower()
    if "<body" in head or "<html" in head:
        for sel in CONTENT_SELECTORS:
            found = [f for f in soup.select(sel) if not _in_chrome(f)]
            found = [f for f in found if not any(p in found for p in f.parents)]
            if found:
                return found if (sel in FEED_SELECTORS or len(found) > 1 and _siblings(found)) else found[:1]
    return [soup.body or soup]


def _siblings(found: list[Tag]) -> bool:
    """Several matches that are cards of one list (same parent), not scattered pieces."""
    return len({id(f.parent) for f in found}) == 1 and len(found) >= 3


def _strip_chrome(soup: BeautifulSoup, root: Tag) -> None:
    """Drop page chrome inside ``root`` in one pass (bs4's find_all/select cost more)."""
    doomed: list[Tag] = []
    cards: list[Tag] = []
    for tag in root.descendants:
        if not isinstance(tag, Tag):
            continue
        if tag.name in _DROP_TAGS:
            doomed.append(tag)
            continue
        attrs = tag.attrs
        if not attrs:
            continue
        if "data-onebox-src" in attrs:
            cards.append(tag)
            continue
        cls = attrs.get("class")
        ident = attrs.get("id")
        if not cls and not ident:
            continue
        key = (" ".join(cls) if isinstance(cls, list) else (cls or "")) + " " + (ident or "")
        if _CARD_RE.search(key):
            cards.append(tag)
        elif _CHROME_RE.search(key):
            doomed.append(tag)
    for card in cards:
        if card.parent is None:
            continue
        src = card.get("data-onebox-src") or card.get("data-url") or card.get("href")
        if not src:
            a = card.find("a", href=True)
            src = a["href"] if a else None
        if src is None:
            card.decompose()
            continue
        new = soup.new_tag("p")
        a = soup.new_tag("a", href=src)
        a.string = src
        new.append(a)
        card.replace_with(new)
    for tag in doomed:
        if tag.parent is not None:
            tag.decompose()


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(?:p|div|br|a|html|body|span|h[1-6]|li|table|article|section)\b",
                          text[:5000], re.I))


def page_lines(content: str, base_url: str | None = None) -> list[Line]:
    """The post's lines, chrome removed (HTML) or as written (plain text / Markdown);
    relative links resolved against ``base_url`` (the post's URL)."""
    if not looks_like_html(content):
        return text_lines(content)
    soup = BeautifulSoup(content, "lxml")
    b = _Builder(base_url)
    b.markdown = len(_MARKDOWN_LINE.findall(content[:20000])) >= 3
    for root in _body_roots(soup, content):
        _strip_chrome(soup, root)
        _walk(root, b, False)
        b.flush()
    return tabulate(join_broken_urls(b.lines))


def text_lines(text: str) -> list[Line]:
    lines = []
    for raw in text.splitlines():
        line = _finish(raw, [], "p")
        if line is not None:
            lines.append(line)
    return tabulate(join_broken_urls(lines))
