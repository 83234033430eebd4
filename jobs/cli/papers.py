"""``paperbot papers``."""

from __future__ import annotations

import json

import click

from jobs.cli.context import Context, pass_ctx


@click.command("papers")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only papers first seen on or after DATE (YYYY-MM-DD).")
@click.option("--unresolved", is_flag=True,
              help="List the entries not found on arXiv (yet): why, and the candidates and "
                   "searches tried. Never delivered, never guessed.")
@pass_ctx
def papers_cmd(ctx: Context, as_json: bool, since, unresolved: bool) -> None:
    """List the papers found, newest first, with the blogs that mentioned them."""
    from jobs.store.crawl import papers_with_mentions

    if unresolved:
        _unresolved(ctx, as_json)
        return

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


def _unresolved(ctx: Context, as_json: bool) -> None:
    from jobs.store.arxiv import unresolved_entries

    rows = unresolved_entries(ctx.db())
    if as_json:
        keys = ("source", "url", "kind", "linked_id", "title", "reason", "candidates", "searches",
                "plausible", "attempts", "next_retry_at")
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("every entry was found on arXiv")
    for r in rows:
        what = f"link {r['linked_id']} contradicts" if r["kind"] == "relink" else "no ID"
        click.echo(f"{r['source']}: {r['title'][:80]!r} ({what}; {r['reason']})\n  {r['url']}")
        if r["candidates"]:
            click.echo("  candidates: " + " | ".join(c[:60] for c in r["candidates"][:6]))
        if r["searches"]:
            click.echo("  searched:   " + " | ".join(s[:70] for s in r["searches"][:4]))
        if r["plausible"]:
            click.echo("  plausible:  " + ", ".join(r["plausible"]))
