"""``paperbot deliver once`` (the delivery step by itself: plan, send, digests, alerts)
and ``paperbot deliver ambiguous`` (the operator's decision on ambiguous rows)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from jobs.cli.context import EXIT_CONFIG, Context, echo_json, json_option, pass_ctx


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
    """Plan and send everything due now: instant messages, the digests whose hour has
    come, admin alerts. A send that may have reached Telegram without an answer (read
    timeout, a crashed run) is left ambiguous, never resent (see `deliver ambiguous`);
    one that provably did not (5xx, refused) waits for a retry with back-off.
    SIGTERM/SIGINT stop after the messages in flight. Exit 1 when a send failed for good
    or Telegram was unreachable (what is left waits for the next run), 2 when
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
    click.get_current_context().exit(1 if report.failed or report.outage else 0)


async def _deliver_once(ctx: Context, token: str):
    from bot.transport import build_bot
    from jobs.steps.deliver import (
        announce_alerts,
        deliver_pending,
        plan_deliveries,
        send_alerts,
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
            announce_alerts(db, ctx.config.telegram.admin_chat_ids)
            if not stop.is_set():
                alerts = await send_alerts(db, bot=bot, config=ctx.config, stop=stop)
                report.failed += alerts.failed
                report.outage = report.outage or alerts.outage
        return report
    finally:
        db.close()


_ROW = {"type": "object", "additionalProperties": False, "required": [
    "chat_id", "arxiv_id", "lang", "attempts", "updated_at", "reason"], "properties": {
    "chat_id": {"type": "integer"}, "arxiv_id": {"type": "string"},
    "lang": {"type": ["string", "null"]}, "attempts": {"type": "integer"},
    "updated_at": {"type": "string", "description": "when it became ambiguous"},
    "reason": {"type": ["string", "null"]}}}
AMBIGUOUS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["schema", "ambiguous", "settled", "action"], "properties": {
        "schema": {"const": 1, "description": "version of this shape"},
        "ambiguous": {"type": "array", "items": _ROW,
                      "description": "the ambiguous rows (as they were before settling)"},
        "settled": {"type": "integer", "description": "rows resent or dropped"},
        "action": {"type": ["string", "null"], "enum": ["resend", "drop", None]},
    }}


@deliver_group.command("ambiguous")
@click.option("--resend", "action", flag_value="resend",
              help="Send them again: no loss, but a subscriber may get a paper twice.")
@click.option("--drop", "action", flag_value="drop",
              help="Give up on them: no duplicate, but a subscriber may miss a paper.")
@click.option("--chat", "chat_id", type=int, default=None, help="Only this chat.")
@click.option("--paper", "arxiv_id", default=None, help="Only this arXiv ID.")
@json_option(AMBIGUOUS_SCHEMA)
@pass_ctx
def deliver_ambiguous(ctx: Context, action: str | None, chat_id: int | None,
                      arxiv_id: str | None, as_json: bool) -> None:
    """List the ambiguous deliveries, or settle them with --resend or --drop.

    A delivery is ambiguous when the message may have reached Telegram but its answer
    did not reach paperbot (a read timeout, a crash between sending and recording):
    paperbot never resends it by itself. Rows left 'sending' by a crash are counted too.
    """
    from jobs.store import delivery as ledger

    db = ctx.db()
    try:
        ledger.expire_sending(db)
        rows = ledger.ambiguous(db, chat_id=chat_id, arxiv_id=arxiv_id)
        settled = 0
        if action is not None:
            settled = ledger.settle_ambiguous(db, resend=action == "resend", chat_id=chat_id,
                                              arxiv_id=arxiv_id)
    finally:
        db.close()
    if as_json:
        echo_json({"ambiguous": rows, "settled": settled, "action": action})
        return
    for r in rows:
        click.echo(f"{r['chat_id']:>14}  {r['arxiv_id']:<12} {r['lang'] or '-':<3} "
                   f"since {r['updated_at']}  {r['reason'] or ''}")
    what = {"resend": "will be sent again by the next delivery run",
            "drop": "dropped (marked skipped)"}
    if action is None:
        click.echo(f"{len(rows)} ambiguous deliveries" + (
            "; settle them with --resend (risk a duplicate) or --drop (risk a loss)"
            if rows else ""))
    else:
        click.echo(f"{settled} ambiguous deliveries {what[action]}")
