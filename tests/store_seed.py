"""A store with history, written through the product's own writers: posts and papers
(``save_post`` + ``record_extraction``), summaries (``save_summary``), subscribers
(``subscribe``); the sent-delivery and LLM-usage history rows in bulk with the ledger's
and usage table's columns. Timestamps are spread over the past (about a year), as a
running service would have left them.

Shape per 10 papers: 2 posts of 5 entries (4 primary, 1 cited) plus one citation of an
older paper each; every paper has two arXiv categories and two authors; the 8 pushable
papers have summaries in en and ko and were each sent to 3 subscribers, and readers
answered: a tenth of the subscribers vote (👍 / 👎, their weights set) on what they get,
and every 8th paper a reader got is saved (🔖). Subscribers are a fixed population (60 %
en, 40 % ko; every 10th a digest reader, every 20th with topics, every 25th following an
author, every 40th excluding a category).

History is what grows; the present does not: :func:`add_recent` adds the last 30 days
(150 posts, 300 papers each discussed by two blogs, their summaries and deliveries, and
:data:`READER`'s saves and votes), the same at every size, for the paths that read a
period (/top, the weekly digest, the site's index). :data:`READER` takes no part in the
history's votes and saves, so what /saved and /bib return is the same at every size.

Used by ``tests/test_hot_queries.py`` (small) and ``bench/store.py`` (10 k … 1 M papers,
inside bulk transactions: one commit per ``commit_every`` posts).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from crawler.models import FoundPaper, Post
from jobs import store
from jobs.steps.prompts import PROMPT_VERSION
from jobs.store import crawl as crawl_store
from jobs.store import delivery_plan as planning
from jobs.store import feedback as fstore
from jobs.store import subscribers as subs
from jobs.store import summaries as sstore

MODEL = "bench-model"
LANGS = ("en", "ko")
SOURCES = [type("S", (), {"name": f"blog-{i}", "kind": "rss", "url": f"https://b{i}.example/feed",
                          "lang": "ko"})() for i in range(5)]
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=365)
CATEGORIES = ("cs.CL", "cs.LG", "cs.CV", "cs.AI", "stat.ML", "cs.RO", "cs.IR")
READER = 10_000_000  # the reader the benchmark's commands run as (hot_paths.State.chat_id)
VOTER_WEIGHTS = {"cs.CL": 1.0, "cs.CV": -1.0}  # what a voter's votes left on their row
RECENT_POSTS, RECENT_PAPERS, RECENT_DAYS = 150, 300, 30
RECENT_BASE = 9_000_000  # paper numbers of the recent layer (clear of any history size)


def arxiv_id(n: int) -> str:
    """The n-th paper's versionless ID (99,999 a month from 2015-01)."""
    month, num = divmod(n, 99_999)
    return f"{15 + month // 12:02d}{1 + month % 12:02d}.{num + 1:05d}"


