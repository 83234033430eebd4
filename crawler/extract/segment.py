"""Understand the content: lines → entries (one per paper the post presents).

Entry boundaries come from textual evidence, so the same post gives the same entries
whether its titles are ``<h3>``, bold paragraphs, numbered ``<br>`` lines or Markdown:

* **anchors** (:mod:`.anchors`): the lines that give an entry's paper: a labelled link ("论文链接:", "Paper:",
  "Статья", "[PDF](…)" opening a line, a label line then the link on the next line), a
  line that is only a paper link, ``arXiv:ID`` alone. Lines in reference sections, "See
  also:" lines, and lists of bare paper links with no titles are never anchors.
* **openers**: where an entry starts: a numbered line of the post's numbering sequence,
  a title line ("Title (Authors)", a title label, a short title-like line), or a paper
  link followed by its title (link-first posts).

Several segmentations are tried — link-first runs, sections at each opener style the
post uses, openers found backwards from each anchor, self-contained item lines (reading
lists, "Title — URL": :mod:`.items`), table rows (:mod:`.tables`), a single paper
(:mod:`.single`) — and :func:`.entries.find_entries` keeps the one that explains the most
anchors with the fewest leftovers. This module holds the section readings. Pure, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import names
from . import patterns as P
from .anchors import Anchor, title_link
from .lines import Line, Link


@dataclass(slots=True)
class Entry:
    start: int  # first line (the opener)
    end: int  # exclusive
    title: str | None = None
    authors: tuple[str, ...] = ()
    anchor: int | None = None  # the line holding the primary link / ID
    link: Link | None = None
    text_id: str | None = None  # primary written as text ("arXiv:2401.12345")
    skip: set[int] = field(default_factory=set)  # lines that are not the blog's words
    flag: str | None = None
    kind: str = "section"  # "run" | "section" | "item" | "row" | "single"
    words: str = ""  # the blog's words carried by the entry's own line (row / item note)
    titled_by: str = ""  # where a link-less entry's title came from ("linked", "below", …)


def opener_ok(line: Line) -> bool:
    if line.table or line.hint in ("hr", "pre") or line.ref or line.sub or line.more or line.date:
        return False
    if line.label == "title" or (line.link_only and line.label is None and title_link(line)):
        return True  # a title label, or a title that is a link ("<h3><a>Title</a></h3>")
    return line.title_like or (line.num is not None and names.title_ok(names.clean_title(line.body))
                               and len(line.body) < 220)


def _style(line: Line) -> tuple | None:
    """What makes a line an opener of its kind, as a key shared by its siblings."""
    if line.label == "title":
        return ("title-label",)
    if line.num is not None and line.num[0] != "bracket" and not line.link_only:
        # every line of the post's numbering is an opener candidate ("① Transformer",
        # "1. DDPM — Ho et al., 2020. What it changed…"): the sequence decides, not the length
        return ("num", line.num[0])
    if line.hint in ("h1", "h2", "h3", "h4", "h5", "h6", "b") and (line.title_like or title_link(line)):
        return ("hint", line.hint)
    return None


def _numbered_run(lines: list[Line], idxs: list[int]) -> list[int]:
    """The numbered lines that form the post's sequence 1, 2, 3… (restarts allowed)."""
    out = []
    expect = None
    for i in idxs:
        value = lines[i].num[1]
        if expect is None or value == 1 or expect <= value <= expect + 2:
            out.append(i)
            expect = value + 1
    return out


def _anchor_groups(lines: list[Line], anchors: dict[int, Anchor]) -> list[list[int]]:
    """Anchors in order, consecutive ones naming the same paper merged ("arxiv.org" link
    then "Title" link, both to 2310.02207)."""
    groups: list[list[int]] = []
    for i in sorted(anchors):
        key = _anchor_key(anchors[i])
        if groups:
            last = groups[-1][-1]
            between = [j for j in range(last + 1, i) if lines[j].text.strip()]
            if key == _anchor_key(anchors[last]) and all(
                    lines[j].link_only or j in anchors[i].skip or not lines[j].links and len(lines[j].text) > 80
                    for j in between):
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def _anchor_key(a: Anchor) -> str:
    if a.link is not None:
        return a.link.arxiv_id or a.link.href
    return a.text_id or ""


def _trailing(lines: list[Line], start: int, stop: int) -> int:
    """The first line at or after ``start`` that is not the previous entry's trailing
    resources ("GitHub 地址:" + URL, "Read more" + tweet link, link-only lines)."""
    j = start
    after_label = False
    while j < stop:
        line = lines[j]
        if line.label in ("resource", "link", "paper") or line.more or line.link_only \
                or (after_label and line.links) or not line.text.strip() or line.tags_only:
            after_label = line.label is not None and not line.label_rest or line.more
            j += 1
            continue
        if after_label and len(line.text) < 40 and not line.title_like:
            j += 1  # "🧵 thread" under a "Read more" link
            continue
        break
    return j


