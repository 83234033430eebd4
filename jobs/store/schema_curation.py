"""Schema v7 (issue 15, for the curation features of issue 13): what the static site's
rebuild after a crawl reads, kept by triggers so that it does not grow with history.

* ``site_changes``: one row per (paper, language) whose page may have changed, with a
  sequence number that only grows; ``lang = ''`` means every language (the paper, its
  mentions or its posts changed), a language is a summary in it. A site build keeps the
  last number it saw (in its own output directory) and reads the rows after it: a
  rebuild after a crawl with nothing new reads nothing.
* ``site_list_changes``: the lists a paper left (a topic feed, a month of the search
  index): the rebuild cannot learn those from the paper's current row.
* ``paper_topics``: the papers shown on the site (a primary mention) per arXiv category,
  newest first: a topic feed's newest entries without reading every paper's categories.

Shipped migrations never change: a later change is a new migration. Triggers live in
the database, so every writer (the service, the crawl child, a CLI command) keeps the
site's change log; a later migration that rebuilds one of these tables must create its
triggers again (``_TRIGGERS`` below).
"""

from __future__ import annotations

import sqlite_utils

_TABLES = [
    "create table if not exists site_changes (arxiv_id text not null, lang text not null, "
    "seq integer not null, primary key (arxiv_id, lang)) without rowid",
    "create index if not exists site_changes_seq on site_changes(seq)",
    "create table if not exists site_list_changes (name text primary key, "
    "seq integer not null) without rowid",
    "create index if not exists site_list_changes_seq on site_list_changes(seq)",
    "create table if not exists paper_topics (category text not null, first_seen_at text "
    "not null, arxiv_id text not null, primary key (category, first_seen_at, arxiv_id)) "
    "without rowid",
]


def _seq(table: str) -> str:
    """The next number of ``table``'s sequence (max: one seek to the end of its index)."""
    return f"coalesce((select max(seq) from {table}), 0) + 1"


def _paper_changed(paper: str, lang: str = "''", when: str = "true") -> str:
    """A trigger statement: the page of ``paper`` (an SQL expression) in ``lang`` ('' =
    every language) may have changed."""
    return (f"insert into site_changes(arxiv_id, lang, seq) select {paper}, {lang}, "
            f"{_seq('site_changes')} where {when} "
            "on conflict(arxiv_id, lang) do update set seq = excluded.seq;")


def _list_changed(name: str, when: str = "true") -> str:
    return (f"insert into site_list_changes(name, seq) select {name}, "
            f"{_seq('site_list_changes')} where {when} "
            "on conflict(name) do update set seq = excluded.seq;")


def _categories(r: str) -> str:
    """The categories of paper row ``r`` (text values of its JSON list; none if invalid)."""
    return (f"json_each(case when json_valid({r}.categories) then {r}.categories "
            "else '[]' end)")


def _month(r: str) -> str:
    return f"'month:' || substr(coalesce({r}.first_seen_at, ''), 1, 7)"


def _add_topics(r: str) -> str:
    return ("insert or ignore into paper_topics(category, first_seen_at, arxiv_id) "
            f"select j.value, coalesce({r}.first_seen_at, ''), {r}.arxiv_id "
            f"from {_categories(r)} j where {r}.has_primary = 1 and j.type = 'text' "
            "and j.value != '';")


def _drop_topics(r: str) -> str:
    return (f"delete from paper_topics where category in (select value from {_categories(r)}) "
            f"and first_seen_at = coalesce({r}.first_seen_at, '') and arxiv_id = {r}.arxiv_id "
            f"and {r}.has_primary = 1;")


# what a paper's page shows from its row (has_primary: whether it is shown at all)
_PAPER_COLUMNS = ("title", "authors", "abstract", "categories", "published", "first_seen_at",
                  "has_primary")
_MENTION_COLUMNS = ("post_id", "arxiv_id", "role", "entry_title", "text", "lang", "created_at")
_POST_COLUMNS = ("url", "title", "source", "lang")
_SUMMARY_COLUMNS = ("title", "tldr", "key_points", "blogs_said", "is_fallback", "lang_ok",
                    "created_at", "model", "prompt_version")