def stamp(n: int, total: int) -> str:
    """When the n-th of ``total`` papers was first seen: evenly over the past year."""
    at = EPOCH + SPAN * (n / max(total, 1))
    return at.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def metadata(n: int) -> tuple[str, str]:
    """Paper ``n``'s (categories, authors) as the enrichment stores them (JSON)."""
    cats = list(dict.fromkeys([CATEGORIES[n % len(CATEGORIES)],
                               CATEGORIES[(n // 7 + 1) % len(CATEGORIES)]]))
    return json.dumps(cats), json.dumps([f"Author {n % 1000}", f"Coauthor {n % 37}"])


def _enrich(db, numbers: list[int], when: str | None) -> None:
    """What enrichment writes (categories, authors; enriched_at back then when given)."""
    for n in numbers:
        cats, authors = metadata(n)
        db.execute("update papers set categories = ?, authors = ?, enriched_at = "
                   "coalesce(?, enriched_at) where arxiv_id = ?", [cats, authors, when,
                                                                   arxiv_id(n)])


def add_post(db, index: int, total_papers: int, *, notify: bool = True,
             when: str | None = None) -> list[str]:
    """Post ``index`` (papers 5*index … 5*index+4), written as the crawler writes it.
    Returns its pushable (primary) paper IDs."""
    first = index * 5
    ids = [arxiv_id(first + k) for k in range(5)]
    found = [FoundPaper(arxiv_id=pid, role="reference" if k == 4 else "primary",
                        title=f"Paper {first + k}", text=f"The blog's words on paper {first + k}.",
                        lang="ko") for k, pid in enumerate(ids)]
    if first >= 40:
        found.append(FoundPaper(arxiv_id=arxiv_id(first - 37), role="reference",
                                title=f"Paper {first - 37}", text="cited", lang="ko"))
    src = SOURCES[index % len(SOURCES)].name
    html = "".join(f'<p><a href="https://arxiv.org/abs/{f.arxiv_id}">{f.title}</a> {f.text}</p>'
                   for f in found)
    _, post_id = crawl_store.save_post(db, Post(
        url=f"https://{src}.example/p/{index}", source=src, title=f"Post {index}", html=html,
        lang="ko"), notify=notify)
    crawl_store.record_extraction(db, post_id, found, extractor_version=_extractor_version())
    if when is None:
        when = stamp(first, total_papers)
        # history: the post and its new papers were seen back then, not now
        db.execute("update posts set first_seen_at = ?, fetched_at = ?, extracted_at = ? "
                   "where id = ?", [when, when, when, post_id])
        db.execute("update mentions set created_at = ? where post_id = ?", [when, post_id])
        db.execute(f"update papers set first_seen_at = ? where arxiv_id in "
                   f"({','.join('?' * len(ids))})", [when, *ids])
        _enrich(db, list(range(first, first + 5)), when)
    else:  # a crawl's new papers: metadata arrives during the crawl (enriched_at stays due)
        _enrich(db, list(range(first, first + 5)), None)
    return ids[:4]


def _extractor_version() -> int:
    from crawler.extract import EXTRACTOR_VERSION

    return EXTRACTOR_VERSION


def add_summaries(db, ids: list[str], *, when: str | None = None) -> None:
    for pid in ids:
        for lang in LANGS:
            sstore.save_summary(
                db, arxiv_id=pid, lang=lang, model=MODEL, prompt_version=PROMPT_VERSION,
                fields={"title": f"Title of {pid}", "tldr": f"[{lang}] {pid} in one line.",
                        "key_points": ["One", "Two"], "blogs_said": "Blogs liked it."},
                mentions_count=1, prompt_tokens=500, completion_tokens=100)
        if when is not None:
            db.execute("update summaries set created_at = ? where arxiv_id = ?", [when, pid])


def is_voter(chat_id: int) -> bool:
    return chat_id != READER and (chat_id - 10_000_000) % 10 == 3


def add_subscribers(db, count: int) -> None:
    since = "2000-01-01T00:00:00+00:00"
    for i in range(count):
        chat_id = 10_000_000 + i
        subs.subscribe(db, chat_id, lang="en" if i % 5 < 3 else "ko", now=since)
        if i % 10 == 9:
            subs.update_settings(db, chat_id, mode="digest", digest_hour=9)
        elif i % 20 == 4:
            subs.update_settings(db, chat_id, topics=["cs.CL"])
        if i % 25 == 7:
            subs.update_settings(db, chat_id, follows=["Author 7"])
        if i % 40 == 11:
            subs.update_settings(db, chat_id, excludes=["cs.RO"])


def feedback_of(pid: str, subscribers: int) -> dict[int, tuple[int, int]]:
    """What the readers who got paper ``pid`` answered: chat → (vote, saved)."""
    seed_no = int(pid.replace(".", ""))
    out: dict[int, tuple[int, int]] = {}
    for k, chat in enumerate(_recipients(pid, subscribers)):
        if chat == READER:
            continue
        vote = (1 if seed_no % 3 else -1) if is_voter(chat) else 0
        saved = int((seed_no + k) % 8 == 0)
        if vote or saved:
            out[chat] = (vote or out.get(chat, (0, 0))[0], saved or out.get(chat, (0, 0))[1])
    return out


def _recipients(pid: str, subscribers: int) -> list[int]:
    seed_no = int(pid.replace(".", "")) % max(subscribers, 1)
    return [10_000_000 + (seed_no + k * 7919) % max(subscribers, 1) for k in range(3)]


def add_feedback(db, answers: dict[str, dict[int, tuple[int, int]]], when: str) -> None:
    """Votes and saves through the bot's writers (a voter's weights set with the vote),
    dated ``when``."""
    for pid, by_chat in answers.items():
        for chat, (vote, saved) in by_chat.items():
            if vote:
                fstore.record_vote(db, chat, pid, vote=vote, weights=VOTER_WEIGHTS)
            if saved:
                fstore.toggle_saved(db, chat, pid)
            db.execute("update feedback set voted_at = case when vote != 0 then ? end, "
                       "saved_at = case when saved = 1 then ? end "
                       "where chat_id = ? and arxiv_id = ?", [when, when, chat, pid])


def add_history(db, ids: list[str], when: str, subscribers: int) -> None:
    """Each pushable paper sent to 3 subscribers, and its two LLM calls, back then."""
    rows, usage = [], []
    for pid in ids:
        for chat in _recipients(pid, subscribers):
            rows.append((chat, pid, "en", when, when, when))
        usage += [(when, when[:10], pid, lang, MODEL, 500, 100, 600) for lang in LANGS]
    db.conn.executemany(
        "insert or ignore into deliveries(chat_id, arxiv_id, lang, state, message_id, "
        "attempts, created_at, updated_at, sent_at) values(?, ?, ?, 'sent', 1, 1, ?, ?, ?)",
        rows)
    db.conn.executemany(
        "insert into llm_usage(at, day, arxiv_id, lang, model, prompt_tokens, "
        "completion_tokens, total_tokens, outcome) values(?, ?, ?, ?, ?, ?, ?, ?, 'ok')", usage)


@dataclass
class Recent:
    """The last 30 days: paper IDs newest first, and those first seen in the last week."""

    ids: list[str]
    week: list[str]


def add_recent(db, *, subscribers: int, now: dt.datetime | None = None) -> Recent:
    """The present: :data:`RECENT_POSTS` posts over the last :data:`RECENT_DAYS` days
    before ``now`` (the same at every history size), each discussing 4 of
    :data:`RECENT_PAPERS` papers so that each paper is discussed by two blogs; their
    summaries and deliveries, and :data:`READER`'s 25 saves and 10 votes among them."""
    now = now or dt.datetime.now(dt.UTC)
    seen: dict[str, str] = {}
    for r in range(RECENT_POSTS):
        at = now - dt.timedelta(days=RECENT_DAYS) * ((RECENT_POSTS - r) / RECENT_POSTS)
        when = at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        numbers = [RECENT_BASE + (2 * r + j) % RECENT_PAPERS for j in range(4)]
        src = SOURCES[r % len(SOURCES)].name
        found = [FoundPaper(arxiv_id=arxiv_id(n), role="primary", title=f"Paper {n}",
                            text=f"{src} on paper {n}.", lang="ko") for n in numbers]
        _, post_id = crawl_store.save_post(db, Post(
            url=f"https://{src}.example/recent/{r}", source=src, title=f"Recent post {r}",
            html="".join(f"<p>{f.arxiv_id} {f.text}</p>" for f in found), lang="ko"))
        crawl_store.record_extraction(db, post_id, found, extractor_version=_extractor_version())
        db.execute("update posts set first_seen_at = ?, fetched_at = ?, extracted_at = ? "
                   "where id = ?", [when, when, when, post_id])
        db.execute("update mentions set created_at = ? where post_id = ?", [when, post_id])
        new = [n for n in numbers if arxiv_id(n) not in seen]
        if not new:
            continue
        ids = [arxiv_id(n) for n in new]
        seen.update(dict.fromkeys(ids, when))
        db.execute(f"update papers set first_seen_at = ? where arxiv_id in "
                   f"({','.join('?' * len(ids))})", [when, *ids])
        _enrich(db, new, when)
        add_summaries(db, ids, when=when)
        add_history(db, ids, when, subscribers)
    newest = sorted(seen, key=lambda a: (seen[a], a), reverse=True)
    for pid in newest[:25]:
        fstore.toggle_saved(db, READER, pid)
    for pid in newest[25:35]:
        fstore.record_vote(db, READER, pid, vote=1, weights={})
    planning.set_plan_watermark(db, store.utcnow())  # planned back then, as history is
    week = (now - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return Recent(ids=newest, week=[a for a in newest if seen[a] >= week])


def seed(db, *, papers: int, subscribers: int = 10_000, commit_every: int = 2000,
         progress: Callable[[int], None] | None = None) -> None:
    """``papers`` papers of history (a multiple of 5), ``subscribers`` readers, and a
    delivery plan that is up to date (the idle poll finds nothing new): every row
    through the product's writers."""
    crawl_store.sync_sources(db, SOURCES)
    with store.transaction(db):
        add_subscribers(db, subscribers)
    posts = papers // 5
    for start in range(0, posts, commit_every):
        with store.transaction(db):
            for index in range(start, min(posts, start + commit_every)):
                when = stamp(index * 5, papers)
                ids = add_post(db, index, papers)
                add_summaries(db, ids, when=when)
                add_history(db, ids, when, subscribers)
                add_feedback(db, {pid: feedback_of(pid, subscribers) for pid in ids}, when)
        if progress is not None:
            progress(min(posts, start + commit_every) * 5)
    planning.set_plan_watermark(db, store.utcnow())


def bulk_seed(db, *, papers: int, subscribers: int = 10_000, commit_every: int = 20_000,
              progress: Callable[[int], None] | None = None) -> None:
    """The same rows as :func:`seed`, inserted in bulk (executemany) with the counter,
    queue and site triggers set aside, then the schema's own v5 step restores its triggers and
    recounts, and the v6 step restores the site's triggers and indexes the topics.
    ``tests/test_hot_queries.py`` checks both give the same store."""
    from jobs.store import schema_curation, schema_hot

    crawl_store.sync_sources(db, SOURCES)
    with store.transaction(db):
        add_subscribers(db, subscribers)
    for name in [*schema_hot._TRIGGERS, *schema_curation._TRIGGERS]:
        db.execute(f"drop trigger if exists {name}")
    version = _extractor_version()
    posts = papers // 5
    for start in range(0, posts, commit_every):
        rows: dict[str, list[tuple]] = {t: [] for t in _BULK}
        for index in range(start, min(posts, start + commit_every)):
            _bulk_rows(rows, index, papers, subscribers, version)
        with store.transaction(db):
            for table, sql in _BULK.items():
                db.conn.executemany(sql, rows[table])
        if progress is not None:
            progress(min(posts, start + commit_every) * 5)
    schema_hot.migrate_hot_paths(db)  # triggers back, counters recounted from the rows
    schema_curation.migrate_curation_hot_paths(db)  # the site's triggers, papers by topic
    # what record_vote left on the voters' rows
    db.execute("update subscribers set weights = ? where chat_id in "
               "(select distinct chat_id from feedback where vote != 0)",
               [store.dumps(VOTER_WEIGHTS)])
    planning.set_plan_watermark(db, store.utcnow())


_BULK = {
    "posts": "insert into posts(id, url, source, title, lang, html, content_hash, status, "
             "extractor_version, first_seen_at, fetched_at, extracted_at, notify) "
             "values(?, ?, ?, ?, 'ko', ?, ?, 'extracted', ?, ?, ?, ?, 1)",
    "papers": "insert into papers(arxiv_id, title, first_seen_at, enriched_at, notify, "
              "has_primary, categories, authors) values(?, ?, ?, ?, 1, ?, ?, ?)",
    "mentions": "insert into mentions(post_id, arxiv_id, role, entry_title, text, lang, labels, "
                "created_at) values(?, ?, ?, ?, ?, 'ko', '[]', ?)",
    "summaries": "insert into summaries(arxiv_id, lang, model, prompt_version, title, tldr, "
                 "key_points, blogs_said, is_fallback, lang_ok, mentions_count, prompt_tokens, "
                 "completion_tokens, created_at) values(?, ?, ?, ?, ?, ?, ?, 'Blogs liked it.', "
                 "0, 1, 1, 500, 100, ?)",
    "deliveries": "insert or ignore into deliveries(chat_id, arxiv_id, lang, state, message_id, "
                  "attempts, created_at, updated_at, sent_at) "
                  "values(?, ?, 'en', 'sent', 1, 1, ?, ?, ?)",
    "llm_usage": "insert into llm_usage(at, day, arxiv_id, lang, model, prompt_tokens, "
                 "completion_tokens, total_tokens, outcome) values(?, ?, ?, ?, ?, 500, 100, "
                 "600, 'ok')",
    "feedback": "insert into feedback(chat_id, arxiv_id, vote, saved, voted_at, saved_at) "
                "values(?, ?, ?, ?, ?, ?)",
}


def _bulk_rows(rows: dict[str, list[tuple]], index: int, papers: int, subscribers: int,
               version: int) -> None:
    """What :func:`add_post`, :func:`add_summaries`, :func:`add_history` and
    :func:`add_feedback` write for post ``index``, as rows."""
    first = index * 5
    when = stamp(first, papers)
    src = SOURCES[index % len(SOURCES)].name
    entries = [(arxiv_id(first + k), "reference" if k == 4 else "primary", f"Paper {first + k}",
                f"The blog's words on paper {first + k}.") for k in range(5)]
    cited = [(arxiv_id(first - 37), "reference", f"Paper {first - 37}", "cited")] \
        if first >= 40 else []
    html = "".join(f'<p><a href="https://arxiv.org/abs/{pid}">{title}</a> {text}</p>'
                   for pid, _r, title, text in entries + cited)
    post_id = index + 1
    rows["posts"].append((post_id, f"https://{src}.example/p/{index}", src, f"Post {index}",
                          html, crawl_store.content_hash(html), version, when, when, when))
    for k, (pid, role, title, _text) in enumerate(entries):
        rows["papers"].append((pid, title, when, when, int(role == "primary"),
                               *metadata(first + k)))
    for pid, role, title, text in entries + cited:
        rows["mentions"].append((post_id, pid, role, title, text, when))
    pushable = [e[0] for e in entries if e[1] == "primary"]
    for pid in pushable:
        for lang in LANGS:
            rows["summaries"].append((pid, lang, MODEL, PROMPT_VERSION, f"Title of {pid}",
                                      f"[{lang}] {pid} in one line.", '["One", "Two"]', when))
            rows["llm_usage"].append((when, when[:10], pid, lang, MODEL))
        for chat in _recipients(pid, subscribers):
            rows["deliveries"].append((chat, pid, when, when, when))
        for chat, (vote, saved) in feedback_of(pid, subscribers).items():
            rows["feedback"].append((chat, pid, vote, saved, when if vote else None,
                                     when if saved else None))
