"""Text → lines: a line of text and its links as the later stages read it — whitespace
collapsed, Markdown links / badges / emphasis / headings / task boxes resolved, bare URLs
made links (tracking redirects unwrapped), text tables (``a | b | c``) as rows of cells,
URLs a repost broke across two lines joined. Plain text / Markdown posts are split at
newlines. Pure, no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from ..arxiv_ids import is_arxiv_link, parse_arxiv_id
from .lines import Line, Link, is_paper_href

_URL = re.compile(
    r"(?:https?://|www\.|(?<![\w./@-])(?:arxiv\.org|huggingface\.co/papers|alphaxiv\.org|ar5iv\.org|openreview\.net)/)"
    r"[^\s<>\"'（）【】「」，。、；！？]+", re.I)
_MD_LINK = re.compile(r"!?\[([^\]\n]{0,300})\]\((\S+?)(?:\s+\"[^\"]*\")?\)")
_TASK_BOX = re.compile(r"^([-*+]\s+)\[[ xX]\]\s+")
_MD_BADGE = re.compile(r"\[!\[([^\]\n]{0,100})\]\([^)\s]+(?:\s+\"[^\"]*\")?\)\]\((\S+?)\)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_MD_HR = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_TRAILING = ".,;:!?)]}>'\"»”’…"
_CELL_SPLIT = re.compile(r"\s*\|\s*")
_MD_RULE = re.compile(r"^\s*[|+]?\s*:?-{2,}:?\s*(?:[|+]\s*:?-{2,}:?\s*)*[|+]?\s*$")


def unwrap_redirect(href: str) -> str:
    """The target of a tracking / redirect link that carries it in its query
    (``link.zhihu.com/?target=…``, ``…/redirect?url=…``, ``l.php?u=…``), else ``href``."""
    for _ in range(3):
        try:
            parts = urlsplit(href)
        except ValueError:
            return href
        if not parts.query:
            return href
        inner = next((unquote(v) if "%" in v else v for _k, v in parse_qsl(parts.query)
                      if v.lower().startswith(("http://", "https://", "http%3a", "https%3a"))), None)
        if inner is None:
            return href
        href = unquote(inner) if inner.lower().startswith("http%3a") or inner.lower().startswith("https%3a") else inner
    return href


def make_link(href: str, text: str, start: int) -> Link:
    href = unwrap_redirect(href.strip())
    arxiv_id = parse_arxiv_id(href)
    bad = arxiv_id is None and is_arxiv_link(href)
    return Link(href, text, arxiv_id, bad, start, is_paper_href(href, arxiv_id, bad))


def finish_line(raw: str, links: list[tuple[str, str]], hint: str) -> Line | None:
    """A line from its raw text and its ``<a>`` (href, text) pairs in order: whitespace
    collapsed, Markdown links/emphasis/heading marks resolved, bare URLs made links."""
    text = " ".join(raw.split())
    if "] " in text[:12]:  # a Markdown task list: "- [x] 論文リンク: …" is "- 論文リンク: …"
        text = _TASK_BOX.sub(r"\1", text, count=1)
    if "[![" in text:  # a badge: [![arXiv](shields.io/…)](https://arxiv.org/…): the link, alt as text
        text = _MD_BADGE.sub(r"[\1](\2)", text)
    if "](" in text:
        md: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            md.append((m.group(2), m.group(1)))
            return m.group(1)
        text = _MD_LINK.sub(repl, text)
        links = links + md  # order fixed below by position
    if hint != "pre" and _MD_HR.match(text) and not links:
        return Line("", [], "hr")
    m = _MD_HEADING.match(text) if hint != "pre" else None  # "# a comment" in code is not a heading
    if m:
        text, hint = text[m.end():], f"h{len(m.group(1))}"
    strong: list[str] = []
    if "**" in text or "__" in text:
        whole = text.startswith(("**", "__")) and text.endswith(("**", "__"))
        strong = [m.group(2) for m in _MD_EMPHASIS.finditer(text)]
        text = _MD_EMPHASIS.sub(r"\2", text)
        if whole and hint == "p":
            hint = "b"
    if not text and not links:
        return None
    out: list[Link] = []
    pos = 0
    for href, ltext in links:
        ltext = " ".join(ltext.split())
        at = text.find(ltext, pos) if ltext else -1
        if at < 0:
            at = text.find(ltext) if ltext else pos
        out.append(make_link(href, ltext, max(at, 0)))
        if at >= 0:
            pos = at + len(ltext)
    covered = [(lk.start, lk.start + len(lk.text)) for lk in out if lk.text]
    low = text.lower()
    urls = _URL.finditer(text) if ("http" in low or "www." in low or "arxiv" in low
                                   or "huggingface" in low or "openreview" in low) else ()
    for m in urls:
        s, e = m.span()
        if any(a <= s < b for a, b in covered):
            continue
        url = m.group(0)
        cut = url.rstrip(_TRAILING)
        if url.endswith(")") and "(" in cut:
            cut += ")"
        truncated = text[s + len(cut):s + len(cut) + 3] in ("...",) or text[s + len(cut):].startswith("…")
        href = cut if cut.lower().startswith("http") else "https://" + cut
        lk = make_link(href, cut, s)
        if truncated and lk.arxiv_id is None and "arxiv" in href.lower():
            lk.bad_arxiv = lk.paper = True
        out.append(lk)
    out.sort(key=lambda lk: lk.start)
    return Line(text, out, hint, strong=strong)


def _row_line(text: str, links: list[Link], table: int) -> Line:
    """A table row's line: its cells (split at ``|``), each with the links inside it."""
    cells: list[Line] = []
    pos = 0
    inner = text.strip()
    lead = len(text) - len(text.lstrip())
    if inner.startswith("|"):
        inner, lead = inner[1:], lead + 1
    if inner.endswith("|"):
        inner = inner[:-1]
    for part in inner.split("|"):
        start = lead + pos
        end = start + len(part)
        stripped = part.strip()
        off = start + (len(part) - len(part.lstrip()))
        cell_links = [Link(lk.href, lk.text, lk.arxiv_id, lk.bad_arxiv, lk.start - off, lk.paper)
                      for lk in links if start <= lk.start < end]
        cells.append(Line(stripped, cell_links, "td"))
        pos += len(part) + 1
    line = Line(" | ".join(c.text for c in cells), [], "p", table, cells)
    offset = 0
    for c in cells:
        for lk in c.links:
            line.links.append(Link(lk.href, lk.text, lk.arxiv_id, lk.bad_arxiv, offset + lk.start, lk.paper))
        offset += len(c.text) + 3
    return line


