"""Hot paths read only what they return or what is due: every statement a poll, a command
or a crawl runs is planned by SQLite without a full scan of a table that grows with
history. The counters ``paperbot status`` reads stay equal to counting the tables."""

from __future__ import annotations

import asyncio
import re

import pytest

from jobs import site, store
from jobs.steps.deliver import plan_deliveries
from jobs.steps.summarize import summarize_pending
from jobs.store import arxiv as arxiv_store
from jobs.store import delivery as ledger
from jobs.store import schema_hot
from jobs.store import subscribers as subs
from jobs.store import summaries as sstore
from tests import hot_paths, store_seed

# tables that grow with history (unresolved / title_lookups: being redesigned elsewhere)
GROWING = {"papers", "mentions", "summaries", "deliveries", "subscribers", "posts",
           "llm_usage", "crawl_runs", "summary_due", "feedback", "paper_topics",
           "site_changes", "site_list_changes"}
# a SEARCH constrained only by one of these (no range, no LIMIT) still walks a share of
# the whole history
FLAGS = {"has_primary", "notify", "active", "lang", "mode", "is_fallback", "lang_ok", "role",
         "kind", "from_config", "has_any"}
# states that only grow (history), as opposed to the due ones (pending, crawled, …)
HISTORY_STATES = ("'sent'", "'failed'", "'skipped'", "'extracted'")
_NOT_ALIAS = {"where", "join", "on", "using", "left", "inner", "cross", "order", "group",
              "limit", "set", "values", "select", "and", "or", "union", "natural"}


def statements(db, fn) -> list[str]:
    """The SQL statements ``fn()`` runs (parameters bound), trigger bodies left out."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        db.conn.set_trace_callback(None)
    return [s for s in seen
            if s.split(None, 1)[0].lower() in ("select", "insert", "update", "delete", "with")]


def _partial_indexes(db) -> set[str]:
    return {name for name, sql in db.execute(
        "select name, sql from sqlite_master where type = 'index' and sql is not null")
        if re.search(r"\)\s+where\s", sql, re.IGNORECASE)}


def full_scans(db, sql: str) -> list[str]:
    """The plan lines of ``sql`` that scan a growing table from end to end (an index
    scan from end to end included: SQLite says SEARCH for a range, SCAN for all). A scan
    of a partial index reads only the rows it holds (what is due): not a full scan."""
    partial = _partial_indexes(db)
    tables = {}
    for table, alias in re.findall(r"\b(?:from|join|into|update)\s+(\w+)(?:\s+(?:as\s+)?(\w+))?",
                                   sql, re.IGNORECASE):
        tables[table] = table
        if alias and alias.lower() not in _NOT_ALIAS:
            tables[alias] = table
    bounded = re.search(r"\blimit\b", sql, re.IGNORECASE) is not None
    out = []
    for *_, detail in db.execute("explain query plan " + sql).fetchall():
        m = re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
        if m and tables.get(m.group(1), m.group(1)) in GROWING and m.group(2) not in partial:
            out.append(detail)
        m = re.match(r"SEARCH (\w+) USING (?:COVERING )?INDEX (\w+) \((\w+)=\?\)$", detail)
        history = m is not None and m.group(3) in ("state", "status") and any(
            v in sql for v in HISTORY_STATES)
        if (m and tables.get(m.group(1), m.group(1)) in GROWING
                and (m.group(3) in FLAGS or history)
                and m.group(2) not in partial and not bounded):
            out.append(detail)
    return out


@pytest.fixture(scope="module")
def seeded():
    db = store.memory_db()
    store_seed.seed(db, papers=300, subscribers=60)
    recent = store_seed.add_recent(db, subscribers=60)
    asyncio.run(summarize_pending(db, config=hot_paths.config(), client=None,
                                  langs=list(store_seed.LANGS)))  # the queue exists
    yield db, recent
    db.conn.close()


def test_the_scan_detector_sees_scans(db):
    assert full_scans(db, "select count(*) from papers")
    assert full_scans(db, "select p.arxiv_id from papers p where p.title = 'x'")
    assert full_scans(db, "select chat_id from subscribers where lang = 'en'")
    by_flag = ("select arxiv_id from papers where has_primary = 1 and arxiv_id in "
               "('2401.00001', '2401.00002') order by first_seen_at desc, arxiv_id")
    assert full_scans(db, by_flag)  # walks the flag's index (for its order), not the key
    assert not full_scans(db, by_flag.replace("has_primary", "+has_primary"))
    assert not full_scans(db, "select title from papers where arxiv_id = '2401.00001'")
    # every sent row through the state index, vs. the rows still due
    assert full_scans(db, "select count(*) from deliveries where state = 'sent'")
    assert not full_scans(db, "select count(*) from deliveries where state = 'pending'")
    # a partial index holds only the due rows: scanning it is reading what is due
    assert not full_scans(db, "select arxiv_id from papers where enriched_at is null "
                              "order by first_seen_at, arxiv_id")


@pytest.fixture(scope="module")
def site_dir(seeded, tmp_path_factory):
    """The seeded store's site, built in full."""
    out = tmp_path_factory.mktemp("site")
    site.build_from_config(seeded[0], hot_paths.config(), out)
    return out


