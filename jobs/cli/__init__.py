"""The ``paperbot`` command: a thin layer over the library. Each docstring is its --help.

This module defines the root group and registers the commands; each command (or command
group) lives in its own module and imports only :mod:`jobs.cli.context`."""

from __future__ import annotations

import logging
import sys

import click

from jobs.cli.config_cmd import config_group
from jobs.cli.context import Context
from jobs.cli.crawl import crawl_group
from jobs.cli.deliver import deliver_group
from jobs.cli.papers import papers_cmd
from jobs.cli.run import run_cmd
from jobs.cli.site import site_group
from jobs.cli.status import status_cmd
from jobs.cli.subscribers import subscribers_cmd
from jobs.cli.summarize import summarize_group
from jobs.config import ConfigError, load_config, load_secrets

EXIT_CONFIG = 2


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML config file (default: $PAPERBOT_CONFIG, else ./paperbot.toml).")
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (overrides config).")
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
