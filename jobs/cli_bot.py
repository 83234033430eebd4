"""``paperbot deliver once`` and ``paperbot subscribers``: the bot's admin commands."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal

import click

from jobs.cli import Context, pass_ctx

EXIT_NO_TOKEN = 2


def _token(ctx: Context) -> str:
    token = ctx.secrets.telegram_bot_token
    if not token:
        click.echo("error: TELEGRAM_BOT_TOKEN is not set (environment variable or systemd "
                   "credential); it is needed to talk to Telegram", err=True)
        click.get_current_context().exit(EXIT_NO_TOKEN)
    return token


@click.group("deliver")
def deliver_group() -> None:
    """Send summaries to subscribers."""


@deliver_group.command("once")
@pass_ctx
def deliver_once(ctx: Context) -> None:
    """Plan and send everything due now: instant messages, then the digests whose hour has
    come. Rows a crashed run left in 'sending' are reported as ambiguous, not resent.
    SIGTERM/SIGINT stop after the messages in flight. Exit 1 when a send failed."""
    token = _token(ctx)
    report = asyncio.run(_deliver_once(ctx, token))
    click.echo(f"deliver once: {report}")
    click.get_current_context().exit(1 if report.failed else 0)


async def _deliver_once(ctx: Context, token: str):
    from bot.app import build_bot
    from jobs.steps.deliver import (
        deliver_pending,
        plan_deliveries,
        send_due_digests,
        sync_channels,
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    db = ctx.db()
    try:
        bot = build_bot(config=ctx.config, token=token)
        async with bot:
            if ctx.config.telegram.channels:
                await sync_channels(db, bot=bot, config=ctx.config)
            planned = plan_deliveries(db, config=ctx.config)
            report = await deliver_pending(db, bot=bot, config=ctx.config, stop=stop)
            report.planned = planned
            if not stop.is_set():
                report.merge(await send_due_digests(db, bot=bot, config=ctx.config, stop=stop))
        return report
    finally:
        db.close()


@click.command("subscribers")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--active", "active_only", is_flag=True, help="Only active subscribers.")
@pass_ctx
def subscribers_cmd(ctx: Context, as_json: bool, active_only: bool) -> None:
    """List subscribers and channels: language, mode, topics, state, messages sent."""
    from jobs.store import subscribers as subs

    rows = subs.list_subscribers(ctx.db(), active_only=active_only)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no subscribers yet")
        return
    header = ("chat_id", "kind", "lang", "mode", "topics", "state", "sent", "since")
    table = [header]
    for r in rows:
        mode = r["mode"] if r["mode"] != "digest" else f"digest {r['digest_hour']}h {r['tz']}"
        state = "active" if r["active"] else f"inactive ({r['inactive_reason'] or '?'})"
        kind = (r["kind"] or "?") + (" (config)" if r["from_config"] else "")
        table.append((str(r["chat_id"]), kind, r["lang"] or "", mode,
                      ", ".join(r["topics"]) or "everything", state[:50], str(r["sent"]),
                      (r["subscribed_at"] or "")[:16]))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            click.echo("  ".join("-" * w for w in widths))


def register(cli: click.Group) -> None:
    cli.add_command(deliver_group)
    cli.add_command(subscribers_cmd)
