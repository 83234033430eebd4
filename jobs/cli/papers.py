"""``paperbot papers``."""

from __future__ import annotations

import click

from jobs.cli.context import Context, echo_json, json_option, pass_ctx, shorten, text_table

_STRINGS = {"type": "array", "items": {"type": "string"}}
_UNRESOLVED_ITEM = {
    "type": "object",
    "required": ["source", "url", "kind", "linked_id", "title", "reason", "candidates",
                 "searches", "plausible", "attempts", "next_retry_at"],
    "additionalProperties": False,
    "properties": {
        "source": {"type": "string"},
        "url": {"type": "string", "description": "the post"},
        "kind": {"enum": ["entry", "relink"],
                 "description": "entry: no ID in the post; relink: the post links an ID whose "
                                "arXiv title contradicts the entry (not delivered)"},
        "linked_id": {"type": ["string", "null"], "description": "relink: the ID the post links"},
        "title": {"type": "string", "description": "the entry's title as the blog wrote it"},
        "reason": {"type": ["string", "null"],
                   "description": "no-match, ambiguous, after-post, old-namesake, authors-disagree, "
                                  "cited-in-post, no-candidates, pending, arxiv-unavailable…"},
        "candidates": {**_STRINGS, "description": "the names searched for, best first"},
        "searches": {**_STRINGS, "description": "the arXiv search terms run"},
        "plausible": {**_STRINGS, "description": "ambiguous: the papers that were acceptable"},
        "attempts": {"type": "integer"},
        "next_retry_at": {"type": ["string", "null"], "description": "null: not retried"},
    },
}
PAPERS_SCHEMA = {
    "type": "object",
    "required": ["schema"],
    "anyOf": [{"required": ["papers"]}, {"required": ["unresolved"]}],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": 1, "description": "version of this shape"},
        "unresolved": {"type": "array", "items": _UNRESOLVED_ITEM,
                       "description": "--unresolved: entries without an arXiv ID, newest first"},
        "papers": {
            "type": "array",
            "description": "newest first",
            "items": {
                "type": "object",
                "required": ["arxiv_id", "title", "authors", "categories", "first_seen",
                             "mentions"],
                "additionalProperties": False,
                "properties": {
                    "arxiv_id": {"type": "string",
                                 "description": "versionless arXiv ID, e.g. 2401.10020"},
                    "title": {"type": ["string", "null"],
                              "description": "arXiv's title, else the blog's; null when "
                                             "neither is known yet"},
                    "authors": {**_STRINGS, "description": "from arXiv (empty until fetched)"},
                    "categories": {**_STRINGS,
                                   "description": "arXiv categories, primary first"},
                    "first_seen": {"type": "string",
                                   "description": "when a crawl first found it (UTC, ISO 8601)"},
                    "mentions": {
                        "type": "array",
                        "description": "every post that names the paper, in crawl order",
                        "items": {
                            "type": "object",
                            "required": ["source", "post_url", "role", "lang"],
                            "additionalProperties": False,
                            "properties": {
                                "source": {"type": "string",
                                           "description": "the blog ([[sources]] name)"},
                                "post_url": {"type": "string"},
                                "role": {"enum": ["primary", "reference"],
                                         "description": "primary: the post is about it; "
                                                        "reference: the post only cites it"},
                                "lang": {"type": "string",
                                         "description": "language of the post's text"},
                            },
                        },
                    },
                },
            },
        },
    },
}


@click.command("papers")
@json_option(PAPERS_SCHEMA)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only papers first seen on or after DATE (YYYY-MM-DD).")
@click.option("--unresolved", is_flag=True,
              help="List the entries not found on arXiv (yet): why, and the candidates and "
                   "searches tried. Never delivered, never guessed.")
@pass_ctx
def papers_cmd(ctx: Context, as_json: bool, since, unresolved: bool) -> None:
    """List the papers found, newest first, with the blogs that mentioned them.

    One row per paper and blog: role "primary" when the blog's post is about the paper,
    "reference" when it only cites it. With --unresolved: the entries that have no arXiv
    ID (yet), why, and what was tried. Exits 66 when there is no database yet."""
    from jobs.store.crawl import papers_with_mentions

    if unresolved:
        _unresolved(ctx, as_json)
        return
    papers = papers_with_mentions(ctx.existing_db(),
                                  since=since.strftime("%Y-%m-%d") if since else None)
    if as_json:
        echo_json({"papers": [
            {"arxiv_id": p["arxiv_id"], "title": p["title"], "authors": p["authors"],
             "categories": p["categories"], "first_seen": p["first_seen"],
             "mentions": p["mentions"]} for p in papers]})
        return
    if not papers:
        click.echo("no papers yet: run `paperbot crawl once`")
        return
    click.echo(text_table(["arXiv ID", "title", "role", "blog"], papers_rows(papers)))


def papers_rows(papers: list[dict]) -> list[tuple[str, str, str, str]]:
    """One row per paper and blog (a blog's several posts about a paper count once;
    "primary" wins over "reference"); the ID and title are not repeated."""
    rows = []
    for p in papers:
        roles: dict[str, str] = {}
        for m in p["mentions"]:
            if roles.get(m["source"]) != "primary":
                roles[m["source"]] = m["role"]
        first = True
        for source, role in sorted(roles.items()) or [("", "")]:
            rows.append((p["arxiv_id"] if first else "",
                         shorten(p["title"] or "(title pending)", 64) if first else "",
                         role, source))
            first = False
    return rows


def _unresolved(ctx: Context, as_json: bool) -> None:
    from jobs.store.arxiv import unresolved_entries

    rows = unresolved_entries(ctx.existing_db())
    if as_json:
        keys = ("source", "url", "kind", "linked_id", "title", "reason", "candidates", "searches",
                "plausible", "attempts", "next_retry_at")
        echo_json({"unresolved": [{k: r[k] for k in keys} for r in rows]})
        return
    if not rows:
        click.echo("every entry was found on arXiv")
    for r in rows:
        what = f"link {r['linked_id']} contradicts" if r["kind"] == "relink" else "no ID"
        click.echo(f"{r['source']}: {r['title'][:80]!r} ({what}; {r['reason']})\n  {r['url']}")
        if r["candidates"]:
            click.echo("  candidates: " + " | ".join(c[:60] for c in r["candidates"][:6]))
        if r["searches"]:
            click.echo("  searched:   " + " | ".join(q[:70] for q in r["searches"][:4]))
        if r["plausible"]:
            click.echo("  plausible:  " + ", ".join(r["plausible"]))
