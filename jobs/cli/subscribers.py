"""``paperbot subscribers``: the bot's subscribers and channels (a bot admin command)."""

from __future__ import annotations

import json

import click

from jobs.cli.context import Context, pass_ctx


@click.command("subscribers")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--active", "active_only", is_flag=True, help="Only active subscribers.")
@pass_ctx
def subscribers_cmd(ctx: Context, as_json: bool, active_only: bool) -> None:
    """List subscribers and channels: language, mode, topics, state, messages sent.

    "messages" counts Telegram messages delivered, "papers" the papers they carried (a
    digest message carries several). --json prints one object per subscriber: chat_id,
    kind, username, lang, mode, digest_hour, tz, topics (list), active, inactive_reason,
    from_config, subscribed_at, last_digest_at, updated_at, messages_sent, papers_sent."""
    from jobs.store import subscribers as subs

    rows = subs.list_subscribers(ctx.db(), active_only=active_only)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no subscribers yet")
        return
    header = ("chat_id", "kind", "lang", "mode", "topics", "state", "messages", "papers",
              "since")
    table = [header]
    for r in rows:
        mode = r["mode"] if r["mode"] != "digest" else f"digest {r['digest_hour']}h {r['tz']}"
        state = "active" if r["active"] else f"inactive ({r['inactive_reason'] or '?'})"
        kind = (r["kind"] or "?") + (" (config)" if r["from_config"] else "")
        table.append((str(r["chat_id"]), kind, r["lang"] or "", mode,
                      ", ".join(r["topics"]) or "everything", state[:50],
                      str(r["messages_sent"]), str(r["papers_sent"]),
                      (r["subscribed_at"] or "")[:16]))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            click.echo("  ".join("-" * w for w in widths))
