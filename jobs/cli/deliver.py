"""``paperbot deliver once``: the delivery step by itself (plan, send, digests)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from jobs.cli.context import EXIT_CONFIG, Context, pass_ctx


def _token(ctx: Context) -> str:
    token = ctx.secrets.telegram_bot_token
    if not token:
        click.echo("error: TELEGRAM_BOT_TOKEN is not set (environment variable or systemd "
                   "credential); it is needed to talk to Telegram", err=True)
        click.get_current_context().exit(EXIT_CONFIG)
    return token


@click.group("deliver")
def deliver_group() -> None:
    """Send summaries to subscribers."""


@deliver_group.command("once")
@pass_ctx
def deliver_once(ctx: Context) -> None:
    """Plan and send everything due now: instant messages, then the digests whose hour has
    come. Rows a crashed run left in 'sending' are reported as ambiguous, not resent.
    SIGTERM/SIGINT stop after the messages in flight. Exit 1 when a send failed, 2 when
    TELEGRAM_BOT_TOKEN is missing or Telegram rejects it."""
    from telegram.error import InvalidToken

    from jobs.service.failures import describe, exit_code
    from jobs.steps.deliver import BotUnusable

    token = _token(ctx)
    try:
        report = asyncio.run(_deliver_once(ctx, token))
    except (BotUnusable, InvalidToken) as exc:  # exit 2 when the token was rejected
        click.echo(f"paperbot deliver once: {describe(exc)}", err=True)
        click.get_current_context().exit(exit_code(exc))
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
