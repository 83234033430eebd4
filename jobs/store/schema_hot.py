"""Schema v5 (issue 15): hot paths that do not grow with history.

* Indexes for every query on a poll or command path.
* ``counts``: counters kept up to date by triggers, read by ``paperbot status`` instead
  of ``COUNT(*)`` over whole tables.
* ``summary_due`` / ``summary_targets``: the (language, paper) pairs that may still need a
  summary, so the summarize step reads what is due instead of scanning every paper.
  Triggers add a pair when a paper gets (another) primary mention and drop it when the
  target summary is written; a language that becomes wanted is queued in bounded
  chunks by :mod:`jobs.store.summary_due`.

Shipped migrations never change: a later change is a new migration. Triggers live in
the database, so every writer (the service, the crawl child, a CLI command, an older
process still running) keeps the counters and the queue right. A later migration that
rebuilds one of these tables must create its triggers again (``_TRIGGERS`` below).
"""

from __future__ import annotations

import sqlite_utils

# --- indexes --------------------------------------------------------------------------
_INDEXES = [
    # /latest, the summarize queue's fill walk: newest pushable papers first
    "create index if not exists papers_primary_seen on papers(has_primary, first_seen_at, "
    "arxiv_id)",
    # unenriched_ids: only the papers still lacking arXiv metadata
    "create index if not exists papers_unenriched on papers(first_seen_at, arxiv_id) "
    "where enriched_at is null",
    # posts_to_extract: are there posts of an older extractor (after an upgrade only)?
    "create index if not exists posts_status_version on posts(status, extractor_version)",
    # unverified_mentions: the few mentions flagged while arXiv was down
    "create index if not exists mentions_flagged on mentions(flag) where flag is not null",
    # wanted_languages: distinct languages of active subscribers (a skip-scan); push_since:
    # since when each language is read (the expression is summaries.READING_SINCE)
    "create index if not exists subscribers_active_lang on subscribers(active, lang)",
    "create index if not exists subscribers_reading_since on subscribers(active, lang, "
    "max(subscribed_at, coalesce(lang_since, subscribed_at)))",
    # the heartbeat's deliveries finished in the last minutes (partial: planning a
    # broadcast inserts pending rows, which stay out of it)
    "create index if not exists deliveries_done on deliveries(updated_at) "
    "where state in ('sent', 'failed')",
    # the summarize step's failed-calls-today check per (paper, language)
    "create index if not exists llm_usage_paper on llm_usage(arxiv_id, lang, day)",
    # health after each crawl (a source's last runs), runs of a crawl process, last start
    "create index if not exists crawl_runs_source on crawl_runs(source, id)",
    "create index if not exists crawl_runs_pid on crawl_runs(pid, started_at)",
    "create index if not exists crawl_runs_started on crawl_runs(started_at)",
]

# --- the summarize queue ------------------------------------------------------------
_QUEUE = [
    # One row per language someone reads (or read): the summary every paper should have
    # (resummarize: also one written before the paper's latest primary mention).
    # filled_*: where the walk queueing the existing papers stopped (NULL: all queued).
    # floor: papers first seen before it are not summarized ahead (nobody read the
    # language then: jobs.store.summaries.push_since)
    "create table if not exists summary_targets (lang text primary key, model text not null, "
    "prompt_version integer not null, resummarize integer not null default 0, "
    "floor text not null default '', filled_seen text, filled_id text)",
    # (language, paper) pairs that may need a summary: has_any = 0 when the paper has no
    # summary at all in that language (not even a fallback).
    "create table if not exists summary_due (lang text not null, arxiv_id text not null, "
    "first_seen_at text not null, has_any integer not null default 0, "
    "primary key (lang, arxiv_id)) without rowid",
    "create index if not exists summary_due_order on summary_due(lang, first_seen_at, arxiv_id)",
    "create index if not exists summary_due_none on summary_due(lang, first_seen_at, arxiv_id) "
    "where has_any = 0",
]

_COUNTS = ("create table if not exists counts (key text not null, sub text not null default '', "
           "n integer not null default 0, primary key (key, sub)) without rowid")


