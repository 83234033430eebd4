"""The ``paperbot`` command: a thin layer over the library. Each docstring is its --help."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass

import click

from jobs import store
from jobs.config import Config, ConfigError, Secrets, config_as_dict, load_config, load_secrets

EXIT_CONFIG = 2


@dataclass
class Context:
    """What every command gets: the validated config and the secrets, read once."""

    config: Config
    secrets: Secrets

    def db(self):
        return store.open_db(self.config.db_path)


pass_ctx = click.make_pass_decorator(Context)


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


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@pass_ctx
def config_show(ctx: Context) -> None:
    """Print the effective configuration as JSON, secrets masked."""
    click.echo(json.dumps(config_as_dict(ctx.config, ctx.secrets), indent=2, ensure_ascii=False))


from jobs.cli_summarize import summarize_group  # noqa: E402

cli.add_command(summarize_group)


def main() -> None:
    cli(prog_name="paperbot")


if __name__ == "__main__":
    main()
