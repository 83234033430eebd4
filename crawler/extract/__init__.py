"""Post → papers extraction (pure: content in, FoundPaper list out).

Stages, each a pure function on plain data with its own tests:

1. :mod:`.page` — *find the content*: the post body of a page (or a fragment, Markdown,
   plain text), chrome dropped, flattened into :class:`~.lines.Line` s; links unwrapped.
2. :mod:`.lines` — what each line says, from its text alone: numbering, labels, link-only,
   title-like, author list, reference heading.
3. :mod:`.segment` / :mod:`.tables` / :mod:`.entries` — *understand the content*: lines →
   entries, one per paper the post presents, from textual evidence (anchors, openers,
   table rows, item lines), whatever the markup.
4. :mod:`.roles` — entries → :class:`~crawler.models.FoundPaper`: primaries (what the post
   presents) and references (what it cites), the blog's own words, hashtags, language.

The role policy is written in ``docs/extraction.md``.
"""

from __future__ import annotations

from ..arxiv_ids import find_arxiv_ids
from ..models import FoundPaper
from .entries import find_entries
from .lines import annotate
from .names import forget
from .page import page_lines
from .roles import papers

EXTRACTOR_VERSION = 5

__all__ = ["EXTRACTOR_VERSION", "extract_papers", "post_lines"]


def _ids_in(text: str) -> list[str]:
    return [ident for ident, _s, _e in find_arxiv_ids(text)]


def post_lines(content: str, url: str | None = None):
    """The post's annotated lines (stages 1-2)."""
    lines = page_lines(content, url)
    annotate(lines, _ids_in)
    return lines


def extract_papers(html: str, *, title: str | None = None, lang: str | None = None,
                   url: str | None = None) -> list[FoundPaper]:
    """The papers a post is about (role "primary", one per entry, in post order) followed by
    the arXiv papers it merely cites (role "reference", in order of first appearance).

    ``html``: the post body (or a whole page: the body is found and chrome dropped; or
    Markdown / plain text); ``title``: the post's title (names the paper of a single-paper
    post); ``lang``: the source's language, used when an entry has no text of its own."""
    if not html or not html.strip():
        return []
    forget()
    lines = post_lines(html, url)
    if not lines:
        return []
    entries = find_entries(lines, title)
    return papers(lines, entries, lang, title)