def _bump(key: str, sub: str, delta: str, when: str | None = None) -> str:
    """A trigger statement adding ``delta`` (an SQL expression) to counter (key, sub)."""
    cond = f" where {when}" if when else " where true"  # WHERE: the upsert parse needs one
    return (f"insert into counts(key, sub, n) select '{key}', {sub}, {delta}{cond} "
            f"on conflict(key, sub) do update set n = n + excluded.n;")


def _queue_paper(paper: str) -> str:
    """Queue ``paper`` (new./old. row of papers) for every summary target it is pushed in."""
    return ("insert or ignore into summary_due(lang, arxiv_id, first_seen_at, has_any) "
            f"select t.lang, {paper}.arxiv_id, coalesce({paper}.first_seen_at, ''), "
            f"exists(select 1 from summaries s where s.arxiv_id = {paper}.arxiv_id "
            f"and s.lang = t.lang) from summary_targets t where {paper}.notify = 1 "
            f"and coalesce({paper}.first_seen_at, '') >= t.floor;")


def _unqueue_paper(paper: str) -> str:
    return (f"delete from summary_due where lang in (select lang from summary_targets) "
            f"and arxiv_id = {paper}.arxiv_id;")


_SUB_KEY = ("case {r}.active when 1 then 'active/' || coalesce({r}.lang, '') || '/' || "
            "coalesce({r}.mode, '') else 'inactive' end")
_SUMMARY_KIND = "{r}.lang || '/' || case {r}.is_fallback when 1 then 'fallback' else 'model' end"
_FINAL = "('sent', 'failed', 'skipped')"
_SENT_DAY = "substr(coalesce({r}.sent_at, {r}.updated_at, ''), 1, 10)"
_IS_TARGET = ("exists(select 1 from summary_targets t where t.lang = {r}.lang "
              "and t.model = {r}.model and t.prompt_version = {r}.prompt_version)")