def _is_row_text(text: str) -> bool:
    return text.count("|") >= 2 or (text.count("|") == 1 and (text.startswith("|") or text.endswith("|")))


def _runs_of_three(lines: list[Line], is_row: Callable[[Line], bool]) -> set[int]:
    """The lines in runs of three or more consecutive rows (one row alone is no table)."""
    out: set[int] = set()
    run: list[int] = []
    for k, line in enumerate(lines + [Line("")]):
        if is_row(line):
            run.append(k)
            continue
        if len(run) >= 3:
            out.update(run)
        run = []
    return out


def _pre_tables(lines: list[Line]) -> set[int]:
    """Preformatted lines that are rows of a text table: runs of three or more lines with
    column bars (a shell pipeline in a code block is one line, not a run)."""
    return _runs_of_three(lines, lambda line: line.hint == "pre" and (
        _is_row_text(line.text) or bool(_MD_RULE.match(line.text))))


def _two_column_runs(lines: list[Line]) -> set[int]:
    """Rows of a two-column table rendered as text ("Title - note | Paper <URL>"): one bar
    between its cells, no outer bars. One such line is a page title ("Post | Blog"); three
    in a row (a header and two rows at least) are a table."""
    return _runs_of_three(lines, lambda line: (
        line.hint != "pre" and line.text.count("|") == 1 and " | " in line.text))


_CUT_URL = re.compile(r"(?:https?://)?(?:www\.)?(?:arxiv\.org|alphaxiv\.org|huggingface\.co)/(?:(?:abs|pdf|html|papers)/?)?(?:\d{1,4}\.?\d{0,4})?$", re.I)
_URL_REST = re.compile(r"^(?:abs/|pdf/|html/|papers/)?[\w./-]+$")


def join_broken_urls(lines: list[Line]) -> list[Line]:
    """A URL a repost broke across two lines ("https://arxiv.org/" + "abs/2404.16130")."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and line.text and _URL_REST.match(line.text) and prev.hint == line.hint \
                and prev.links and prev.links[-1].arxiv_id is None and _CUT_URL.search(prev.text) \
                and prev.text.endswith(prev.links[-1].text):
            joined = finish_line(prev.text + line.text, [], prev.hint)
            if joined is not None and joined.links and joined.links[-1].arxiv_id:
                out[-1] = joined
                continue
        out.append(line)
    return out


def tabulate(lines: list[Line]) -> list[Line]:
    """Rows of text tables (``a | b | c`` lines, Markdown tables, HTML rows rendered the
    same way) become table lines; consecutive rows form one table. Markdown rules drop."""
    out: list[Line] = []
    table = 0
    prev_row = False
    rows_ok = _pre_tables(lines)
    two_columns = _two_column_runs(lines)
    for k, line in enumerate(lines):
        if (line.hint != "pre" or k in rows_ok) and _is_row_text(line.text) or k in two_columns:
            if _MD_RULE.match(line.text):
                continue
            if not prev_row:
                table += 1
            out.append(_row_line(line.text, line.links, table))
            prev_row = True
            continue
        prev_row = False
        out.append(line)
    return out


def text_lines(text: str) -> list[Line]:
    """A plain-text or Markdown post's lines; lines inside a fenced code block (```` ``` ````,
    ``~~~``) are preformatted, as an HTML ``<pre>``'s are: code, not headings or entries."""
    lines = []
    fence: str | None = None
    for raw in text.splitlines():
        mark = raw.lstrip()[:3]
        if mark in ("```", "~~~") and (fence is None or mark == fence):
            fence = None if fence else mark
            continue
        line = finish_line(raw, [], "pre" if fence else "p")
        if line is not None:
            lines.append(line)
    return tabulate(join_broken_urls(lines))
