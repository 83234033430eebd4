"""arXiv identifiers: recognise them in URLs and text, validate them, drop the version.

Pure functions, no I/O. Every ID returned is *versionless* and *canonical*:

* new style ``YYMM.NNNN`` (2007-04 .. 2014-12) / ``YYMM.NNNNN`` (from 2015-01), month 01-12;
  a number with the wrong digit count (a truncated ``2005.1416``) is invalid, never guessed;
* old style ``archive/YYMMNNN`` (``hep-th/9901001``); a subject class is accepted on input
  but is not part of the identifier (arXiv: ``math.GT/0309136`` is ``math/0309136``).

Recognised forms: arxiv.org (with ``www.`` / ``export.`` hosts) ``abs``, ``pdf`` (with or
without ``.pdf``), ``html``, ``format``, ``ps``; ar5iv.org / ar5iv.labs.arxiv.org;
alphaxiv.org ``abs`` / ``overview`` / ``pdf``; huggingface.co/papers; ``arXiv:ID`` in text;
the DOI ``10.48550/arXiv.ID``. A bare ``2401.10020`` in running text is not taken (too many
numbers look like IDs), but :func:`parse_arxiv_id` accepts a string that *is* just an ID.
"""

from __future__ import annotations

import datetime
import re

__all__ = ["parse_arxiv_id", "find_arxiv_ids", "is_arxiv_link", "normalize_id"]

# Archives that had old-style identifiers (1991-2007).
OLD_ARCHIVES = frozenset(["acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "q-fin", "quant-ph", "solv-int", "stat", "supr-con"])

_ID = (r"(?:(?P<new>\d{4}\.\d{4,5})"
       r"|(?P<old>[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2,}(?:-[a-z]{2,})?)?/\d{7}))"
       r"(?:v\d+)?(?:(?![\w-])|(?=(?-i:[A-Z][a-z])))")  # also "…13971This": a glued word

_PREFIX = (
    r"(?:"
    r"(?:https?://)?(?:www\.|export\.|browse\.)?arxiv\.org/(?:abs|pdf|html|format|ps)/"
    r"|(?:https?://)?(?:www\.)?ar5iv(?:\.labs\.arxiv)?\.org/(?:html|abs|pdf)/"
    r"|(?:https?://)?(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)/"
    r"|(?:https?://)?(?:www\.)?huggingface\.co/papers/"
    r"|(?:https?://)?(?:dx\.)?(?:doi\.org/)?10\.48550/arxiv\."
    r"|(?<![\w/.])arxiv(?:\s*:\s*|\s+(?=\d{4}\.))"
    r")"
)

_FIND = re.compile(_PREFIX + _ID, re.IGNORECASE)
# "(?![\w-])" above rejects "2401.10020abc" and "2401.100201"; ".pdf", ",", ")" etc. may follow,
# and so may a capitalised word glued on by a text dump ("arXiv:2302.13971This survey").
_BARE = re.compile(r"\s*(?:arxiv\s*:?\s*)?" + _ID + r"[\s.,;:)\]}>'\"]*", re.IGNORECASE)
_ARXIV_LINK = re.compile(
    r"^(?:https?://)?(?:www\.|export\.|browse\.)?arxiv\.org/(?:abs|pdf|html|format|ps)/"
    r"|^(?:https?://)?(?:www\.)?ar5iv(?:\.labs\.arxiv)?\.org/(?:html|abs|pdf)/"
    r"|^(?:https?://)?(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)/"
    r"|^(?:https?://)?(?:www\.)?huggingface\.co/papers/\d"
    r"|^(?:https?://)?(?:dx\.)?doi\.org/10\.48550/arxiv\.",
    re.IGNORECASE,
)


# New-style IDs from a year after next cannot exist yet (and "9912.12345" is not 2099).
_MAX_YY = datetime.date.today().year % 100 + 1


def _valid_new(ident: str) -> bool:
    yymm, num = ident.split(".")
    yy, mm = int(yymm[:2]), int(yymm[2:])
    if not 1 <= mm <= 12 or (yy, mm) < (7, 4) or yy > _MAX_YY:
        return False
    if int(num) == 0:
        return False
    return len(num) == (4 if (yy, mm) <= (14, 12) else 5)


def _canonical_old(ident: str) -> str | None:
    archive_part, number = ident.split("/")
    archive = archive_part.split(".")[0].lower()
    if archive not in OLD_ARCHIVES:
        return None
    yy, mm = int(number[:2]), int(number[2:4])
    if not 1 <= mm <= 12 or not (yy >= 91 or yy <= 7):
        return None
    if (yy <= 7 and (yy, mm) > (7, 3)) or int(number[4:]) == 0:
        return None
    return f"{archive}/{number}"


def normalize_id(new: str | None, old: str | None) -> str | None:
    """Canonical versionless ID from a regex match's groups, or None when invalid."""
    if new:
        return new if _valid_new(new) else None
    if old:
        return _canonical_old(old)
    return None


def find_arxiv_ids(text: str) -> list[tuple[str, int, int]]:
    """Every valid arXiv ID in ``text`` (URLs, ``arXiv:ID``, DOIs): ``(id, start, end)`` of
    each occurrence in order, ``start:end`` spanning the recognised form (URL or label
    included, trailing punctuation excluded). Invalid or truncated IDs are skipped."""
    if not text:
        return []
    lowered = text.lower()  # cheap pre-check: most text holds no arXiv reference at all
    if "xiv" not in lowered and "ar5iv" not in lowered and "huggingface.co/papers" not in lowered:
        return []
    out = []
    for m in _FIND.finditer(text):
        ident = normalize_id(m.group("new"), m.group("old"))
        if ident is not None:
            out.append((ident, m.start(), m.end()))
    return out


def parse_arxiv_id(text_or_url: str | None) -> str | None:
    """The versionless arXiv ID of a URL, DOI, ``arXiv:`` reference or bare ID; None when
    the string holds no valid ID (truncated, bad month, wrong digit count, unknown archive)."""
    if not text_or_url:
        return None
    bare = _BARE.fullmatch(text_or_url)
    if bare:
        return normalize_id(bare.group("new"), bare.group("old"))
    found = find_arxiv_ids(text_or_url)
    return found[0][0] if found else None


def is_arxiv_link(url: str | None) -> bool:
    """True when ``url`` points at an arXiv paper page (arxiv.org, ar5iv, alphaxiv,
    huggingface.co/papers, the arXiv DOI) whether or not its ID is valid: lets the caller
    tell "a paper link with a broken ID" from "not a paper link"."""
    return bool(url) and bool(_ARXIV_LINK.match(url.strip()))