def _similar(a: Line, b: Line) -> int:
    score = 0
    if a.num and b.num and a.num[0] == b.num[0]:
        score += 3
    if a.hint == b.hint and a.hint != "p":
        score += 2
    if (" / " in a.text) == (" / " in b.text):
        score += 1
    if names.latin_part(a.body) == names.latin_part(b.body):
        score += 1
    if 0.33 < (len(a.body) + 1) / (len(b.body) + 1) < 3:
        score += 1
    return score


def _repeated_headings(lines: list[Line]) -> set[str]:
    """Headings a post writes in every section ("構成", "Key contributions", "まなび"): the
    sections' template, never the line that opens one."""
    seen: dict[str, int] = {}
    for line in lines:
        if (line.hint[0] == "h" or line.title_like) and line.body:
            key = line.body.casefold()
            seen[key] = seen.get(key, 0) + 1
    return {k for k, n in seen.items() if n > 1}


def backward(lines: list[Line], anchors: dict[int, Anchor], excluded: set[int]) -> list[Entry]:
    """Each anchor's entry opens at a title line found backwards from it: the nearest one
    when posts put the link right under the title, else the first one after the previous
    entry's links (posts that end each entry with its link)."""
    groups = _anchor_groups(lines, anchors)
    if not groups:
        return []
    gaps: list[list[int]] = []
    prev = 0
    template = _repeated_headings(lines)
    for g in groups:
        lo = _trailing(lines, prev, g[0]) if prev else 0
        gaps.append([j for j in range(lo, g[0]) if j not in excluded and opener_ok(lines[j])
                     and lines[j].body.casefold() not in template])
        prev = g[-1] + 1
    near = 0
    for g, cands in zip(groups, gaps, strict=True):
        if cands and all(lines[j].label in ("authors", "paper", "link", "affil") or not lines[j].text.strip()
                         or j in anchors[g[0]].skip or authors_line(lines[j])
                         for j in range(cands[-1] + 1, g[0])):
            near += 1
    use_near = near * 2 > len(groups)
    openers: list[int | None] = []
    for k, cands in enumerate(gaps):
        head = lines[groups[k][0]]
        if not cands or (head.lead is not None and title_link(head)):
            openers.append(None)  # none, or the anchor is its own title ("- [Name](arXiv) — note")
        elif use_near:
            openers.append(cands[-1])
        elif k == 0 and len(groups) > 1:
            others = [o for o in (gaps[m][0] for m in range(1, len(gaps)) if gaps[m]) if o is not None]
            best = max(cands, key=lambda j: (sum(_similar(lines[j], lines[o]) for o in others), -j))
            openers.append(best)
        else:
            openers.append(cands[0])
    entries = []
    own: list[Entry] = []  # entries whose anchor line is their own title
    for g, opener in zip(groups, openers, strict=True):
        start = opener if opener is not None else g[0]
        e = _entry_at(lines, start, anchors[g[0]], [anchors[i] for i in g], "section")
        head = lines[g[0]]
        if start == g[0] and head.lead is not None and title_link(head):
            note = head.text[head.lead.start + len(head.lead.text):]
            e.words = names.cut_citation("x " + note.strip(" :：-–—,;"))[2:].strip(" :：-–—,;")
            own.append(e)
        entries.append(e)
    close_entries(entries, len(lines))
    for e in own:  # an item that is its own title ends where the next linked item opens
        e.end = next((j for j in range(e.start + 1, e.end) if lines[j].links
                      and lines[j].links[0].start <= 4 and lines[j].hint == lines[e.start].hint), e.end)
    return entries


def authors_line(line: Line) -> tuple[str, ...] | None:
    return line.authors


def _entry_at(lines: list[Line], start: int, anchor: Anchor | None, group: list[Anchor],
              kind: str) -> Entry:
    e = Entry(start, start + 1, kind=kind)
    e.skip.add(start)
    if anchor is not None:
        e.anchor, e.link, e.text_id = anchor.line, anchor.link, anchor.text_id
        for a in group:
            e.skip.add(a.line)
            e.skip.update(a.skip)
    return e


def close_entries(entries: list[Entry], n: int) -> None:
    entries.sort(key=lambda e: e.start)
    for k, e in enumerate(entries):
        e.end = entries[k + 1].start if k + 1 < len(entries) else n
        e.end = max(e.end, e.start + 1)


