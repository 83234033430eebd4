"""``paperbot summarize once``: run the summarize step by itself."""

from __future__ import annotations

import click

from jobs.cli.context import Context, pass_ctx
from jobs.config import SUPPORTED_LANGS


@click.group("summarize")
def summarize_group() -> None:
    """Summarize papers per reader language with the configured LLM."""


@summarize_group.command("once")
@click.option("--lang", "langs", multiple=True, type=click.Choice(SUPPORTED_LANGS),
              help="Summarize into this language (repeatable). Default: the languages of "
                   "active subscribers and configured channels.")
@click.option("--paper", "papers", multiple=True, metavar="ID",
              help="Only this arXiv ID (repeatable), e.g. 2401.01234.")
@pass_ctx
def summarize_once_cmd(ctx: Context, langs: tuple[str, ...], papers: tuple[str, ...]) -> None:
    """Write the missing summaries once, then exit.

    Papers to be pushed (not archived by a backfill) are summarized once per language,
    model and prompt version, from the time someone reads that language on; a re-run
    makes no calls. Archived papers are summarized when someone asks (/latest, /paper),
    or here with --paper. Without OPENAI_API_KEY and [llm] base_url / OPENAI_BASE_URL,
    untranslated fallback summaries are stored instead. Exits 1 when the model failed
    for some paper (a fallback was stored for it), else 0."""
    from jobs.clients.llm import build_client
    from jobs.steps.summarize import summarize_sync

    if build_client(ctx.config, ctx.secrets) is None:
        click.echo("no OPENAI_API_KEY and no LLM base URL: storing fallback summaries "
                   "(not translated)", err=True)
    report = summarize_sync(ctx.db(), config=ctx.config, secrets=ctx.secrets,
                            langs=langs or None, paper_ids=papers or None)
    click.echo(f"LLM calls:            {report.calls}")
    click.echo(f"summaries written:    {report.written}"
               + (f" ({report.flagged} flagged: wrong language)" if report.flagged else ""))
    click.echo(f"fallback summaries:   {report.fallbacks}")
    if report.failed:
        click.echo(f"model failed for:     {report.failed} (fallback stored)")
    if report.skipped:
        click.echo(f"skipped (budget):     {report.skipped}")
    click.echo(f"tokens:               {report.tokens} "
               f"(prompt {report.prompt_tokens}, completion {report.completion_tokens})")
    if report.budget_exhausted:
        click.echo("daily token budget spent: the rest waits until tomorrow (UTC)", err=True)
    click.get_current_context().exit(1 if report.failed else 0)
