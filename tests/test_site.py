"""The static site: built from the database alone, valid HTML, escaped, feeds that
parse (Atom through feedparser, JSON Feed 1.1's required fields), deterministic, and
rebuilt incrementally (only changed files rewritten); `paperbot site build`."""

from __future__ import annotations

import json

import feedparser
import html5lib
import jsonschema
import pytest

from crawler.models import FoundPaper, Post
from jobs import store
from jobs.cli.site import SITE_BUILD_SCHEMA
from jobs.site import build_site
from jobs.store import crawl as crawl_store
from jobs.store import delivery as ledger
from tests.conftest import run_paperbot, write_config
from tests.site_fixtures import seed_site

LANGS = ["en", "ko", "ja", "zh", "ru"]


@pytest.fixture
def db():
    database = store.memory_db()
    seed_site(database)
    return database


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_every_page_is_valid_escaped_html(db, tmp_path):
    report = build_site(db, tmp_path, languages=LANGS)
    assert report.papers == 12 and report.written == report.files
    pages = sorted(tmp_path.rglob("*.html"))
    assert len(pages) == 1 + 5 * (1 + 12)  # home, per language: index + a page per paper
    for page in pages:
        html5lib.HTMLParser(strict=True).parse(page.read_bytes())  # raises on any parse error
        text = page.read_text("utf-8")
        assert "<script>alert" not in text and "<b>worth" not in text
    paper = (tmp_path / "ko" / "p" / "2401.00002.html").read_text("utf-8")
    assert "Tiny &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Models&#34; 1" in paper
    assert "[ko] TLDR 1 &lt;i&gt;&amp;&lt;/i&gt;" in paper  # the Korean summary, escaped
    assert "💬 블로그 2곳에서 다룸: rosinality, pytorch-kr" in paper
    assert 'href="https://pytorch-kr.example/p/1"' in paper  # the blogs' words, with links
    for link in ("https://arxiv.org/abs/2401.00002", "https://arxiv.org/pdf/2401.00002",
                 "https://huggingface.co/papers/2401.00002"):
        assert f'href="{link}"' in paper
    # no summary in Japanese for that paper: the abstract's first sentences instead
    ja = (tmp_path / "ja" / "p" / "2401.00001.html").read_text("utf-8")
    assert "We study routing 0. It works. More text." in ja and "TLDR" not in ja
    assert (tmp_path / "en" / "p" / "hep-th_9901001.html").exists()
    index = (tmp_path / "en" / "index.html").read_text("utf-8")
    assert index.index("2024-01-12") < index.index("2024-01-11")  # by day, newest first


def test_feeds_parse_and_carry_the_summaries(db, tmp_path):
    build_site(db, tmp_path, languages=LANGS, base_url="https://papers.example.org",
               feed_items=5)
    atom = feedparser.parse((tmp_path / "ko" / "feed.xml").read_bytes())
    assert not atom.bozo, atom.bozo_exception
    assert len(atom.entries) == 5 and atom.feed.title == "paperbot (한국어)"
    first = atom.entries[0]
    assert first.link == "https://papers.example.org/ko/p/2401.00012.html"
    assert "[ko] TLDR 11" in first.content[0].value and first.published.startswith("2024-01-12")
    assert [t.term for t in first.tags] == ["cs.CL", "cs.LG"]
    topic = feedparser.parse((tmp_path / "en" / "topics" / "cs.CV" / "feed.xml").read_bytes())
    assert not topic.bozo and topic.entries
    assert all("cs.CV" in [t.term for t in e.tags] for e in topic.entries)
    for path in [tmp_path / "ru" / "feed.json", tmp_path / "en" / "topics" / "cs.CL" / "feed.json"]:
        feed = json.loads(path.read_text("utf-8"))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"  # required
        assert feed["title"] and isinstance(feed["items"], list) and feed["items"]
        assert feed["feed_url"].startswith("https://papers.example.org/")
        for item in feed["items"]:
            assert isinstance(item["id"], str) and item["id"]  # required
            assert item["content_html"] and item["url"].startswith("https://papers.example.org/")
        ids = [i["id"] for i in feed["items"]]
        assert len(ids) == len(set(ids))


