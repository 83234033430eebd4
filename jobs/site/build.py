"""Build the static site from the database alone (no network): per language an index of
recent papers by day, a page per paper, ``search.json`` for the client-side search, and
``feed.xml`` (Atom) + ``feed.json`` (JSON Feed 1.1) for the language and per topic
(arXiv category); a home page listing the languages and the shared assets.

Incremental and deterministic: the same database gives the same bytes. A manifest in
the output directory (``.paperbot-site.json``) keeps, per file, a hash of what went
into it and of what was written: a paper page whose entry did not change is not even
rendered; any other file is rendered and written only when its bytes changed; files
of papers no longer shown are removed. Writes are atomic (temporary file + rename), so
a web server never serves half a page.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2
import sqlite_utils

from bot import i18n
from jobs.store import site as sstore

from . import feeds
from .model import paper_entry, recent, search_record, slug, strings, topic_slug, topics_of

MANIFEST = ".paperbot-site.json"
TEMPLATE_VERSION = 1  # bump when a template changes: every page is rendered again


@dataclass
class BuildReport:
    languages: list[str] = field(default_factory=list)
    papers: int = 0
    files: int = 0  # files the site has
    written: int = 0  # files written this time (new or changed)
    skipped: int = 0  # paper pages not rendered (their entry did not change)
    removed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return (f"{self.papers} papers × {len(self.languages)} languages: {self.files} files, "
                f"{self.written} written, {self.skipped} pages unchanged, {self.removed} "
                f"removed in {self.seconds:.2f}s")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("jobs.site", "templates"),
                             autoescape=True, trim_blocks=False, keep_trailing_newline=True)
    env.filters["topic_slug"] = topic_slug
    return env


def _hash(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


class _Writer:
    """Writes files under ``out`` only when their bytes change; remembers hashes."""

    def __init__(self, out: Path, report: BuildReport) -> None:
        self.out, self.report = out, report
        try:
            old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        self.old_inputs: dict[str, str] = old.get("inputs", {})
        self.old_outputs: dict[str, str] = old.get("outputs", {})
        self.inputs: dict[str, str] = {}
        self.outputs: dict[str, str] = {}

    def unchanged_input(self, path: str, key: str) -> bool:
        """The file was built from the same input before and is still there: keep it."""
        self.inputs[path] = key
        if self.old_inputs.get(path) == key and path in self.old_outputs and (
                self.out / path).exists():
            self.outputs[path] = self.old_outputs[path]
            self.report.skipped += 1
            return True
        return False

    def write(self, path: str, data: bytes | str) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        digest = _hash(raw)
        self.outputs[path] = digest
        target = self.out / path
        if self.old_outputs.get(path) == digest and target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, target)
        self.report.written += 1

    def finish(self) -> None:
        for path in sorted(set(self.old_outputs) - set(self.outputs)):
            with_path = self.out / path
            if with_path.exists():
                with_path.unlink()
                self.report.removed += 1
        self.report.files = len(self.outputs)
        manifest = {"inputs": dict(sorted(self.inputs.items())),
                    "outputs": dict(sorted(self.outputs.items()))}
        tmp = self.out / f"{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.out / MANIFEST)


def build_site(db: sqlite_utils.Database, out_dir: Path | str, *, languages: list[str],
               title: str = "paperbot", base_url: str | None = None, index_days: int = 30,
               feed_items: int = 50) -> BuildReport:
    """Build (or bring up to date) the site in ``out_dir``. Returns what was done."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = BuildReport(languages=list(languages))
    writer = _Writer(out, report)
    env = _env()
    papers = sstore.site_papers(db)
    mentions = sstore.site_mentions(db)
    report.papers = len(papers)
    names = [(code, i18n.lang_name(code)) for code in languages]
    common = {"site_title": title, "languages": names}
    for lang in languages:
        summaries = sstore.site_summaries(db, lang)
        entries = [paper_entry(p, mentions.get(p["arxiv_id"], []), summaries.get(p["arxiv_id"]),
                               lang) for p in papers]
        _language(env, writer, lang, entries, {**common, "lang": lang, "w": strings(lang)},
                  base_url=base_url, index_days=index_days, feed_items=feed_items)
    writer.write("index.html", env.get_template("home.html").render(
        **common, lang=languages[0] if languages else "en", root="",
        w=strings(languages[0] if languages else "en")))
    for name in ("style.css", "search.js"):
        writer.write(f"assets/{name}",
                     resources.files("jobs.site").joinpath("static", name).read_bytes())
    writer.finish()
    report.seconds = time.perf_counter() - started
    return report


def _language(env: jinja2.Environment, writer: _Writer, lang: str, entries: list[dict],
              ctx: dict, *, base_url: str | None, index_days: int, feed_items: int) -> None:
    page = env.get_template("paper.html")
    for e in entries:
        path = f"{lang}/p/{e['slug']}.html"
        key = _hash(json.dumps([TEMPLATE_VERSION, ctx["site_title"], ctx["languages"], e],
                               sort_keys=True, ensure_ascii=False))
        if not writer.unchanged_input(path, key):
            writer.write(path, page.render(**ctx, root="../../", p=e))
    topics = topics_of(entries)
    writer.write(f"{lang}/index.html", env.get_template("index.html").render(
        **ctx, root="../", days=recent(entries, index_days), topics=topics))
    writer.write(f"{lang}/search.json", json.dumps(
        [search_record(e) for e in entries], ensure_ascii=False, separators=(",", ":")))
    words, title = ctx["w"], f"{ctx['site_title']} ({ctx['w']['lang_name']})"
    newest = entries[:feed_items]  # entries come newest first
    for fmt, make in (("xml", feeds.atom), ("json", feeds.json_feed)):
        writer.write(f"{lang}/feed.{fmt}", make(
            newest, title=title, feed_path=f"{lang}/feed.{fmt}", home_path=f"{lang}/index.html",
            base_url=base_url, lang=lang, words=words))
    for topic in topics:
        chosen = [e for e in entries if topic in e["categories"]][:feed_items]
        t = topic_slug(topic)
        for fmt, make in (("xml", feeds.atom), ("json", feeds.json_feed)):
            writer.write(f"{lang}/topics/{t}/feed.{fmt}", make(
                chosen, title=f"{title}: {topic}", feed_path=f"{lang}/topics/{t}/feed.{fmt}",
                home_path=f"{lang}/index.html", base_url=base_url, lang=lang, words=words,
                prefix="../../"))


__all__ = ["BuildReport", "build_site", "slug"]
