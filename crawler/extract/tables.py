"""Paper tables: one row per paper (title | link | comment, header row optional), whether
the table came as HTML ``<tr>`` rows, a Markdown table or ``a | b | c`` text lines.

A table lists papers when at least two rows carry their own paper link and such rows are
at least half of its rows; each row is then an entry: its link cell (or the only arXiv
link of the row, in the title cell) is the primary, the title cell the title (of
``Name - what it does`` the name), the other cells the blog's words. Rows of results
(mostly numbers) and tables without per-row paper links give nothing. Pure, no I/O.
"""

from __future__ import annotations

import re

from . import names
from . import patterns as P
from .lines import Line, Link
from .segment import Entry

_COL_TITLE = re.compile(
    r"^\W*(?:papers?(?:\s*title)?|title|name|论文(?:标题|名称|题目)?|标题|题目|論文(?:名|タイトル)?|タイトル"
    r"|논문(?:\s*제목)?|제목|статья|название(?:\s*статьи)?)\W*$", re.I)
_COL_LINK = re.compile(
    r"^\W*(?:links?|urls?|arxiv(?:\s*link)?|pdf|paper\s*link|链接|论文链接|地址|论文地址|リンク|論文リンク"
    r"|링크|논문\s*링크|ссылка(?:\s*на\s*статью)?)\W*$", re.I)
_NUMERIC = re.compile(r"^[\d\s.,%±+\-–—/()×x*↑↓]*\d[\d\s.,%±+\-–—/()×x*↑↓]*$")
_DESC_SPLIT = re.compile(r"\s+[-–—]\s+|[:：]\s+(?=[a-z])")


def _link_cell(cell: Line) -> Link | str | None:
    """A cell that is just a paper link (``arXiv`` / ``论文链接`` / a bare URL / ``arXiv:ID``),
    possibly among other resource links ("[Paper](…), [Tweet](…)")."""
    if cell.links and cell.link_only:
        return cell.paper_link
    if not cell.links and cell.ids and len(cell.text) <= 40:
        return cell.ids[0]
    return None


def _header(cells: list[Line]) -> tuple[int | None, int | None] | None:
    if any(c.links for c in cells) or not all(len(c.text) <= 20 for c in cells):
        return None
    title_col = next((k for k, c in enumerate(cells) if _COL_TITLE.match(c.text)), None)
    link_col = next((k for k, c in enumerate(cells) if _COL_LINK.match(c.text)), None)
    if title_col is None and link_col is None:
        return None
    return title_col, link_col


def _title_and_words(text: str) -> tuple[str, str]:
    """``Tree Search for Language Model Agents - proposes …`` → (name, description)."""
    text = names.clean_title(text) if len(text) < 300 else text
    parts = _DESC_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2 and names.title_ok(parts[0].strip()) and len(parts[1]) > len(parts[0]) / 2:
        return parts[0].strip(), parts[1].strip()
    return text.strip(), ""


def _row_entry(row: int, cells: list[Line], title_col: int | None, link_col: int | None) -> Entry | None:
    texts = [c.text for c in cells]
    filled = [t for t in texts if t]
    if not filled or sum(1 for t in filled if _NUMERIC.match(t)) * 2 > len(filled):
        return None  # an empty or a results row
    link: Link | str | None = None
    lcol = None
    if link_col is not None and link_col < len(cells):
        link, lcol = _link_cell(cells[link_col]), link_col
    tcol = title_col if title_col is not None and title_col < len(cells) else None
    if link is None:
        for k, c in enumerate(cells):
            if k != title_col and (link := _link_cell(c)) is not None:
                lcol = k
                if tcol is None and isinstance(link, Link) and link.text and names.title_ok(
                        names.clean_title(link.text)) and not P.LINK_TEXT_LABEL.match(link.text):
                    tcol = k  # the title is the link: "[Title](arXiv)" | comment
                break
    if tcol is None:
        tcol = next((k for k, t in enumerate(texts) if t and not _NUMERIC.match(t) and k != lcol
                     and not cells[k].link_only), None)
    e = Entry(row, row + 1, kind="row", skip={row})
    words: list[str] = []
    title = None
    if tcol is not None and tcol == lcol and isinstance(link, Link):
        title, desc = _title_and_words(link.text)
        if desc:
            words.append(desc)
    elif tcol is not None:
        tcell = cells[tcol]
        title, desc = _title_and_words(tcell.text)
        if desc:
            words.append(desc)
        ta = names.title_authors(title)
        if ta:
            title, e.authors = ta
        if link is None:  # the title cell links the paper: the row's only arXiv link
            row_ids = {lk.arxiv_id for c in cells for lk in c.links if lk.arxiv_id}
            lk = tcell.paper_link
            if lk is not None and (lk.bad_arxiv or row_ids == {lk.arxiv_id}):
                link = lk
                if lk.text and not P.URL_TEXT.match(lk.text) and not P.LINK_TEXT_LABEL.match(lk.text):
                    title, desc = _title_and_words(lk.text)
    for k, c in enumerate(cells):
        if k not in (tcol, lcol) and P.ALNUM.search(c.text) and not c.link_only:
            words.append(c.text)
    if isinstance(link, Link):
        e.link = link
        if title is None and link.text and not P.URL_TEXT.match(link.text) \
                and not P.LINK_TEXT_LABEL.match(link.text):
            title = link.text
    elif isinstance(link, str):
        e.text_id = link
    e.anchor = row if link is not None else None
    e.title = title or None
    e.words = " ".join(words)
    if e.anchor is None and not (title and names.title_ok(title)) or (
            e.anchor is None and any(c.ids for c in cells)):
        return None  # neither a paper link nor a paper title of its own
    return e


def table_entries(lines: list[Line]) -> tuple[list[Entry], set[int]]:
    """Entries of the paper tables, and the lines of those tables."""
    tables: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        if line.table:
            tables.setdefault(line.table, []).append(i)
    entries: list[Entry] = []
    covered: set[int] = set()
    for rows in tables.values():
        title_col = link_col = None
        head = _header(lines[rows[0]].cells or [])
        body = rows
        if head is not None:
            title_col, link_col = head
            body = rows[1:]
        found = [e for r in body if (e := _row_entry(r, lines[r].cells or [], title_col, link_col))]
        linked = sum(1 for e in found if e.anchor is not None)
        if linked >= 2 and linked * 2 >= len(found):
            entries.extend(found)
            covered.update(rows)
    return entries, covered