_TRIGGERS = {
    # papers: totals, pushable papers, and the summarize queue
    "papers_counts_insert": f"""after insert on papers begin
        {_bump('papers', "''", '1')}
        {_bump('papers.primary', "''", '1', 'new.has_primary = 1')}
        insert or ignore into summary_due(lang, arxiv_id, first_seen_at, has_any)
            select t.lang, new.arxiv_id, coalesce(new.first_seen_at, ''), 0
            from summary_targets t where new.has_primary = 1 and new.notify = 1
            and coalesce(new.first_seen_at, '') >= t.floor;
        end""",
    "papers_counts_delete": f"""after delete on papers begin
        {_bump('papers', "''", '-1')}
        {_bump('papers.primary', "''", '-1', 'old.has_primary = 1')}
        {_unqueue_paper('old')}
        end""",
    "papers_primary_on": f"""after update of has_primary on papers
        when new.has_primary = 1 and old.has_primary is not 1 begin
        {_bump('papers.primary', "''", '1')}
        {_queue_paper('new')}
        end""",
    "papers_primary_off": f"""after update of has_primary on papers
        when old.has_primary = 1 and new.has_primary is not 1 begin
        {_bump('papers.primary', "''", '-1')}
        {_unqueue_paper('new')}
        end""",
    # another primary mention: a candidate for resummarize_on_new_mention (the step's
    # exact check drops it when that is off)
    "mentions_primary_insert": """after insert on mentions when new.role = 'primary' begin
        insert or ignore into summary_due(lang, arxiv_id, first_seen_at, has_any)
            select t.lang, p.arxiv_id, coalesce(p.first_seen_at, ''),
                exists(select 1 from summaries s where s.arxiv_id = p.arxiv_id
                       and s.lang = t.lang)
            from papers p, summary_targets t where p.arxiv_id = new.arxiv_id
            and +p.has_primary = 1 and p.notify = 1
            and coalesce(p.first_seen_at, '') >= t.floor;
        end""",
    "mentions_primary_update": """after update of role on mentions
        when new.role = 'primary' and old.role is not 'primary' begin
        insert or ignore into summary_due(lang, arxiv_id, first_seen_at, has_any)
            select t.lang, p.arxiv_id, coalesce(p.first_seen_at, ''),
                exists(select 1 from summaries s where s.arxiv_id = p.arxiv_id
                       and s.lang = t.lang)
            from papers p, summary_targets t where p.arxiv_id = new.arxiv_id
            and +p.has_primary = 1 and p.notify = 1
            and coalesce(p.first_seen_at, '') >= t.floor;
        end""",
    # posts by status
    "posts_counts_insert": f"""after insert on posts begin
        {_bump('posts', 'new.status', '1')}
        end""",
    "posts_counts_status": f"""after update of status on posts
        when old.status is not new.status begin
        {_bump('posts', 'old.status', '-1')}
        {_bump('posts', 'new.status', '1')}
        end""",
    "posts_counts_delete": f"""after delete on posts begin
        {_bump('posts', 'old.status', '-1')}
        end""",
    # summaries per language and kind, flagged ones; the queue
    "summaries_counts_insert": f"""after insert on summaries begin
        {_bump('summaries', _SUMMARY_KIND.format(r='new'), '1')}
        {_bump('summaries.flagged', 'new.lang', '1', 'new.lang_ok = 0')}
        update summary_due set has_any = 1 where lang = new.lang
            and arxiv_id = new.arxiv_id and has_any = 0;
        delete from summary_due where lang = new.lang and arxiv_id = new.arxiv_id
            and new.lang_ok = 1 and {_IS_TARGET.format(r='new')};
        end""",
    "summaries_counts_update": f"""after update on summaries begin
        {_bump('summaries.flagged', 'new.lang', '(new.lang_ok = 0) - (old.lang_ok = 0)',
               '(new.lang_ok = 0) != (old.lang_ok = 0)')}
        delete from summary_due where lang = new.lang and arxiv_id = new.arxiv_id
            and new.lang_ok = 1 and {_IS_TARGET.format(r='new')};
        end""",
    "summaries_counts_delete": f"""after delete on summaries begin
        {_bump('summaries', _SUMMARY_KIND.format(r='old'), '-1')}
        {_bump('summaries.flagged', 'old.lang', '-1', 'old.lang_ok = 0')}
        update summary_due set has_any = exists(select 1 from summaries s
            where s.arxiv_id = old.arxiv_id and s.lang = old.lang)
            where lang = old.lang and arxiv_id = old.arxiv_id;
        insert or ignore into summary_due(lang, arxiv_id, first_seen_at, has_any)
            select old.lang, p.arxiv_id, coalesce(p.first_seen_at, ''),
                exists(select 1 from summaries s where s.arxiv_id = p.arxiv_id
                       and s.lang = old.lang)
            from papers p, summary_targets t where p.arxiv_id = old.arxiv_id
            and +p.has_primary = 1 and p.notify = 1 and t.lang = old.lang
            and coalesce(p.first_seen_at, '') >= t.floor
            and {_IS_TARGET.format(r='old')};
        end""",
    # what the queue holds that has no summary at all ("summaries pending" in status)
    "summary_due_counts_insert": f"""after insert on summary_due begin
        {_bump('due.none', 'new.lang', '1', 'new.has_any = 0')}
        end""",
    "summary_due_counts_update": f"""after update of has_any on summary_due
        when (old.has_any = 0) != (new.has_any = 0) begin
        {_bump('due.none', 'new.lang', '(new.has_any = 0) - (old.has_any = 0)')}
        end""",
    "summary_due_counts_delete": f"""after delete on summary_due begin
        {_bump('due.none', 'old.lang', '-1', 'old.has_any = 0')}
        end""",
    # subscribers: active per language and mode, inactive
    "subscribers_counts_insert": f"""after insert on subscribers begin
        {_bump('subscribers', _SUB_KEY.format(r='new'), '1')}
        end""",
    "subscribers_counts_update": f"""after update of active, lang, mode on subscribers
        when {_SUB_KEY.format(r='old')} is not {_SUB_KEY.format(r='new')} begin
        {_bump('subscribers', _SUB_KEY.format(r='old'), '-1')}
        {_bump('subscribers', _SUB_KEY.format(r='new'), '1')}
        end""",
    "subscribers_counts_delete": f"""after delete on subscribers begin
        {_bump('subscribers', _SUB_KEY.format(r='old'), '-1')}
        end""",
    # deliveries in a final state, and sends per UTC day: pending and sending rows are
    # what is due (counted through the state index), and a broadcast plans thousands of
    # them at once, so they fire nothing
    "deliveries_counts_insert": f"""after insert on deliveries
        when new.state in {_FINAL} begin
        {_bump('deliveries', 'new.state', '1')}
        {_bump('deliveries.sent_on', _SENT_DAY.format(r='new'), '1', "new.state = 'sent'")}
        end""",
    "deliveries_counts_state": f"""after update of state on deliveries
        when old.state is not new.state
        and (old.state in {_FINAL} or new.state in {_FINAL}) begin
        {_bump('deliveries', 'old.state', '-1', f'old.state in {_FINAL}')}
        {_bump('deliveries', 'new.state', '1', f'new.state in {_FINAL}')}
        {_bump('deliveries.sent_on', _SENT_DAY.format(r='old'), '-1', "old.state = 'sent'")}
        {_bump('deliveries.sent_on', _SENT_DAY.format(r='new'), '1', "new.state = 'sent'")}
        end""",
    "deliveries_counts_delete": f"""after delete on deliveries
        when old.state in {_FINAL} begin
        {_bump('deliveries', 'old.state', '-1')}
        {_bump('deliveries.sent_on', _SENT_DAY.format(r='old'), '-1', "old.state = 'sent'")}
        end""",
    # tokens per model, all time (today's come from llm_usage's day index)
    "llm_usage_counts_insert": f"""after insert on llm_usage begin
        {_bump('llm.prompt', 'new.model', 'coalesce(new.prompt_tokens, 0)')}
        {_bump('llm.completion', 'new.model', 'coalesce(new.completion_tokens, 0)')}
        end""",
}

