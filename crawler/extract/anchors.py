"""Where a post's papers are: the lines that give an entry's paper (anchors: a labelled
link, a line that is only a paper link, ``arXiv:ID`` opening a line), and the lines that
never do (reference sections, "See also:" lines, lists of bare paper links) (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import names
from . import patterns as P
from .lines import Line, Link


@dataclass(slots=True)
class Anchor:
    line: int
    link: Link | None
    text_id: str | None
    labelled: bool
    skip: tuple[int, ...] = ()  # the label line before it, if any


# ----------------------------------------------------------------------------- zones

def reference_lines(lines: list[Line]) -> set[int]:
    """Lines under a reference heading ("References", "参考文献", "См. также"), up to the
    next section at that heading's level (or a numbered title line of another sequence),
    or the end; "See also: …" lines; bracket-numbered citations; footnotes (↩)."""
    out: set[int] = set()
    zone = False
    zone_num: str | None = None
    zone_level = 9
    later: dict[str, int] = {}
    for i, line in enumerate(lines):
        later[line.text] = i
    for i, line in enumerate(lines):
        if line.ref and later[line.text] == i:  # (a heading that recurs later is a TOC entry)
            zone, zone_num, zone_level = True, None, _level(line)
            out.add(i)
            continue
        if zone:
            if line.num and zone_num is None:
                zone_num = line.num[0]
            elif (line.num and line.num[0] != zone_num and line.title_like and not line.links) or (
                    _level(line) <= min(zone_level, 3) and line.title_like and not line.ids):
                zone = False
        if zone or line.ref_prefix or (line.num and line.num[0] == "bracket" and line.ids
                                      and not line.lead) or (line.ids and "↩" in line.text):
            out.add(i)
    return out


def _level(line: Line) -> int:
    return int(line.hint[1]) if line.hint[0] == "h" and line.hint != "hr" else 9


def bare_link_lists(lines: list[Line]) -> set[int]:
    """Runs of link-only lines naming two or more different papers with no title between
    them: a list of links is a reference list, not entries."""
    out: set[int] = set()
    run: list[int] = []

    def close() -> None:
        ids = {lines[j].ids[0] for j in run if lines[j].ids}
        if len(ids) >= 2:
            out.update(run)
        run.clear()
    for i, line in enumerate(lines):
        if line.label is None and line.paper_link is not None and not title_link(line) and (
                line.link_only or _url_with_note(line)):
            run.append(i)
        elif line.text.strip() and line.hint != "hr":
            close()
    close()
    return out


def _url_with_note(line: Line) -> bool:
    """``https://arxiv.org/abs/… (the later version has the 14B results)``: a bare link and
    a parenthetical note, no title."""
    lk = line.lead
    if lk is None or not P.URL_TEXT.match(lk.text or "") and not P.DOMAIN_TEXT.match(lk.text or ""):
        return False
    rest = line.text[lk.start + len(lk.text):].strip().lstrip("…").strip()
    return rest[:1] in "(（[-–—" and len(rest) <= 160


def title_link(line: Line) -> bool:
    """A line that is one (paper) link whose text is a title ("[Attention Is All…](arXiv)")."""
    lk = line.paper_link or (line.links[0] if len(line.links) == 1 and line.link_only else None)
    return lk is not None and bool(lk.text) and not P.URL_TEXT.match(lk.text) \
        and not P.LINK_TEXT_LABEL.match(lk.text) and names.title_ok(names.clean_title(lk.text))


# ----------------------------------------------------------------------------- anchors

def find_anchors(lines: list[Line], excluded: set[int]) -> dict[int, Anchor]:
    out: dict[int, Anchor] = {}
    pending: int | None = None  # a label line waiting for its link
    for i, line in enumerate(lines):
        if i in excluded or line.hint == "hr":
            pending = None
            continue
        if line.table:
            pending = None
            if line.ids and (m := _OPENING_ID.match(line.text)) and m.group(1) == line.ids[0]:
                # a metadata box "arXiv: 2603.03756 | Lab: … | ⬆️ 74" (not a table of papers)
                out[i] = Anchor(i, None, line.ids[0], True)
            continue
        if line.label in ("paper", "link") and not line.links and not line.ids \
                and not line.label_rest.strip(" :：-–—→"):
            pending = i if line.label == "paper" else -i - 1  # link labels need a paper link
            continue
        # "Источник: …, arXiv:2512.24601": a link label whose text is a paper's ID points at it
        labelled = line.label == "paper" or line.label == "link" and (
            line.paper_link is not None or not line.links and bool(line.ids))
        if pending is not None:
            strong = pending >= 0
            if line.links or line.ids:
                link = line.paper_link or (line.links[0] if strong and line.links else None)
                text_id = None if link else (line.ids[0] if line.ids else None)
                if (link is not None or text_id) and (line.link_only or strong):
                    out[i] = Anchor(i, link, text_id, True, (pending if strong else -pending - 1,))
                    pending = None
                    continue
            if line.text.strip():
                pending = None
        if labelled and (line.links or line.ids):
            link = line.paper_link or (line.links[0] if line.label == "paper" and line.links else None)
            text_id = None if link else (line.ids[0] if line.ids else None)
            if link is not None or text_id:
                out[i] = Anchor(i, link, text_id, True)
                continue
        if line.lead is not None and (line.link_only or P.LINK_TEXT_LABEL.match(line.lead.text or "")
                                      or title_link(line) or _url_with_note(line)):
            # a paper link alone, "[PDF](…) abstract…", or a linked title "<a>Title</a> (Authors)"
            out[i] = Anchor(i, line.lead, None, bool(P.LINK_TEXT_LABEL.match(line.lead.text or "")))
        elif line.link_only and not line.links and line.ids:
            out[i] = Anchor(i, None, line.ids[0], False)
        elif not line.links and line.ids and (m := _OPENING_ID.match(line.text)) \
                and m.group(1) == line.ids[0] and len(line.text) - m.end() <= 80:
            # "arXiv 2607.26998 · cs.CL · LLM Safety": an entry's ID line and its tags
            out[i] = Anchor(i, None, line.ids[0], True)
    return out


_OPENING_ID = re.compile(r"^\s*arxiv\s*[:：]?\s*(\d{4}\.\d{4,5})(?:v\d+)?\b", re.I)


# ----------------------------------------------------------------------------- openers
