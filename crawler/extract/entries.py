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
from .candidates import _COINED
from .lines import Line
from .segment import (
    Entry,
    _authors_line,
    _opener_ok,
    _title_link,
    backward,
    bare_link_lists,
    find_anchors,
    items,
    reference_lines,
    runs,
    styled,
)
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
    titled = [e for e in entries if e.anchor is None and e.title and names.title_ok(e.title)]
    # a numbered list of English titles (some of them linked): its title-only items are papers
    numbered = (len(titled) >= 3 or len(titled) >= 2 and anchored >= 1) and all(
        lines[e.start].num is not None for e in titled)
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
                or anchored >= 2 or numbered) or (
                # in a numbered list of papers, an item may name its paper by its short name
                # ("3. Mamba - …"): an entry the resolver takes only if the name is unique
                numbered and lines[e.start].num is not None and names.short_name(e.title)):
            out.append(e)
    return out


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
            authors = _authors_line(lines[j])
            if authors:
                e.authors = authors
                e.skip.add(j)
                break
        if not e.authors and e.anchor is not None and e.link is not None:
            e.authors = _authors_after_link(lines[e.anchor], e.link)
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
        elif _opener_ok(opener) or opener.num is not None:
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
    own_title = e.anchor == e.start and e.link is not None and opener.lead is e.link and _title_link(opener)
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
    if e.text_id and e.anchor is not None and (m := _AFTER_ID.search(lines[e.anchor].text)) \
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


def _authors_after_link(line: Line, link) -> tuple[str, ...]:
    """``Paper: <link> · A. Author, B. Author (Lab)``: the names after the link."""
    rest = line.text[link.start + len(link.text):] if link.text else ""
    for seg in rest.replace(" by ", " · ").split(" · "):
        seg = seg.strip(" ,:;|—–-")
        if "," in seg:
            authors = names.parse_authors(seg, min_count=2)
            if authors:
                return authors
    return ()


# ----------------------------------------------------------------------------- single paper

def single(lines: list[Line], post_title: str | None, excluded: set[int], anchors) -> list[Entry]:
    """The one paper of a post with no entry structure: its labelled link, else the paper
    link that opens it, else (no arXiv link anywhere) the paper its title names."""
    n = len(lines)
    e = Entry(0, n, kind="single")
    for j, line in enumerate(lines):
        if j in excluded:
            continue
        if line.label == "title" and e.title is None and line.label_rest:
            e.title = names.clean_title(line.label_rest)
            e.skip.add(j)
        elif line.label == "authors" and not e.authors and (a := names.parse_authors(line.label_rest)):
            e.authors = a
            e.skip.add(j)
    labelled = [a for a in sorted(anchors) if anchors[a].labelled]
    chosen = anchors[labelled[0]] if labelled else None
    if chosen is None:
        first = next((j for j, line in enumerate(lines) if line.text.strip() and line.hint != "hr"
                      and not (line.title_like and not line.links) and not line.date), None)
        if first is not None and first in anchors:
            chosen = anchors[first]
        elif first is not None and lines[first].lead is not None and not lines[first].ref_prefix \
                and lines[first].lead.text and lines[first].text.startswith(lines[first].lead.text) \
                and first not in excluded:
            lead = lines[first].lead
            e.anchor, e.link = first, lead
            e.title = e.title or (lead.text if not P.URL_TEXT.match(lead.text) else None)
            return [e]
    if chosen is not None:
        e.anchor, e.link, e.text_id = chosen.line, chosen.link, chosen.text_id
        e.skip.add(chosen.line)
        e.skip.update(chosen.skip)
        if not e.authors and e.link is not None:
            e.authors = _authors_after_link(lines[chosen.line], e.link)
        if e.title is None and chosen.text_id and (m := _AFTER_ID.search(lines[chosen.line].text)) \
                and names.title_ok(t := names.clean_title(m.group(1))):
            e.title = t  # "论文为：[2403.01744] NoteLLM: A Retrievable …": arXiv's page title
        if e.title is None:
            if post_title:
                e.title = names.paren_title(post_title) or post_title.strip()
            elif e.link is not None and e.link.text and not P.URL_TEXT.match(e.link.text):
                e.title = e.link.text
        return [e]
    named = _named_paper_link(lines, post_title, excluded)
    if named is not None:  # the link the post's title or first sentence presents
        e.anchor, e.link = named
        e.title = e.title or names.clean_title(named[1].text)
        return [e]
    shared = _shared_link(lines, excluded)
    if shared is not None:  # a short post sharing one paper: "fascinating read https://arxiv.org/…"
        e.anchor, e.link, e.text_id = shared
        return [e]
    presented = _presented_id(lines, excluded)
    if presented is not None:  # "对应的论文为：[2403.01744] NoteLLM: …" with no link at all
        e.anchor, e.text_id, title = presented
        e.title = e.title or title
        e.skip.add(presented[0])
        return [e]
    cited = _bibtex_paper(lines)
    if cited is not None:  # a code README / project page: the one paper its BibTeX cites
        e.anchor, e.text_id, e.title = cited[0], cited[1], e.title or cited[2]
        e.skip.add(cited[0])
        return [e]
    labelled = next((ln for j, ln in enumerate(lines) if j not in excluded and ln.label == "paper"
                     and not ln.links and not ln.ids and names.title_ok(names.clean_title(ln.label_rest))), None)
    if labelled is not None:  # "Статья: KAN: Kolmogorov-Arnold Networks" with the link stripped
        e.title = e.title or names.clean_title(labelled.label_rest)
        e.flag = "named"
        return [e]
    linkpost = _link_post_title(lines, post_title)
    if linkpost:  # a link post: the linked page's title is the post's title (HN, Reddit)
        e.title = e.title or linkpost
        e.flag = "named"
        return [e]
    body = " ".join(line.body for line in lines[:60] if not line.link_only)
    if not P.PAPER_HINT.search(f"{post_title or ''} {body}"):
        return []
    if post_title and not any(line.ids or any(lk.bad_arxiv for lk in line.links) for line in lines):
        title = names.paren_title(post_title) or post_title.strip()
        if names.title_ok(title) or e.title:
            e.title = e.title or title
            e.flag = "post-title"
            return [e]
    prose = _prose_title(lines, excluded)
    if prose and not any(line.ids for line in lines):
        e.title = e.title or prose
        e.flag = "named"
        return [e]
    # a post about one paper it names only in its headline or opening ("Meta выкатила SAM 2",
    # "🐍 Mamba — new SSM…", "Phi-3 로컬에서 돌려보고…"): found by those names, if anywhere
    named = _headline_names(lines, post_title)
    if named and P.STRONG_PAPER_HINT.search(f"{post_title or ''} {body}"):
        e.title = e.title or named[0]
        e.flag = "named"
        return [e]
    return []


