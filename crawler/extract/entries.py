"""Choose the post's segmentation and complete its entries (title, authors, single-paper
posts). Pure, no I/O.

Every strategy of :mod:`.segment` proposes entries; the winner explains the most anchors,
then has the most entries with a real title, then the most specific evidence (link-first
runs, a numbering sequence, title labels, openers found backwards, heading tags, item
lines). Table rows are added to any of them; item lines outside the chosen entries too.
A post with no entry at all is a single-paper post when it has a labelled paper link, opens
with a paper link, or names a paper in its title and talks about a paper.
"""

from __future__ import annotations

import re
from collections import Counter

from . import names
from . import patterns as P
from .anchors import bare_link_lists, find_anchors, reference_lines, title_link
from .candidates import _COINED
from .items import items
from .lines import Line
from .segment import (
    Entry,
    authors_line,
    backward,
    opener_ok,
    runs,
    styled,
)
from .single import AFTER_ID, authors_after_link, single
from .tables import table_entries

_PRIORITY = {"run": 5, ("num",): 4, ("title-label",): 4, "backward": 3, ("hint",): 2, "item": 1}


def _score(entries: list[Entry], priority: int) -> tuple:
    keys = {(e.link.arxiv_id or e.link.href) if e.link else e.text_id for e in entries
            if e.anchor is not None}
    strong = len({e.title.casefold() for e in entries
                  if e.anchor is None and e.title and names.title_ok(e.title)})
    return len(keys), strong, priority


def _template_titles(entries: list[Entry]) -> set[str]:
    """Headings a post repeats ("A: Contribution", "B: Method" in every section): a
    template's labels, never a paper's title."""
    seen = Counter(e.title.casefold() for e in entries if e.title)
    return {t for t, n in seen.items() if n > 1}


def find_entries(lines: list[Line], post_title: str | None) -> list[Entry]:
    rows, table_lines = table_entries(lines)
    # a post that says it is about papers: its numbered items may describe them without
    # a Latin-script title (a list of translated abstracts), to be found by the model assist
    described = not any(line.ids for line in lines) and bool(P.STRONG_PAPER_HINT.search(
        f"{post_title or ''} " + " ".join(line.body for line in lines[:40] if not line.link_only)))
    excluded = reference_lines(lines) | bare_link_lists(lines) | table_lines
    anchors = find_anchors(lines, excluded)
    linked_first = runs(lines, anchors, excluded)
    # link-first posts name their authors ("Title (Authors)"); without them a title after a
    # link is as likely the next entry's title
    with_authors = sum(1 for e in linked_first if e.authors)
    run_priority = _PRIORITY["run"] if with_authors * 2 >= len(linked_first) else 2
    options: list[tuple[list[Entry], int]] = [(linked_first, run_priority),
                                              (backward(lines, anchors, excluded), _PRIORITY["backward"])]
    for entries in styled(lines, anchors, excluded):
        style = _style_key(lines[entries[0].start]) if entries else None
        options.append((entries, _PRIORITY.get(style, 2)))
    listed = items(lines, excluded)
    options.append((listed, _PRIORITY["item"]))
    best: list[Entry] = []
    best_score = (0, 0, 0)
    most = max((_score(entries, 0)[0] for entries, _p in options), default=0)
    for entries, priority in options:
        if most and _score(entries, 0)[0] < most:
            continue  # explains fewer paper links than another reading: cannot win
        for e in entries:
            _complete(lines, e)
        entries[:] = _credible(lines, entries, described)
        if not entries:
            continue
        score = _score(entries, priority)
        if score[:2] > best_score[:2] or (score[:2] == best_score[:2] and score[2] > best_score[2]):
            best, best_score = entries, score
    chosen = list(best)
    if best is not listed:
        taken = {e.anchor for e in chosen}
        first = min((e.start for e in chosen), default=len(lines))
        chosen += [e for e in listed if e.start < first and e.anchor not in taken]
    if rows:
        chosen = _with_rows(chosen, rows, table_lines)
    if not chosen:
        chosen = single(lines, post_title, excluded, anchors)
    return sorted(chosen, key=lambda e: e.start)


