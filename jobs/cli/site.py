"""``paperbot site build``."""

from __future__ import annotations

import json

import click

from jobs.cli.context import Context, pass_ctx


@click.group("site")
def site_group() -> None:
    """Build the static site: papers by day, a page per paper, search, Atom/JSON feeds."""


@site_group.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: [site] out_dir).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON: {languages, papers, files, written, skipped, "
                   "removed, seconds}.")
@pass_ctx
def build_cmd(ctx: Context, out_dir: str | None, as_json: bool) -> None:
    """Write the static site from the database alone (no network): per language an index
    of recent papers by day, a page per paper (summary, the blogs' words with links,
    curator count, arXiv/PDF/HF links), client-side search, and feed.xml (Atom) +
    feed.json (JSON Feed 1.1) per language and per topic. Only changed files are
    rewritten; serve the directory with any static web server."""
    from jobs.site import build_from_config

    target = out_dir or ctx.config.site.out_dir
    if not target:
        raise click.UsageError("no output directory: pass --out DIR or set [site] out_dir")
    report = build_from_config(ctx.db(), ctx.config, target)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(f"site in {target}: {report}")
