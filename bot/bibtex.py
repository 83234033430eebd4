"""BibTeX for saved papers (pure): arXiv's own entry shape, from the stored metadata.

One ``@misc`` entry per paper, as arXiv's "Export BibTeX citation" writes it (title,
author, year, eprint, archivePrefix, primaryClass, url), keyed like arXiv's keys
(first author's last name, year, first significant title word: ``vaswani2017attention``),
unique within the file. Text is escaped for LaTeX (``&``, ``%``, ``$``, ``#``, ``_``,
braces, ``~``, ``^``, backslash), so every entry parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from anyascii import anyascii

_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
          "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}"}
_STOP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "is", "are", "via",
         "from", "at", "by", "as", "towards", "toward", "what", "how", "do", "does", "can"}


def latex_escape(text: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return "".join(_LATEX.get(ch, ch) for ch in text)


def _last_name(author: str) -> str:
    author = (author or "").strip()
    last = author.split(",")[0] if "," in author else (author.split() or [""])[-1]
    return re.sub(r"[^a-z]", "", anyascii(last).lower())


def year_of(paper: Mapping[str, Any]) -> str:
    """The first version's year, else the one the arXiv ID encodes (YYMM.NNNNN)."""
    published = str(paper.get("published") or "")
    if re.match(r"\d{4}", published):
        return published[:4]
    m = re.match(r"(\d{2})(\d{2})\.\d{4,5}$", paper["arxiv_id"]) or re.search(
        r"/(\d{2})(\d{2})\d{3}$", paper["arxiv_id"])
    if not m:
        return ""
    yy = int(m.group(1))
    return str(2000 + yy if yy < 91 else 1900 + yy)


def base_key(paper: Mapping[str, Any]) -> str:
    authors = paper.get("authors") or []
    last = _last_name(authors[0]) if authors else ""
    words = re.findall(r"[a-z0-9]+", anyascii(paper.get("title") or "").lower())
    word = next((w for w in words if w not in _STOP and not w.isdigit()), "")
    key = f"{last or 'arxiv'}{year_of(paper)}{word}"
    return key or re.sub(r"[^a-z0-9]", "", paper["arxiv_id"].lower())


def entry(paper: Mapping[str, Any], key: str) -> str:
    """One arXiv-style ``@misc`` entry."""
    arxiv_id = paper["arxiv_id"]
    fields = [("title", latex_escape(paper.get("title") or arxiv_id)),
              ("author", " and ".join(latex_escape(a) for a in paper.get("authors") or []
                                      if a and a.strip()))]
    year = year_of(paper)
    if year:
        fields.append(("year", year))
    fields += [("eprint", arxiv_id), ("archivePrefix", "arXiv")]
    cats = paper.get("categories") or []
    if cats:
        fields.append(("primaryClass", latex_escape(cats[0])))
    fields.append(("url", f"https://arxiv.org/abs/{arxiv_id}"))
    body = ",\n".join(f"      {name}={{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body},\n}}\n"


def bibliography(papers: Iterable[Mapping[str, Any]]) -> str:
    """Entries for ``papers`` (dicts: arxiv_id, title, authors, categories, published),
    keys made unique with a, b, c… suffixes."""
    used: dict[str, int] = {}
    out = []
    for paper in papers:
        key = base_key(paper)
        n = used.get(key, 0)
        used[key] = n + 1
        if n:
            key += _suffix(n)
        out.append(entry(paper, key))
    return "\n".join(out)


def _suffix(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters
