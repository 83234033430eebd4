"""``paperbot papers``."""

from __future__ import annotations

import json

import click

from jobs.cli.context import Context, pass_ctx


@click.command("papers")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only papers first seen on or after DATE (YYYY-MM-DD).")
@pass_ctx
def papers_cmd(ctx: Context, as_json: bool, since) -> None:
    """List the papers found, newest first, with the blogs that mentioned them."""
    from jobs.store.crawl import papers_with_mentions

    papers = papers_with_mentions(ctx.db(), since=since.strftime("%Y-%m-%d") if since else None)
    if as_json:
        out = [{"arxiv_id": p["arxiv_id"], "title": p["title"], "first_seen": p["first_seen"],
                "mentions": p["mentions"]} for p in papers]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if not papers:
        click.echo("no papers yet: run `paperbot crawl once`")
    for p in papers:
        blogs = sorted({f"{m['source']}({m['role'][0]})" for m in p["mentions"]})
        click.echo(f"{p['arxiv_id']:<18} {(p['title'] or '(title pending)')[:70]:<70}  "
                   f"{' '.join(blogs)}")
