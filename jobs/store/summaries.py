"""Summaries per (paper, language) and LLM token usage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from . import dumps, get_meta, loads, set_meta, transaction, utcnow


def best_summary(db: sqlite_utils.Database, arxiv_id: str, lang: str) -> dict | None:
    """The summary to show for ``arxiv_id`` in ``lang``: the newest model-written one,
    else the newest fallback; None when there is none. ``key_points`` is a list."""
    row = db.execute(
        "select arxiv_id, lang, model, prompt_version, title, tldr, key_points, blogs_said, "
        "is_fallback, lang_ok, created_at, flagged_runs from summaries "
        "where arxiv_id = ? and lang = ? order by is_fallback asc, created_at desc limit 1",
        [arxiv_id, lang],
    ).fetchone()
    if row is None:
        return None
    keys = ["arxiv_id", "lang", "model", "prompt_version", "title", "tldr", "key_points",
            "blogs_said", "is_fallback", "lang_ok", "created_at", "flagged_runs"]
    out = dict(zip(keys, row, strict=True))
    out["key_points"] = loads(out["key_points"], [])
    return out


def is_good(summary: dict | None) -> bool:
    """A summary a reader may get as a summary: model-written and in the right language
    (anything else is shown with the fallback layout)."""
    return bool(summary) and not summary.get("is_fallback") and bool(summary.get("lang_ok", 1))


def good_ids(db: sqlite_utils.Database, arxiv_ids: Sequence[str], lang: str) -> set[str]:
    """Which of ``arxiv_ids`` have a good summary in ``lang``."""
    ids = list(dict.fromkeys(arxiv_ids))
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {r[0] for r in db.execute(
        f"select distinct arxiv_id from summaries where lang = ? and arxiv_id in ({marks}) "
        "and is_fallback = 0 and lang_ok = 1", [lang, *ids])}


def latest_ids(db: sqlite_utils.Database, *, limit: int) -> list[str]:
    """The /latest window: the newest papers blogs wrote about (primary mentions), whatever
    is summarized (missing summaries are written when the window is shown)."""
    return [r[0] for r in db.execute(
        "select arxiv_id from papers where has_primary = 1 "
        "order by first_seen_at desc, arxiv_id desc limit ?", [limit])]


# --------------------------------------------------------------------------- summarize step

FALLBACK_MODEL = "fallback"
# Outcomes of an LLM call that count as a failure for the paper (see ``record_usage``);
# 'unsupported' (the endpoint refused structured output) is the endpoint's, not the paper's.
FAILED_OUTCOMES = ("error", "timeout", "invalid")
# Runs that may end with a summary still in the wrong language before it is left flagged
# (each run costs at most two calls).
MAX_FLAGGED_RUNS = 3


def utc_day(now: str | None = None) -> str:
    return (now or utcnow())[:10]


def wanted_languages(db: sqlite_utils.Database, config: Any) -> list[str]:
    """Languages someone reads: active subscribers' languages plus configured channels'."""
    langs = set(_reader_languages(db))
    langs.update(ch.lang for ch in config.telegram.channels if ch.lang)
    return sorted(langs)


def push_since(db: sqlite_utils.Database) -> dict[str, str]:
    """Per language: since when someone reads it, i.e. the earliest moment an active
    subscriber subscribed *and* chose that language. Papers first seen before it are
    pushed to nobody in that language, so they are not summarized ahead in it."""
    # per language one seek of the (active, lang, reading since) index: its first entry
    out = {}
    for lang in _reader_languages(db):
        row = db.execute(
            f"select min({READING_SINCE}) from subscribers where active = 1 and lang = ?",
            [lang]).fetchone()
        if row[0] is not None:
            out[lang] = row[0]
    return out


# when a subscriber started reading their language (indexed: jobs/store/schema_hot.py);
# NULL when subscribed_at is (max() of a NULL is NULL, and min() skips it)
READING_SINCE = "max(subscribed_at, coalesce(lang_since, subscribed_at))"


def _reader_languages(db: sqlite_utils.Database) -> list[str]:
    """Active subscribers' languages: a skip-scan of the (active, lang) index, one seek
    per language whatever the number of subscribers."""
    return [r[0] for r in db.execute(
        "with recursive l(lang) as ("
        "select (select min(lang) from subscribers where active = 1 and lang > '') "
        "union all select (select min(lang) from subscribers where active = 1 "
        "and lang > l.lang) from l where l.lang is not null) "
        "select lang from l where lang is not null")]


def _primary_counts_sql() -> str:
    return ("(select count(*) from mentions m where m.arxiv_id = p.arxiv_id "
            "and m.role = 'primary')")


def papers_needing_summary(
    db: sqlite_utils.Database,
    *,
    lang: str,
    model: str,
    prompt_version: int,
    paper_ids: Sequence[str] | None = None,
    resummarize_on_new_mention: bool = False,
    max_failed_calls_per_day: int | None = None,
    day: str | None = None,
    pushable_since: str | None = None,
    pushable_only: bool = False,
) -> list[str]:
    """Papers with a primary mention that need a summary in ``lang`` from ``model``
    (newest first).

    For a real model: no summary yet for (paper, lang, model, prompt_version) — a
    fallback-only paper therefore qualifies (it gets upgraded), and so does one still in
    the wrong language after fewer than ``MAX_FLAGGED_RUNS`` runs — or, with
    ``resummarize_on_new_mention``, one written when fewer primary mentions existed.
    Papers whose calls failed ``max_failed_calls_per_day`` times today wait for tomorrow.
    For ``model == 'fallback'``: papers with no summary of any kind in ``lang``.
    ``pushable_only``: only papers to be pushed (not archived), first seen at or after
    ``pushable_since`` when given.
    """
    params: list[Any] = []
    if model == FALLBACK_MODEL:
        cond = ("not exists (select 1 from summaries s where s.arxiv_id = p.arxiv_id "
                "and s.lang = ?)")
        params.append(lang)
    else:
        done = ("s.arxiv_id = p.arxiv_id and s.lang = ? and s.model = ? "
                "and s.prompt_version = ? and (s.lang_ok = 1 or s.flagged_runs >= ?)")
        if resummarize_on_new_mention:
            cond = (f"not exists (select 1 from summaries s where {done} "
                    f"and coalesce(s.mentions_count, 0) >= {_primary_counts_sql()})")
        else:
            cond = f"not exists (select 1 from summaries s where {done})"
        params += [lang, model, prompt_version, MAX_FLAGGED_RUNS]
        if max_failed_calls_per_day:
            marks = ",".join("?" * len(FAILED_OUTCOMES))
            cond += (f" and (select count(*) from llm_usage u where u.arxiv_id = p.arxiv_id "
                     f"and u.lang = ? and u.model = ? and u.day = ? "
                     f"and u.outcome in ({marks})) < ?")
            params += [lang, model, day or utc_day(), *FAILED_OUTCOMES,
                       max_failed_calls_per_day]
    if pushable_only:
        cond += " and p.notify = 1"
        if pushable_since is not None:
            cond += " and p.first_seen_at >= ?"
            params.append(pushable_since)
    sql = f"select p.arxiv_id from papers p where p.has_primary = 1 and {cond}"
    if paper_ids is not None:
        ids = list(paper_ids)
        if not ids:
            return []
        # look the named papers up by key: '+' keeps the planner off the indexes on
        # has_primary and first_seen_at (which would walk every pushable paper)
        sql = sql.replace("p.has_primary = 1", "+p.has_primary = 1", 1).replace(
            "p.first_seen_at >= ?", "+p.first_seen_at >= ?")
        sql += f" and p.arxiv_id in ({','.join('?' * len(ids))})"
        params += ids
    sql += " order by p.first_seen_at desc, p.arxiv_id"
    return [r[0] for r in db.execute(sql, params)]


def paper_inputs(db: sqlite_utils.Database, arxiv_ids: Sequence[str]) -> dict[str, dict]:
    """Metadata and every mention (source name, post URL, the blog's own text) per paper."""
    out: dict[str, dict] = {}
    ids = list(dict.fromkeys(arxiv_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.query(
            f"select arxiv_id, title, authors, abstract, categories from papers "
            f"where arxiv_id in ({marks})", chunk):
            out[r["arxiv_id"]] = {
                "arxiv_id": r["arxiv_id"], "title": r["title"], "abstract": r["abstract"],
                "authors": loads(r["authors"], []), "categories": loads(r["categories"], []),
                "mentions": [],
            }
        for r in db.query(
            f"select m.arxiv_id, m.role, m.entry_title, m.text, m.lang, s.source, s.url "
            f"from mentions m join posts s on s.id = m.post_id "
            f"where m.arxiv_id in ({marks}) "
            f"order by case m.role when 'primary' then 0 else 1 end, m.post_id", chunk):
            out[r["arxiv_id"]]["mentions"].append({
                "source": r["source"], "url": r["url"], "lang": r["lang"], "text": r["text"] or "",
                "entry_title": r["entry_title"], "role": r["role"],
            })
    for paper in out.values():
        paper["primary_count"] = sum(1 for m in paper["mentions"] if m["role"] == "primary")
    return out


def save_summary(
    db: sqlite_utils.Database,
    *,
    arxiv_id: str,
    lang: str,
    model: str,
    prompt_version: int,
    fields: dict[str, Any],
    lang_ok: bool = True,
    mentions_count: int = 0,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> None:
    """Store (or replace) one summary. A model-written summary replaces the fallback
    for the same paper and language. A summary stored with ``lang_ok=False`` (still in
    the wrong language) counts one more flagged run; a later good one replaces it."""
    is_fallback = int(model == FALLBACK_MODEL)
    with transaction(db):
        db.execute(
            "insert into summaries(arxiv_id, lang, model, prompt_version, title, tldr, "
            "key_points, blogs_said, is_fallback, lang_ok, flagged_runs, mentions_count, "
            "prompt_tokens, completion_tokens, created_at) "
            "values(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "on conflict(arxiv_id, lang, model, prompt_version) do update set "
            "title = excluded.title, tldr = excluded.tldr, key_points = excluded.key_points, "
            "blogs_said = excluded.blogs_said, lang_ok = excluded.lang_ok, "
            "flagged_runs = summaries.flagged_runs + excluded.flagged_runs, "
            "mentions_count = excluded.mentions_count, "
            "prompt_tokens = summaries.prompt_tokens + excluded.prompt_tokens, "
            "completion_tokens = summaries.completion_tokens + excluded.completion_tokens, "
            "created_at = excluded.created_at",
            [arxiv_id, lang, model, prompt_version, fields["title"], fields["tldr"],
             dumps(list(fields.get("key_points") or [])), fields.get("blogs_said") or "",
             is_fallback, int(lang_ok), int(not lang_ok), mentions_count, prompt_tokens,
             completion_tokens, utcnow()],
        )
        if not is_fallback:
            db.execute("delete from summaries where arxiv_id = ? and lang = ? and is_fallback = 1",
                       [arxiv_id, lang])


def record_usage(
    db: sqlite_utils.Database,
    *,
    arxiv_id: str | None,
    lang: str | None,
    model: str,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    outcome: str = "ok",
) -> None:
    """One row per LLM call. ``outcome``: ok | wrong-lang | invalid | error | timeout |
    unsupported (the endpoint refused structured output)."""
    now = utcnow()
    db.execute(
        "insert into llm_usage(at, day, arxiv_id, lang, model, prompt_tokens, "
        "completion_tokens, total_tokens, outcome) values(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [now, utc_day(now), arxiv_id, lang, model, prompt_tokens, completion_tokens,
         prompt_tokens + completion_tokens, outcome],
    )


def tokens_used(db: sqlite_utils.Database, day: str | None = None) -> int:
    """Tokens spent on ``day`` (UTC, YYYY-MM-DD; default today), or in total when
    ``day`` is the empty string."""
    if day == "":
        row = db.execute("select coalesce(sum(total_tokens), 0) from llm_usage").fetchone()
    else:
        row = db.execute("select coalesce(sum(total_tokens), 0) from llm_usage where day = ?",
                         [day or utc_day()]).fetchone()
    return int(row[0])


def budget_alerted(db: sqlite_utils.Database, day: str) -> bool:
    return get_meta(db, "llm_budget_alerted_day") == day


def mark_budget_alerted(db: sqlite_utils.Database, day: str) -> None:
    set_meta(db, "llm_budget_alerted_day", day)


def _cost(rows: Iterable[Any], prices: dict[str, dict[str, float]]) -> float | None:
    """USD for (model, prompt, completion) rows; None when a used model has no price."""
    total = 0.0
    for model, prompt, completion in rows:
        price = prices.get(model)
        if price is None:
            if prompt or completion:
                return None
            continue
        total += (prompt * price.get("input", 0.0) + completion * price.get("output", 0.0)) / 1e6
    return round(total, 4)


def summary_status(db: sqlite_utils.Database, config: Any) -> dict[str, Any]:
    """Numbers for ``paperbot status``: tokens today and in total, estimated cost (from
    ``[llm] prices``, USD per million tokens), summaries per language, flagged ones.
    Totals come from the trigger-kept counters; today's numbers read today's calls only."""
    from . import counts

    today = utc_day()
    by_model_today = db.execute(
        "select model, coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) "
        "from llm_usage where day = ? group by model", [today]).fetchall()
    prompt, completion = counts.by_sub(db, "llm.prompt"), counts.by_sub(db, "llm.completion")
    by_model_total = [(m, prompt.get(m, 0), completion.get(m, 0))
                      for m in sorted(set(prompt) | set(completion))]
    calls_today = db.execute("select count(*) from llm_usage where day = ?", [today]).fetchone()[0]
    failed_today = db.execute(
        f"select count(*) from llm_usage where day = ? and outcome in "
        f"({','.join('?' * len(FAILED_OUTCOMES))})", [today, *FAILED_OUTCOMES]).fetchone()[0]
    per_lang: dict[str, dict[str, int]] = {}
    for key, n in sorted(counts.by_sub(db, "summaries").items()):
        lang, kind = key.rsplit("/", 1)
        per_lang.setdefault(lang, {"model": 0, "fallback": 0})[kind] = n
    flagged = dict(sorted(counts.by_sub(db, "summaries.flagged").items()))
    tokens_today = sum(p + c for _, p, c in by_model_today)
    budget = config.llm.daily_token_budget
    return {
        "model": config.llm.model,
        "tokens_today": tokens_today,
        "tokens_total": sum(p + c for _, p, c in by_model_total),
        "daily_token_budget": budget,
        "budget_left_today": max(0, budget - tokens_today),
        "cost_usd_today": _cost(by_model_today, config.llm.prices),
        "cost_usd_total": _cost(by_model_total, config.llm.prices),
        "calls_today": calls_today,
        "failed_calls_today": failed_today,
        "summaries": per_lang,
        "flagged_language": sum(flagged.values()),
        "flagged_by_lang": flagged,
    }


def pending_counts(db: sqlite_utils.Database, config: Any) -> dict[str, int | None]:
    """Per wanted language: papers to be pushed that have no summary in it yet (archived
    papers are summarized when someone asks, so they are not pending), from the summarize
    queue's counter. None: no summarize run has queued the language yet."""
    from .summary_due import without_summary

    return without_summary(db, wanted_languages(db, config))


def has_summary(db: sqlite_utils.Database, arxiv_id: str, lang: str) -> bool:
    """Any summary (model-written or fallback) for this paper in ``lang``."""
    return db.execute("select 1 from summaries where arxiv_id = ? and lang = ? limit 1",
                      [arxiv_id, lang]).fetchone() is not None
