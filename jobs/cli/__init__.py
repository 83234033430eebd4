"""The ``paperbot`` command: a thin layer over the library. Each docstring is its --help.

This module defines the root group and registers the commands; each command (or command
group) lives in its own module and imports only :mod:`jobs.cli.context`."""

from __future__ import annotations

import logging
import sys

import click

from jobs.cli.config_cmd import config_group
from jobs.cli.context import EXIT_CONFIG, Context
from jobs.cli.crawl import crawl_group
from jobs.cli.deliver import deliver_group
from jobs.cli.papers import papers_cmd
from jobs.cli.run import run_cmd
from jobs.cli.site import site_group
from jobs.cli.status import status_cmd
from jobs.cli.subscribers import subscribers_cmd
from jobs.cli.summarize import summarize_group
from jobs.config import ConfigError, load_config, load_secrets


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


ENVIRONMENT = """\b
Environment (secrets are read only from here or from systemd credentials):
  TELEGRAM_BOT_TOKEN     the bot's token from @BotFather (run, deliver)
  OPENAI_API_KEY         key of the OpenAI-compatible API (summaries)
  OPENAI_BASE_URL        its base URL, unless [llm] base_url is set
  STATE_DIRECTORY        state directory when the config has no state_dir
  CREDENTIALS_DIRECTORY  systemd credentials holding the secrets above

Exit codes: 0 ok, 1 failed, 2 configuration error (or missing/rejected token),
66 no database yet, 75 busy (another crawl or service). See docs/cli.md."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=ENVIRONMENT)
@click.version_option(package_name="paperbot", prog_name="paperbot",
                      message="%(prog)s %(version)s")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="PATH",
              envvar="PAPERBOT_CONFIG", show_envvar=True,
              help="TOML config file (default: ./paperbot.toml when present, else the "
                   "built-in defaults).")
@click.option("--log-level", default=None, envvar="PAPERBOT_LOG_LEVEL", show_envvar=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Overrides the config's log_level.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str | None) -> None:
    """paperbot: finds the arXiv papers that ML blogs write about, summarizes them in your
    language and delivers them on Telegram."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"config error: {exc}", err=True)
        ctx.exit(EXIT_CONFIG)
    setup_logging(log_level or config.log_level)
    ctx.obj = Context(config=config, secrets=load_secrets())


cli.add_command(config_group)
cli.add_command(crawl_group)
cli.add_command(papers_cmd)
cli.add_command(status_cmd)
cli.add_command(summarize_group)
cli.add_command(run_cmd)
cli.add_command(deliver_group)
cli.add_command(subscribers_cmd)
cli.add_command(site_group)


def main() -> None:
    cli(prog_name="paperbot")
