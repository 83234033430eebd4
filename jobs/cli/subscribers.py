"""``paperbot subscribers``: the bot's subscribers and channels (a bot admin command)."""

from __future__ import annotations

import click

from jobs.cli.context import Context, echo_json, json_option, pass_ctx, text_table

_STR_OR_NULL = {"type": ["string", "null"]}
SUBSCRIBERS_SCHEMA = {
    "type": "object",
    "required": ["schema", "subscribers"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": 1, "description": "version of this shape"},
        "subscribers": {
            "type": "array",
            "description": "channels from the config first, then by chat ID",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["chat_id", "lang", "mode", "topics", "active", "messages_sent",
                             "papers_sent"],
                "properties": {
                    "chat_id": {"type": "integer", "description": "Telegram chat ID"},
                    "kind": {**_STR_OR_NULL,
                             "description": "private, group, supergroup or channel"},
                    "username": {**_STR_OR_NULL, "description": "@name, when Telegram has one"},
                    "lang": {**_STR_OR_NULL, "description": "language of the summaries"},
                    "mode": {"enum": ["instant", "digest", "weekly"]},
                    "digest_hour": {"type": ["integer", "null"],
                                    "description": "local hour of the daily digest"},
                    "tz": {**_STR_OR_NULL, "description": "IANA time zone of the digest"},
                    "topics": {"type": "array", "items": {"type": "string"},
                               "description": "arXiv categories and keywords; [] = everything"},
                    "follows": {"type": "array", "items": {"type": "string"},
                                "description": "followed authors (/follow), normalized"},
                    "excludes": {"type": "array", "items": {"type": "string"},
                                 "description": "excluded keywords and categories (/exclude)"},
                    "weights": {"type": "object", "additionalProperties": {"type": "number"},
                                "description": "weights from 👍/👎 per category or keyword, within ±3"},
                    "digest_weekday": {"type": ["integer", "null"],
                                       "description": "weekly digest day, 0 = Monday"},
                    "active": {"enum": [0, 1]},
                    "inactive_reason": {**_STR_OR_NULL,
                                        "description": "why it stopped (/stop, blocked, …)"},
                    "from_config": {"enum": [0, 1],
                                    "description": "1: a [[telegram.channels]] entry"},
                    "subscribed_at": _STR_OR_NULL,
                    "last_digest_at": _STR_OR_NULL,
                    "updated_at": _STR_OR_NULL,
                    "messages_sent": {"type": "integer",
                                      "description": "Telegram messages delivered"},
                    "papers_sent": {"type": "integer",
                                    "description": "papers delivered (a digest carries several)"},
                },
            },
        },
    },
}


@click.command("subscribers")
@json_option(SUBSCRIBERS_SCHEMA)
@click.option("--active", "active_only", is_flag=True, help="Only active subscribers.")
@pass_ctx
def subscribers_cmd(ctx: Context, as_json: bool, active_only: bool) -> None:
    """List subscribers and channels: language, mode, topics, state, messages sent.

    "messages" counts Telegram messages delivered, "papers" the papers they carried (a
    digest message carries several). Exits 66 when there is no database yet."""
    from jobs.store import subscribers as subs

    rows = subs.list_subscribers(ctx.existing_db(), active_only=active_only)
    if as_json:
        echo_json({"subscribers": rows})
        return
    if not rows:
        click.echo("no subscribers yet")
        return
    table = []
    for r in rows:
        mode = r["mode"] if r["mode"] != "digest" else f"digest {r['digest_hour']}h {r['tz']}"
        state = "active" if r["active"] else f"inactive ({r['inactive_reason'] or '?'})"
        kind = (r["kind"] or "?") + (" (config)" if r["from_config"] else "")
        table.append((str(r["chat_id"]), kind, r["lang"] or "", mode,
                      ", ".join(r["topics"]) or "everything", state[:50],
                      str(r["messages_sent"]), str(r["papers_sent"]),
                      (r["subscribed_at"] or "")[:16]))
    click.echo(text_table(("chat_id", "kind", "lang", "mode", "topics", "state", "messages",
                           "papers", "since"), table))
