"""Lines: the normalized stream every later stage reads, and what each line says.

A post reaches segmentation as a list of :class:`Line` whatever its markup: a heading, a
bold paragraph, a ``<br>``-separated line, a list item, a Markdown line and a table row
(cells joined by `` | ``) are all one line of text with its links. Tags survive only as a
*hint* (``h2``, ``b``, ``li``…) that may break a tie, never as the only evidence.

:func:`annotate` derives the textual features from the text and links alone: numbering,
labels ("论文链接:", "Paper:", "Статья"), whether the line is only links, whether it reads
like a title, an author list, a date, a reference heading. Pure, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..arxiv_ids import parse_arxiv_id
from . import names
from . import patterns as P

_PAPER_HOSTS = re.compile(
    r"openreview\.net/(?:pdf|forum)|aclanthology\.org/|doi\.org/|semanticscholar\.org/paper"
    r"|paperswithcode\.com/paper/|proceedings\.(?:neurips|mlr)|papers\.nips\.cc|dl\.acm\.org/doi"
    r"|ieeexplore\.ieee\.org/document|nature\.com/articles|science\.org/doi|biorxiv\.org/content"
    r"|medrxiv\.org/content|jmlr\.org/papers|openaccess\.thecvf\.com|ojs\.aaai\.org"
    r"|researchgate\.net/publication|scholar\.google", re.I)


@dataclass(slots=True)
class Link:
    href: str
    text: str
    arxiv_id: str | None  # versionless, when the href (or the text of a bare URL) names one
    bad_arxiv: bool = False  # an arXiv-style link whose ID is invalid or cut short
    start: int = 0  # offset of ``text`` in the line's text
    paper: bool = False  # points at a paper (arXiv and mirrors, a PDF, OpenReview, ACL, DOI…)


@dataclass(slots=True)
class Line:
    text: str
    links: list[Link] = field(default_factory=list)
    hint: str = "p"  # markup hint: "h1".."h6", "b" (bold line), "li", "p", "pre", "hr"
    table: int = 0  # > 0: a row of that table (HTML <tr> or a run of "a | b | c" lines)
    cells: list[Line] | None = None  # the row's cells
    strong: list[str] = field(default_factory=list)  # bold / strong spans
    # -- derived by annotate() ------------------------------------------------------
    ids: list[str] = field(default_factory=list)  # arXiv IDs: hrefs, then text, in order
    num: tuple[str, int] | None = None  # numbering (style, value)
    body: str = ""  # text without numbering / bullet / decoration
    label: str | None = None  # "paper" | "link" | "resource" | "title" | "authors" | "affil"
    label_rest: str = ""  # what follows the label on the line
    ref: bool = False  # a reference heading ("References", "参考文献", "См. также")
    ref_prefix: bool = False  # "See also: …" line
    sub: bool = False  # an entry's sub-heading ("Abstract", "論文紹介", "요약")
    more: bool = False  # "Read more" / "原文" heading
    link_only: bool = False  # nothing but links (and labels / punctuation)
    lead: Link | None = None  # a paper link that opens the line
    authors: tuple[str, ...] | None = None  # the line is an author list
    title_like: bool = False
    date: bool = False
    tags_only: bool = False
    latin: int = 0
    other: int = 0

    @property
    def paper_link(self) -> Link | None:
        """The line's paper link: an arXiv one first ("OpenReview · arXiv" → arXiv)."""
        first = None
        for lk in self.links:
            if lk.arxiv_id:
                return lk
            if lk.paper and first is None:
                first = lk
        return first


def is_paper_href(href: str, arxiv_id: str | None, bad: bool) -> bool:
    if arxiv_id or bad:
        return True
    low = href.lower().split("#")[0]
    path = low.split("?")[0]
    return path.endswith(".pdf") or "/pdf/" in path or bool(_PAPER_HOSTS.search(low))


# ----------------------------------------------------------------------------- features

