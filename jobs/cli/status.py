"""``paperbot status``."""

from __future__ import annotations

import json

import click

from jobs.cli.context import Context, pass_ctx


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def status_cmd(ctx: Context, as_json: bool) -> None:
    """Show source health, paper counts and queues."""
    from jobs.status import render_status_text, status_report

    report = status_report(ctx.db(), ctx.config)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render_status_text(report))