def test_search_index_and_determinism_and_incremental_rebuilds(db, tmp_path):
    build_site(db, tmp_path, languages=LANGS)
    index = json.loads((tmp_path / "en" / "search.json").read_text("utf-8"))
    assert index == {"months": ["search/2024-01.json"]}  # one file per month, newest first
    search = json.loads((tmp_path / "en" / "search" / "2024-01.json").read_text("utf-8"))
    assert len(search) == 12 and {"i", "t", "u", "a", "d"} <= set(search[0])
    first = files(tmp_path)
    again = build_site(db, tmp_path, languages=LANGS)
    assert again.written == 0 and again.skipped == 5 * 12  # no page even rendered
    assert files(tmp_path) == first
    other = tmp_path / "other"
    build_site(db, other, languages=LANGS)  # a fresh directory: byte-identical
    assert {k: v for k, v in files(other).items()} == first

    # one new Korean summary: that page, the Korean index/search/feeds change, nothing else
    ledger.insert_summary_row(db, "2401.00001", "ko", title="새 제목", tldr="새 요약",
                              model="m2", is_fallback=False,
                              created_at="2024-02-01T00:00:00+00:00")
    before = {p: (tmp_path / p).stat().st_mtime_ns for p in first}
    report = build_site(db, tmp_path, languages=LANGS)
    changed = {p for p in first if (tmp_path / p).stat().st_mtime_ns != before[p]}
    assert "ko/p/2401.00001.html" in changed and "새 요약" in (
        tmp_path / "ko/p/2401.00001.html").read_text("utf-8")
    assert all(p.startswith("ko/") or p == ".paperbot-site.json" for p in changed), changed
    assert report.written == len(changed) - 1 and report.skipped == 5 * 12 - 1

    # a paper that is no longer shown: its pages go
    db.execute("update papers set has_primary = 0 where arxiv_id = '2401.00005'")
    report = build_site(db, tmp_path, languages=LANGS)
    assert report.removed == 5 and not (tmp_path / "en/p/2401.00005.html").exists()


