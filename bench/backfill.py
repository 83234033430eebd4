"""A digest blog's backfill, time-scaled: does it finish within the crawl time limit in at
most 3 runs, without searching or fetching anything twice?

A local blog (``tests/servers/blog.py``) serves an RSS feed of 300 weekly "top papers"
posts in Korean and Japanese, ~7 entries each, written as reposts of a weekly roundup
are: the paper's English title (or only its short name), a sentence of the blog's own,
and a link to a tweet or the lab's page, never to arXiv (three markups: headings, a
list, plain numbered paragraphs). A local arXiv API (``tests/servers/arxiv.py``) holds
every paper plus same-name decoys (a follow-up "Name-2", a survey whose title contains
the paper's) and enforces one request per interval with 503 + Retry-After, like
export.arxiv.org. A tenth of the entries are not on arXiv (product launches).

Time runs ``--scale`` times faster than real: arXiv's 3 s pacing, the blog's 1 s
download delay and the 20-minute crawl time limit are divided by it (fixed costs --
process start, Scrapy, parsing -- are not, so the scaled run is the harder one). Then
``paperbot crawl once --since 2019-01-01`` (a backfill) runs as a subprocess, until no
entry is due; after each run: posts fetched, arXiv requests, entries resolved and still due.

    .venv/bin/python bench/backfill.py [--posts 300] [--scale 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers.arxiv import ArxivStub  # noqa: E402
from tests.servers.blog import BlogServer  # noqa: E402

REAL_ARXIV_INTERVAL = 3.0  # seconds between arXiv API requests (arXiv's terms of use)
REAL_DOWNLOAD_DELAY = 1.0  # [crawl] download_delay_seconds default
REAL_TIME_LIMIT_MIN = 20.0  # [schedule] crawl_time_limit_minutes default
SINCE = "2019-01-01"  # `crawl once --since`: a backfill of the whole archive

# -- a synthetic arXiv: plausible, distinct titles ---------------------------------------
SYLLABLES = ["qor", "tes", "vil", "ran", "mo", "dex", "lu", "pha", "zen", "kai", "tor", "bri",
             "sol", "nym", "ax", "el", "ori", "fen", "gal", "hy", "ist", "ju", "ko", "mar"]
ADJ = ["Sparse", "Adaptive", "Efficient", "Scalable", "Robust", "Hierarchical", "Contrastive",
       "Self-Supervised", "Multimodal", "Causal", "Latent", "Recurrent", "Memory-Augmented",
       "Retrieval-Augmented", "Differentiable", "Compositional", "Long-Context", "Low-Rank"]
NOUN = ["Attention", "Reasoning", "Planning", "Distillation", "Alignment", "Tokenization",
        "Routing", "Decoding", "Pretraining", "Retrieval", "Reward Modeling", "Quantization",
        "World Models", "Agents", "Diffusion", "Speculative Decoding", "Preference Learning"]
TASK = ["Code Generation", "Video Understanding", "Theorem Proving", "Tabular Data",
        "Speech Recognition", "Protein Design", "Robot Manipulation", "Machine Translation",
        "Visual Question Answering", "Web Navigation", "Time Series Forecasting",
        "Mathematical Reasoning", "Document Understanding", "Molecule Generation"]
LINK = ["by", "for", "with", "via", "in"]

KO = ["이 논문은 {n}을(를) 제안하며 기존 방법보다 적은 연산으로 비슷한 성능을 낸다.",
      "저자들은 {n}이(가) 긴 입력에서도 안정적으로 동작함을 보였다.",
      "{n}은(는) 작은 모델로도 큰 모델에 가까운 결과를 얻는 방법을 설명한다."]
JA = ["本論文は{n}を提案し、従来手法より少ない計算で同等の性能を示す。",
      "著者らは{n}が長い入力でも安定して動くことを確かめた。",
      "{n}は小さなモデルで大きなモデルに近い結果を得る手法である。"]
LAUNCHES = ["Gemini Flash Update", "Claude Tool Use", "Llama Guard Release", "Sora Preview",
            "Phi Silica", "Grok Vision Beta", "Mistral Large Update", "Qwen Chat App"]


def make_index(rng: random.Random, n: int, start: dt.date) -> list[dict]:
    """``n`` papers, about half named ("Name: What It Does"), the rest descriptive."""
    names: set[str] = set()
    titles: set[str] = set()
    papers = []
    while len(papers) < n:
        name = "".join(rng.sample(SYLLABLES, rng.choice([2, 3]))).capitalize()
        what = (f"{rng.choice(ADJ)} {rng.choice(NOUN)} {rng.choice(LINK)} "
                f"{rng.choice(ADJ)} {rng.choice(TASK)}")
        named = rng.random() < 0.5 and name not in names
        title = f"{name}: {what}" if named else f"{rng.choice(ADJ)} {what}"
        if title.casefold() in titles:
            continue
        titles.add(title.casefold())
        if named:
            names.add(name)
        day = start + dt.timedelta(days=len(papers) * 2100 // n)
        papers.append({"title": title, "name": name if named else None, "published": day})
    out = []
    for k, p in enumerate(sorted(papers, key=lambda p: p["published"])):
        month = p["published"].strftime("%y%m")
        out.append({"id": f"{month}.{10000 + k:05d}", "title": p["title"], "name": p["name"],
                    "published": p["published"].isoformat() + "T00:00:00Z",
                    "authors": [f"Author {k} One", f"Author {k} Two"],
                    "abstract": f"We study {p['title'].split(': ')[-1].lower()}.",
                    "categories": ["cs.LG"]})
    return out


def decoys(rng: random.Random, papers: list[dict]) -> list[dict]:
    """Same-name follow-ups and surveys containing a title: near misses a resolver must
    not take (published after the original, as follow-ups are)."""
    out = []
    for k, p in enumerate(rng.sample(papers, len(papers) // 6)):
        day = dt.date.fromisoformat(p["published"][:10]) + dt.timedelta(days=400)
        if p["name"]:
            title = f"{p['name']}-2: {rng.choice(ADJ)} {rng.choice(NOUN)} at Scale"
        else:
            title = f"A Survey of {p['title']}"
        out.append({**p, "id": f"{day.strftime('%y%m')}.{90000 + k:05d}", "title": title,
                    "name": None, "published": day.isoformat() + "T00:00:00Z"})
    return out


# -- the blog ----------------------------------------------------------------------------
def entry_html(style: int, k: int, shown: str, note: str, link: str) -> str:
    if style == 0:
        return f"<h3>{k}. {shown}</h3><p>{note}</p><p><a href='{link}'>원문 트윗</a></p>"
    if style == 1:
        return f"<li><strong>{shown}</strong> - {note} (<a href='{link}'>tweet</a>)</li>"
    return f"<p>{k}). {shown} - {note} <a href='{link}'>link</a></p>"


def make_posts(rng: random.Random, papers: list[dict], n_posts: int, first: dt.date
               ) -> tuple[list[dict], dict[str, set[str]]]:
    """Posts (path, title, date, html) and the truth: the arXiv IDs each post presents."""
    posts, truth = [], {}
    by_date = sorted(papers, key=lambda p: p["published"])
    for i in range(n_posts):
        day = first + dt.timedelta(days=7 * i)
        recent = [p for p in by_date if dt.date.fromisoformat(p["published"][:10]) <= day][-60:]
        picks = rng.sample(recent, min(len(recent), rng.choice([6, 7, 7, 8])))
        lang = "ko" if i % 2 else "ja"
        style = i % 3
        items, ids = [], set()
        for k, p in enumerate(picks, 1):
            roll = rng.random()
            if roll < 0.1:
                shown, link = rng.choice(LAUNCHES), "https://blog.example-lab.com/news"
            else:
                shown = p["name"] if p["name"] and roll > 0.8 else p["title"]
                link = f"https://x.com/someone/status/{1700000000000000000 + i * 10 + k}"
                ids.add(p["id"])
            note = rng.choice(KO if lang == "ko" else JA).format(n=shown.split(":")[0])
            items.append(entry_html(style, k, shown, note, link))
        body = "".join(items)
        if style == 1:
            body = f"<ol>{body}</ol>"
        heading = ("주간 ML 논문 정리" if lang == "ko" else "今週のML論文まとめ") + f" #{i + 1}"
        path = f"/{day.isoformat()}-weekly-{i + 1}.html"
        html = (f"<html><head><title>{heading}</title></head><body><article>"
                f"<h1>{heading}</h1><time datetime='{day.isoformat()}'>{day}</time>"
                f"<div class='post-body'>{body}</div></article></body></html>")
        posts.append({"path": path, "title": heading, "date": day, "html": html, "lang": lang,
                      "entries": len(picks)})
        truth[path] = ids
    return posts, truth


def rss(base: str, posts: list[dict]) -> str:
    items = "".join(
        f"<item><title>{p['title']}</title><link>{base}{p['path']}</link>"
        f"<pubDate>{p['date'].strftime('%a, %d %b %Y')} 09:00:00 +0000</pubDate></item>"
        for p in reversed(posts))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>weekly</title><link>{base}/</link>{items}</channel></rss>")


# -- runs --------------------------------------------------------------------------------
def config_text(state: Path, blog: BlogServer, arxiv: ArxivStub, scale: float) -> str:
    return f"""
