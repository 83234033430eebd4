"""Plain data passed from the crawler to the store: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FoundPaper:
    """One paper a post mentions, as extraction found it."""

    arxiv_id: str | None  # versionless; None = no ID yet (resolve by title)
    role: str  # "primary" (the post is about it) | "reference" (merely cited)
    title: str | None = None  # the title as the blog wrote it
    authors: tuple[str, ...] = ()
    text: str = ""  # the blog's own words about the paper
    lang: str | None = None  # language of ``text``
    labels: tuple[str, ...] = ()  # hashtags / tags
    flag: str | None = None  # e.g. "title-mismatch"
    candidates: tuple[str, ...] = ()  # ranked names to find a link-less paper by (best first)


@dataclass(frozen=True)
class Post:
    """A crawled post, as the spider hands it to the pipeline."""

    url: str
    source: str
    title: str | None
    html: str  # the post body (content_selector applied when configured)
    published_at: str | None = None
    lang: str | None = None
    labels: tuple[str, ...] = field(default=())