def _differs(columns: tuple[str, ...]) -> str:
    return " or ".join(f"old.{c} is not new.{c}" for c in columns)


_TRIGGERS = {
    "papers_site_insert": f"""after insert on papers begin
        {_paper_changed('new.arxiv_id')}
        {_add_topics('new')}
        end""",
    "papers_site_update": f"""after update of {', '.join(_PAPER_COLUMNS)} on papers
        when {_differs(_PAPER_COLUMNS)} begin
        {_paper_changed('new.arxiv_id')}
        {_list_changed(_month('old'), 'old.has_primary = 1 and (old.first_seen_at is not '
                       'new.first_seen_at or new.has_primary is not 1)')}
        {_drop_topics('old')}
        {_add_topics('new')}
        end""",
    "papers_site_delete": f"""after delete on papers begin
        {_paper_changed('old.arxiv_id')}
        {_list_changed(_month('old'), 'old.has_primary = 1')}
        {_drop_topics('old')}
        end""",
    # the lists a topic feed shows: whatever enters or leaves one changes it
    "paper_topics_site_insert": f"""after insert on paper_topics begin
        {_list_changed("'topic:' || new.category")}
        end""",
    "paper_topics_site_delete": f"""after delete on paper_topics begin
        {_list_changed("'topic:' || old.category")}
        end""",
    # the blogs' words, the curators line (the site shows primary mentions)
    "mentions_site_insert": f"""after insert on mentions when new.role = 'primary' begin
        {_paper_changed('new.arxiv_id')}
        end""",
    "mentions_site_update": f"""after update on mentions
        when (old.role = 'primary' or new.role = 'primary')
        and ({_differs(_MENTION_COLUMNS)}) begin
        {_paper_changed('old.arxiv_id')}
        {_paper_changed('new.arxiv_id', when='new.arxiv_id is not old.arxiv_id')}
        end""",
    "mentions_site_delete": f"""after delete on mentions when old.role = 'primary' begin
        {_paper_changed('old.arxiv_id')}
        end""",
    # a post's title and link are shown with its words
    "posts_site_update": f"""after update of {', '.join(_POST_COLUMNS)} on posts
        when {_differs(_POST_COLUMNS)} begin
        insert into site_changes(arxiv_id, lang, seq)
            select m.arxiv_id, '', {_seq('site_changes')} from mentions m
            where m.post_id = new.id and m.role = 'primary'
            on conflict(arxiv_id, lang) do update set seq = excluded.seq;
        end""",
    # a summary is shown in its language only
    "summaries_site_insert": f"""after insert on summaries begin
        {_paper_changed('new.arxiv_id', 'new.lang')}
        end""",
    "summaries_site_update": f"""after update on summaries
        when {_differs(_SUMMARY_COLUMNS)} begin
        {_paper_changed('new.arxiv_id', 'new.lang')}
        end""",
    "summaries_site_delete": f"""after delete on summaries begin
        {_paper_changed('old.arxiv_id', 'old.lang')}
        end""",
}

# the papers shown on the site by category, from the rows (the migration's starting point)
FILL_TOPICS = (
    "insert or ignore into paper_topics(category, first_seen_at, arxiv_id) "
    "select j.value, coalesce(p.first_seen_at, ''), p.arxiv_id from papers p, "
    f"{_categories('p')} j where p.has_primary = 1 and j.type = 'text' and j.value != ''")


def migrate_curation_hot_paths(db: sqlite_utils.Database) -> None:
    """Create the site's change log and topic index, fill the index from the papers
    (once, before its triggers exist: the fill is not a change), then the triggers."""
    for sql in _TABLES:
        db.execute(sql)
    db.conn.execute("begin immediate")
    try:
        db.execute(FILL_TOPICS)
    except BaseException:
        db.conn.execute("rollback")
        raise
    db.conn.execute("commit")
    for name, body in _TRIGGERS.items():
        db.execute(f"create trigger if not exists {name} {body}")
