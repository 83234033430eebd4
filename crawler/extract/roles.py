"""Entries → papers with roles, the blog's own words, hashtags and language.

Each entry's link / ID is a **primary**; every other arXiv ID of the post (in commentary
sentences, parentheses, "See also", reference sections, bare link lists, chrome that
survived) is a **reference**. An entry's text is the blog's own words: its lines minus the
title, labels, links and, in a non-English post, the copied English abstract. Pure.
"""

from __future__ import annotations

import re

from ..lang import detect_lang
from ..models import FoundPaper
from . import patterns as P
from .candidates import title_candidates
from .lines import Line
from .segment import Entry

_EMPTY_BRACKETS = re.compile(r"\s*(?:\(\s*\)|（\s*）|\[\s*\]|【\s*】)")


def _strip_tags(text: str) -> str:
    return " ".join(P.HASHTAG.sub(" ", text).split())


def hashtags(texts: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for t in texts:
        if "#" not in t:
            continue
        for m in P.HASHTAG.finditer(t):
            tag = m.group(1)
            if any(ch.isalpha() for ch in tag) and len(tag) <= 40 and tag not in out:
                out.append(tag)
    return tuple(out)


def _english(line: Line) -> bool:
    return line.latin >= 40 and line.other <= 0.02 * line.latin


def _without_urls(line: Line) -> str:
    """The line's text with bare URLs dropped (the words around a link stay)."""
    text = line.text
    for lk in sorted(line.links, key=lambda lk: -lk.start):
        if lk.text and P.URL_TEXT.match(lk.text) and text[lk.start:lk.start + len(lk.text)] == lk.text:
            text = text[:lk.start] + text[lk.start + len(lk.text):]
    text = _EMPTY_BRACKETS.sub("", text)
    return " ".join(text.split())


def entry_text(lines: list[Line], e: Entry, non_english: bool) -> tuple[str, tuple[str, ...]]:
    """The blog's own words in entry ``e`` and its hashtags. In a non-English post (or an
    entry whose commentary is not English) English paragraphs are the copied abstract or
    summary and are left out; so is the English text under an "Abstract" sub-heading."""
    span = [j for j in range(e.start, e.end) if j not in e.skip]
    if not non_english:
        non_english = any(lines[j].other >= 15 and lines[j].hint[0] != "h" for j in span)
    out: list[str] = [e.words] if e.words else []
    tags_src: list[str] = [e.words] if e.words else []
    skip_sub = abstract_sub = False
    last_skip = max(e.skip, default=e.start)
    first = True
    for j in range(e.start, e.end):
        line = lines[j]
        if line.hint == "hr" or line.table:
            continue
        if j != e.start and (line.ref or line.sub or line.more or (line.label and not line.label_rest
                                                                   and not line.links)):
            skip_sub = line.ref or line.more or line.label in ("paper", "link", "resource")
            abstract_sub = bool(P.ABSTRACT_HEAD.search(line.text)) and len(line.text) < 40
            continue
        if j in e.skip or line.link_only or line.label in ("resource", "paper", "link", "affil"):
            continue
        tags_src.append(line.text)
        if skip_sub or line.ref_prefix:
            continue
        if line.tags_only:
            continue
        if non_english and _english(line):
            continue  # copied English abstract / summary
        if abstract_sub and _english(line):
            abstract_sub = False
            continue
        if first and not non_english and e.link is not None and e.kind == "run" and _english(line) \
                and len(line.text) > 600 and j == last_skip + 1:
            first = False
            continue  # runs in English posts: the long abstract right after Title (Authors)
        first = False
        text = _strip_tags(_without_urls(line))
        if text:
            out.append(text)
    return "\n".join(out), hashtags(tags_src)


def text_lang(text: str, source_lang: str | None) -> str | None:
    """lingua on the blog's text; a line of a few words is too short to tell reliably, so
    there the source's configured language wins when there is one."""
    if source_lang and sum(1 for ch in text if ch.isalpha()) < 40:
        return source_lang
    return detect_lang(text) or source_lang


def _candidates(lines: list[Line], e: Entry, post_title: str | None) -> tuple[str, ...]:
    found = title_candidates(lines, e, post_title)
    if e.flag == "described":  # described, not named: only its own title may name it
        return tuple(c for c in found if e.title and c in e.title)
    return found


def papers(lines: list[Line], entries: list[Entry], source_lang: str | None,
           post_title: str | None = None) -> list[FoundPaper]:
    latin = sum(line.latin for line in lines)
    other = sum(line.other for line in lines)
    # CJK / Hangul characters carry ~3 Latin letters' worth of text each
    non_english = other > 0 and other * 3 >= 0.1 * latin
    found: list[FoundPaper] = []
    primary_ids: set[str] = set()
    for e in entries:
        arxiv_id = e.link.arxiv_id if e.link is not None else e.text_id
        flag = e.flag
        if e.link is not None and arxiv_id is None:
            flag = "invalid-arxiv-id" if e.link.bad_arxiv else "non-arxiv-link"
        if arxiv_id is not None and arxiv_id in primary_ids:
            continue
        text, labels = entry_text(lines, e, non_english)
        found.append(FoundPaper(
            arxiv_id=arxiv_id, role="primary", title=e.title or None, authors=tuple(e.authors),
            text=text, lang=text_lang(text, source_lang), labels=labels, flag=flag,
            candidates=_candidates(lines, e, post_title),
        ))
        if arxiv_id is not None:
            primary_ids.add(arxiv_id)
    seen = set(primary_ids)
    post_lang: list[str | None] = []  # detected once, on the first reference: all share it
    for line in lines:
        for ident in line.ids:
            if ident in seen:
                continue
            seen.add(ident)
            anchor = next((lk.text for lk in line.links if lk.arxiv_id == ident), "")
            ref_title = anchor if anchor and not P.URL_TEXT.match(anchor) and "arxiv" not in anchor.lower() \
                and len(anchor) < 300 and " " in anchor else None
            if not post_lang:
                sample = " ".join(ln.text for ln in lines if len(ln.text) > 40)[:600]
                post_lang.append(text_lang(sample or line.text, source_lang))
            found.append(FoundPaper(
                arxiv_id=ident, role="reference", title=ref_title, text=line.text[:500],
                lang=post_lang[0],
            ))
    return found
