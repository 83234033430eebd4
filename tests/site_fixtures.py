"""A database with papers discussed by several blogs in several languages, summaries in
some languages, hostile text, and old-style IDs: what the site tests build from."""

from __future__ import annotations

from crawler.models import FoundPaper, Post
from jobs.store import crawl as crawl_store
from jobs.store import delivery as ledger

BLOGS = [("rosinality", "ko"), ("pytorch-kr", "ko"), ("zenn-ml", "ja"), ("csdn-weekly", "zh"),
         ("titanida", "ru")]


def seed_site(db, n: int = 12, *, langs=("en", "ko", "ja", "zh", "ru")) -> list[str]:
    """``n`` papers over several days; paper i is discussed by 1 + i % 4 blogs. Returns
    the IDs, newest first."""
    crawl_store.sync_sources(db, [type("S", (), {"name": b, "kind": "rss", "lang": lang,
                                                  "url": f"https://{b}.example/feed"})()
                                  for b, lang in BLOGS])
    ids = []
    for i in range(n):
        arxiv_id = f"2401.{i + 1:05d}" if i != 3 else "hep-th/9901001"
        title = (f"Sparse Mixture Routing {i}" if i != 1 else
                 "Tiny <script>alert(1)</script> & \"Models\" 1")
        for b, lang in BLOGS[: 1 + i % 4]:
            post = Post(url=f"https://{b}.example/p/{i}", source=b, title=f"{b} notes {i}",
                        html="<p>x</p>", lang=lang, published_at=f"2024-01-{1 + i:02d}")
            _, post_id = crawl_store.save_post(db, post)
            crawl_store.record_extraction(db, post_id, [FoundPaper(
                arxiv_id=arxiv_id, role="primary", title=title,
                text=f"{b} says: <b>worth</b> reading & more", lang=lang)], extractor_version=1)
        db.execute("update papers set first_seen_at = ? where arxiv_id = ?",
                   [f"2024-01-{1 + i:02d}T09:00:00+00:00", arxiv_id])
        ledger.set_paper_metadata(db, arxiv_id, title=title, authors=["Ada Lovelace",
                                                                      f"Author {i}"],
                                  categories=["cs.CL", "cs.LG"] if i % 2 else ["cs.CV"],
                                  abstract=f"We study routing {i}. It works. More text.")
        for lang in langs[: 1 + i % len(langs)]:
            ledger.insert_summary_row(db, arxiv_id, lang, title=f"[{lang}] {title}",
                                      tldr=f"[{lang}] TLDR {i} <i>&</i>",
                                      key_points=[f"[{lang}] point {i}"],
                                      blogs_said=f"[{lang}] blogs said {i}",
                                      model="m", is_fallback=False,
                                      created_at=f"2024-01-{1 + i:02d}T10:00:00+00:00")
        ids.append(arxiv_id)
    return list(reversed(ids))
