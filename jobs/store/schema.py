"""The SQLite schema and its forward migrations.

``MIGRATIONS[i]`` takes the database from version ``i`` to ``i + 1``. Never edit a
migration that has shipped: append a new one. The current version lives in
``meta(key='schema_version')``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from .schema_curation import migrate_curation_hot_paths
from .schema_delivery import migrate_delivery_key
from .schema_hot import migrate_hot_paths


def _v1_initial(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "name": str,
            "kind": str,
            "url": str,
            "lang": str,
            "last_run_at": str,
            "last_success_at": str,
            "last_error": str,
            "last_error_at": str,
            "consecutive_failures": int,
            "consecutive_empty": int,
            "last_papers": int,
            "backoff_until": str,
            "alerted": str,  # which alert was raised for this source (raised once)
        },
        pk="name",
        not_null={"kind", "url"},
        defaults={"consecutive_failures": 0, "consecutive_empty": 0},
        if_not_exists=True,
    )
    db["posts"].create(
        {
            "id": int,
            "url": str,
            "source": str,
            "title": str,
            "published_at": str,
            "lang": str,
            "html": str,  # the post body as HTML (content_selector applied)
            "content_hash": str,
            "status": str,  # crawled -> extracted | failed
            "extractor_version": int,
            "first_seen_at": str,
            "fetched_at": str,
            "extracted_at": str,
            "error": str,
            "notify": int,  # 0: seen by a backfill, its papers are archived not pushed
        },
        pk="id",
        not_null={"url", "source", "status"},
        foreign_keys=[("source", "sources", "name")],
    )
    db["posts"].create_index(["url"], unique=True, if_not_exists=True)
    db["posts"].create_index(["status"], if_not_exists=True)
    db["papers"].create(
        {
            "arxiv_id": str,
            "title": str,
            "authors": str,  # JSON list
            "abstract": str,
            "categories": str,  # JSON list, primary first
            "published": str,  # first version date
            "updated": str,  # latest version date
            "first_seen_at": str,
            "enriched_at": str,
            "notify": int,  # 1: push to subscribers; 0: archived (first seen by a backfill)
            "has_primary": int,
        },
        pk="arxiv_id",
        defaults={"notify": 1, "has_primary": 0},
        if_not_exists=True,
    )
    db["papers"].create_index(["first_seen_at"], if_not_exists=True)
    db["mentions"].create(
        {
            "post_id": int,
            "arxiv_id": str,
            "role": str,  # primary | reference
            "entry_title": str,  # the title as the blog wrote it
            "text": str,  # the blog's own words about the paper
            "lang": str,
            "labels": str,  # JSON list of hashtags/labels
            "flag": str,  # e.g. 'title-mismatch'
            "created_at": str,
        },
        pk=("post_id", "arxiv_id"),
        foreign_keys=[("post_id", "posts", "id"), ("arxiv_id", "papers", "arxiv_id")],
        if_not_exists=True,
    )
    db["mentions"].create_index(["arxiv_id"], if_not_exists=True)
    db["unresolved"].create(
        {
            "id": int,
            "post_id": int,
            "title": str,
            "authors": str,  # JSON list
            "text": str,
            "lang": str,
            "labels": str,
            "role": str,
            "reason": str,
            "attempts": int,
            "next_retry_at": str,
            "resolved_id": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("post_id", "posts", "id")],
        defaults={"attempts": 0},
        if_not_exists=True,
    )
    db["unresolved"].create_index(["post_id", "title"], unique=True, if_not_exists=True)
    db["title_lookups"].create(
        {
            "norm_title": str,
            "arxiv_id": str,  # NULL = a miss
            "score": float,
            "looked_up_at": str,
            "retry_at": str,
        },
        pk="norm_title",
        if_not_exists=True,
    )
    db["summaries"].create(
        {
            "arxiv_id": str,
            "lang": str,
            "model": str,  # 'fallback' for a summary built without a model
            "prompt_version": int,
            "title": str,
            "tldr": str,
            "key_points": str,  # JSON list
            "blogs_said": str,
            "is_fallback": int,
            "lang_ok": int,  # 0: the language check failed after a retry (flagged)
            "mentions_count": int,
            "prompt_tokens": int,
            "completion_tokens": int,
            "created_at": str,
        },
        pk=("arxiv_id", "lang", "model", "prompt_version"),
        defaults={"is_fallback": 0, "lang_ok": 1},
    )
    db["summaries"].create_index(["arxiv_id", "lang"], if_not_exists=True)
    db["llm_usage"].create(
        {
            "id": int,
            "at": str,
            "day": str,
            "arxiv_id": str,
            "lang": str,
            "model": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "total_tokens": int,
            "outcome": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["llm_usage"].create_index(["day"], if_not_exists=True)
    db["subscribers"].create(
        {
            "chat_id": int,
            "kind": str,  # private | group | supergroup | channel
            "username": str,
            "lang": str,
            "mode": str,  # instant | digest
            "digest_hour": int,
            "tz": str,
            "topics": str,  # JSON list of arXiv categories and keywords; [] = everything
            "active": int,
            "inactive_reason": str,
            "from_config": int,  # 1: a [[telegram.channels]] entry
            "subscribed_at": str,  # papers first seen before this are backlog, not pushed
            "last_digest_at": str,
            "updated_at": str,
        },
        pk="chat_id",
        defaults={"active": 1, "mode": "instant", "digest_hour": 9, "tz": "UTC",
                  "topics": "[]", "from_config": 0},
        if_not_exists=True,
    )
    db["deliveries"].create(
        {
            "chat_id": int,
            "arxiv_id": str,
            "lang": str,
            "state": str,  # pending -> sending -> sent | failed | skipped
            "message_id": int,
            "reason": str,
            "attempts": int,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
        },
        pk=("chat_id", "arxiv_id"),
        defaults={"attempts": 0},
    )
    db["deliveries"].create_index(["state"], if_not_exists=True)
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "source": str,
            "ok": int,
            "error": str,
            "posts_seen": int,
            "posts_new": int,
            "papers_new": int,
            "pid": int,
        },
        pk="id",
        if_not_exists=True,
    )
    db["alerts"].create(
        {"key": str, "message": str, "raised_at": str, "cleared_at": str, "sent_at": str},
        pk="key",
    )


def _v2_summaries_on_demand(db: sqlite_utils.Database) -> None:
    """Issue 12: summaries written when someone will read them, messages edited when a
    better summary arrives."""
    if "lang_since" not in db["subscribers"].columns_dict:
        # when the subscriber started reading their current language: papers first seen
        # before it are not pushed to them in it, so they are not summarized ahead for them
        db.execute("alter table subscribers add column lang_since text")
        db.execute("update subscribers set lang_since = subscribed_at")
    if "flagged_runs" not in db["summaries"].columns_dict:
        # runs that ended with the summary still in the wrong language (retries are bounded)
        db.execute("alter table summaries add column flagged_runs integer not null default 0")
        db.execute("update summaries set flagged_runs = 1 where lang_ok = 0")
    # messages sent with the fallback layout (no good summary yet) in the last 48 hours:
    # one row per paper of the message, in message order; edited when the summaries arrive
    db["fallback_messages"].create(
        {
            "chat_id": int,
            "message_id": int,
            "position": int,
            "arxiv_id": str,
            "lang": str,
            "layout": str,  # paper (one paper, full layout) | list (/latest, digest)
            "header": str,  # the list's header (HTML) in the first message, else NULL
            "waiting": int,  # 1: shown with the fallback layout, not upgraded yet
            "sent_at": str,
        },
        pk=("chat_id", "message_id", "position"),
        if_not_exists=True,
    )
    db["fallback_messages"].create_index(["arxiv_id", "lang"], if_not_exists=True)
    db["fallback_messages"].create_index(["sent_at"], if_not_exists=True)


def _add_columns(db: sqlite_utils.Database, table: str, columns: dict[str, type]) -> None:
    have = set(db[table].columns_dict)
    for name, kind in columns.items():
        if name not in have:
            db[table].add_column(name, kind)


def _v3_title_resolution(db: sqlite_utils.Database) -> None:
    """Link-less entries resolved from a queue: their ranked title candidates, the searches
    spent on them, the papers that were plausible when ambiguous; relink rows for linked
    IDs whose title contradicts the entry; one cache of arXiv searches shared by all."""
    _add_columns(db, "unresolved", {
        "kind": str,  # 'entry' (no ID) | 'relink' (a linked ID whose title contradicts the entry)
        "linked_id": str,  # relink: the ID the post links
        "candidates": str,  # JSON list, best first
        "searches": str,  # JSON list of the search keys run for it
        "spent": int,  # searches spent (at most jobs.resolve.queries.MAX_QUERIES a round)
        "plausible": str,  # JSON list of IDs when ambiguous
        "asked_llm_at": str,
    })
    db.execute("update unresolved set kind = 'entry' where kind is null")
    db.execute("update unresolved set spent = 0 where spent is null")
    db.execute("drop index if exists idx_unresolved_post_id_title")
    db["unresolved"].create_index(["post_id", "kind", "title"], unique=True, if_not_exists=True)
    db.execute("create index if not exists unresolved_due on unresolved(next_retry_at, id) "
               "where resolved_id is null and next_retry_at is not null")
    db.execute("create index if not exists unresolved_open on unresolved(post_id) "
               "where resolved_id is null")
    db.execute("drop table if exists title_lookups")  # replaced by arxiv_searches
    db["arxiv_searches"].create(
        {
            "term": str,  # one search_query term (a phrase or a name with its date window)
            "results": str,  # JSON list of {id, title, authors, published, abstract?}
            "searched_at": str,
            "expires_at": str,
        },
        pk="term",
        if_not_exists=True,
    )


def _v4_curation(db: sqlite_utils.Database) -> None:
    """Issue 13: what readers tell us (👍 / 👎 / 🔖, followed authors, excluded keywords,
    the weights their votes set) and what the curators agree on (papers by the date of
    the posts that discussed them)."""
    have = set(db["subscribers"].columns_dict)
    for column, default in (("follows", "'[]'"), ("excludes", "'[]'"), ("weights", "'{}'"),
                            ("digest_weekday", "0")):
        if column not in have:  # JSON lists / a JSON object; weekday 0 = Monday (weekly)
            kind = "integer" if column == "digest_weekday" else "text"
            db.execute(f"alter table subscribers add column {column} {kind} not null "
                       f"default {default}")
    # one row per (chat, paper) the chat voted on or saved
    db["feedback"].create(
        {
            "chat_id": int,
            "arxiv_id": str,
            "vote": int,  # 1 👍, -1 👎, 0 none
            "saved": int,  # 1: 🔖 saved (/saved, /bib)
            "voted_at": str,
            "saved_at": str,
        },
        pk=("chat_id", "arxiv_id"),
        defaults={"vote": 0, "saved": 0},
        if_not_exists=True,
    )
    db.execute("create index if not exists feedback_saved on feedback(chat_id, saved_at) "
               "where saved = 1")
    # /top, weekly digests, the site: posts by the date they discussed their papers
    db.execute("create index if not exists posts_discussed_at on "
               "posts(coalesce(published_at, first_seen_at))")


def _add_sql_columns(db: sqlite_utils.Database, table: str, columns: dict[str, str]) -> None:
    """Like :func:`_add_columns`, with SQL declarations (defaults)."""
    have = set(db[table].columns_dict)
    for name, decl in columns.items():
        if name not in have:
            db.execute(f"alter table {table} add column {name} {decl}")


def _v6_delivery(db: sqlite_utils.Database) -> None:
    """Delivery: transient failures retried with back-off (``next_attempt_at``,
    ``retries``, ``retry_until``), the ``ambiguous`` state (``sender_pid``: the process
    a ``sending`` row waits for, so a dead one's rows are found), a ``digest`` flag so the
    instant sender's "what is due" read never walks digest rows, the digest schedule
    (``next_digest_at``, reset by a trigger whenever the schedule changes), admin alerts
    sent through the ledger (``alert_sends``), and the indexes the delivery path reads by."""
    _add_sql_columns(db, "deliveries", {"next_attempt_at": "text", "retries": "integer default 0",
                                    "retry_until": "text", "digest": "integer default 0",
                                    "sender_pid": "integer"})
    db.execute("update deliveries set digest = 1 where state = 'pending' and chat_id in "
               "(select chat_id from subscribers where mode != 'instant')")
    # pending rows by (instant/digest, when due): fresh rows (next_attempt_at null) come
    # out in plan order (rowid), retries by due time
    db.execute("create index if not exists deliveries_due on deliveries"
               "(digest, next_attempt_at) where state = 'pending'")
    db.execute("create index if not exists summaries_created_at on summaries(created_at)")
    _add_sql_columns(db, "subscribers", {"next_digest_at": "text"})
    db.execute("create index if not exists subscribers_audience on subscribers(lang, chat_id) "
               "where active = 1")
    db.execute("create index if not exists subscribers_digest_due on subscribers"
               "(next_digest_at) where mode != 'instant' and active = 1")
    # whoever changes a schedule (a command, a channel sync, /stop, /start) invalidates
    # the next digest time and moves the chat's pending rows to the right sender
    db.execute("""create trigger if not exists subscribers_schedule_changed
        after update of mode, digest_hour, digest_weekday, tz, active on subscribers
        when old.mode is not new.mode or old.digest_hour is not new.digest_hour
          or old.digest_weekday is not new.digest_weekday
          or old.tz is not new.tz or old.active is not new.active
        begin
          update subscribers set next_digest_at = null where chat_id = new.chat_id;
          update deliveries set digest = (new.mode != 'instant')
            where chat_id = new.chat_id and state = 'pending';
        end""")
    _add_sql_columns(db, "alerts", {"planned_at": "text"})
    db.execute("update alerts set planned_at = sent_at where planned_at is null")
    db["alert_sends"].create(
        {
            "id": int,
            "alert_key": str,
            "raised_at": str,
            "chat_id": int,  # an admin chat
            "state": str,  # pending -> sending -> sent | failed
            "message_id": int,
            "reason": str,
            "attempts": int,
            "retries": int,
            "next_attempt_at": str,
            "retry_until": str,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"attempts": 0, "retries": 0},
        if_not_exists=True,
    )
    db.execute("create unique index if not exists alert_sends_once on alert_sends"
               "(alert_key, raised_at, chat_id)")
    db.execute("create index if not exists alert_sends_due on alert_sends(next_attempt_at) "
               "where state = 'pending'")


def _v7_curation_hot_paths(db: sqlite_utils.Database) -> None:
    """Issue 15 for issue 13's features: the static site's change log and topic index, so
    that a rebuild after a crawl reads what changed (jobs/store/schema_curation.py)."""
    migrate_curation_hot_paths(db)


def _v8_delivery_key(db: sqlite_utils.Database) -> None:
    """Issue 15: deliveries keyed (arxiv_id, chat_id), so that planning a paper writes its
    rows together whatever the history (jobs/store/schema_delivery.py)."""
    migrate_delivery_key(db)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial, _v2_summaries_on_demand, _v3_title_resolution, _v4_curation,
    migrate_hot_paths, _v6_delivery, _v7_curation_hot_paths, _v8_delivery_key]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    if "meta" not in db.table_names():
        return 0
    row = db.execute("select value from meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations, each in its own transaction. Returns the new version."""
    if "meta" not in db.table_names():
        db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema v{version} is newer than this paperbot (v{SCHEMA_VERSION}); upgrade"
        )
    while version < SCHEMA_VERSION:
        # Migrations are idempotent (if_not_exists everywhere), so one killed half-way,
        # or two processes migrating at once, simply run again to the same result.
        MIGRATIONS[version](db)
        version += 1
        db.execute(
            "insert into meta(key, value) values('schema_version', ?) "
            "on conflict(key) do update set value = excluded.value",
            [str(version)],
        )
    return version
