"""``paperbot crawl once``."""

from __future__ import annotations

import dataclasses
import logging
import sys

import click

from jobs.cli.context import EXIT_BUSY, EXIT_FAILURE, EXIT_OK, Context, pass_ctx, text_table
from jobs.config import SUPPORTED_LANGS, Config


@click.group("crawl")
def crawl_group() -> None:
    """Crawl the configured blogs."""


@crawl_group.command("once")
@click.option("--source", "source_names", multiple=True, metavar="NAME",
              help="Crawl only this source (repeatable). Default: every enabled source.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Backfill: keep posts published on or after DATE (YYYY-MM-DD); "
                   "papers found are archived, not pushed to subscribers.")
@click.option("--no-notify", is_flag=True,
              help="Archive the papers found instead of pushing them to subscribers.")
@click.option("--wait", "wait_lock", is_flag=True,
              help="If another crawl is running on this state directory, wait for it to "
                   "finish instead of exiting 75.")
@click.option("--url", "post_url", default=None, metavar="URL",
              help="Read just this one post page (a backfill: source 'url:HOST', kind url) "
                   "instead of the configured sources.")
@click.option("--lang", "post_lang", type=click.Choice(SUPPORTED_LANGS), default=None,
              help="With --url: the language the post is written in (default: the stored "
                   "post's, else en).")
@pass_ctx
def crawl_once_cmd(ctx: Context, source_names: tuple[str, ...], since, no_notify: bool,
                   wait_lock: bool, post_url: str | None, post_lang: str | None) -> None:
    """Crawl the sources once, extract their papers into SQLite and print what is new.

    Exits 0 when every source succeeded, 1 when any failed (each failure is named with
    its reason; what the other sources found is kept), 75 when another crawl (by hand or
    by `paperbot run`) is already running on this state directory (see --wait)."""

    config = ctx.config
    if post_url:
        from jobs.steps.crawl import url_source_for

        if source_names:
            raise click.BadParameter("use either --url or --source", param_hint="--url")
        try:
            src = url_source_for(config, post_url, lang=post_lang)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--url") from None
        config = dataclasses.replace(
            config, sources=[s for s in config.sources if s.name != src.name] + [src])
        sources = [src]
    elif source_names:
        unknown = [n for n in source_names if n not in {s.name for s in config.sources}]
        if unknown:
            raise click.BadParameter(f"unknown source {unknown[0]!r}", param_hint="--source")
        sources = [config.source(n) for n in source_names]
    else:
        sources = [s for s in config.sources if s.enabled]
    from jobs.service.lock import LockBusy, crawl_lock

    lock = crawl_lock(config.state_dir)
    try:
        lock.acquire(wait=wait_lock)
    except LockBusy as exc:
        click.echo(f"another crawl is running ({exc.holder or 'holder unknown'}); not crawling. "
                   "Use --wait to wait for it.", err=True)
        click.get_current_context().exit(EXIT_BUSY)
    try:
        results = _crawl_with_progress(config, sources,
                                       since.strftime("%Y-%m-%d") if since else None, no_notify,
                                       secrets=ctx.secrets)
    finally:
        lock.release()
    click.echo(_results_table(results))
    for r in results:
        for note in r.notes:
            click.echo(f"NOTE {r.source}: {note}", err=True)
    failed = [r for r in results if not r.ok]
    for r in failed:
        click.echo(f"FAILED {r.source}: {r.error}", err=True)
    click.get_current_context().exit(EXIT_FAILURE if failed else EXIT_OK)


def _crawl_with_progress(config: Config, sources, since: str | None, no_notify: bool, secrets=None):
    from jobs.steps.crawl import crawl_once

    log = logging.getLogger("paperbot.crawl")
    if not sys.stderr.isatty():
        return crawl_once(config, sources=sources, since=since, no_notify=no_notify,
                          progress=lambda name, event: log.info("%s: %s", name, event),
                          secrets=secrets)
    # A bar on the terminal, and log records printed above it (tqdm's logging redirect
    # swaps the console handlers for ones that clear the bar, write, then redraw it).
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm(), tqdm(total=len(sources), desc="crawling", unit="source",
                                       file=sys.stderr, dynamic_ncols=True) as bar:
        def progress(name: str, event: str) -> None:
            if event == "done" or event.startswith("FAILED"):
                bar.update(1)
            bar.set_postfix_str(f"{name}: {event}"[:60])

        return crawl_once(config, sources=sources, since=since, no_notify=no_notify,
                          progress=progress, secrets=secrets)


def _results_table(results) -> str:
    table = text_table(
        ("source", "result", "posts", "new posts", "new papers"),
        [(r.source, "ok" if r.ok else "FAILED", r.posts_seen, r.posts_new, len(r.papers_new))
         for r in results])
    new_ids = [pid for r in results for pid in r.papers_new]
    return table + ("\n\nnew papers: " + ", ".join(new_ids) if new_ids else "")