state_dir = "{state}"
[[sources]]
name = "weekly-digest"
kind = "rss"
url = "{blog.url('/feed.xml')}"
content_selector = "div.post-body"
[crawl]
download_delay_seconds = {REAL_DOWNLOAD_DELAY / scale}
timeout_seconds = 10.0
retries = 2
[arxiv]
api_url = "{arxiv.url}"
min_interval_seconds = {REAL_ARXIV_INTERVAL / scale}
[schedule]
crawl_time_limit_minutes = {REAL_TIME_LIMIT_MIN / scale}
"""


def due_entries(db_path: Path) -> tuple[int, int, Counter]:
    """(entries due for a search, resolved entries, open entries by reason)."""
    with sqlite3.connect(db_path) as conn:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        due = conn.execute("select count(*) from unresolved where resolved_id is null and "
                           "next_retry_at is not null and next_retry_at <= ?", [now]).fetchone()[0]
        resolved = conn.execute("select count(*) from unresolved where resolved_id is not null"
                                ).fetchone()[0]
        reasons = Counter(dict(conn.execute(
            "select coalesce(reason, 'queued'), count(*) from unresolved where resolved_id is null "
            "group by 1").fetchall()))
    return due, resolved, reasons


def found_primaries(db_path: Path, base: str) -> dict[str, set[str]]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "select p.url, m.arxiv_id from mentions m join posts p on p.id = m.post_id "
            "where m.role = 'primary'").fetchall()
    got: dict[str, set[str]] = {}
    for url, arxiv_id in rows:
        got.setdefault(url.removeprefix(base), set()).add(arxiv_id)
    return got


async def crawl(config: Path, cwd: Path) -> tuple[int, float, str]:
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jobs", "--config", str(config), "crawl", "once", "--since", SINCE,
        cwd=str(cwd),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _out, err = await proc.communicate()
    return proc.returncode, time.monotonic() - started, err.decode()[-2000:]


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    first = dt.date(2019, 1, 7)
    papers = make_index(rng, args.posts * 6, first - dt.timedelta(days=60))
    index = papers + decoys(rng, papers)
    posts, truth = make_posts(rng, papers, args.posts, first)
    planted = sum(len(t) for t in truth.values())
    entries = sum(p["entries"] for p in posts)
    limit_s = REAL_TIME_LIMIT_MIN * 60 / args.scale
    print(f"{len(posts)} posts, {entries} entries without an arXiv link ({planted} on arXiv), "
          f"arXiv index {len(index)} papers ({len(index) - len(papers)} decoys)")
    print(f"time scale 1/{args.scale:g}: arXiv 1 request / {REAL_ARXIV_INTERVAL / args.scale:.3f} s, "
          f"download delay {REAL_DOWNLOAD_DELAY / args.scale:.3f} s, time limit {limit_s:.0f} s "
          f"(= {REAL_TIME_LIMIT_MIN:g} min real)\n")
    async with BlogServer() as blog, ArxivStub(index) as arxiv:
        arxiv.min_interval = REAL_ARXIV_INTERVAL / args.scale
        blog.add_page("/feed.xml", rss(blog.url("").rstrip("/"), posts), "application/rss+xml")
        for p in posts:
            blog.add_page(p["path"], p["html"])
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            config = tmp_path / "paperbot.toml"
            config.write_text(config_text(tmp_path / "state", blog, arxiv, args.scale))
            db_path = tmp_path / "state" / "paperbot.db"
            print(f"{'run':>3} {'wall s':>7} {'/limit':>6} {'posts fetched':>13} {'arXiv req':>9} "
                  f"{'503s':>5} {'resolved':>8} {'still due':>9}")
            for n in range(1, args.max_runs + 1):
                hits, reqs, fast = blog.total_hits, len(arxiv.requests), arxiv.too_fast
                code, wall, err = await crawl(config, tmp_path)
                if code not in (0, 1):
                    print(f"crawl once exited {code}:\n{err}")
                    return 1
                due, resolved, reasons = due_entries(db_path)
                print(f"{n:>3} {wall:>7.1f} {wall / limit_s:>6.2f} "
                      f"{blog.total_hits - hits:>13} {len(arxiv.requests) - reqs:>9} "
                      f"{arxiv.too_fast - fast:>5} {resolved:>8} {due:>9}")
                if due == 0:
                    break
            searches = arxiv.search_queries
            repeated = sum(c - 1 for c in Counter(searches).values() if c > 1)
            refetched = sum(c - 1 for k, c in blog.hits.items() if k.endswith(".html") and c > 1)
            got = found_primaries(db_path, blog.url("").rstrip("/"))
            hit = sum(len(got.get(path, set()) & ids) for path, ids in truth.items())
            wrong = sum(len(got.get(path, set()) - ids) for path, ids in truth.items())
            _due, _resolved, reasons = due_entries(db_path)
            if args.show_open:
                with sqlite3.connect(db_path) as conn:
                    for title, reason in conn.execute(
                            "select title, reason from unresolved where resolved_id is null "
                            "limit ?", [args.show_open]):
                        print(f"  open ({reason}): {title}")
            runs = n
    print(f"\nfinished in {runs} run(s) (goal ≤ 3): {'yes' if due == 0 else 'NO'}; "
          f"{len(searches)} title searches, {len(arxiv.id_queries)} ID look-ups")
    print(f"searches repeated: {repeated}; post pages fetched twice: {refetched}")
    print(f"papers found by title: {hit}/{planted} = {hit / planted:.3f}; wrong IDs: {wrong}")
    print(f"left open: {dict(reasons)} (launches are not on arXiv: "
          f"{entries - planted} entries)")
    real_minutes = (len(searches) + len(arxiv.id_queries)) * REAL_ARXIV_INTERVAL / 60
    print(f"at real pacing the arXiv requests alone take {real_minutes:.0f} min "
          f"({real_minutes / REAL_TIME_LIMIT_MIN:.2f} time limits)")
    failed = due != 0 or runs > 3 or repeated or refetched or wrong
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--scale", type=float, default=20.0,
                        help="time runs this many times faster than real (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-runs", type=int, default=6)
    parser.add_argument("--show-open", type=int, default=0, metavar="N",
                        help="list N entries left unresolved")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
