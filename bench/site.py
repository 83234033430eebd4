"""Static site build: 1,000 papers × 5 languages from an in-memory database, then a
rebuild with nothing new, after one new summary and after a crawl that found one new
paper (a rebuild reads the change log: only what changed is rendered and written).
Prints times, files and rates. Not a timed test. (How the rebuild scales with history:
bench/store.py's site rows.)

    .venv/bin/python bench/site.py            # or: taskset -c 0 .venv/bin/python bench/site.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.models import FoundPaper, Post  # noqa: E402
from jobs import store  # noqa: E402
from jobs.site import build_site  # noqa: E402
from jobs.store import crawl as crawl_store  # noqa: E402
from jobs.store import delivery as ledger  # noqa: E402

LANGS = ["en", "ko", "ja", "zh", "ru"]
PAPERS = 1000
BLOGS = [("rosinality", "ko"), ("pytorch-kr", "ko"), ("zenn", "ja"), ("csdn", "zh"),
         ("titanida", "ru"), ("dair", "en")]


def seed(db) -> None:
    crawl_store.sync_sources(db, [type("S", (), {"name": b, "kind": "rss", "lang": lang,
                                                  "url": f"https://{b}.example/feed"})()
                                  for b, lang in BLOGS])
    for i in range(PAPERS):
        add_paper(db, i)


def add_paper(db, i: int) -> None:
    """Paper ``i``: discussed by 1–4 blogs, with metadata and a summary per language."""
    arxiv_id = f"24{i // 300 + 1:02d}.{i:05d}"
    title = f"Scaling sparse routing for long-context language models, part {i}"
    for b, lang in BLOGS[: 1 + i % 4]:
        post = Post(url=f"https://{b}.example/p/{i}", source=b, title=f"{b} notes {i}",
                    html="<p>x</p>", lang=lang, published_at=f"2024-{1 + i // 90:02d}-01")
        _, post_id = crawl_store.save_post(db, post)
        crawl_store.record_extraction(db, post_id, [FoundPaper(
            arxiv_id=arxiv_id, role="primary", title=title,
            text="This paper shows a simple trick that makes routing stable. " * 3,
            lang=lang)], extractor_version=1)
    db.execute("update papers set first_seen_at = ? where arxiv_id = ?",
               [f"2024-{1 + i // 90:02d}-{1 + i % 28:02d}T09:00:00+00:00", arxiv_id])
    ledger.set_paper_metadata(db, arxiv_id, title=title,
                              authors=[f"Author {i} {k}" for k in range(8)],
                              categories=["cs.CL", "cs.LG"] if i % 2 else ["cs.CV"],
                              abstract="We study sparse routing. " * 12)
    for lang in LANGS:
        ledger.insert_summary_row(
            db, arxiv_id, lang, title=f"[{lang}] {title}", tldr="A one-paragraph summary. " * 8,
            key_points=["First point of the paper.", "Second point.", "Third point."],
            blogs_said="The blogs agree it is worth reading. " * 4, model="m",
            is_fallback=False, created_at="2024-06-01T00:00:00+00:00")


def main() -> None:
    db = store.memory_db()
    t = time.perf_counter()
    seed(db)
    print(f"seeded {PAPERS} papers × {len(LANGS)} languages in {time.perf_counter() - t:.1f}s")
    with tempfile.TemporaryDirectory() as tmp:
        full = build_site(db, tmp, languages=LANGS)
        pages = PAPERS * len(LANGS)
        print(f"full build:      {full.seconds:6.2f}s  {full.files} files, {full.written} written "
              f"({pages / full.seconds:,.0f} paper pages/s; goal < 30 s)")
        same = build_site(db, tmp, languages=LANGS)
        print(f"nothing new:     {same.seconds * 1000:6.2f} ms {same.written} written, "
              f"{same.skipped} pages not rendered")
        ledger.insert_summary_row(db, "2401.00001", "ko", title="새 제목", tldr="새 요약",
                                  model="m2", is_fallback=False,
                                  created_at="2024-07-01T00:00:00+00:00")
        one = build_site(db, tmp, languages=LANGS)
        print(f"one new summary: {one.seconds:6.2f}s  {one.written} written "
              f"(that Korean page and the Korean lists showing it: index, feeds, month)")
        add_paper(db, PAPERS)
        crawl = build_site(db, tmp, languages=LANGS)
        print(f"one new paper:   {crawl.seconds:6.2f}s  {crawl.written} written "
              f"(its page, the index, the feeds and its month in every language)")


if __name__ == "__main__":
    main()