_TAIL_ID = re.compile(r"(?:^|[\s(（\[])(\d{4}\.\d{4,5})(?:v\d{1,2})?[)）\]]?\s*$")
# "[2403.01744] NoteLLM: A Retrievable …": an arXiv page's own title, copied
_PAGE_TITLE_ID = re.compile(r"\[(\d{4}\.\d{4,5})(?:v\d{1,2})?\]\s*(?=[A-Z])")
_LATIN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_OTHER_CHARS = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]+")


def _latin_letters(text: str) -> int:
    """ASCII letters in ``text`` (UTF-8 multi-byte characters never contain those bytes)."""
    data = text.encode()
    return len(data) - len(data.translate(None, _LATIN_BYTES))

_SOLO_NUMBER = re.compile(r"^\s*(?:#|No\.?\s*|№\s*)?(\d{1,2})\s*$", re.I)


def _strip_marker(text: str) -> tuple[str, tuple[str, int] | None]:
    solo = _SOLO_NUMBER.match(text)
    if solo:  # "01" alone on its line above the entry's title (WeChat, Telegram digests)
        return "", ("solo", int(solo.group(1)))
    num = P.numbering(text)
    if num:
        return text[num[2]:].strip(), (num[0], num[1])
    m = P.BULLET.match(text)
    if m:
        return text[m.end():].strip(), None
    return text.strip(), None


def _residue(line: Line) -> str:
    """The line's text without its links' texts."""
    text = line.text
    for lk in sorted(line.links, key=lambda lk: -lk.start):
        if lk.text and text[lk.start:lk.start + len(lk.text)] == lk.text:
            text = text[:lk.start] + " " + text[lk.start + len(lk.text):]
    return text


def _only_decoration(rest: str) -> bool:
    rest = P.PAPER_LABEL.sub("", rest.strip())
    rest = P.LINK_LABEL.sub("", rest.strip())
    words = [w for w in re.split(r"[\s|,;/·•:：()（）\[\]【】<>«»\"'\-–—→]+", rest) if w]
    return all(P.LINK_TEXT_LABEL.match(w) or P.DOMAIN_TEXT.match(w) or not P.ALNUM.search(w)
               for w in words)


# "…worth reading. (2307.03172)": a sentence ends inside the line (not "vs.", "et al.")
_SENTENCE_BREAK = re.compile(r"(?<![A-Z])(?<!\bvs)(?<!\bal)(?<!\betc)(?<!\bFig)(?<!\bNo)[a-z\u0400-\u04ff]{3,}[.!]\s+\S")


# "5.12 stars / hour", "microsoft/LLMLingua • 10 Oct 2023", "1,671": counters, repos, dates
_NOT_A_TITLE = re.compile(
    r"^\s*\d+[.,]\d+\b|(?<![\w.])[\w.-]+/[\w.-]+(?![\w./])\s*[•·|]|\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec)[a-z]* \d{4}\b", re.I)


_DIGIT = re.compile(r"\d")


def _coined(word: str) -> bool:
    """A one-word name a paper goes by: "LoRA", "Phi-3", "FlashAttention", "GPT4"."""
    return word[0].isupper() and (any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word))


@names.memo
def title_like(text: str) -> bool:
    """Reads like a title: short, no sentence end, a few words, not a date or a URL."""
    t = text.strip(" *_#\"'“”«»")
    if not t or len(t) > 220 or "http" in t or "://" in t:
        return False
    if P.DATE_LINE.match(t) and len(P.LATIN_WORD.findall(t)) < 3:
        return False
    last = t[-1]
    if last in P.SENTENCE_END and not (last in "?？" and len(t) < 160) and not t.endswith("..."):
        return False
    if t.count("。") or t.count(". ") > 1 or ("." in t or "!" in t) and _SENTENCE_BREAK.search(t) \
            or _NOT_A_TITLE.search(t):
        return False
    latin_words = len(P.LATIN_WORD.findall(t))
    cjk = len(P.CJK.findall(t))
    cyr = len(P.CYRILLIC_WORD.findall(t))
    if latin_words + cyr < 2 and cjk < 4 and not (latin_words == 1 and len(t) >= 3 and cjk == 0
                                                  and _coined(t)):
        return False
    if latin_words + cyr > 32 or cjk > 60:
        return False
    return len(_DIGIT.findall(t)) * 2 < len(t)


