"""Build the static site from the database alone (no network): per language an index of
recent papers by day, a page per paper, a client-side search index (``search.json``
listing one file per month), and ``feed.xml`` (Atom) + ``feed.json`` (JSON Feed 1.1)
for the language and per topic (arXiv category); a home page and the shared assets.

Deterministic: the same database gives the same bytes, built in full or brought up to
date. The output directory keeps a small manifest (``.paperbot-site.json``): the
settings the site was built with and where the database's change log stood (v6:
``site_changes``, kept by triggers). Without a manifest, or with other settings or
templates, a build is *full*: it reads every paper and renders every file, writes only
files whose bytes changed and removes the ones the site no longer has. Otherwise it is
a *rebuild* (:mod:`jobs.site.rebuild`): it reads the change log after the mark and
renders the changed papers' pages and the bounded lists that can show them, so a
rebuild after a crawl with nothing new reads two rows and writes nothing. Writes are
atomic (temporary file + rename), so a web server never serves half a page.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import groupby
from pathlib import Path

import jinja2
import sqlite_utils

from bot import i18n
from jobs.store import site as sstore

from . import feeds
from .model import paper_entry, recent, search_record, slug, strings, topic_slug, topics_of

MANIFEST = ".paperbot-site.json"
MANIFEST_VERSION = 2
TEMPLATE_VERSION = 2  # bump when a template or a file's shape changes: a full build follows
UNDATED = "undated"  # the search index's file for papers without a first-seen date


@dataclass
class BuildReport:
    languages: list[str] = field(default_factory=list)
    papers: int = 0
    files: int = 0  # files the site has
    written: int = 0  # files written this time (new or changed)
    skipped: int = 0  # paper pages not rendered (their paper did not change)
    removed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return (f"{self.papers} papers × {len(self.languages)} languages: {self.files} files, "
                f"{self.written} written, {self.skipped} pages unchanged, {self.removed} "
                f"removed in {self.seconds:.2f}s")


@dataclass(frozen=True)
class Settings:
    languages: tuple[str, ...]
    title: str = "paperbot"
    base_url: str | None = None
    index_days: int = 30
    feed_items: int = 50

    def key(self) -> str:
        """What every file depends on besides the data: another key, a full build."""
        return _hash(json.dumps([TEMPLATE_VERSION, list(self.languages), self.title,
                                 self.base_url, self.index_days, self.feed_items]))


def _hash(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def month_of(entry: dict) -> str:
    """The search index file an entry is listed in (the month it was first seen)."""
    return entry["day"][:7] or UNDATED


class Writer:
    """Writes files under ``out`` only when their bytes change; removes files."""

    def __init__(self, out: Path, report: BuildReport) -> None:
        self.out, self.report = out, report
        self.produced: set[str] = set()
        self.created = 0  # files that did not exist before

    def write(self, path: str, data: bytes | str) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self.produced.add(path)
        target = self.out / path
        try:
            if target.read_bytes() == raw:
                return
        except FileNotFoundError:
            self.created += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, target)
        self.report.written += 1

    def remove(self, path: str) -> None:
        target = self.out / path
        if not target.is_file():
            return
        target.unlink()
        self.report.removed += 1
        parent = target.parent
        while parent != self.out and not any(parent.iterdir()):
            parent.rmdir()  # an emptied topic's directory
            parent = parent.parent


class Pages:
    """Renders each kind of file of one site into a :class:`Writer`."""

    def __init__(self, settings: Settings, writer: Writer) -> None:
        self.settings, self.writer = settings, writer
        self.env = jinja2.Environment(loader=jinja2.PackageLoader("jobs.site", "templates"),
                                      autoescape=True, trim_blocks=False,
                                      keep_trailing_newline=True)
        self.env.filters["topic_slug"] = topic_slug
        self.common = {"site_title": settings.title,
                       "languages": [(c, i18n.lang_name(c)) for c in settings.languages]}
        self.rendered = 0  # paper pages

    def _ctx(self, lang: str) -> dict:
        return {**self.common, "lang": lang, "w": strings(lang)}

    def paper(self, lang: str, e: dict) -> None:
        self.rendered += 1
        self.writer.write(f"{lang}/p/{e['slug']}.html", self.env.get_template(
            "paper.html").render(**self._ctx(lang), root="../../", p=e))

    def index(self, lang: str, entries: Sequence[dict], topics: Sequence[str]) -> None:
        """The index: ``entries`` (at least the last ``index_days`` days) by day."""
        self.writer.write(f"{lang}/index.html", self.env.get_template("index.html").render(
            **self._ctx(lang), root="../", days=recent(entries, self.settings.index_days),
            topics=topics))

    def _feeds(self, lang: str, entries: Sequence[dict], base: str, title: str,
               prefix: str = "") -> None:
        for fmt, make in (("xml", feeds.atom), ("json", feeds.json_feed)):
            self.writer.write(f"{base}feed.{fmt}", make(
                entries, title=title, feed_path=f"{base}feed.{fmt}",
                home_path=f"{lang}/index.html", base_url=self.settings.base_url, lang=lang,
                words=strings(lang), prefix=prefix))

    def _title(self, lang: str) -> str:
        return f"{self.settings.title} ({strings(lang)['lang_name']})"

    def feeds(self, lang: str, newest: Sequence[dict]) -> None:
        self._feeds(lang, newest, f"{lang}/", self._title(lang))

    def topic(self, lang: str, topic: str, newest: Sequence[dict]) -> None:
        """A topic's feeds (its newest entries); none left: the feeds go."""
        base = f"{lang}/topics/{topic_slug(topic)}/"
        if not newest:
            for fmt in ("xml", "json"):
                self.writer.remove(f"{base}feed.{fmt}")
            return
        self._feeds(lang, newest, base, f"{self._title(lang)}: {topic}", prefix="../../")

    def month(self, lang: str, month: str, entries: Sequence[dict]) -> None:
        """One month of the search index; none left: the file goes."""
        path = f"{lang}/search/{month}.json"
        if not entries:
            self.writer.remove(path)
            return
        self.writer.write(path, json.dumps([search_record(e) for e in entries],
                                           ensure_ascii=False, separators=(",", ":")))

    def search(self, lang: str, months: Sequence[str]) -> None:
        """``search.json``: the search index's files, newest month first."""
        files = [f"search/{m}.json" for m in sorted(months, key=lambda m: (m != UNDATED, m),
                                                     reverse=True)]
        self.writer.write(f"{lang}/search.json", json.dumps({"months": files},
                                                            separators=(",", ":")))

    def home(self) -> None:
        first = self.settings.languages[0] if self.settings.languages else "en"
        self.writer.write("index.html", self.env.get_template("home.html").render(
            **self.common, lang=first, root="", w=strings(first)))
        for name in ("style.css", "search.js"):
            self.writer.write(f"assets/{name}",
                              resources.files("jobs.site").joinpath("static", name).read_bytes())


