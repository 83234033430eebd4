"""Post → papers extraction (pure: HTML in, FoundPaper list out).

The post is split into per-paper entries by its own structure, and each entry yields the
paper it is about (its *primary*), the blog's own words about it, their language and the
hashtags; every other arXiv ID in the post is a *reference*.

Pipeline (all plain functions on plain data):

1. **Body**: when handed a whole page, the post body is picked (``#content_views``,
   ``div.available-content``, ``.post-content``, ``article`` …) and page chrome is dropped:
   scripts, nav, forms, footers, and elements whose class/id names comments, related
   posts, sharing, subscribing, tip jars (打赏/reward), toolbars, sidebars, menus.
   Discourse oneboxes (copied title + abstract of a linked page) become a bare link.
2. **Blocks**: the body is flattened into blocks (headings, paragraphs, list items,
   ``<br>``-separated lines) with their links and arXiv IDs.
3. **Segmentation**, first that finds entries wins (most entries between 3a and 3b):
   a. *runs*: an entry opens with a link-only paragraph followed by ``Title (Authors)``
      (or ``Title`` then ``(Authors)``), or with ``Title`` + ``(Authors)`` alone;
   b. *sections*: headings (or bold numbered paragraphs ``1.…``) at the level that gives
      the most paper sections; a section is a paper when it has a labelled paper link
      (Paper:, 論文リンク, 论文链接, 논문 링크, Статья …, label and link in one block or
      the label block/sub-heading just before the link), a link-only paragraph opening
      it, a link in the heading, or an author line;
   Paper tables (one row per paper: title | link | comment, header row optional) add one
   entry per row, replacing whatever 3a/3b found inside them (see ``_table_entries``);
   tables of results (rows of numbers, no per-row paper links) give no entry.
   c. *single paper*: a labelled paper link anywhere (title from a 论文标题/Title label or
      the post title); else, when the post has no arXiv link at all and its title reads
      like a paper title, one title-only entry named after the post.
4. **Roles**: the entry's labelled / opening link is its primary; every other arXiv ID
   (commentary sentences, parentheses, "see also", reading lists, reference sections,
   sections that are not papers) is a reference. Bullet lists of links are reading lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .arxiv_ids import find_arxiv_ids, is_arxiv_link, parse_arxiv_id
from .lang import detect_lang
from .models import FoundPaper

EXTRACTOR_VERSION = 2

__all__ = ["EXTRACTOR_VERSION", "extract_papers"]

# ----------------------------------------------------------------------------- chrome

CONTENT_SELECTORS = (
    "#content_views", "div.available-content", "div.body.markup", "div.cooked",
    ".post-content", ".entry-content", ".article-content", ".post-body", "article", "main",
)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "input",
              "select", "textarea", "svg", "canvas", "nav", "footer", "header", "img",
              "video", "audio", "picture", "link", "meta")
_DROP_TAG_SET = frozenset(_DROP_TAGS)
_CHROME_RE = re.compile(
    r"(?:^|[-_\s])(?:comments?|related|recommend\w*|share|sharing|social|subscribe|subscription"
    r"|reward\w*|donat\w*|tip-?jar|sponsor\w*|footer|toolbar|side-?bar|navbar|nav|menu"
    r"|breadcrumbs?|advert\w*|ads|popup|modal|cookie\w*|ufi|button|paywall|author-bio"
    r"|newsletter-signup)(?:$|[-_\s])",
    re.IGNORECASE,
)

# ----------------------------------------------------------------------------- labels

_PAPER_LABEL = (
    r"(?:paper(?:\s*(?:link|url|page|pdf))?|link to (?:the )?paper|arxiv(?:\s*(?:link|paper|page))?"
    r"|pdf|preprint|full paper|论文(?:链接|地址|网址|下载|原文)?|paper\s*地址|論文(?:リンク|URL|へのリンク)?"
    r"|논문(?:\s*링크|\s*주소)?|статья(?:\s*на\s*arxiv)?|ссылка на статью|препринт)"
)
_DECOR = r"[\s\-–—•*·>📄📝🔗👉📌【\[(（]*"
_LABEL_ONLY = re.compile(rf"^{_DECOR}{_PAPER_LABEL}{_DECOR}[:：]?\s*[】\])）]?\s*[:：]?\s*$", re.I)
_LABEL_PREFIX = re.compile(rf"^{_DECOR}{_PAPER_LABEL}\s*[】\])）]?\s*[:：]", re.I)
_TITLE_LABEL = re.compile(
    r"^\s*(?:paper\s*title|title|论文标题|論文タイトル|논문\s*제목|название(?:\s*статьи)?)\s*[:：]\s*(.+)$", re.I)
_AUTHOR_LABEL = re.compile(
    r"^\s*(?:authors?|论文作者|作者|著者|저자|авторы?)\s*[:：]\s*(.+)$", re.I)
_REF_HEAD = re.compile(
    r"^\W*(?:references?|bibliography|further reading|related (?:work|papers|reading)|see also"
    r"|read more|more reading|reading list|参考文献|参考资料|参考|相关论文|延伸阅读|関連論文|関連研究"
    r"|参考資料|さらに読む|もっと読む|참고\s*문헌|참고\s*자료|참고|관련\s*논문|더\s*읽어\s*보기"
    r"|литература|список литературы|см\.?\s*также|ссылки|источники)\s*[:：]?\W*$", re.I)
_SUBHEAD = re.compile(
    r"^\W*(?:abstract|summary|tl;?dr|overview|introduction|intro|key (?:points|ideas)|論文紹介|論文要旨"
    r"|論文要約|概要|要旨|要約|摘要|简介|概述|介绍|논문\s*소개|논문\s*초록(?:\s*\(abstract\))?|초록|요약"
    r"|개요|аннотация|краткое содержание|обзор|原文|原文链接|원문)\s*[:：]?\W*$", re.I)
_ABSTRACT_HEAD = re.compile(r"abstract|論文要旨|論文要約|要旨|摘要|초록|аннотация", re.I)

_NUMBERED = re.compile(
    r"^\s*(?:#?\d{1,3}\s*[.、．):：]|[一二三四五六七八九十]+\s*[、.．]|\(\d{1,3}\)|（\d{1,3}）)\s*(?=\S)")
_HASHTAG = re.compile(r"(?<![\w&/#])#(\w[\w\-]*\w|\w)")
_URLISH = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]")
_PAPER_WORDS = re.compile(
    r"\b(?:paper|authors?|preprint)\b|автор|стать|论文|作者|論文|著者|논문|저자", re.I)
_NAME_PARTICLES = frozenset(["de", "van", "der", "von", "da", "di", "la", "le", "du", "dos", "del", "y", "bin", "al", "et"])
_SPLIT_AUTHORS = re.compile(r"\s*(?:,|;|，|、|\band\b|&)\s*")
_ALNUM = re.compile(r"\w")


# ----------------------------------------------------------------------------- blocks

@dataclass(slots=True)
class Link:
    href: str
    text: str
    arxiv_id: str | None
    bad_arxiv: bool  # an arXiv-style link whose ID is invalid / truncated


@dataclass(slots=True)
class Block:
    kind: str  # "h" (heading or bold numbered line) | "p" | "li" | "pre" | "hr"
    level: int  # heading level 1-6, 7 = bold numbered paragraph; 0 otherwise
    text: str
    links: list[Link] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # arXiv IDs, hrefs then text, in order
    link_only: bool = False
    latin: int = 0
    other: int = 0
    cell: tuple[int, int, int, bool] | None = None  # (table, row, column, is <th>) in a table


class _Builder:
    __slots__ = ("blocks", "parts", "links", "bold", "li_depth", "heading", "cell", "tables", "rows")

    def __init__(self):
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.links: list[Link] = []
        self.bold = 0
        self.li_depth = 0
        self.heading = 0
        self.cell: tuple[int, int, int, bool] | None = None
        self.tables = 0
        self.rows = 0

    def flush(self, kind: str | None = None) -> None:
        raw = "".join(self.parts)
        links = self.links
        self.parts, self.links = [], []
        bold, self.bold = self.bold, 0
        text = " ".join(raw.split())
        if not text and not links:
            return
        if kind is None:
            if self.heading:
                kind = "h"
            elif self.li_depth:
                kind = "li"
            else:
                kind = "p"
        level = self.heading if kind == "h" else 0
        if kind == "p" and bold and bold >= 0.9 * len(text.replace(" ", "")) and _NUMBERED.match(text) \
                and len(text) <= 150:
            kind, level = "h", 7
        blk = _make_block(kind, level, text, links)
        blk.cell = self.cell
        self.blocks.append(blk)


def _make_block(kind: str, level: int, text: str, links: list[Link]) -> Block:
    ids: list[str] = []
    for link in links:
        if link.arxiv_id and link.arxiv_id not in ids:
            ids.append(link.arxiv_id)
    for ident, _s, _e in find_arxiv_ids(text):
        if ident not in ids:
            ids.append(ident)
    rest = text
    for link in links:
        if link.text:
            rest = rest.replace(link.text, " ", 1)
    link_only = bool(links) and not _ALNUM.search(rest)
    if not link_only and not links and len(text) < 80 and _URLISH.match(text):
        link_only = True
    return Block(kind, level, text, links, ids, link_only,
                 len(_LATIN.findall(text)), len(_OTHER_SCRIPT.findall(text)))


_BLOCK_TAGS = frozenset(["p", "div", "li", "ul", "ol", "blockquote", "section", "article", "aside", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "dl", "dt", "dd", "main", "details", "summary", "center"])
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def _walk(node: Tag, b: _Builder, bold: bool) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if isinstance(child, Comment):
                continue
            s = str(child)
            b.parts.append(s)
            if bold:
                b.bold += len(s) - s.count(" ")
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            b.flush()
            continue
        if name == "hr":
            b.flush()
            b.blocks.append(Block("hr", 0, ""))
            continue
        if name == "pre":
            b.flush()
            text = child.get_text()
            if text.strip():
                b.blocks.append(Block("pre", 0, text.strip()))
            continue
        level = _HEADINGS.get(name)
        if level:
            b.flush()
            b.heading = level
            _walk(child, b, bold)
            b.flush("h")
            b.heading = 0
            continue
        if name == "table":
            _walk_table(child, b, bold)
            continue
        if name in _BLOCK_TAGS:
            b.flush()
            is_li = name == "li" or name == "dd" or name == "dt"
            if is_li:
                b.li_depth += 1
            _walk(child, b, bold)
            b.flush()
            if is_li:
                b.li_depth -= 1
            continue
        if name == "a":
            href = (child.get("href") or "").strip()
            start = len(b.parts)
            _walk(child, b, bold)
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                text = " ".join("".join(b.parts[start:]).split())
                arxiv_id = parse_arxiv_id(href)
                b.links.append(Link(href, text, arxiv_id, arxiv_id is None and is_arxiv_link(href)))
            continue
        _walk(child, b, bold or name in ("strong", "b"))


def _table_rows(table: Tag):
    """The ``<tr>`` of ``table`` itself (through thead/tbody/tfoot, not nested tables)."""
    for child in table.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "tr":
            yield child
        elif child.name in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child.children if isinstance(tr, Tag) and tr.name == "tr")


def _walk_table(table: Tag, b: _Builder, bold: bool) -> None:
    """Each cell becomes its own block(s), tagged with its (table, row, column)."""
    b.flush()
    outer = b.cell
    b.tables += 1
    tid = b.tables
    for tr in _table_rows(table):
        b.rows += 1
        col = 0
        for cell in tr.children:
            if not isinstance(cell, Tag) or cell.name not in ("td", "th"):
                continue
            b.cell = (tid, b.rows, col, cell.name == "th")
            _walk(cell, b, bold)
            b.flush()
            col += 1
    b.cell = outer


def _body_root(html: str) -> tuple[BeautifulSoup, Tag]:
    soup = BeautifulSoup(html, "lxml")
    head = html[:3000].lower()
    whole_page = "<body" in head or "<html" in head
    root: Tag | None = None
    if whole_page:
        for sel in CONTENT_SELECTORS:
            root = soup.select_one(sel)
            if root is not None:
                break
    if root is None:
        root = soup.body or soup
    return soup, root


def _strip_chrome(soup: BeautifulSoup, root: Tag) -> None:
    """Drop page chrome inside ``root`` (one pass over the tree; bs4's find_all/select
    filters cost more than the parse itself)."""
    doomed: list[Tag] = []
    oneboxes: list[Tag] = []
    for tag in root.descendants:
        if not isinstance(tag, Tag):
            continue
        if tag.name in _DROP_TAG_SET:
            doomed.append(tag)
            continue
        attrs = tag.attrs
        if not attrs:
            continue
        if "data-onebox-src" in attrs:
            oneboxes.append(tag)
            continue
        cls = attrs.get("class")
        ident = attrs.get("id")
        if not cls and not ident:
            continue
        key = (" ".join(cls) if isinstance(cls, list) else (cls or "")) + " " + (ident or "")
        if _CHROME_RE.search(key):
            doomed.append(tag)
    for box in oneboxes:
        # a Discourse onebox: the linked page's copied title and abstract -> the bare link
        if box.parent is None:
            continue
        src = box.get("data-onebox-src") or ""
        new = soup.new_tag("p")
        a = soup.new_tag("a", href=src)
        a.string = src
        new.append(a)
        box.replace_with(new)
    for tag in doomed:
        if tag.parent is not None:  # not inside an element already removed
            tag.decompose()


def html_blocks(html: str) -> list[Block]:
    """The post body flattened into blocks, page chrome removed."""
    soup, root = _body_root(html)
    _strip_chrome(soup, root)
    b = _Builder()
    _walk(root, b, False)
    b.flush()
    return b.blocks


# ----------------------------------------------------------------------------- helpers

def _is_english_block(blk: Block) -> bool:
    return blk.latin >= 40 and blk.other <= 0.02 * blk.latin


def _clean_title(text: str) -> str:
    text = _NUMBERED.sub("", text, count=1).strip()
    text = text.lstrip("#*•·:：- ").rstrip(":：- ").strip()
    for sep in (" / ", " | ", " ｜ "):
        if sep in text:
            left, right = text.split(sep, 1)
            l_lat = len(_LATIN.findall(left)) > 2 * len(_OTHER_SCRIPT.findall(left))
            r_lat = len(_LATIN.findall(right)) > 2 * len(_OTHER_SCRIPT.findall(right))
            if r_lat and not l_lat:
                return right.strip()
            if l_lat and not r_lat:
                return left.strip()
    return text


def _is_name(part: str) -> bool:
    tokens = part.split()
    if not 1 <= len(tokens) <= 6 or len(part) > 60 or any(ch.isdigit() for ch in part):
        return False
    capital = 0
    for tok in tokens:
        first = tok[0]
        if first.isupper():
            capital += 1
        elif tok.lower().rstrip(".") not in _NAME_PARTICLES:
            return False
        if not all(ch.isalpha() or ch in "-.'’" for ch in tok):
            return False
    return capital >= 1


def _parse_authors(text: str, *, min_count: int = 1) -> tuple[str, ...] | None:
    text = text.strip().rstrip(".")
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)  # trailing affiliation "(Google)"
    text = re.sub(r",?\s*et al\.?$", "", text)
    parts = [p.strip() for p in _SPLIT_AUTHORS.split(text) if p.strip()]
    if len(parts) < min_count or not all(_is_name(p) for p in parts):
        return None
    return tuple(parts)


def _title_like(text: str, *, min_words: int = 2) -> bool:
    if not text or len(text) > 300 or text[-1] in ".。!?！？" or "http" in text:
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    words = text.split()
    if not min_words <= len(words) <= 30:
        return False
    latin = len(_LATIN.findall(text))
    return latin >= 4 * min_words and len(_OTHER_SCRIPT.findall(text)) <= 0.1 * latin


_TA = re.compile(r"^(?P<title>.+?)\s*\((?P<authors>[^()]+)\)$")


def _title_authors(blk: Block, *, min_count: int, min_words: int = 2) -> tuple[str, tuple[str, ...]] | None:
    """``Title (Author, Author)`` in one block."""
    if blk.kind not in ("p", "h") or blk.links or len(blk.text) > 1500:
        return None
    m = _TA.match(blk.text)
    if not m or not _title_like(m.group("title"), min_words=min_words):
        return None
    authors = _parse_authors(m.group("authors"), min_count=min_count)
    return (m.group("title").strip(), authors) if authors else None


def _authors_block(blk: Block) -> tuple[str, ...] | None:
    """``(Author, Author)`` alone in a block."""
    t = blk.text
    if blk.kind != "p" or blk.links or not (t.startswith("(") and t.endswith(")")):
        return None
    return _parse_authors(t[1:-1])


def _paper_link(blk: Block) -> Link | None:
    for link in blk.links:
        if link.arxiv_id or link.bad_arxiv:
            return link
        low = link.href.lower()
        if low.endswith(".pdf") or "/pdf" in low or "openreview.net" in low \
                or "aclanthology.org" in low or "doi.org/" in low:
            return link
    return None


@dataclass(slots=True)
class _Entry:
    start: int  # index of the first block of the entry (heading / opener)
    end: int  # exclusive
    title: str | None
    authors: tuple[str, ...] = ()
    primary_block: int | None = None  # index of the block holding the primary link
    link: Link | None = None
    text_id: str | None = None  # primary given as text (arXiv:ID after a label)
    skip: set[int] = field(default_factory=set)  # blocks that are not commentary
    flag: str | None = None


# ----------------------------------------------------------------------------- segmentation

def _runs(blocks: list[Block]) -> list[_Entry]:
    """rosinality-style entries: link paragraph + "Title (Authors)", or Title + (Authors)."""
    entries: list[_Entry] = []
    n = len(blocks)
    i = 0
    while i < n:
        blk = blocks[i]
        found = None
        if blk.kind == "p" and blk.link_only and i + 1 < n:
            link = _paper_link(blk)
            if link is not None:
                nxt = blocks[i + 1]
                ta = _title_authors(nxt, min_count=1, min_words=1)
                if ta:
                    found = _Entry(i, 0, ta[0], ta[1], i, link, skip={i, i + 1})
                elif nxt.kind == "p" and not nxt.links and _title_like(nxt.text):
                    authors = _authors_block(blocks[i + 2]) if i + 2 < n else None
                    if authors or link.arxiv_id or link.bad_arxiv:
                        skip = {i, i + 1} | ({i + 2} if authors else set())
                        found = _Entry(i, 0, nxt.text, authors or (), i, link, skip=skip)
        if found is None and blk.kind == "p" and not blk.links:
            if i + 1 < n and _title_like(blk.text) and (authors := _authors_block(blocks[i + 1])):
                found = _Entry(i, 0, blk.text, authors, skip={i, i + 1})
            elif ta := _title_authors(blk, min_count=2):
                found = _Entry(i, 0, ta[0], ta[1], skip={i})
        if found is not None:
            entries.append(found)
            i = max(found.skip) + 1
            continue
        i += 1
    for k, e in enumerate(entries):
        e.end = entries[k + 1].start if k + 1 < len(entries) else n
    return entries


def _section_primary(blocks: list[Block], start: int, end: int, e: _Entry) -> bool:
    """Find the labelled / opening paper link of the section blocks[start:end]; fills ``e``."""
    head = blocks[start]
    if head.kind == "h":
        link = _paper_link(head)
        if link is not None:
            e.primary_block, e.link = start, link
            return True
    pending = False
    first = True
    for j in range(start + 1 if head.kind == "h" else start, end):
        blk = blocks[j]
        if blk.kind == "h" and _REF_HEAD.match(blk.text):
            pending = False
            first = False
            continue
        label_only = bool(_LABEL_ONLY.match(blk.text)) and not blk.links
        if label_only:
            pending = True
            e.skip.add(j)
            continue
        if _LABEL_PREFIX.match(blk.text) or pending:
            link = _paper_link(blk) or (blk.links[0] if blk.links else None)
            text_id = None if link else (blk.ids[0] if blk.ids else None)
            if link is not None or text_id is not None:
                e.primary_block, e.link, e.text_id = j, link, text_id
                e.skip.add(j)
                if not e.authors and link is not None:
                    e.authors = _authors_after_link(blk, link)
                return True
        if blk.kind == "h":
            pending = False
            continue
        if first and blk.kind == "p" and blk.link_only:
            link = _paper_link(blk)
            if link is not None:
                e.primary_block, e.link = j, link
                e.skip.add(j)
                return True
        first = False
        pending = False
    return False


def _authors_after_link(blk: Block, link: Link) -> tuple[str, ...]:
    rest = blk.text
    m = _LABEL_PREFIX.match(rest)
    if m:
        rest = rest[m.end():]
    if link.text:
        rest = rest.replace(link.text, " ", 1)
    for seg in re.split(r"\s[·•|—–]\s|\bby\b", rest):
        seg = seg.strip(" ,:;")
        if "," in seg:
            authors = _parse_authors(seg, min_count=2)
            if authors:
                return authors
    return ()


def _section_authors(blocks: list[Block], start: int, end: int, e: _Entry) -> bool:
    for j in range(start, min(end, start + 4)):
        blk = blocks[j]
        m = _AUTHOR_LABEL.match(blk.text)
        if m and (authors := _parse_authors(m.group(1))):
            e.authors = authors
            e.skip.add(j)
            return True
        if authors := _authors_block(blk):
            e.authors = authors
            e.skip.add(j)
            return True
    return False


def _sections(blocks: list[Block]) -> list[_Entry]:
    levels = sorted({b.level for b in blocks if b.kind == "h"})
    best: list[_Entry] = []
    for level in levels:
        starts = [i for i, b in enumerate(blocks) if b.kind == "h" and b.level == level]
        entries = []
        for s in starts:
            end = len(blocks)
            for j in range(s + 1, len(blocks)):
                if blocks[j].kind == "h" and blocks[j].level <= level and \
                        (blocks[j].level == level or blocks[j].level < 7):
                    end = j
                    break
            head = blocks[s].text
            if _REF_HEAD.match(head) or _SUBHEAD.match(head) or _LABEL_ONLY.match(head):
                continue
            e = _Entry(s, end, _clean_title(head), skip={s})
            if _section_primary(blocks, s, end, e) or _section_authors(blocks, s + 1, end, e):
                entries.append(e)
        if len(entries) > len(best):
            best = entries
    return best


_COL_TITLE = re.compile(
    r"^\W*(?:paper(?:\s*title)?|title|name|论文(?:标题|名称|题目)?|标题|题目|論文(?:名|タイトル)?|タイトル"
    r"|논문(?:\s*제목)?|제목|статья|название(?:\s*статьи)?)\W*$", re.I)
_COL_LINK = re.compile(
    r"^\W*(?:links?|urls?|arxiv(?:\s*link)?|pdf|paper\s*link|链接|论文链接|地址|论文地址|リンク|論文リンク"
    r"|링크|논문\s*링크|ссылка(?:\s*на\s*статью)?)\W*$", re.I)
_NUMERIC_CELL = re.compile(r"^[\d\s.,%±+\-–—/()×x*↑↓]*\d[\d\s.,%±+\-–—/()×x*↑↓]*$")


def _cell_text(blocks: list[Block], idxs: list[int]) -> str:
    return " ".join(blocks[j].text for j in idxs).strip()


def _link_cell(blocks: list[Block], idxs: list[int]) -> tuple[int, Link | None, str | None] | None:
    """A cell that is just a paper link (``arXiv`` / ``论文链接`` / a bare URL / ``arXiv:ID``)."""
    for j in idxs:
        blk = blocks[j]
        if blk.links:
            link = _paper_link(blk)
            if link is not None and (blk.link_only or _LABEL_PREFIX.match(blk.text)):
                return j, link, None
        elif blk.ids and len(blk.text) <= 40:
            return j, None, blk.ids[0]
    return None


def _table_entries(blocks: list[Block]) -> tuple[list[_Entry], list[tuple[int, int]]]:
    """Table rows as entries: in a table that lists papers (at least two rows with their own
    paper link, and such rows are at least half of the rows), each row is an entry: its
    link cell (or the only arXiv link, in the title cell) is the primary, the title cell
    the title, the other cells the blog's words. Result rows (mostly numbers) and tables
    without per-row paper links give nothing. Returns the entries and the block spans
    of the paper tables."""
    tables: dict[int, dict[int, dict[int, list[int]]]] = {}
    for j, blk in enumerate(blocks):
        if blk.cell is not None:
            tid, row, col, _th = blk.cell
            tables.setdefault(tid, {}).setdefault(row, {}).setdefault(col, []).append(j)
    entries: list[_Entry] = []
    spans: list[tuple[int, int]] = []
    for rows in tables.values():
        ordered = [rows[r] for r in sorted(rows)]
        title_col = link_col = None
        first = ordered[0]
        first_blocks = [blocks[j] for idxs in first.values() for j in idxs]
        is_header = all(b.cell[3] for b in first_blocks) or (
            not any(b.links for b in first_blocks)
            and all(len(_cell_text(blocks, idxs)) <= 20 for idxs in first.values())
            and any(_COL_TITLE.match(_cell_text(blocks, idxs)) or _COL_LINK.match(_cell_text(blocks, idxs))
                    for idxs in first.values()))
        if is_header:
            for col, idxs in first.items():
                text = _cell_text(blocks, idxs)
                if title_col is None and _COL_TITLE.match(text):
                    title_col = col
                elif link_col is None and _COL_LINK.match(text):
                    link_col = col
            ordered = ordered[1:]
        found: list[_Entry] = []
        linked = 0
        for cells in ordered:
            texts = {col: _cell_text(blocks, idxs) for col, idxs in cells.items()}
            filled = [t for t in texts.values() if t]
            if not filled or sum(1 for t in filled if _NUMERIC_CELL.match(t)) * 2 > len(filled):
                continue  # an empty or a results row
            lc = None
            tcol = title_col if title_col is not None and title_col in cells else None
            if link_col is not None and link_col in cells:
                lc = _link_cell(blocks, cells[link_col])
            if lc is None:
                for col, idxs in cells.items():
                    if col != title_col and (lc := _link_cell(blocks, idxs)) is not None:
                        if tcol is None and lc[1] is not None and _title_like(lc[1].text):
                            tcol = col  # the title is the link: "[Title](arXiv)" | comment
                        break
            if tcol is None:
                tcol = next((col for col, t in texts.items() if t and not _NUMERIC_CELL.match(t)
                             and (lc is None or lc[0] not in cells[col])), None)
            row_idx = [j for idxs in cells.values() for j in idxs]
            e = _Entry(min(row_idx), max(row_idx) + 1, None)
            if link_col is not None and link_col in cells:
                e.skip.update(cells[link_col])  # the link column, even a "(none yet)" placeholder
            for col, t in texts.items():
                if not _ALNUM.search(t):
                    e.skip.update(cells[col])  # "-", "—": an empty cell's placeholder
            if tcol is not None:
                e.skip.update(cells[tcol])
                e.title = _clean_title(texts[tcol]) or None
                tblk = blocks[cells[tcol][0]]
                if len(cells[tcol]) == 1 and (ta := _title_authors(tblk, min_count=1, min_words=1)):
                    e.title, e.authors = ta
                if lc is None:
                    # the title cell links the paper: the only arXiv link of the row
                    row_ids = {link.arxiv_id for j in row_idx for link in blocks[j].links if link.arxiv_id}
                    for j in cells[tcol]:
                        link = _paper_link(blocks[j])
                        if link is not None and (link.bad_arxiv or row_ids == {link.arxiv_id}):
                            lc = (j, link, None)
                            if link.text and not _URLISH.match(link.text):
                                e.title = _clean_title(link.text)
                            break
            if lc is not None:
                e.primary_block, e.link, e.text_id = lc
                e.skip.add(lc[0])
                if e.title is None and e.link is not None and e.link.text \
                        and not _URLISH.match(e.link.text) and not _LABEL_ONLY.match(e.link.text):
                    e.title = e.link.text
                linked += 1
            elif not (e.title and _title_like(e.title)) or any(blocks[j].ids for j in row_idx):
                continue  # neither a paper link nor a paper title of its own
            found.append(e)
        if linked >= 2 and linked * 2 >= len(found):
            entries.extend(found)
            spans.append((min(j for r in rows.values() for idxs in r.values() for j in idxs),
                          max(j for r in rows.values() for idxs in r.values() for j in idxs) + 1))
    return entries, spans


def _with_tables(entries: list[_Entry], table: list[_Entry], spans: list[tuple[int, int]]) -> list[_Entry]:
    """Table-row entries plus the other entries outside the paper tables (cut at a table)."""
    kept: list[_Entry] = []
    for e in entries:
        anchor = e.primary_block if e.primary_block is not None else e.start
        if any(lo <= anchor < hi or lo <= e.start < hi for lo, hi in spans):
            continue
        for lo, _hi in spans:
            if e.start < lo < e.end:
                e.end = lo
        kept.append(e)
    return sorted(kept + table, key=lambda e: e.start)


def _single(blocks: list[Block], title: str | None) -> list[_Entry]:
    n = len(blocks)
    e = _Entry(0, n, None)
    in_ref = False
    found = False
    for j, blk in enumerate(blocks):
        if blk.kind == "h":
            in_ref = bool(_REF_HEAD.match(blk.text))
        if in_ref:
            continue
        m = _TITLE_LABEL.match(blk.text)
        if m and e.title is None:
            e.title = m.group(1).strip()
            e.skip.add(j)
            continue
        m = _AUTHOR_LABEL.match(blk.text)
        if m and not e.authors and (authors := _parse_authors(m.group(1))):
            e.authors = authors
            e.skip.add(j)
            continue
    for j, blk in enumerate(blocks):
        if blk.kind == "h" and _REF_HEAD.match(blk.text):
            continue
        if _LABEL_PREFIX.match(blk.text) or _LABEL_ONLY.match(blk.text):
            probe = _Entry(0, n, None)
            if _section_primary(blocks, max(0, j - 1) if blocks[max(0, j - 1)].kind == "h" else j,
                                min(n, j + 3), probe) and probe.primary_block is not None \
                    and probe.primary_block >= j:
                e.primary_block, e.link, e.text_id = probe.primary_block, probe.link, probe.text_id
                e.skip |= probe.skip
                if not e.authors:
                    e.authors = probe.authors
                found = True
                break
    if found:
        if e.title is None:
            if title:
                e.title = title.strip()
            elif e.link is not None and e.link.text and not _URLISH.match(e.link.text):
                e.title = e.link.text
        return [e]
    opener = _opening_link(blocks)
    if opener is not None:
        e.primary_block, e.link = opener
        if e.title is None and e.link.text and not _URLISH.match(e.link.text):
            e.title = e.link.text
        return [e]
    if title and _title_like(title.strip()) and not any(b.ids or any(
            link.bad_arxiv for link in b.links) for b in blocks):
        body = " ".join(b.text for b in blocks[:60])
        if _PAPER_WORDS.search(body):
            e.title = e.title or title.strip()
            e.flag = "post-title"
            return [e]
    return []


def _opening_link(blocks: list[Block]) -> tuple[int, Link] | None:
    """A post whose first paragraph starts with a paper link (``<a>ChatQA</a> — …``):
    the link that opens the post's only entry."""
    for j, blk in enumerate(blocks):
        if blk.kind in ("h", "hr"):
            continue
        if blk.kind != "p" or not blk.links:
            return None
        link = _paper_link(blk)
        if link is None or link is not blk.links[0] or not link.text \
                or not blk.text.startswith(link.text):
            return None
        return j, link
    return None


