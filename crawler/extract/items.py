"""Self-contained item lines: a reading list's "Title — URL", "[Title](arXiv) (Authors, 2021):
note", "3. Title — Authors, 2019." then its link, an item whose link a copy dropped; and
the test that tells a link's title from a sentence citing it (pure)."""

from __future__ import annotations

import re

from . import names
from . import patterns as P
from .anchors import title_link
from .lines import Line, title_like
from .segment import Entry, close_entries


def items(lines: list[Line], excluded: set[int]) -> list[Entry]:
    """Self-contained item lines: a line that opens with a paper link whose text is a title
    ("[RoFormer: …](arXiv) (Su et al., 2021): note"), "Title — URL" / "Title: URL" /
    "Title [PDF]" / "Title (2018) arXiv:ID", or a citation "Authors, Title, Venue Year. URL"."""
    entries = []
    for i, line in enumerate(lines):
        if i in excluded or line.table or line.label is not None or line.num and line.num[0] == "bracket":
            continue
        lk = line.paper_link
        text_id = None
        if lk is None or (not lk.arxiv_id and line.ids and not any(x.arxiv_id for x in line.links)):
            if not line.ids:
                if lk is None:
                    continue
            else:
                text_id = line.ids[0]
                at = line.text.find(text_id)
                lk = None if at >= 0 else lk
        title = None
        note = ""
        if lk is not None and line.lead is lk and title_link(line):
            title = names.clean_title(lk.text)
            note = line.text[lk.start + len(lk.text):]
        else:
            start = lk.start if lk is not None else _id_start(line.text, text_id)
            if start is None or start == 0:
                continue
            before = line.text[:start]
            after = line.text[start + (len(lk.text) if lk is not None else len(text_id)):].strip()
            head = names.clean_title(re.sub(r"(?i)(?:arxiv\s*[:：]?|abs/|pdf/)\s*$", "",
                                            before.rstrip(" :：-–—→|([（【")).rstrip(" :：-–—→|([（【"))
            if head.endswith(".") and not head.endswith("..") and names.title_cased(head):
                head = head[:-1]
            noted = len(after) <= 40 or after[:1] in "(（[-–—:：·|"
            labelled = lk is not None and bool(lk.text) and bool(P.LINK_TEXT_LABEL.match(lk.text))
            cited = names.citation_title(before.strip())
            if cited and noted:
                title, note = cited, after
            elif head and (names.title_ok(head) or labelled and title_like(head)) and noted \
                    and not P.REF_PREFIX.match(before) and _title_line_text(before):
                title, note = head, after
                # "Title — 한국어 설명 — URL": the native half clean_title left out is the note
                native = before[before.find(head) + len(head):].strip(" :：-–—→|([（【") if head in before else ""
                if native and not names.latin_part(native):
                    note = f"{native} {after}".strip()
        if title is None:
            continue
        e = Entry(i, i + 1, title, kind="item", skip={i})
        e.anchor, e.link, e.text_id = i, lk, text_id
        ta = names.title_authors(title)
        if ta:
            e.title, e.authors = ta
        e.words = names.cut_citation("x " + note.strip(" :：-–—,;"))[2:].strip(" :：-–—,;")
        if P.CITATION_NOTE.match(e.words):
            e.words = ""
        entries.append(e)
    for i, line in enumerate(lines):  # "- SSRL (Tsinghua): … 🔗 Read the paper" whose link was lost
        if i in excluded or line.links or line.ids or line.table or not (m := _STRIPPED_LINK.search(line.body)):
            continue
        head = re.split(r"\s*[(（]|[:：]\s|\s[—–-]\s", line.body[:m.start()], maxsplit=1)[0]
        title = names.clean_title(head)
        if title != line.body[:m.start()].strip() and (names.title_ok(title) or names.short_name(title)):
            e = Entry(i, i + 1, title, kind="item", skip={i})
            rest = line.body[len(head):m.start()]
            colon = re.search(r"[:：]\s", rest)
            e.words = (rest[colon.end():] if colon else rest).strip(" :：-–—()（）")
            entries.append(e)
    taken = {e.start for e in entries}
    for i, line in enumerate(lines):  # "3. Title — Authors, 2019." then the link on its own line
        if i in excluded or i in taken or line.links or line.ids or not (
                line.num or line.hint == "li") or not names.title_ok(names.clean_title(names.cut_citation(line.body))):
            continue
        j = next((k for k in range(i + 1, min(i + 3, len(lines))) if lines[k].text.strip()), None)
        if j is None or j in excluded or j in taken or not lines[j].links or lines[j].paper_link is None \
                or not (lines[j].link_only or P.LINK_TEXT_LABEL.match(lines[j].links[0].text or "")):
            continue
        e = Entry(i, i + 1, names.clean_title(names.cut_citation(line.body)), kind="item", skip={i, j})
        e.anchor, e.link = j, lines[j].paper_link
        entries.append(e)
    entries += _cited_items(lines, excluded | {e.start for e in entries} | {j for e in entries for j in e.skip})
    close_entries(entries, len(lines))
    for e in entries:  # an item's words stop at the next heading / title line
        e.end = next((j for j in range(e.start + 1, e.end) if j not in e.skip and (
            lines[j].hint[0] == "h" or lines[j].title_like and lines[j].num)), e.end)
    return entries


