"""``paperbot run``: the long-running service (see :mod:`jobs.service`)."""

from __future__ import annotations

import click

from jobs.cli.context import EXIT_CONFIG, Context, pass_ctx


@click.command("run")
@click.option("--no-bot", is_flag=True,
              help="Run without Telegram (crawl and summarize only; nothing is delivered, "
                   "alerts go to the log). Without this flag TELEGRAM_BOT_TOKEN is required.")
@pass_ctx
def run_cmd(ctx: Context, no_bot: bool) -> None:
    """Run the service until SIGTERM/SIGINT: the Telegram bot, a crawl every
    [schedule] crawl_every_minutes (as a `paperbot crawl once` subprocess, one at a
    time), summaries after each crawl, instant delivery and daily digests, source health
    and admin alerts. Meant for systemd (Type=notify, see deploy/); logs one line per
    event to stderr, secrets redacted.

    A fatal error is logged as one line, the error first (its traceback only with
    --log-level DEBUG). Exits 0 after a clean stop; 2 when TELEGRAM_BOT_TOKEN is missing
    (use --no-bot to run without Telegram) or Telegram rejects it, so that systemd does
    not restart it (RestartPreventExitStatus=2); 75 when another `paperbot run` uses the
    same state directory; 1 on any other fatal error (Telegram unreachable, …)."""
    from jobs.service.logs import install_log_redaction
    from jobs.service.loop import run_service

    click_ctx = click.get_current_context()
    level = (click_ctx.parent.params.get("log_level") if click_ctx.parent else None) \
        or ctx.config.log_level
    install_log_redaction(ctx.secrets, level)
    if not no_bot and not ctx.secrets.telegram_bot_token:
        click.echo("paperbot run: TELEGRAM_BOT_TOKEN is not set (environment or systemd "
                   "credential). Set it, or use `paperbot run --no-bot` to crawl and "
                   "summarize without Telegram.", err=True)
        click_ctx.exit(EXIT_CONFIG)
    click_ctx.exit(run_service(ctx.config, ctx.secrets, no_bot=no_bot, log_level=level))
