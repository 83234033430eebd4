"""The one paper of a post without entry structure: its labelled link, the paper link
that opens it, a link the post introduces ("论文为:", "the paper:"), a BibTeX record, a
paper named in prose, or the paper the post's title names (pure)."""

from __future__ import annotations

import re

from . import names
from . import patterns as P
from .candidates import _COINED
from .lines import Line
from .segment import Entry


def authors_after_link(line: Line, link) -> tuple[str, ...]:
    """``Paper: <link> · A. Author, B. Author (Lab)``: the names after the link."""
    rest = line.text[link.start + len(link.text):] if link.text else ""
    for seg in rest.replace(" by ", " · ").split(" · "):
        seg = seg.strip(" ,:;|—–-")
        if "," in seg:
            authors = names.parse_authors(seg, min_count=2)
            if authors:
                return authors
    return ()


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
            e.authors = authors_after_link(lines[chosen.line], e.link)
        if e.title is None and chosen.text_id and (m := AFTER_ID.search(lines[chosen.line].text)) \
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
    cited = _cited_by_title(lines, [e.title, post_title], excluded)
    if cited is not None:  # '[^1]: T. Mikolov et al., "Efficient Estimation of …", 2013, <arXiv>'
        e.anchor, e.text_id = cited
        e.skip.add(cited[0])
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
            title = names.clean_title((m.group("a") or m.group("b") or m.group("c") or "").strip(" .,:;"))
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
        part = names.clean_title(part)  # "[논문리뷰] Attention is all you need": without its tag
        if names.latin_part(part) and names.title_ok(part) and len(part.split()) >= 2:
            out.append(part)
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


_TITLE_PARTS = re.compile(r"\s+[-–—|/]\s+|[:：]\s+|[「」『』“”\"'()（）]")


def _cited_by_title(lines: list[Line], titles: list[str | None], excluded: set[int]):
    """The ID written next to the paper's English title, which the post's title (or its
    title label) also gives: a footnote or a citation line of the paper the post reads."""
    wanted = {" ".join(part.casefold().split()) for t in titles if t
              for part in _TITLE_PARTS.split(t) if len(part.split()) >= 3 and names.title_ok(part.strip())}
    if not wanted:
        return None
    for j, line in enumerate(lines):
        if j in excluded or len(set(line.ids)) != 1:
            continue
        text = " ".join(line.text.casefold().split())
        if any(w in text for w in wanted):
            return j, line.ids[0]
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


AFTER_ID = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?\]\s*(.+?)(?:\s*\[\d{1,3}\])?\s*$")


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