# "- Mamba: Linear-Time … Gu & Dao · 2023", "- Lost in the Middle: … Liu et al. (TACL 2024) · 2023":
# a reading list's item as a citation (title, authors, year) whose link was not kept
_CITED_ITEM = re.compile(
    r"^(?P<title>.{12,250}?)\s+(?:[A-Z][\w'’-]+\s+(?:et\s+al\.?|&\s+[A-Z][\w'’-]+)"
    r"|[A-Z][\w-]*-AI|[A-Z][\w-]+\s+(?:Team|AI|Research))(?:\s*[(（][^()（）]{1,40}[)）])?"
    r"\s*[·•,]\s*(?:19|20)\d\d\.?\s*$")


def _cited_items(lines: list[Line], excluded: set[int]) -> list[Entry]:
    """List items written as citations without a link ("- Title Gu & Dao · 2023") or as a
    paper label whose link was lost ("arXiv: Title (2022)"), when the post has at least two:
    each is a paper, found later by its title."""
    found = []
    for i, line in enumerate(lines):
        if i in excluded or line.links or line.ids:
            continue
        if line.label == "paper":  # "arXiv: Memorizing Transformers (2022)": the label kept, the link lost
            title = names.clean_title(line.label_rest)
        elif line.num or line.hint == "li" or P.BULLET.match(line.text):
            m = _CITED_ITEM.match(line.body)
            title = names.clean_title(m.group("title")) if m else ""
        else:
            continue
        if title and names.title_ok(title) and len(title.split()) >= 2:
            found.append(Entry(i, i + 1, title, kind="item", skip={i}, titled_by="citation"))
    return found if len(found) >= 2 else []


# a paper link's text left at the end of an item whose URL a mirror or a copy dropped
_STRIPPED_LINK = re.compile(r"[\s🔗📄👉→]+(?:논문\s*보기|논문\s*링크|read the paper|论文链接|論文リンク|論文はこちら"
                            r"|статья|\[?paper\]?)\s*$", re.I)


def _id_start(text: str, ident: str | None) -> int | None:
    """Where the written form of arXiv ID ``ident`` starts ("arXiv:2401.1", "abs/…", bare)."""
    if not ident:
        return None
    at = text.find(ident)
    if at < 0:
        return None
    m = re.search(r"(?i)(?:https?://\S*?|arxiv\s*[:：]?\s*|abs/|pdf/)$", text[:at])
    return m.start() if m else at


_CITING_TAIL = re.compile(r"(?i)(?:\b(?:see|cf|in|from|by|of|and|with|like|via|than|on|to|as|the|a|an"
                          r"|(?:the|this|that|our|their)\s+(?:paper|preprint|article|report|work))"
                          r"|是|见|参见|的|は|の|와|및|из|в|см)\.?\s*$")


def _title_line_text(before: str) -> bool:
    """The text before a link reads as the link's title, not as a sentence citing it
    ("Builds on routing ideas (see arXiv:…)", "as shown in <link>")."""
    t = before.strip().rstrip(" :：-–—→|")
    if t.endswith(("(", "（")):  # "Title ( http://arxiv.org/abs/… )"
        t = t[:-1].rstrip()
    if t.endswith(".") and not t.endswith("..") and names.title_cased(t):
        t = t[:-1]  # "Embodied LLM Agents Learn to Cooperate in Organized Teams. [paper]"
    if not t or t[-1] in "。.!！" or len(t) > 250 or t.count(", ") >= 4:
        return False
    opened = t.count("(") + t.count("（") - t.count(")") - t.count("）")
    return opened <= 0 and not _CITING_TAIL.search(t.rstrip("(（[【 "))
