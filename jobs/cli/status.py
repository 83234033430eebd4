"""``paperbot status``."""

from __future__ import annotations

import click

from jobs.cli.context import Context, echo_json, json_option, pass_ctx


def _obj(properties: dict, description: str | None = None, *, required: bool = True) -> dict:
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = list(properties)
    if description:
        out["description"] = description
    return out


def _counts(description: str) -> dict:
    return {"type": "object", "additionalProperties": {"type": "integer"},
            "description": description}


_INT = {"type": "integer"}
_NUM = {"type": "number"}
_STR = {"type": "string"}
_TIME = {"type": ["string", "null"], "description": "UTC, ISO 8601"}

_SOURCE = _obj({
    "name": _STR, "kind": {"enum": ["rss", "discourse", "html", "url"]}, "url": _STR,
    "lang": {"type": ["string", "null"]},
    "last_run_at": _TIME, "last_success_at": _TIME,
    "last_error": {"type": ["string", "null"], "description": "why the last failed run failed"},
    "last_error_at": _TIME,
    "consecutive_failures": {**_INT, "description": "failed runs in a row"},
    "consecutive_empty": {**_INT, "description": "successful runs in a row with no new post"},
    "last_papers": {"type": ["integer", "null"], "description": "new papers of the last run"},
    "backoff_until": {**_TIME, "description": "a failing source is skipped until then"},
    "alerted": {"type": ["string", "null"], "description": "the alert raised for it, if any"},
})

_HEARTBEAT = _obj({
    "pid": _INT, "at": {**_STR, "description": "last beat (UTC)"}, "started_at": _STR,
    "interval_seconds": _NUM,
    "next_runs": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
                  "description": "job name → next run (UTC)"},
    "running": {"type": "array", "items": _STR, "description": "jobs running now"},
    "bot": {"type": "boolean"}, "llm": {"type": "boolean"},
    "last_crawl": {"type": "object",
                   "description": "pid, started_at, sources; then finished_at, exit, result"},
    "stopped_at": {**_TIME, "description": "set by a clean stop"},
}, "the running service's last heartbeat; null when it never ran", required=False)

STATUS_SCHEMA = _obj({
    "schema": {"const": 1, "description": "version of this shape"},
    "database": {**_STR, "description": "path of the SQLite database"},
    "sources": {"type": "array", "items": _SOURCE, "description": "each source's health"},
    "posts": _counts("posts per extraction status (extracted, failed, …)"),
    "papers_total": _INT,
    "papers_today": {**_INT, "description": "first seen today (UTC)"},
    "papers_primary": {**_INT, "description": "papers some post is about"},
    "unresolved": {**_INT, "description": "title-only entries not yet found on arXiv"},
    "unresolved_by_source": {
        "type": "object", "description": "open title-only entries per source, per reason "
        "(no-match, ambiguous, pending, …)", "additionalProperties": _counts("per reason")},
    "llm": _obj({
        "model": _STR, "tokens_today": _INT, "tokens_total": _INT,
        "daily_token_budget": _INT, "budget_left_today": _INT,
        "cost_usd_today": {**_NUM, "description": "estimated from [llm] prices"},
        "cost_usd_total": _NUM, "calls_today": _INT, "failed_calls_today": _INT,
        "summaries": {"type": "object", "description": "per language",
                      "additionalProperties": _obj({"model": _INT, "fallback": _INT})},
        "flagged_language": {**_INT, "description": "summaries in the wrong language"},
        "flagged_by_lang": _counts("the same, per language"),
    }, "summaries and token use"),
    "summaries_pending": {
        "type": "object", "additionalProperties": {"type": ["integer", "null"]},
        "description": "per wanted language: papers to be pushed still without a summary "
        "(null: not queued yet, no summarize run since the language was first read)"},
    "summaries_queueing": {
        "type": "array", "items": _STR, "description": "languages whose papers are still "
        "being queued (a new model or prompt): their summaries_pending is a lower bound"},
    "deliveries": _obj({
        "pending": _INT, "sending": _INT, "sent": _INT, "failed": _INT, "skipped": _INT,
        "sent_today": _INT,
        "ambiguous": {**_INT, "description": "may have reached Telegram without its answer "
                      "reaching us (read timeout, a crash): never resent by itself; "
                      "`deliver ambiguous` settles them"},
        "retrying": {**_INT, "description": "pending, waiting for a retry (the send "
                     "provably did not reach Telegram)"},
    }),
    "telegram_outage": {"oneOf": [{"type": "null"}, _obj({
        "since": _STR, "probes": _INT, "next_probe_at": _STR, "last_error": _STR,
    })], "description": "Telegram unreachable: since when, failed tries, the next one"},
    "subscribers": _obj({
        "active": {"type": "array", "description": "active subscribers per language and mode",
                   "items": _obj({"lang": {"type": ["string", "null"]}, "mode": _STR,
                                  "count": _INT})},
        "active_total": _INT, "inactive": _INT,
    }),
    "alerts": {"type": "array", "description": "open admin alerts",
               "items": _obj({"key": _STR, "message": _STR, "raised_at": _STR,
                              "sent_at": {"type": ["string", "null"]}})},
    "alerts_undelivered": {
        "type": "array", "description": "alert messages not delivered to an admin yet "
        "(pending: retried) or given up (failed)",
        "items": _obj({"alert_key": _STR, "raised_at": _STR, "chat_id": _INT, "state": _STR,
                       "retries": _INT, "next_attempt_at": {"type": ["string", "null"]},
                       "reason": {"type": ["string", "null"]}})},
    "service": {
        "type": "object", "additionalProperties": False, "required": ["running", "heartbeat"],
        "properties": {
            "running": {"type": "boolean",
                        "description": "a `paperbot run` beat recently (3 intervals)"},
            "heartbeat": {"oneOf": [{"type": "null"}, _HEARTBEAT]},
            "heartbeat_age_seconds": {**_NUM, "description": "absent when it never ran"},
        },
    },
})


@click.command("status")
@json_option(STATUS_SCHEMA)
@pass_ctx
def status_cmd(ctx: Context, as_json: bool) -> None:
    """Show source health, paper counts and queues. Exits 66 when there is no database
    yet."""
    from jobs.status import render_status_text, status_report

    report = status_report(ctx.existing_db(), ctx.config)
    if as_json:
        echo_json(report)
    else:
        click.echo(render_status_text(report))
