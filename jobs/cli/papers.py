"""``paperbot papers``."""

from __future__ import annotations

import click

from jobs.cli.context import Context, echo_json, json_option, pass_ctx, shorten, text_table

_STRINGS = {"type": "array", "items": {"type": "string"}}
PAPERS_SCHEMA = {
    "type": "object",
    "required": ["schema", "papers"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": 1, "description": "version of this shape"},
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
@pass_ctx
def papers_cmd(ctx: Context, as_json: bool, since) -> None:
    """List the papers found, newest first, with the blogs that mentioned them.

    One row per paper and blog: role "primary" when the blog's post is about the paper,
    "reference" when it only cites it. Exits 66 when there is no database yet."""
    from jobs.store.crawl import papers_with_mentions

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