def _prose_title(lines: list[Line], excluded: set[int]) -> str | None:
    """The English title a native-language post introduces in its prose as the paper it
    reads ("…という論文を読んでみる", "논문 「…」", "статью «…»"), when it names one."""
    found: list[str] = []
    for j, line in enumerate(lines[:80]):
        if j in excluded or not line.other:
            continue
        for m in P.PROSE_TITLE.finditer(line.text):
            title = names.clean_title((m.group("a") or m.group("b") or "").strip(" .,:;"))
            if names.title_ok(title) and len(title.split()) >= 3 and title not in found:
                found.append(title)
    return found[0] if len(found) == 1 else None


def _link_post_title(lines: list[Line], post_title: str | None) -> str | None:
    want = " ".join((post_title or "").casefold().split())
    if len(want.split()) < 3:
        return None
    for line in lines[:5]:
        for lk in line.links:
            text = " ".join(lk.text.casefold().split())
            if text and text == want and names.title_ok(names.clean_title(lk.text)):
                return names.clean_title(lk.text)
    return None


def _headline_names(lines: list[Line], post_title: str | None) -> list[str]:
    """The names a post's headline and opening give its subject: coined names and English
    titles in the post title, the name before "—" / ":" of its first lines, bold names there."""
    out: list[str] = []
    title = post_title or ""
    if (paren := names.paren_title(title)):
        out.append(paren)
    out += [m.group(0) for m in _COINED.finditer(title)]
    for part in re.split(r"\s+[—–-]\s+|[:：|]\s*", title):
        if names.latin_part(part) and names.title_ok(part.strip()) and len(part.split()) >= 2:
            out.append(part.strip())
    opening = [ln for ln in lines[:8] if ln.text.strip() and not ln.link_only][:3]
    for ln in opening:
        head = re.split(r"\s+[—–-]\s+|[:：]\s+", names.clean_title(ln.body), maxsplit=1)
        if len(head) == 2 and (_COINED.fullmatch(head[0].strip()) or names.title_ok(head[0].strip())):
            out.append(head[0].strip())
        out += [s for s in ln.strong if _COINED.fullmatch(s.strip()) or (names.title_ok(s) and len(s.split()) >= 3)]
    return list(dict.fromkeys(o for o in out if o))


_PRESENTING = re.compile(
    r"(?i)\b(?:paper|preprint|report|study|work)\b[^.。]{0,12}[:：]?$|论文|論文|논문|стать[яиюе]|работ[аеуы]|препринт"
    r"|(?:original|оригинал|原文|原論文|원문|원\s*논문)\s*[:：]\s*$")
