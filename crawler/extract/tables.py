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

from ..arxiv_ids import parse_arxiv_id
from . import names
from . import patterns as P
from .lines import Line, Link
from .segment import Entry

_COL_TITLE = re.compile(
    r"^\W*(?:papers?(?:\s*title)?|title|name|model|模型|モデル|모델|модель|论文(?:标题|名称|题目)?|标题|题目|論文(?:名|タイトル)?|タイトル"
    r"|논문(?:\s*제목)?|제목|статья|название(?:\s*статьи)?)\W*$", re.I)
_COL_LINK = re.compile(
    r"^\W*(?:links?|urls?|arxiv(?:\s*link)?|pdf|paper\s*link|链接|论文链接|地址|论文地址|リンク|論文リンク"
    r"|링크|논문\s*링크|ссылка(?:\s*на\s*статью)?)\W*$", re.I)
_NUMERIC = re.compile(r"^[\d\s.,%±+\-–—/()×x*↑↓]*\d[\d\s.,%±+\-–—/()×x*↑↓]*$")
_DESC_SPLIT = re.compile(r"\s+[-–—]\s+")
_BARE_ID = re.compile(r"^\s*(?:arxiv\s*[:：]?\s*)?(\d{4}\.\d{4,5})(?:v\d+)?\s*$", re.I)


def _cell_link(cell: Line, bare_ok: bool) -> Link | str | None:
    """A cell that is just a paper link (``arXiv`` / ``论文链接`` / a bare URL / ``arXiv:ID``,
    possibly among other resource links: "[Paper](…), [Tweet](…)"); in a column of arXiv
    links, a bare ``2405.04434`` too."""
    if cell.links and cell.link_only:
        return cell.paper_link
    if not cell.links and cell.ids and len(cell.text) <= 40:
        return cell.ids[0]
    if bare_ok and not cell.links and (m := _BARE_ID.match(cell.text)):
        return parse_arxiv_id(m.group(1))
    return None


def _is_header(cells: list[Line]) -> bool:
    return bool(cells) and not any(c.links or c.ids for c in cells) and all(len(c.text) <= 24 for c in cells)


def _title_and_words(text: str) -> tuple[str, str]:
    """``Tree Search for Language Model Agents - proposes …`` → (name, description)."""
    parts = _DESC_SPLIT.split(text, maxsplit=1)  # before clean_title, which would drop a native half
    if len(parts) == 2:
        name = names.clean_title(parts[0]) if len(parts[0]) < 300 else parts[0].strip()
        # a description, not the title's second half: long, or in the blog's own language
        if names.title_ok(name) and (len(parts[1]) > len(name) / 2 or not names.latin_part(parts[1])):
            return name, parts[1].strip()
    text = names.clean_title(text) if len(text) < 300 else text
    parts = _DESC_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2 and names.title_ok(parts[0].strip()) and len(parts[1]) > len(parts[0]) / 2:
        return parts[0].strip(), parts[1].strip()
    return text.strip(), ""


def _columns(head: list[Line] | None, body: list[list[Line]]) -> tuple[int | None, int | None]:
    """(title column, link column), from the data: the link column is the one most rows
    have a paper link in; the title column the header's "Title"/"论文" column when that is
    not the link column, else the one with the most title-like cells."""
    width = max((len(cells) for cells in body), default=0)
    links = [sum(1 for cells in body if k < len(cells) and _cell_link(cells[k], False) is not None)
             for k in range(width)]
    link_col = max(range(width), key=lambda k: (links[k], -k)) if width and max(links) else None
    if head is not None and link_col is None:
        link_col = next((k for k, c in enumerate(head) if _COL_LINK.match(c.text)), None)
    title_col = None
    if head is not None:
        title_col = next((k for k, c in enumerate(head) if _COL_TITLE.match(c.text) and k != link_col), None)
    if title_col is None:
        titles = [sum(1 for cells in body if k < len(cells) and k != link_col
                      and not _NUMERIC.match(cells[k].text) and names.title_ok(names.clean_title(
                          _title_and_words(cells[k].text)[0]))) for k in range(width)]
        if width and max(titles):
            title_col = max(range(width), key=lambda k: (titles[k], -k))
    return title_col, link_col