async def test_paperbot_site_build_cli(db, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    disk = store.open_db(state / "paperbot.db")
    seed_site(disk, 3, langs=("en",))
    disk.conn.close()
    config = write_config(tmp_path, f"""
        state_dir = "{state}"
        [telegram]
        languages = ["en", "ko"]
        [site]
        base_url = "https://papers.example.org"
    """)
    missing = await run_paperbot("--config", str(config), "site", "build", cwd=tmp_path)
    assert missing.code == 2 and "--out" in missing.stderr
    out = await run_paperbot("--config", str(config), "site", "build", "--out",
                             str(tmp_path / "site"), "--json", cwd=tmp_path)
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    jsonschema.validate(report, SITE_BUILD_SCHEMA)
    assert report["papers"] == 3 and report["languages"] == ["en", "ko"]
    assert (tmp_path / "site" / "ko" / "feed.xml").exists()


def _crawled(db, blog, n, arxiv_id, *, day, title="A new paper"):
    """A post of ``blog`` discussing ``arxiv_id``, as the crawl child records it."""
    _, post_id = crawl_store.save_post(db, Post(
        url=f"https://{blog}.example/new/{n}", source=blog, title=f"{blog} new {n}",
        html="<p>x</p>", lang="ko", published_at=day))
    crawl_store.record_extraction(db, post_id, [FoundPaper(
        arxiv_id=arxiv_id, role="primary", title=title, text=f"{blog} on it", lang="ko")],
        extractor_version=1)
    return post_id


def _new_paper(db):  # a crawl finds a paper on a new day; metadata and a summary follow
    _crawled(db, "zenn-ml", 1, "2402.00001", day="2024-02-03")
    db.execute("update papers set first_seen_at = '2024-02-03T08:00:00+00:00' "
               "where arxiv_id = '2402.00001'")
    ledger.set_paper_metadata(db, "2402.00001", authors=["Grace Hopper"],
                              categories=["cs.CV", "cs.RO"], abstract="New. Short.")
    ledger.insert_summary_row(db, "2402.00001", "ja", title="新しい", tldr="要約", model="m",
                              is_fallback=False, created_at="2024-02-03T09:00:00+00:00")


def _another_blog(db):  # a second blog discusses an old paper: its curators line changes
    _crawled(db, "titanida", 2, "2401.00003", day="2024-02-04", title="Routing 2")


def _categories_change(db):  # arXiv metadata: the paper leaves cs.CV for cs.AI
    ledger.set_paper_metadata(db, "2401.00011", categories=["cs.AI"])


def _post_renamed(db):  # a re-crawl finds the post edited, with a new title
    crawl_store.save_post(db, Post(url="https://rosinality.example/p/2", source="rosinality",
                                   title="Renamed notes", html="<p>edited</p>", lang="ko",
                                   published_at="2024-01-03"))


def _not_shown(db):  # its only mention turns out to be a misread link
    db.execute("update papers set has_primary = 0 where arxiv_id = '2401.00009'")


def _moved_month(db):  # first seen corrected into another month
    db.execute("update papers set first_seen_at = '2023-12-30T00:00:00+00:00' "
               "where arxiv_id = '2401.00007'")


def _deleted(db):
    db.execute("delete from mentions where arxiv_id = '2401.00012'")
    db.execute("delete from papers where arxiv_id = '2401.00012'")


def _summary_gone(db):
    db.execute("delete from summaries where arxiv_id = '2401.00006' and lang = 'en'")


@pytest.mark.parametrize("changes", [
    [_new_paper], [_another_blog], [_categories_change], [_post_renamed], [_not_shown],
    [_moved_month], [_deleted], [_summary_gone],
    [_new_paper, _another_blog, _categories_change, _post_renamed, _not_shown, _moved_month,
     _deleted, _summary_gone]], ids=lambda cs: "+".join(c.__name__.strip("_") for c in cs))
def test_a_rebuild_gives_the_bytes_of_a_full_build(db, tmp_path, changes):
    """A rebuild reads only the change log and the bounded lists (the index's days, the
    newest feeds, a topic's newest, a month of the search index): after each kind of
    change a writer makes, the site brought up to date is, byte for byte, the site built
    from scratch (feeds of 3 entries and an index of 5 days, so that lists get refilled
    from older papers and the index's window moves)."""
    site = tmp_path / "site"
    options = {"languages": LANGS, "feed_items": 3, "index_days": 5}
    build_site(db, site, **options)
    for change in changes:
        change(db)
        report = build_site(db, site, **options)
        assert report.written > 0, change.__name__
    fresh = build_site(db, tmp_path / "fresh", **options)
    assert files(site) == files(tmp_path / "fresh")
    assert (report.papers, report.files) == (fresh.papers, fresh.files)


def test_a_rebuild_with_nothing_new_reads_only_the_change_log(db, tmp_path):
    build_site(db, tmp_path, languages=LANGS)
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    report = build_site(db, tmp_path, languages=LANGS)
    db.conn.set_trace_callback(None)
    reads = [s for s in seen if s.lower().startswith("select")]
    assert report.written == report.removed == 0 and report.files > 0
    assert all("site_changes" in s or "site_list_changes" in s or "from counts" in s
               for s in reads), reads


def test_a_site_built_with_other_settings_is_built_again_and_keeps_other_files(db, tmp_path):
    build_site(db, tmp_path, languages=["en", "ko"])
    (tmp_path / "CNAME").write_text("papers.example.org")
    report = build_site(db, tmp_path, languages=["en"])  # Korean dropped: its files go
    assert report.papers == 12 and report.skipped == 0
    assert not (tmp_path / "ko").exists() and (tmp_path / "en" / "p" / "2401.00001.html").exists()
    assert (tmp_path / "CNAME").read_text() == "papers.example.org"
    (tmp_path / ".paperbot-site.json").unlink()  # lost: a full build, nothing to write
    again = build_site(db, tmp_path, languages=["en"])
    assert again.written == again.removed == 0 and again.files == report.files


def test_migration_v6_indexes_the_papers_by_topic_once(tmp_path):
    """A database from before v6: its papers indexed by topic by the migration (not
    logged as changes: the first build after the upgrade is a full one anyway), twice
    the same; from then on the triggers keep the index."""
    import sqlite3

    import sqlite_utils

    from jobs.store import schema

    old = sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None))
    old.execute("pragma recursive_triggers = on")
    old["meta"].create({"key": str, "value": str}, pk="key")
    for m in schema.MIGRATIONS[:5]:
        m(old)
    old.execute("insert into meta values('schema_version', '5')")
    seed_site(old)
    assert schema.migrate(old) == schema.SCHEMA_VERSION >= 6
    topics = old.execute("select category, arxiv_id from paper_topics order by 1, 2").fetchall()
    assert len(topics) == 6 * 2 + 6 and ("cs.CV", "2401.00001") in topics
    assert old.execute("select count(*) from site_changes").fetchone()[0] == 0
    schema.MIGRATIONS[5](old)  # idempotent
    assert old.execute("select category, arxiv_id from paper_topics order by 1, 2").fetchall() \
        == topics
    build_site(old, tmp_path, languages=["en"])
    ledger.set_paper_metadata(old, "2401.00001", categories=["cs.AI"])
    report = build_site(old, tmp_path, languages=["en"])
    assert report.skipped == 11 and (tmp_path / "en/topics/cs.AI/feed.xml").exists()