# The counters as COUNT(*)/SUM over the tables: the migration's starting point, and
# the reference the tests compare the triggers with.
RECOUNT = [
    "insert into counts(key, sub, n) select 'papers', '', count(*) from papers",
    "insert into counts(key, sub, n) select 'papers.primary', '', count(*) from papers "
    "where has_primary = 1",
    "insert into counts(key, sub, n) select 'posts', status, count(*) from posts group by status",
    "insert into counts(key, sub, n) select 'summaries', "
    + _SUMMARY_KIND.format(r="summaries") + ", count(*) from summaries group by 2",
    "insert into counts(key, sub, n) select 'summaries.flagged', lang, count(*) from summaries "
    "where lang_ok = 0 group by lang",
    "insert into counts(key, sub, n) select 'due.none', lang, count(*) from summary_due "
    "where has_any = 0 group by lang",
    "insert into counts(key, sub, n) select 'subscribers', "
    + _SUB_KEY.format(r="subscribers") + ", count(*) from subscribers group by 2",
    "insert into counts(key, sub, n) select 'deliveries', state, count(*) from deliveries "
    f"where state in {_FINAL} group by state",
    "insert into counts(key, sub, n) select 'deliveries.sent_on', "
    "substr(coalesce(sent_at, updated_at, ''), 1, 10), count(*) from deliveries "
    "where state = 'sent' group by 2",
    "insert into counts(key, sub, n) select 'llm.prompt', model, "
    "coalesce(sum(prompt_tokens), 0) from llm_usage group by model",
    "insert into counts(key, sub, n) select 'llm.completion', model, "
    "coalesce(sum(completion_tokens), 0) from llm_usage group by model",
]


def recount(db: sqlite_utils.Database, table: str = "counts") -> None:
    """(Re)build ``table`` (same shape as ``counts``) from the data."""
    db.execute(f"delete from {table}")
    for sql in RECOUNT:
        db.execute(sql.replace("into counts", f"into {table}", 1))


def migrate_hot_paths(db: sqlite_utils.Database) -> None:
    for sql in _INDEXES + _QUEUE + [_COUNTS]:
        db.execute(sql)
    for name, body in _TRIGGERS.items():
        db.execute(f"create trigger if not exists {name} {body}")
    # one pass over the existing rows, once: from here on the triggers keep count
    db.conn.execute("begin immediate")
    try:
        recount(db)
    except BaseException:
        db.conn.execute("rollback")
        raise
    db.conn.execute("commit")