def _row_entry(row: int, cells: list[Line], title_col: int | None, link_col: int | None,
               bare_ok: bool) -> Entry | None:
    texts = [c.text for c in cells]
    filled = [t for t in texts if t]
    if not filled or sum(1 for t in filled if _NUMERIC.match(t)) * 2 > len(filled):
        return None  # an empty or a results row
    link: Link | str | None = None
    lcol = tcol = None
    if link_col is not None and link_col < len(cells):
        link = _cell_link(cells[link_col], bare_ok)
        lcol = link_col if link is not None else None
    if title_col is not None and title_col < len(cells):
        tcol = title_col
    if link is None:  # a row whose paper is linked elsewhere: its title, or its only link cell
        row_ids = {lk.arxiv_id for c in cells for lk in c.links if lk.arxiv_id}
        for k in ([tcol] if tcol is not None else []) + [k for k in range(len(cells)) if k != tcol]:
            c = cells[k]
            lk = c.paper_link if k == tcol else _cell_link(c, False)
            if isinstance(lk, Link) and (lk.bad_arxiv or row_ids <= {lk.arxiv_id}) and (
                    k == tcol or c.link_only):
                link, lcol = lk, k
                break
    e = Entry(row, row + 1, kind="row", skip={row})
    words: list[str] = []
    title = None
    if tcol is not None:
        tcell = cells[tcol]
        lk = tcell.paper_link
        text = lk.text if (tcell.link_only and lk is not None and lk.text) else tcell.text
        if not (P.URL_TEXT.match(text) or P.LINK_TEXT_LABEL.match(text) or P.DOMAIN_TEXT.match(text)):
            title, desc = _title_and_words(text)
            if desc:
                words.append(desc)
    if title is None and isinstance(link, Link) and link.text and not P.URL_TEXT.match(link.text) \
            and not P.LINK_TEXT_LABEL.match(link.text) and not P.DOMAIN_TEXT.match(link.text):
        title, desc = _title_and_words(link.text)
        if desc:
            words.append(desc)
    if title:
        ta = names.title_authors(title)
        if ta:
            title, e.authors = ta
    for k, c in enumerate(cells):
        if k not in (tcol, lcol) and P.ALNUM.search(c.text) and not c.link_only \
                and not _NUMERIC.match(c.text) and (len(c.text) >= 12 or c.other >= 4):
            words.append(c.text)
    if isinstance(link, Link):
        e.link = link
    elif isinstance(link, str):
        e.text_id = link
    e.anchor = row if link is not None else None
    e.title = title or None
    e.words = " ".join(words)
    if e.anchor is None and (not (title and names.title_ok(title)) or any(c.ids for c in cells)):
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
        first = lines[rows[0]].cells or []
        head = first if len(rows) > 1 and _is_header(first) else None
        body = rows[1:] if head is not None else rows
        cells_of = [lines[r].cells or [] for r in body]
        title_col, link_col = _columns(head, cells_of)
        arxiv_col = link_col is not None and (
            (head is not None and link_col < len(head) and _COL_LINK.match(head[link_col].text))
            or any(link_col < len(c) and (c[link_col].ids or any(lk.arxiv_id for lk in c[link_col].links))
                   for c in cells_of))
        found = [e for r, cells in zip(body, cells_of, strict=True)
                 if (e := _row_entry(r, cells, title_col, link_col, bool(arxiv_col)))]
        linked = sum(1 for e in found if e.anchor is not None)
        if linked >= 2 and linked * 2 >= len(found):
            entries.extend(found)
            covered.update(rows)
    return entries, covered