def _credible(lines: list[Line], entries: list[Entry], described: bool = False) -> list[Entry]:
    """Entries with a paper link, plus title-only entries that name a paper: with authors or
    a title label, or as siblings of linked entries, or in a numbered list of English titles;
    in a post about papers, a numbered list of substantial items whatever their language."""
    anchored = sum(1 for e in entries if e.anchor is not None)
    glossed = {e.start for e in entries if e.anchor is None and e.title and _glossed_term(lines[e.start], e.title)}
    titled = [e for e in entries if e.anchor is None and e.title and names.title_ok(e.title)
              and e.start not in glossed]
    # a numbered list of English titles (some of them linked): its title-only items are papers
    numbered = (len(titled) >= 3 or len(titled) >= 2 and anchored >= 1 and _one_sequence(lines, entries)) \
        and all(lines[e.start].num is not None for e in titled)
    bare = [e for e in entries if e.anchor is None]
    if described and not anchored and not titled and len(bare) >= 3 and all(
            lines[e.start].num is not None and e.title
            and sum(len(lines[j].text) for j in range(e.start, e.end)) >= 80 for e in bare):
        for e in bare:  # numbered descriptions, no Latin title: for the model assist
            e.flag = e.flag or "described"
        return entries
    out = []
    template = _template_titles(entries)
    for e in entries:
        if e.anchor is None and e.title and e.title.casefold() in template:
            continue
        if e.anchor is not None or e.kind in ("row", "item") or e.title and names.title_ok(e.title) and (
                e.authors or e.kind == "run" or lines[e.start].label == "title" or e.titled_by
                or any(lines[j].label == "title" for j in e.skip)
                or anchored >= 2 or numbered and e.start not in glossed) or (
                # in a numbered list of papers, an item may name its paper by its short name
                # ("3. Mamba - …"): an entry the resolver takes only if the name is unique
                numbered and lines[e.start].num is not None and names.short_name(e.title)):
            out.append(e)
    return out


def _glossed_term(line: Line, title: str) -> bool:
    """"1. コンテキストが爆発する → 段階的開示（Context Constructor）": a native sentence that
    glosses a two-word English term, not an item naming a paper (a title of three words or
    more, or a coined name like "LoRA", "Phi-3", still names one)."""
    words = title.split()
    return line.other > 0 and not line.body.startswith(title) and len(words) <= 2 \
        and not any(_COINED.fullmatch(w) for w in words)


def _one_sequence(lines: list[Line], entries: list[Entry]) -> bool:
    """The entries' numbers rise through the post: one list, not a short list in a summary
    ("1. X — …", "2. Y — …") followed by numbered sections that start again at 1."""
    nums = [lines[e.start].num[1] for e in entries if lines[e.start].num is not None]
    return all(b > a for a, b in zip(nums, nums[1:], strict=False))


def _style_key(line: Line) -> tuple | None:
    if line.label == "title":
        return ("title-label",)
    if line.num is not None:
        return ("num",)
    if line.hint != "p":
        return ("hint",)
    return None


def _with_rows(entries: list[Entry], rows: list[Entry], table_lines: set[int]) -> list[Entry]:
    kept = []
    for e in entries:
        if e.start in table_lines or (e.anchor is not None and e.anchor in table_lines):
            continue
        cut = next((r for r in sorted(table_lines) if e.start < r < e.end), None)
        if cut is not None:
            e.end = cut
        kept.append(e)
    return kept + rows


# ----------------------------------------------------------------------------- completing