def annotate(lines: list[Line], ids_of) -> None:
    """Fill in every line's derived features. ``ids_of(text)`` lists the arXiv IDs written
    in a text (passed in so that this module stays free of the ID grammar)."""
    for line in lines:
        _annotate_line(line, ids_of)
        for cell in line.cells or ():
            _annotate_line(cell, ids_of)


def _annotate_line(line: Line, ids_of) -> None:
    text = line.text
    ids: list[str] = []
    for lk in line.links:
        if lk.arxiv_id and lk.arxiv_id not in ids:
            ids.append(lk.arxiv_id)
    for ident in ids_of(text):
        if ident not in ids:
            ids.append(ident)
    if not ids and (m := _TAIL_ID.search(text)) and (ident := parse_arxiv_id(m.group(1))):
        ids.append(ident)  # "SmoothQuant: … (ICML 2023) 2211.10438": an item's bare ID, last
    if not ids and "[" in text and (m := _PAGE_TITLE_ID.search(text)) \
            and (ident := parse_arxiv_id(m.group(1))):
        ids.append(ident)
    line.ids = ids
    line.latin = _latin_letters(text)
    # CJK / Hangul / Cyrillic characters: the text's length less what remains without them
    line.other = len(text) - len(_OTHER_CHARS.sub("", text)) if not text.isascii() else 0
    body, line.num = _strip_marker(text)
    if line.hint == "pre":
        line.num = None  # "1. load_model()" in a code block numbers nothing the post presents
    line.body = body
    if line.hint == "hr" or line.cells is not None:
        return
    if len(body) <= 80:  # headings and labels are short; a paragraph is none of them
        line.ref = bool(P.REF_HEAD.match(body))
        line.sub = not line.ref and bool(P.SUBHEAD.match(body))
        line.more = bool(P.MORE_HEAD.match(body))
    line.ref_prefix = bool(P.REF_PREFIX.match(body))
    for name, pattern in (("title", P.TITLE_LABEL), ("authors", P.AUTHOR_LABEL)):
        m = pattern.match(body)
        if m:
            line.label, line.label_rest = name, m.group("rest").strip()
            break
    else:
        for name, pattern in (("paper", P.PAPER_LABEL), ("resource", P.RESOURCE_LABEL),
                              ("link", P.LINK_LABEL), ("affil", P.AFFIL_LABEL)):
            m = pattern.match(body)
            if m:
                line.label, line.label_rest = name, body[m.end():].strip()
                break
    residue = _residue(line)
    if line.links:
        line.link_only = _only_decoration(_strip_marker(residue)[0])
    elif ids and len(text) <= 60 and _only_decoration(P.URL_TEXT.sub("", re.sub(
            r"(?i)(?:arxiv\s*[:：]?\s*)?\d{4}\.\d{4,5}(?:v\d+)?", "", body))):
        line.link_only = True  # "arXiv:2401.12345" alone
    first = line.links[0] if line.links else None
    if first is not None and first.paper and not _strip_marker(text[:first.start] + "x")[0][:-1].strip(" *_[(（"):
        line.lead = first
    if len(body) > 600:
        return  # a paragraph: not a date, a tag line, an author list or a title
    line.date = len(body) < 40 and bool(P.DATE_LINE.match(body))
    line.tags_only = "#" in text and not P.ALNUM.search(P.HASHTAG.sub("", text))
    if line.label == "authors":
        line.authors = names.parse_authors(line.label_rest)
    elif not line.links and body[-1:] not in P.SENTENCE_END:
        line.authors = names.author_line(body)
    line.title_like = (line.hint != "pre" and not line.link_only and line.label is None and not line.ref and not line.sub
                       and not line.tags_only and not line.authors and title_like(body))
