"""The ``paperbot`` command: a thin layer over the library. Each docstring is its --help."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from dataclasses import dataclass

import click

from jobs import store
from jobs.config import (
    SUPPORTED_LANGS,
    Config,
    ConfigError,
    Secrets,
    config_as_dict,
    load_config,
    load_secrets,
)

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


@cli.group("crawl")
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
@click.option("--lang", "post_lang", type=click.Choice(SUPPORTED_LANGS), default="en",
              show_default=True, help="With --url: the language the post is written in.")
@pass_ctx
def crawl_once_cmd(ctx: Context, source_names: tuple[str, ...], since, no_notify: bool,
                   wait_lock: bool, post_url: str | None, post_lang: str) -> None:
    """Crawl the sources once, extract their papers into SQLite and print what is new.

    Exits 0 when every source succeeded, 1 when any failed (each failure is named with
    its reason; what the other sources found is kept), 75 when another crawl (by hand or
    by `paperbot run`) is already running on this state directory (see --wait)."""

    config = ctx.config
    if post_url:
        from jobs.steps.crawl import url_source

        if source_names:
            raise click.BadParameter("use either --url or --source", param_hint="--url")
        try:
            src = url_source(post_url, lang=post_lang)
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
    from jobs.service.lock import EX_TEMPFAIL, LockBusy, crawl_lock

    lock = crawl_lock(config.state_dir)
    try:
        lock.acquire(wait=wait_lock)
    except LockBusy as exc:
        click.echo(f"another crawl is running ({exc.holder or 'holder unknown'}); not crawling. "
                   "Use --wait to wait for it.", err=True)
        click.get_current_context().exit(EX_TEMPFAIL)
    try:
        results = _crawl_with_progress(config, sources,
                                       since.strftime("%Y-%m-%d") if since else None, no_notify)
    finally:
        lock.release()
    click.echo(_results_table(results))
    failed = [r for r in results if not r.ok]
    for r in failed:
        click.echo(f"FAILED {r.source}: {r.error}", err=True)
    ctx_exit = click.get_current_context()
    ctx_exit.exit(1 if failed else 0)


def _crawl_with_progress(config: Config, sources, since: str | None, no_notify: bool):
    from jobs.steps.crawl import crawl_once

    log = logging.getLogger("paperbot.crawl")
    if not sys.stderr.isatty():
        return crawl_once(config, sources=sources, since=since, no_notify=no_notify,
                          progress=lambda name, event: log.info("%s: %s", name, event))
    with click.progressbar(length=len(sources), label="crawling", file=sys.stderr,
                           item_show_func=lambda x: x) as bar:
        def progress(name: str, event: str) -> None:
            bar.update(1 if event == "done" or event.startswith("FAILED") else 0,
                       f"{name}: {event}"[:60])

        return crawl_once(config, sources=sources, since=since, no_notify=no_notify,
                          progress=progress)


def _results_table(results) -> str:
    rows = [("source", "result", "posts", "new posts", "new papers")]
    for r in results:
        rows.append((r.source, "ok" if r.ok else "FAILED", str(r.posts_seen), str(r.posts_new),
                     str(len(r.papers_new))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    new_ids = [pid for r in results for pid in r.papers_new]
    if new_ids:
        lines.append("")
        lines.append("new papers: " + ", ".join(new_ids))
    return "\n".join(lines)


@cli.command("papers")
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


@cli.command("status")
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


from jobs.cli_summarize import summarize_group  # noqa: E402

cli.add_command(summarize_group)

from jobs.cli_service import run_cmd  # noqa: E402

cli.add_command(run_cmd)

from jobs.cli_bot import register as register_bot_commands  # noqa: E402

register_bot_commands(cli)


def main() -> None:
    cli(prog_name="paperbot")


if __name__ == "__main__":
    main()