def _complete(lines: list[Line], e: Entry) -> None:
    """Title and authors of a section / backward entry from its opener, title label,
    author line and link text."""
    if e.kind in ("row", "item", "run") and e.title:
        return
    opener = lines[e.start]
    limit = min(e.end, e.start + 8)
    for j in range(e.start, limit):
        line = lines[j]
        if line.label == "title" and line.label_rest:
            e.title = names.clean_title(line.label_rest)
            e.skip.add(j)
            break
    if not e.authors:
        for j in range(e.start, limit):
            if j == e.start and e.anchor != j:
                continue
            authors = authors_line(lines[j])
            if authors:
                e.authors = authors
                e.skip.add(j)
                break
        if not e.authors and e.anchor is not None and e.link is not None:
            e.authors = authors_after_link(lines[e.anchor], e.link)
    if e.title:
        return
    candidates: list[str] = []
    if opener.num and opener.num[0] == "solo":  # "01" on its own line: the title follows
        nxt = next((j for j in range(e.start + 1, min(e.end, e.start + 4)) if lines[j].title_like), None)
        if nxt is not None:
            e.skip.add(nxt)
            opener = lines[nxt]
            if nxt + 1 < e.end and lines[nxt + 1].title_like and names.title_ok(lines[nxt + 1].body) \
                    and not names.latin_part(opener.body):  # the English title under a native one
                e.skip.add(nxt + 1)
                candidates.append(lines[nxt + 1].body)
    if e.start != e.anchor or e.link is None:
        body = opener.body
        if opener.lead is not None and opener.lead.text and not P.LINK_TEXT_LABEL.match(opener.lead.text):
            body = opener.lead.text
        ta = names.title_authors(body)
        if ta:
            candidates.append(ta[0])
            e.authors = e.authors or ta[1]
        elif opener_ok(opener) or opener.num is not None:
            paren = names.paren_title(body)  # "何恺明新作 MAE（Masked Autoencoders Are …）"
            head = _DASH.split(body, maxsplit=1)[0]
            if head == body or not names.title_ok(names.clean_title(head)):
                head = _HEAD.split(body, maxsplit=1)[0]  # "Name: what it does" keeps its colon
            if paren:
                candidates.append(paren)
            elif head != body and not (opener.link_only and opener.links) and (
                    len(body) > 100 or not names.title_ok(names.clean_title(body))):
                # (a heading that is one link is a title, however long: no description in it)
                ta = names.title_authors(head.strip())  # "DDPM — Ho, Jain, Abbeel, 2020. …"
                head_title = ta[0] if ta else names.clean_title(head)
                coined = _COINED.search(head_title)
                if not names.latin_part(head_title) and coined:  # "MM1 от Apple" → "MM1"
                    head_title = coined.group(0)
                candidates.append(head_title)
                if ta and not e.authors:
                    e.authors = ta[1]
            else:
                candidates.append(names.paren_title(body) or names.clean_title(body))
    if e.link is not None and e.link.text and not P.URL_TEXT.match(e.link.text) \
            and not P.LINK_TEXT_LABEL.match(e.link.text) and not P.DOMAIN_TEXT.match(e.link.text):
        linked = names.clean_title(e.link.text)
        # a linked title is the paper's own title: better than the section's heading
        candidates.insert(0 if names.title_ok(linked) and len(linked.split()) >= 3 else len(candidates), linked)
    for j in sorted(e.skip):  # a second link to the same paper whose text is its title
        for lk in lines[j].links:
            if e.link is not None and lk.arxiv_id and lk.arxiv_id == e.link.arxiv_id and lk.text \
                    and names.title_ok(lk.text) and not P.LINK_TEXT_LABEL.match(lk.text):
                candidates.append(lk.text)
    nxt = next((j for j in range(e.start + 1, min(e.end, e.start + 3)) if lines[j].text.strip()), None)
    below = lines[nxt] if nxt is not None else None
    own_title = e.anchor == e.start and e.link is not None and opener.lead is e.link and title_link(opener)
    if below is not None and nxt not in e.skip and not own_title \
            and (below.title_like or _opens_with_title(below)) \
            and (not below.links or _opens_with_title(below)) \
            and names.title_ok(names.clean_title(below.body)) and len(below.body.split()) >= 2:
        ta = names.title_authors(below.body)
        strong = bool(ta or _opens_with_title(below) or _AUTHOR_TAIL.search(below.body))
        if strong or (not names.title_ok(candidates[0] if candidates else "")
                      and len(below.body.split()) >= 3):
            # a heading, then the paper's title ("④ T5" / "Exploring the Limits…"; a topic
            # heading / "<a>Title</a>", "Title (Authors)", "Title — A & B")
            lk = below.links[0] if below.links and _opens_with_title(below) else None
            whole = _AUTHOR_TAIL.sub("", below.body)
            title = ta[0] if ta else names.clean_title(
                lk.text if lk and len(lk.text.split()) >= 2 else whole)  # "U-Mamba — “Enhancing …”"
            candidates.insert(0, title)
            e.skip.add(nxt)
            e.titled_by = "title-line" if strong else ""
    if e.text_id and e.anchor is not None and (m := AFTER_ID.search(lines[e.anchor].text)) \
            and names.title_ok(t := names.clean_title(m.group(1))):
        candidates.insert(0, t)  # "论文为：[2403.01744] NoteLLM: A Retrievable …": arXiv's page title
    english = [c for c in candidates if c and names.title_ok(c)]
    e.title = (english or candidates or [None])[0]
    if not e.titled_by and e.anchor is None and names.VENUE_TAIL.search(opener.body):
        e.titled_by = "citation"  # "1. Title. In AAAI 2019.": a paper, cited as papers are


_HEAD = re.compile(r"\s+[—–]\s+|\s+-\s+|:\s+|：")
_DASH = re.compile(r"\s+[—–]\s+|\s+-\s+")
_AUTHOR_TAIL = re.compile(r"\s[—–-]\s+[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+)*(?:\s*(?:,|&|and)\s*[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+)*)+\s*$")


def _opens_with_title(line: Line) -> bool:
    """The line opens with a link whose text is a title (to a paper, a blog, a project)."""
    lk = line.links[0] if line.links else None
    if lk is None or lk.start > 4 or not lk.text or P.LINK_TEXT_LABEL.match(lk.text):
        return False
    text = names.clean_title(lk.text)
    return names.title_ok(text) and (len(text.split()) >= 2 or _COINED.fullmatch(text) is not None)