def _read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(out: Path, manifest: dict) -> None:
    tmp = out / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


def build_site(db: sqlite_utils.Database, out_dir: Path | str, *, languages: list[str],
               title: str = "paperbot", base_url: str | None = None, index_days: int = 30,
               feed_items: int = 50) -> BuildReport:
    """Build (or bring up to date) the site in ``out_dir``. Returns what was done."""
    from .rebuild import rebuild

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(tuple(languages), title, base_url, index_days, feed_items)
    report = BuildReport(languages=list(languages))
    writer = Writer(out, report)
    pages = Pages(settings, writer)
    manifest = _read_manifest(out)
    if manifest.get("version") == MANIFEST_VERSION and manifest.get("key") == settings.key():
        marks = rebuild(db, pages, manifest["marks"])
        report.papers = sstore.shown_count(db)
        report.files = manifest.get("files", 0) + writer.created - report.removed
    else:
        marks, report.papers = _full(db, pages, _owned(out, manifest, languages))
        report.files = len(writer.produced)
    report.skipped = report.papers * len(languages) - pages.rendered
    if marks is not None:
        _write_manifest(out, {"version": MANIFEST_VERSION, "key": settings.key(),
                              "languages": list(languages), "marks": marks,
                              "files": report.files})
    report.seconds = time.perf_counter() - started
    return report


def _owned(out: Path, manifest: dict, languages: list[str]) -> list[Path]:
    """The files a full build may remove: everything under the site's languages, this
    build's and the last one's (other files in the directory are left alone)."""
    before = manifest.get("languages") or [p.split("/", 1)[0] for p in manifest.get(
        "outputs", {}) if "/" in p and not p.startswith("assets/")]  # a version-1 manifest
    return [f for lang in sorted({*languages, *before}) if (out / lang).is_dir()
            for f in (out / lang).rglob("*") if f.is_file()]


def _full(db: sqlite_utils.Database, pages: Pages,
          owned: list[Path]) -> tuple[dict[str, int], int]:
    """Every file from every paper; then the files the site no longer has go. Returns
    the change log's marks and the number of papers."""
    settings = pages.settings
    with sstore.snapshot(db):  # the data as of the marks
        marks = sstore.marks(db)
        papers = sstore.site_papers(db)
        mentions = sstore.site_mentions(db)
        summaries = {lang: sstore.site_summaries(db, lang) for lang in settings.languages}
    for lang in settings.languages:
        entries = [paper_entry(p, mentions.get(p["arxiv_id"], []),
                               summaries[lang].get(p["arxiv_id"]), lang) for p in papers]
        for e in entries:
            pages.paper(lang, e)
        topics = topics_of(entries)
        pages.index(lang, entries, topics)
        pages.feeds(lang, entries[:settings.feed_items])  # entries come newest first
        for topic in topics:
            pages.topic(lang, topic, [e for e in entries
                                      if topic in e["categories"]][:settings.feed_items])
        months = []
        for month, group in groupby(entries, key=month_of):
            pages.month(lang, month, list(group))
            months.append(month)
        pages.search(lang, months)
    pages.home()
    out = pages.writer.out
    for f in owned:
        if f.relative_to(out).as_posix() not in pages.writer.produced:
            pages.writer.remove(f.relative_to(out).as_posix())
    return marks, len(papers)


__all__ = ["BuildReport", "Settings", "build_site", "slug"]