# ----------------------------------------------------------------------------- text

def _strip_tags(text: str) -> str:
    return " ".join(_HASHTAG.sub(" ", text).split())


def _labels(texts: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for t in texts:
        if "#" not in t:
            continue
        for m in _HASHTAG.finditer(t):
            tag = m.group(1)
            if not any(ch.isalpha() for ch in tag) or len(tag) > 40:
                continue
            if tag not in out:
                out.append(tag)
    return tuple(out)


def _entry_text(blocks: list[Block], e: _Entry, non_english: bool) -> tuple[str, tuple[str, ...]]:
    """The blog's own words in entry ``e`` and its hashtags. In a non-English post (or an
    entry whose commentary is not English) English paragraphs are the copied abstract or
    summary and are left out; so is any English text under an "Abstract" sub-heading."""
    if not non_english:
        non_english = any(blocks[j].other >= 15 and blocks[j].kind != "h"
                          for j in range(e.start, e.end) if j not in e.skip)
    lines: list[str] = []
    tags_src: list[str] = []
    skip_sub = False
    abstract_sub = False
    first_after_title = True
    for j in range(e.start, e.end):
        blk = blocks[j]
        if blk.kind == "hr":
            continue
        if blk.kind == "h" and j != e.start:
            skip_sub = bool(_REF_HEAD.match(blk.text)) or bool(_LABEL_ONLY.match(blk.text))
            abstract_sub = bool(_ABSTRACT_HEAD.search(blk.text)) and len(blk.text) < 40
            if _SUBHEAD.match(blk.text) or skip_sub or _LABEL_ONLY.match(blk.text):
                continue
        if j in e.skip or blk.link_only:
            continue
        tags_src.append(blk.text)
        if skip_sub:
            continue
        if blk.kind == "p" and not _strip_tags(blk.text):
            continue  # hashtag-only line
        if non_english and _is_english_block(blk):
            continue  # copied English abstract / summary
        if abstract_sub and _is_english_block(blk):
            abstract_sub = False  # the abstract is the first English paragraph under it
            continue
        if _REF_HEAD.match(blk.text.split(":")[0] + ":") and blk.links:
            continue
        if first_after_title and not non_english and e.link is not None and blk.kind == "p" \
                and _is_english_block(blk) and len(blk.text) > 600 and j == max(e.skip) + 1 \
                and e.start in e.skip and blocks[e.start].kind == "p":
            first_after_title = False
            continue  # runs in English posts: the long paragraph right after Title (Authors)
        first_after_title = False
        text = _strip_tags(blk.text)
        if text:
            lines.append(text)
    return "\n".join(lines), _labels(tags_src)


# ----------------------------------------------------------------------------- main

def _text_lang(text: str, source_lang: str | None) -> str | None:
    """lingua on the blog's text; a line of a few words is too short to tell reliably, so
    there the source's configured language wins when there is one."""
    if source_lang and sum(1 for ch in text if ch.isalpha()) < 40:
        return source_lang
    return detect_lang(text) or source_lang


def extract_papers(html: str, *, title: str | None = None, lang: str | None = None) -> list[FoundPaper]:
    """The papers a post is about (role "primary", one per entry, in post order) followed by
    the arXiv papers it merely cites (role "reference", in order of first appearance).

    ``html``: the post body (or a whole page: the body is found and chrome dropped);
    ``title``: the post's title (names the paper of a single-paper post); ``lang``: the
    source's language, used when an entry has no text of its own."""
    if not html or not html.strip():
        return []
    blocks = html_blocks(html)
    if not blocks:
        return []
    latin = sum(b.latin for b in blocks)
    other = sum(b.other for b in blocks)
    # CJK / Hangul characters carry ~3 Latin letters' worth of text each
    non_english = other > 0 and other * 3 >= 0.1 * latin

    runs = _runs(blocks)
    sections = _sections(blocks)
    entries = runs if len(runs) >= len(sections) and runs else sections
    table, spans = _table_entries(blocks)
    if table:
        entries = _with_tables(entries, table, spans)
    if not entries:
        entries = _single(blocks, title)

    found: list[FoundPaper] = []
    primary_ids: set[str] = set()
    for e in entries:
        arxiv_id = e.link.arxiv_id if e.link is not None else e.text_id
        flag = e.flag
        if e.link is not None and arxiv_id is None:
            flag = "invalid-arxiv-id" if e.link.bad_arxiv else "non-arxiv-link"
        if arxiv_id is not None and arxiv_id in primary_ids:
            continue
        text, labels = _entry_text(blocks, e, non_english)
        entry_lang = _text_lang(text, lang)
        found.append(FoundPaper(
            arxiv_id=arxiv_id, role="primary", title=e.title or None, authors=tuple(e.authors),
            text=text, lang=entry_lang, labels=labels, flag=flag,
        ))
        if arxiv_id is not None:
            primary_ids.add(arxiv_id)

    seen: set[str] = set(primary_ids)
    for blk in blocks:
        for ident in blk.ids:
            if ident in seen:
                continue
            seen.add(ident)
            anchor = next((link.text for link in blk.links if link.arxiv_id == ident), "")
            ref_title = anchor if anchor and not _URLISH.match(anchor) and "arxiv" not in anchor.lower() \
                and len(anchor) < 300 and " " in anchor else None
            found.append(FoundPaper(
                arxiv_id=ident, role="reference", title=ref_title, text=blk.text[:500],
                lang=_text_lang(blk.text, lang),
            ))
    return found