_STOP = frozenset("a an the of for with via from to in on and or is are as by at into towards its".split())  # noqa: SIM905


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()) if w not in _STOP and len(w) > 1}


def _named_paper_link(lines: list[Line], post_title: str | None, excluded: set[int]):
    """A post with no entry structure that presents one paper in passing: a link whose text
    is the post's title (a link post: "Mamba: Linear-Time … (arxiv.org)"), or the first paper
    link of the opening paragraph right after "the X paper," / "论文" ("OpenAI posted the
    GPT-3 paper, <Language Models are Few-Shot Learners>, on May 28")."""
    title_words = _words(post_title or "")
    opening = [j for j, line in enumerate(lines) if line.text.strip() and line.hint != "hr"
               and not line.title_like][:1]
    for j, line in enumerate(lines):
        if j in excluded:
            continue
        for lk in line.links:
            if not lk.arxiv_id or not lk.text or P.URL_TEXT.match(lk.text) or P.LINK_TEXT_LABEL.match(lk.text):
                continue
            words = _words(names.clean_title(lk.text))
            if title_words and len(words) >= 2 and words <= title_words | {"arxiv", "org"}:
                return j, lk
            if j in opening and lk is line.paper_link and names.title_ok(names.clean_title(lk.text)) \
                    and _PRESENTING.search(line.text[max(0, lk.start - 40):lk.start].rstrip(" ,「『“\"(（")):
                return j, lk
    return None


def _shared_link(lines: list[Line], excluded: set[int]):
    """A short post (a social post, a channel message) whose one arXiv ID is what it shares:
    (line, link, text ID) of it, or None."""
    text = [ln for j, ln in enumerate(lines) if j not in excluded and ln.text.strip()]
    ids = {i for ln in text for i in ln.ids}
    if len(ids) != 1 or sum(len(ln.text) for ln in text) > 400 or len(text) > 4:
        return None
    for j, line in enumerate(lines):
        if j not in excluded and line.ids:
            link = next((lk for lk in line.links if lk.arxiv_id), None)
            return j, link, None if link else line.ids[0]
    return None


_AFTER_ID = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?\]\s*(.+?)(?:\s*\[\d{1,3}\])?\s*$")


# "…的论文为:", "論文：", "The paper:", "Статья —": the ID that follows is the post's paper
_INTRODUCED = re.compile(r"(?i)(?:论文|論文|논문|paper|стать[яи]|препринт)\s*(?:为|為|是|は)?\s*[:：—-]$"
                         r"|(?:论文|論文)(?:为|為|是)$")


def _presented_id(lines: list[Line], excluded: set[int]) -> tuple[int, str, str | None] | None:
    """The one arXiv ID (written as text, no link) a post introduces as its paper: "the
    paper:" / "论文为:" / "論文:" right before it, among the post's first lines, and no other
    ID before it. With the title written after it, when there is one."""
    for j, line in enumerate(lines[:30]):
        if not line.ids:
            continue
        if j in excluded or any(lk.arxiv_id for lk in line.links):
            return None
        ident = line.ids[0]
        at = line.text.find(ident)
        if at < 0 or not _INTRODUCED.search(line.text[max(0, at - 40):at].rstrip(" [【(（「『“\"")):
            return None
        rest = re.sub(r"^(?:v\d+)?[\]】)）]?\s*[:：-]?\s*", "", line.text[at + len(ident):])
        rest = re.sub(r"\s*\[\d{1,3}\]\s*$", "", rest)  # a footnote mark
        title = names.clean_title(rest) if rest else None
        return j, ident, title if title and names.title_ok(title) else None
    return None


_BIB_START = re.compile(r"^\s*@\w+\s*\{")
_BIB_TITLE = re.compile(r"^\s*title\s*=\s*[{\"]+(.+?)[}\"]+\s*,?\s*$", re.I)


def _bibtex_paper(lines: list[Line]) -> tuple[int, str, str | None] | None:
    """(line, arXiv ID, title) of the only BibTeX entry of the post, when it cites one
    arXiv paper ("How to cite" of an implementation's README)."""
    found = []
    title = None
    inside = False
    for j, line in enumerate(lines):
        if _BIB_START.match(line.text):
            inside = True
            found.append([None, None])
            continue
        if not inside:
            continue
        if (m := _BIB_TITLE.match(line.text)) and found[-1][1] is None:
            title = m.group(1).replace("{", "").replace("}", "")
            found[-1][1] = title
        if line.ids and found[-1][0] is None:
            found[-1][0] = (j, line.ids[0])
        if line.text.strip() == "}":
            inside = False
    if len(found) != 1 or found[0][0] is None:
        return None
    (j, ident), title = found[0]
    return j, ident, title
