"""Atom (RFC 4287) and JSON Feed 1.1 for a list of paper entries (pure, deterministic).

Both carry the summary in the feed's language as HTML (title, TL;DR or the abstract's
first sentences, key points, the curators line, each blog's words with a link to its
post, arXiv/PDF/Hugging Face links). Times are the data's (first seen, last change),
never the build's, so an unchanged database gives byte-identical feeds. Links are
absolute when ``[site] base_url`` is set, else relative to the feed (feed readers
resolve them against the feed's URL).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from html import escape

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _url(base: str | None, path: str) -> str:
    return f"{base.rstrip('/')}/{path}" if base else path


def entry_html(e: dict, words: dict[str, str]) -> str:
    """The entry's content as escaped HTML."""
    parts = []
    if e["translated"]:
        parts.append(f"<p><i>{escape(e['translated'])}</i></p>")
    if e["tldr"]:
        parts.append(f"<p><b>{escape(words['label_tldr'])}:</b> {escape(e['tldr'])}</p>")
    elif e["abstract"]:
        parts.append(f"<p><b>{escape(words['label_abstract'])}:</b> {escape(e['abstract'])}</p>")
    if e["key_points"]:
        items = "".join(f"<li>{escape(p)}</li>" for p in e["key_points"])
        parts.append(f"<ul>{items}</ul>")
    if e["curators"]:
        parts.append(f"<p>{escape(e['curators'])}</p>")
    for s in e["said"]:
        label = escape(s["post_title"] or s["source"])
        said = f": {escape(s['words'])}" if s["words"] else ""
        parts.append(f'<p>— <a href="{escape(s["url"])}">{label}</a> ({escape(s["source"])})'
                     f"{said}</p>")
    links = " · ".join(f'<a href="{escape(u)}">{escape(k)}</a>' for k, u in e["links"].items())
    parts.append(f"<p>{links}</p>")
    return "".join(parts)


def atom(entries: Sequence[dict], *, title: str, feed_path: str, home_path: str,
         base_url: str | None, lang: str, words: dict[str, str], prefix: str = "") -> bytes:
    """An Atom feed; ``prefix``: the path from the feed to the language's root (for a
    topic feed, ``../../``)."""
    ET.register_namespace("", ATOM_NS)
    q = f"{{{ATOM_NS}}}"
    feed = ET.Element(q + "feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    ET.SubElement(feed, q + "id").text = _url(base_url, feed_path) if base_url else \
        f"urn:paperbot:{feed_path}"
    ET.SubElement(feed, q + "title").text = title
    ET.SubElement(feed, q + "updated").text = max((e["updated"] for e in entries),
                                                  default="1970-01-01T00:00:00+00:00")
    ET.SubElement(feed, q + "link", {"rel": "self", "href": _url(base_url, feed_path)
                                     if base_url else feed_path.rsplit("/", 1)[-1]})
    ET.SubElement(feed, q + "link", {"rel": "alternate", "type": "text/html",
                                     "href": _url(base_url, home_path) if base_url
                                     else prefix + "index.html"})
    ET.SubElement(feed, q + "generator").text = "paperbot"
    for e in entries:
        item = ET.SubElement(feed, q + "entry")
        ET.SubElement(item, q + "id").text = f"urn:paperbot:{lang}:arxiv:{e['id']}"
        ET.SubElement(item, q + "title").text = e["title"]
        page = f"{home_path.rsplit('/', 1)[0]}/p/{e['slug']}.html"
        ET.SubElement(item, q + "link", {"rel": "alternate", "type": "text/html", "href":
                                         _url(base_url, page) if base_url
                                         else f"{prefix}p/{e['slug']}.html"})
        ET.SubElement(item, q + "link", {"rel": "related", "href": e["links"]["arXiv"]})
        ET.SubElement(item, q + "published").text = e["first_seen"]
        ET.SubElement(item, q + "updated").text = e["updated"]
        for name in e["authors"][:20] or ["arXiv"]:
            ET.SubElement(ET.SubElement(item, q + "author"), q + "name").text = name
        for cat in e["categories"]:
            ET.SubElement(item, q + "category", {"term": cat})
        summary = e["tldr"] or e["abstract"] or e["title"]
        ET.SubElement(item, q + "summary").text = summary
        ET.SubElement(item, q + "content", {"type": "html"}).text = entry_html(e, words)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def json_feed(entries: Sequence[dict], *, title: str, feed_path: str, home_path: str,
              base_url: str | None, lang: str, words: dict[str, str], prefix: str = "") -> bytes:
    """A JSON Feed 1.1 (version, title, items with id and content_html are required)."""
    feed: dict = {"version": JSON_FEED_VERSION, "title": title, "language": lang}
    if base_url:
        feed["home_page_url"] = _url(base_url, home_path)
        feed["feed_url"] = _url(base_url, feed_path)
    items = []
    for e in entries:
        page = f"{home_path.rsplit('/', 1)[0]}/p/{e['slug']}.html"
        item = {"id": f"urn:paperbot:{lang}:arxiv:{e['id']}",
                "url": _url(base_url, page) if base_url else f"{prefix}p/{e['slug']}.html",
                "external_url": e["links"]["arXiv"], "title": e["title"],
                "content_html": entry_html(e, words),
                "summary": e["tldr"] or e["abstract"] or e["title"],
                "date_published": e["first_seen"], "date_modified": e["updated"],
                "authors": [{"name": a} for a in e["authors"][:20]], "tags": e["categories"],
                "language": lang}
        items.append(item)
    feed["items"] = items
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
