"""What each page and feed of the static site shows (pure): plain, JSON-able dicts made
from the stored papers, mentions and summaries of one language.

A paper's entry holds everything its page shows, so the entry (with the template
version) decides whether the page must be rendered again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from bot import i18n
from bot.render import Curators, Labels, blog_words, curators_text, first_sentences, paper_links

STRINGS = ("site_title", "site_intro", "site_recent", "site_search", "site_search_placeholder",
           "site_no_results", "site_feeds", "site_topic_feeds", "site_all_papers",
           "site_languages", "site_links", "label_tldr", "label_key_points",
           "label_blogs_said", "label_abstract", "lang_name")


def strings(lang: str) -> dict[str, str]:
    """The site's localized words (plain text: the templates escape them)."""
    return {k: i18n.raw(lang, k) for k in STRINGS}


def slug(arxiv_id: str) -> str:
    """A file name for an arXiv ID (old-style IDs have a slash)."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", arxiv_id)


def topic_slug(category: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", category)


def _day(stamp: str | None) -> str:
    return (stamp or "")[:10]


def paper_entry(paper: Mapping[str, Any], mentions: Sequence[Mapping[str, Any]],
                summary: Mapping[str, Any] | None, lang: str) -> dict:
    """Everything a paper's page, index line, search record and feed entry show."""
    labels = Labels.from_catalog(lambda k: i18n.raw(lang, k))
    curators = Curators.from_mentions(mentions)
    title = re.sub(r"\s+", " ", paper.get("title") or "").strip() or paper["arxiv_id"]
    translated = (summary or {}).get("title") or ""
    if translated.strip().casefold() == title.casefold():
        translated = ""
    said = [{"source": m["source"], "url": m["post_url"], "post_title": m.get("post_title") or "",
             "words": blog_words(m, title), "lang": m.get("lang") or ""} for m in mentions]
    updated = max([paper.get("first_seen_at") or "", (summary or {}).get("created_at") or "",
                   *[m.get("date") or "" for m in mentions]])
    return {
        "id": paper["arxiv_id"], "slug": slug(paper["arxiv_id"]), "title": title,
        "translated": translated.strip(), "authors": list(paper.get("authors") or []),
        "categories": list(paper.get("categories") or []),
        "tldr": (summary or {}).get("tldr") or "",
        "key_points": list((summary or {}).get("key_points") or []),
        "blogs_said": (summary or {}).get("blogs_said") or "",
        "abstract": first_sentences(paper.get("abstract"), n=3, limit=700),
        "curators": curators_text(curators, labels), "curator_count": curators.count,
        "said": said, "links": paper_links(paper["arxiv_id"]),
        "first_seen": paper.get("first_seen_at") or "", "day": _day(paper.get("first_seen_at")),
        "updated": updated,
    }


def recent(entries: Sequence[dict], days: int) -> list[tuple[str, list[dict]]]:
    """The entries of the last ``days`` days before the newest one, grouped by day (newest
    first). Relative to the data, not the clock: the same database builds the same site."""
    if not entries:
        return []
    newest = max(e["day"] for e in entries)
    start = (dt.date.fromisoformat(newest) - dt.timedelta(days=days - 1)).isoformat()
    shown = sorted((e for e in entries if e["day"] >= start),
                   key=lambda e: (e["day"], e["curator_count"], e["first_seen"], e["id"]),
                   reverse=True)
    return [(day, list(group)) for day, group in groupby(shown, key=lambda e: e["day"])]


def search_record(e: dict) -> dict:
    """One paper in the client-side search index (short keys keep the file small)."""
    return {"i": e["id"], "t": e["title"], "r": e["translated"], "a": e["authors"][:6],
            "d": e["day"], "u": f"p/{e['slug']}.html", "c": e["curator_count"]}


def topics_of(entries: Sequence[dict]) -> list[str]:
    """Every arXiv category among the entries, sorted."""
    return sorted({c for e in entries for c in e["categories"] if c})
