"""``paperbot config show``."""

from __future__ import annotations

import json

import click

from jobs.cli.context import Context, pass_config
from jobs.config import config_as_dict


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("show")
@pass_config
def config_show(ctx: Context) -> None:
    """Print the effective configuration as JSON, secrets masked."""
    click.echo(json.dumps(config_as_dict(ctx.config, ctx.secrets), indent=2, ensure_ascii=False))