# ----------------------------------------------------------------------------- strategies

def runs(lines: list[Line], anchors: dict[int, Anchor], excluded: set[int]) -> list[Entry]:
    """Link-first entries: a paper link alone on its line, then ``Title (Authors)`` (or the
    title, then ``(Authors)``); and ``Title (Authors)`` entries without a link."""
    entries: list[Entry] = []
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        found: Entry | None = None
        if i in anchors and not anchors[i].labelled and i not in excluded and i + 1 < n:
            nxt = lines[i + 1]
            ta = names.title_authors(nxt.body) if not nxt.links else None
            if ta:
                found = _entry_at(lines, i, anchors[i], [anchors[i]], "run")
                found.title, found.authors = ta
                found.skip.add(i + 1)
            elif not nxt.links and nxt.title_like and names.title_ok(nxt.body):
                authors = authors_line(lines[i + 2]) if i + 2 < n else None
                found = _entry_at(lines, i, anchors[i], [anchors[i]], "run")
                found.title = nxt.body
                found.skip.add(i + 1)
                if authors:
                    found.authors = authors
                    found.skip.add(i + 2)
        if found is None and not line.links and i not in excluded and not line.table:
            ta = names.title_authors(line.body, min_count=2)
            if ta:
                found = Entry(i, i + 1, ta[0], ta[1], kind="run", skip={i})
            elif i + 1 < n and line.title_like and names.title_ok(title := names.clean_title(line.body)) \
                    and (authors := authors_line(lines[i + 1])) \
                    and (lines[i + 1].body.startswith(("(", "（")) or names.short_cite(lines[i + 1].body)):
                # "Title" then "(Authors)" or "Vaswani et al., 2017" on the next line
                found = Entry(i, i + 1, title, authors, kind="run", skip={i, i + 1})
        if found is not None:
            entries.append(found)
            i = max(found.skip) + 1
            continue
        i += 1
    close_entries(entries, n)
    return entries


def styled(lines: list[Line], anchors: dict[int, Anchor], excluded: set[int]) -> list[list[Entry]]:
    """Sections at each opener style the post uses (its numbering, title labels, heading
    tags); each section's first anchor is its paper."""
    by_style: dict[tuple, list[int]] = {}
    for i, line in enumerate(lines):
        if i in excluded:
            continue
        st = _style(line)
        if st is not None:
            by_style.setdefault(st, []).append(i)
    out = []
    for st, idxs in by_style.items():
        if st[0] == "num":
            idxs = _numbered_run(lines, idxs)
        if len(idxs) < 2 and not any(i in anchors for i in idxs):
            continue
        entries = []
        for k, s in enumerate(idxs):
            end = idxs[k + 1] if k + 1 < len(idxs) else len(lines)
            inside = [a for a in sorted(anchors) if s <= a < end]
            own = lines[s].paper_link
            if own is not None and not inside and s not in excluded:  # "② <a>DDIM: …</a>"
                anchors_s = Anchor(s, own, None, False)
                inside, first = [s], anchors_s
            elif not inside and (named := _named_in_section(lines, s, end)) is not None:
                first = named  # "1. Title" … "(see [2203.02155] Title)": its arXiv page title
                inside = [named.line]
            else:
                first = anchors[inside[0]] if inside else None
            group = [anchors.get(a, first) for a in inside
                     if first and _anchor_key(anchors.get(a, first)) == _anchor_key(first)]
            e = _entry_at(lines, s, first, group, "section")
            e.end = end
            extra = [anchors[a] for a in inside if a in anchors and anchors[a].labelled and first is not None
                     and _anchor_key(anchors[a]) != _anchor_key(first) and anchors[a].link is not None
                     and anchors[a].link.arxiv_id]
            entries.append(e)
            for a in extra:  # a second labelled paper in the same section: presented too
                twin = _entry_at(lines, s, a, [a], "section")
                twin.end, twin.skip = end, e.skip
                entries.append(twin)
        out.append(entries)
    return out


def _named_in_section(lines: list[Line], start: int, end: int) -> Anchor | None:
    """The ID a section writes next to its own title, as an arXiv page title is written
    ("[2203.02155] Training language models to follow …"), with no link to anchor it."""
    head = set(re.findall(r"[a-z]{3,}", lines[start].body.lower()))
    if len(head) < 3:
        return None
    for j in range(start + 1, min(end, start + 6)):
        for m in P.PAGE_TITLE_ID.finditer(lines[j].text):
            words = set(re.findall(r"[a-z]{3,}", m.group(2).lower()))
            if m.group(1) in lines[j].ids and len(words & head) >= 0.8 * len(words):
                return Anchor(j, None, m.group(1), False)
    return None
