"""What a summary is built from: the paper and the posts mentioning it (plain data), the
languages a summary is written in, and the bounds on the input (prompt size = cost)."""

from __future__ import annotations

from dataclasses import dataclass, field

LANG_NAMES = {
    "en": "English",
    "ko": "Korean (한국어)",
    "ja": "Japanese (日本語)",
    "zh": "Simplified Chinese (简体中文)",
    "ru": "Russian (русский)",
}

# Input bounds (prompt size = cost): per blog text, abstract, number of blogs.
MAX_BLOG_CHARS = 1500
MAX_ABSTRACT_CHARS = 2500
MAX_BLOGS = 6


@dataclass(frozen=True)
class MentionInput:
    source: str
    url: str
    lang: str | None
    text: str = ""
    entry_title: str | None = None
    role: str = "primary"


@dataclass(frozen=True)
class PaperInput:
    arxiv_id: str
    title: str | None
    abstract: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    mentions: tuple[MentionInput, ...] = field(default=())

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        for m in self.mentions:
            if m.entry_title:
                return m.entry_title
        return f"arXiv:{self.arxiv_id}"

    @property
    def primary_mentions(self) -> list[MentionInput]:
        prim = [m for m in self.mentions if m.role == "primary"]
        return prim or list(self.mentions)

    @property
    def allowed_urls(self) -> set[str]:
        return {m.url for m in self.mentions if m.url}
