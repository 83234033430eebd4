"""The ``paperbot`` command: a thin layer over the library. Each docstring is its --help.

This module defines the root group and registers the commands; each command (or command
group) lives in its own module and imports only :mod:`jobs.cli.context`."""

from __future__ import annotations

import logging
import sys

import click

from jobs.cli.config_cmd import config_group
from jobs.cli.context import Context, setup
from jobs.cli.crawl import crawl_group
from jobs.cli.deliver import deliver_group
from jobs.cli.papers import papers_cmd
from jobs.cli.run import run_cmd
from jobs.cli.site import site_group
from jobs.cli.status import status_cmd
from jobs.cli.subscribers import subscribers_cmd
from jobs.cli.summarize import summarize_group
from jobs.config import load_secrets
from jobs.store import state_problem

ENVIRONMENT = """\b
Environment (secrets are read only from here or from systemd credentials):
  TELEGRAM_BOT_TOKEN     the bot's token from @BotFather (run, deliver)
  OPENAI_API_KEY         key of the OpenAI-compatible API (summaries)
  OPENAI_BASE_URL        its base URL, unless [llm] base_url is set
  STATE_DIRECTORY        state directory when the config has no state_dir
  CREDENTIALS_DIRECTORY  systemd credentials holding the secrets above

Exit codes: 0 ok, 1 failed, 2 configuration error (or missing/rejected token),
66 no database yet, 73 state directory missing and not creatable or read-only,
74 disk full, 75 busy (another crawl or service). See docs/cli.md."""


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
    secrets = load_secrets()
    setup(secrets, log_level)
    # the config is read when the command runs (so `--help` never reads it)
    ctx.obj = Context(secrets=secrets, config_path=config_path,
                      log_level=log_level.upper() if log_level else None)


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
    try:
        cli(prog_name="paperbot")
    except Exception as exc:
        # a state directory that fills up or turns read-only mid-command: one line
        problem = state_problem(exc)
        if problem is None:
            raise
        logging.getLogger("paperbot").debug("state directory problem", exc_info=exc)
        click.echo(f"paperbot: {problem}", err=True)
        sys.exit(problem.exit_code)
