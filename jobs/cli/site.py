"""``paperbot site build``."""

from __future__ import annotations

import click

from jobs.cli.context import Context, echo_json, json_option, pass_ctx

_INT = {"type": "integer"}
SITE_BUILD_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["schema", "languages", "papers", "files", "written", "skipped", "removed",
                 "seconds"],
    "properties": {
        "schema": {"const": 1, "description": "version of this shape"},
        "languages": {"type": "array", "items": {"type": "string"},
                      "description": "one section per language"},
        "papers": {**_INT, "description": "papers on the site"},
        "files": {**_INT, "description": "files the site has"},
        "written": {**_INT, "description": "files written this time (new or changed)"},
        "skipped": {**_INT, "description": "paper pages not rendered: their paper did not change since the last build"},
        "removed": {**_INT, "description": "files deleted (papers no longer listed)"},
        "seconds": {"type": "number"},
    },
}


@click.group("site")
def site_group() -> None:
    """Build the static site: papers by day, a page per paper, search, Atom/JSON feeds."""


@site_group.command("build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: [site] out_dir).")
@json_option(SITE_BUILD_SCHEMA)
@pass_ctx
def build_cmd(ctx: Context, out_dir: str | None, as_json: bool) -> None:
    """Write the static site from the database alone (no network): per language an index
    of recent papers by day, a page per paper (summary, the blogs' words with links,
    curator count, arXiv/PDF/HF links), client-side search, and feed.xml (Atom) +
    feed.json (JSON Feed 1.1) per language and per topic. After the first build, only
    what changed since the last one is read and rendered, and only changed files are
    rewritten; serve the directory with any static web server."""
    from jobs.site import build_from_config

    target = out_dir or ctx.config.site.out_dir
    if not target:
        raise click.UsageError("no output directory: pass --out DIR or set [site] out_dir")
    report = build_from_config(ctx.db(), ctx.config, target)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"site in {target}: {report}")
