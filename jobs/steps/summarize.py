"""The summarize step: which summaries are written, and when. One summary per (paper,
language, model, prompt version), exactly once, paid for only when someone will read it.

- **Ahead of delivery** (:meth:`Summarizer.pending`, at service start and after each
  crawl): papers to be pushed (not archived by a backfill) in every language someone
  reads, first seen since that reader started reading it. A backfill costs nothing, and
  a new subscriber or a new language gets no backlog written for it.
- **On demand** (:meth:`Summarizer.on_demand`): papers someone is about to read — /paper,
  /latest, a digest or message that showed the fallback layout, the /latest window of a
  language just chosen — archived ones included. On-demand work goes before scheduled
  work, and a (paper, language) being written already is waited for, never written twice.

Each write (calls, retries, language check, budget, bookkeeping) is
:class:`jobs.steps.summary_writer.Writer`'s. ``on_upgraded(pairs)`` is awaited after a run
that stored good summaries, so messages sent with the fallback layout can be edited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import openai

from crawler.arxiv_ids import parse_arxiv_id
from jobs import store
from jobs.clients.llm import build_client
from jobs.config import Config, Secrets
from jobs.steps.prompts import FALLBACK_MODEL, LANG_NAMES, PROMPT_VERSION, fallback_summary
from jobs.steps.summary_queue import MAX_FAILED_CALLS_PER_DAY, given_pairs, queued_pairs
from jobs.steps.summary_writer import (
    AlertFn,
    SummaryReport,
    Writer,
    paper_input,
)
from jobs.store import fallback_messages as fstore
from jobs.store import summaries as sstore
from jobs.store.offloop import OffLoop

__all__ = ["Summarizer", "SummaryReport", "summarize_pending", "summarize_sync",
           "normalize_paper_id", "MAX_FAILED_CALLS_PER_DAY"]

log = logging.getLogger("paperbot.summarize")

UpgradedFn = Callable[[list[tuple[str, str]]], Awaitable[Any]]


def normalize_paper_id(value: str) -> str:
    """``arXiv:2401.01234v2`` / an arXiv URL → ``2401.01234``; anything else as given (it
    then matches no paper)."""
    return parse_arxiv_id(value.strip()) or value.strip()


class _Slots:
    """At most ``n`` writes at a time; urgent (on-demand) writes go first."""

    def __init__(self, n: int) -> None:
        self.free = max(1, n)
        self.urgent_waiting = 0
        self.cond = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def hold(self, urgent: bool) -> AsyncIterator[None]:
        async with self.cond:
            self.urgent_waiting += urgent
            try:
                await self.cond.wait_for(
                    lambda: self.free > 0 and (urgent or not self.urgent_waiting))
            finally:
                self.urgent_waiting -= urgent
            self.free -= 1
            self.cond.notify_all()
        try:
            yield
        finally:
            async with self.cond:
                self.free += 1
                self.cond.notify_all()


class Summarizer:
    """The summarize step of one process (the service keeps one; the CLI makes one per
    run): the LLM client (None: fallback summaries only), one concurrency limit
    (``[llm] concurrency``) for scheduled and on-demand work, and the pairs being
    written right now."""

    def __init__(self, db: Any, *, config: Config, client: openai.AsyncOpenAI | None,
                 on_alert: AlertFn | None = None, on_upgraded: UpgradedFn | None = None
                 ) -> None:
        self.db = db
        self.config = config
        self.client = client
        self.on_upgraded = on_upgraded
        self.writer = Writer(db, config, client, on_alert) if client is not None else None
        self.slots = _Slots(config.llm.concurrency)
        self._inflight: dict[tuple[str, str], asyncio.Future[bool]] = {}
        self._finished: dict[tuple[str, str], tuple[float, bool]] = {}

    @property
    def enabled(self) -> bool:
        """A model is configured (on-demand summaries can be written)."""
        return self.client is not None

    @property
    def model(self) -> str:
        return FALLBACK_MODEL if self.client is None else self.config.llm.model

    # -- what to write --------------------------------------------------------------
    def _needing(self, lang: str, **kw: Any) -> list[str]:
        return sstore.papers_needing_summary(
            self.db, lang=lang, model=self.model, prompt_version=PROMPT_VERSION,
            resummarize_on_new_mention=self.config.llm.resummarize_on_new_mention,
            max_failed_calls_per_day=MAX_FAILED_CALLS_PER_DAY, **kw)

    async def pending(self, *, langs: Sequence[str] | None = None,
                      paper_ids: Sequence[str] | None = None) -> SummaryReport:
        """Write the summaries needed ahead of delivery: every paper to be pushed that
        lacks one in a wanted language (``langs``, default: the subscribers' and
        channels' languages), first seen since someone reads that language. With
        ``paper_ids``: exactly those papers (archived ones too)."""
        selected_at = time.monotonic()
        wanted = list(dict.fromkeys(langs)) if langs else sstore.wanted_languages(
            self.db, self.config)
        unknown = [lang for lang in wanted if lang not in LANG_NAMES]
        if unknown:
            raise ValueError(f"unsupported language {unknown[0]!r} (supported: "
                             f"{', '.join(LANG_NAMES)})")
        # messages older than the edit window will never be edited: forget them
        fstore.purge(self.db, before=fstore.window_start())
        if not wanted:
            log.info("no subscriber or channel language: nothing to summarize")
            return SummaryReport()
        ids = [normalize_paper_id(p) for p in paper_ids] if paper_ids is not None else None
        report, upgraded = SummaryReport(), []
        # the work comes a batch at a time, read and checked on a worker thread with its
        # own connection: memory stays flat and the loop (the bot) stays free
        side = OffLoop(self.db)
        try:
            if ids is not None:
                batches = given_pairs(side, self.config, wanted, ids, model=self.model)
            else:
                batches = queued_pairs(side, self.config, wanted, model=self.model)
            async for work in batches:
                upgraded += await self._write(work, report, urgent=False,
                                              selected_at=selected_at, side=side)
        finally:
            side.close()
        if report.calls or report.fallbacks or report.skipped:
            self._log(report, urgent=False)
        await self._upgraded(upgraded)
        return report

    async def on_demand(self, arxiv_ids: Sequence[str], lang: str) -> SummaryReport:
        """Someone is about to read ``arxiv_ids`` in ``lang``: write the summaries they
        lack now (archived papers included). Without a model: nothing (readers get the
        fallback layout)."""
        selected_at = time.monotonic()
        ids = [normalize_paper_id(p) for p in arxiv_ids]
        if self.client is None or lang not in LANG_NAMES or not ids:
            return SummaryReport()
        work = [(pid, lang) for pid in self._needing(lang, paper_ids=ids)]
        return await self._run(work, urgent=True, selected_at=selected_at)

    async def for_waiting_messages(self, *, since: str) -> SummaryReport:
        """On demand for the papers that messages sent at/after ``since`` (a delivery
        round, a digest) showed with the fallback layout."""
        by_lang: dict[str, list[str]] = {}
        for arxiv_id, lang in fstore.waiting_pairs(self.db, since=since):
            by_lang.setdefault(lang, []).append(arxiv_id)
        total = SummaryReport()
        for lang, ids in by_lang.items():
            report = await self.on_demand(ids, lang)
            total.calls += report.calls
            total.written += report.written
        return total

    # -- writing ----------------------------------------------------------------------
    async def _run(self, work: list[tuple[str, str]], *, urgent: bool,
                   selected_at: float) -> SummaryReport:
        report = SummaryReport()
        if not work:
            return report
        upgraded = await self._write(work, report, urgent=urgent, selected_at=selected_at)
        self._log(report, urgent=urgent)
        await self._upgraded(upgraded)
        return report

    async def _write(self, work: list[tuple[str, str]], report: SummaryReport, *,
                     urgent: bool, selected_at: float,
                     side: OffLoop | None = None) -> list[tuple[str, str]]:
        """Write ``work`` into ``report``; the pairs that got a good summary. With ``side``
        the store reads and the fallback writes run on its worker thread."""
        if side is None:
            papers = sstore.paper_inputs(self.db, [pid for pid, _ in work])
        else:
            papers = await side(sstore.paper_inputs, [pid for pid, _ in work])
        work = [(pid, lang) for pid, lang in work if pid in papers]
        if self.writer is None:
            items = [(papers[pid], lang) for pid, lang in work]
            report.fallbacks += (_store_fallbacks(self.db, items) if side is None
                                 else await side(_store_fallbacks, items))
            return []
        inputs = {pid: paper_input(data) for pid, data in papers.items()}
        upgraded: list[tuple[str, str]] = []
        queue = iter(work)

        async def worker() -> None:
            for pid, lang in queue:
                if await self._one(inputs[pid], lang, papers[pid]["primary_count"], report,
                                   urgent=urgent, selected_at=selected_at):
                    upgraded.append((pid, lang))

        workers = min(len(work), max(1, self.config.llm.concurrency))
        await asyncio.gather(*(worker() for _ in range(workers)))
        if self.writer.structured_known:
            report.structured_output = self.writer.structured
        return upgraded

    def _log(self, report: SummaryReport, *, urgent: bool) -> None:
        if self.writer is None:
            log.info("no LLM configured: %d fallback summaries stored", report.fallbacks)
        else:
            log.info("summarize%s: %s", " (on demand)" if urgent else "", report.line())

    async def _upgraded(self, upgraded: list[tuple[str, str]]) -> None:
        if upgraded and self.on_upgraded is not None:
            try:
                await self.on_upgraded(upgraded)
            except Exception:  # editing old messages must not fail the step
                log.exception("could not update the messages waiting for these summaries")

    async def _one(self, paper: Any, lang: str, mentions_count: int, report: SummaryReport,
                   *, urgent: bool, selected_at: float) -> bool:
        """Write one pair unless it is being written (wait for it) or was written since
        it was selected. True when a good summary is stored."""
        key = (paper.arxiv_id, lang)
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        finished = self._finished.get(key)
        if finished is not None and finished[0] >= selected_at:
            return finished[1]
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        ok = False
        try:
            async with self.slots.hold(urgent):
                ok = await self.writer.write(paper, lang, mentions_count, report)
        finally:
            del self._inflight[key]
            future.set_result(ok)
            self._remember(key, ok)
        return ok

    def _remember(self, key: tuple[str, str], ok: bool) -> None:
        now = time.monotonic()
        self._finished[key] = (now, ok)
        if len(self._finished) > 10_000:  # only recent outcomes matter (see _one)
            self._finished = {k: v for k, v in self._finished.items() if now - v[0] < 3600}


def _store_fallbacks(db: Any, items: list[tuple[dict, str]]) -> int:
    """Fallback summaries for (paper inputs, language) pairs in one short transaction
    (built before it: the write lock is held for the writes only). Returns how many."""
    built = [(data, lang, fallback_summary(paper_input(data), lang).as_dict())
             for data, lang in items]
    with store.transaction(db):
        for data, lang, fields in built:
            sstore.save_summary(db, arxiv_id=data["arxiv_id"], lang=lang, model=FALLBACK_MODEL,
                                prompt_version=PROMPT_VERSION, fields=fields, lang_ok=True,
                                mentions_count=data["primary_count"])
    return len(built)


async def summarize_pending(
    db: Any,
    *,
    config: Config,
    client: openai.AsyncOpenAI | None,
    langs: list[str] | None = None,
    paper_ids: list[str] | None = None,
    on_alert: AlertFn | None = None,
) -> SummaryReport:
    """One scheduled run (see :meth:`Summarizer.pending`). ``client=None`` stores fallback
    summaries only. ``on_alert(key, message)`` is awaited once when the daily token
    budget is spent."""
    summarizer = Summarizer(db, config=config, client=client, on_alert=on_alert)
    return await summarizer.pending(langs=langs, paper_ids=paper_ids)


def summarize_sync(db: Any, *, config: Config, secrets: Secrets,
                   langs: Sequence[str] | None = None,
                   paper_ids: Sequence[str] | None = None) -> SummaryReport:
    """Build the client, run the step once, close the client (for the CLI)."""

    async def run() -> SummaryReport:
        client = build_client(config, secrets)
        try:
            return await summarize_pending(
                db, config=config, client=client, langs=list(langs) if langs else None,
                paper_ids=list(paper_ids) if paper_ids else None)
        finally:
            if client is not None:
                await client.close()

    return asyncio.run(run())