@pytest.mark.parametrize("name", [n for n in hot_paths.PATHS if n not in hot_paths.DELIVERY_PATHS])
def test_hot_path_reads_only_what_it_needs(seeded, name, request):
    db, recent = seeded
    cfg = hot_paths.config()
    state = hot_paths.State(paper=store_seed.arxiv_id(100), recent=recent,
                            site_dir=request.getfixturevalue("site_dir")
                            if name.startswith("site") else None)
    ran = statements(db, lambda: hot_paths.PATHS[name](db, cfg, state))
    assert ran, f"{name} ran no statement"
    scans = {sql: full_scans(db, sql) for sql in ran}
    assert {sql: s for sql, s in scans.items() if s} == {}


def test_planning_new_papers_reads_their_audience_not_the_history(seeded):
    """The benchmark's broadcast planning (3 new papers, 2 languages): candidates from
    the watermark, each audience once through the partial index of active subscribers,
    the readers who take every paper in one INSERT … SELECT (schema v8's key puts a
    paper's rows together); no statement scans the ledger or the papers."""
    db, recent = seeded
    state = hot_paths.State(paper=store_seed.arxiv_id(100), recent=recent)
    ids = hot_paths._new_papers(db, state, 4, summarized=False)
    store_seed.add_summaries(db, ids[:3])
    planned: list[int] = []
    ran = statements(db, lambda: planned.append(plan_deliveries(db, config=hot_paths.config())))
    db.execute("update deliveries set state = 'skipped' where state = 'pending'")
    hot_paths._age(db, ids)
    assert planned[0] > 3 * 40  # 60 subscribers, 2 languages, some picky
    text = " ".join(ran)
    assert "insert into deliveries" in text and "select chat_id" in text
    assert "indexed by subscribers_audience" in text
    assert {sql: s for sql, s in ((sql, full_scans(db, sql)) for sql in ran) if s} == {}


def test_trigger_statements_read_only_their_rows(seeded):
    """The counters and the summarize queue are kept by triggers: each of their
    statements touches the changed row's neighbours only."""
    seeded, _ = seeded
    checked = 0
    for name, sql in seeded.execute("select name, sql from sqlite_master where type = 'trigger'"):
        body = re.search(r"\bbegin\b(.*)\bend\s*$", sql, re.IGNORECASE | re.DOTALL).group(1)
        for statement in filter(str.strip, body.split(";")):
            literal = re.sub(r"\b(?:new|old)\.\w+", "'x'", statement)
            assert full_scans(seeded, literal) == [], (name, statement)
            checked += 1
    assert checked > 30


def _counts(db, table="counts"):
    return {(k, s): n for k, s, n in db.execute(f"select key, sub, n from {table} where n != 0")}


def test_counters_match_counting_the_tables(db, tmp_path):
    store_seed.seed(db, papers=100, subscribers=20)
    recent = store_seed.add_recent(db, subscribers=20)
    cfg = hot_paths.config()
    state = hot_paths.State(paper=store_seed.arxiv_id(10), recent=recent,
                            site_dir=tmp_path / "site")
    hot_paths.adopt_site(db, cfg, state.site_dir)
    for path in hot_paths.PATHS.values():
        path(db, cfg, state)
    hot_paths.plan_three_papers(db, cfg, state)
    # the other writers: a fallback upgraded, INSERT OR REPLACE, a subscriber leaving with
    # pending rows, one changing mode
    pid = store_seed.arxiv_id(1)
    ledger.insert_summary_row(db, pid, "ja", title="t", tldr="x")
    ledger.insert_summary_row(db, pid, "ja", title="t", tldr="y")
    sstore.save_summary(db, arxiv_id=pid, lang="ja", model="m", prompt_version=1,
                        fields={"title": "t", "tldr": "z"}, lang_ok=False)
    # a link found to contradict its entry (no longer pushed), a paper dropped
    post = db.execute("select post_id from mentions where arxiv_id = ?", [pid]).fetchone()[0]
    arxiv_store.set_mention_flag(db, post, pid, arxiv_store.FLAG_TITLE_MISMATCH)
    arxiv_store.refresh_has_primary(db, pid)
    db.execute("delete from mentions where arxiv_id = ?", [store_seed.arxiv_id(4)])
    db.execute("delete from papers where arxiv_id = ?", [store_seed.arxiv_id(4)])
    db.execute("update deliveries set state = 'pending' where rowid in "
               "(select rowid from deliveries where chat_id = 10000001 limit 2)")
    subs.deactivate(db, 10_000_001, "blocked")
    subs.update_settings(db, 10_000_002, mode="digest")
    db.execute("create temp table expected as select * from counts limit 0")
    schema_hot.recount(db, "temp.expected")
    assert _counts(db) == _counts(db, "temp.expected")
    assert _counts(db)[("summaries.flagged", "ja")] == 1


def test_bulk_history_is_the_writers_history():
    """The benchmark builds big stores in bulk: the rows must be what the writers write."""
    by_writers, in_bulk = store.memory_db(), store.memory_db()
    store_seed.seed(by_writers, papers=100, subscribers=20)
    store_seed.bulk_seed(in_bulk, papers=100, subscribers=20)
    for sql in ("select * from posts order by id", "select * from papers order by arxiv_id",
                "select * from mentions order by post_id, arxiv_id",
                "select * from summaries order by arxiv_id, lang",
                "select * from deliveries order by chat_id, arxiv_id",
                "select at, day, arxiv_id, lang, model, total_tokens from llm_usage order by id",
                "select * from feedback order by chat_id, arxiv_id",
                "select * from paper_topics order by category, first_seen_at, arxiv_id",
                "select chat_id, topics, follows, excludes, weights from subscribers "
                "order by chat_id",
                "select key, sub, n from counts where n != 0 order by key, sub"):
        assert by_writers.execute(sql).fetchall() == in_bulk.execute(sql).fetchall(), sql
