"""Post → papers extraction (pure: HTML in, FoundPaper list out).

Foundation version: every arXiv abs/pdf link in the post is a primary mention.
The extraction issue replaces this with segmentation, roles and title entries.
"""

from __future__ import annotations

import re

from .models import FoundPaper

EXTRACTOR_VERSION = 1

_ARXIV_LINK = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})(?:v\d+)?", re.I)


def extract_papers(html: str, *, title: str | None = None, lang: str | None = None) -> list[FoundPaper]:
    """Every arXiv paper linked from the post body ``html``, in order, once each."""
    seen: dict[str, FoundPaper] = {}
    for match in _ARXIV_LINK.finditer(html):
        arxiv_id = match.group(1)
        seen.setdefault(arxiv_id, FoundPaper(arxiv_id=arxiv_id, role="primary", lang=lang))
    return list(seen.values())
