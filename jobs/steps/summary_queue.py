"""Which (paper, language) pairs the scheduled summarize run works on, a batch at a time.

The pairs come from the summarize queue (:mod:`jobs.store.summary_due`), newest paper
first, languages interleaved; each batch is checked exactly against the summaries
(:func:`jobs.store.summaries.papers_needing_summary`: papers to be pushed, first seen
since someone reads the language) before anything is written. Every store call goes
through :class:`~jobs.store.offloop.OffLoop` (a worker thread with its own connection),
so neither memory nor the loop's latency depends on how much is due.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from jobs.config import Config
from jobs.steps.prompts import FALLBACK_MODEL, PROMPT_VERSION
from jobs.store import summaries as sstore
from jobs.store import summary_due as queue
from jobs.store.offloop import OffLoop

# Calls that failed for one (paper, language) today before it waits for tomorrow
# (each failed run costs at most two calls: the first try and one retry).
MAX_FAILED_CALLS_PER_DAY = 4
BATCH = 100  # (paper, language) pairs per language read at a time

Pairs = list[tuple[str, str]]


def needing(db: Any, lang: str, ids: Sequence[str], *, config: Config, model: str,
            pushable_since: str | None = None, pushable_only: bool = False,
            failed_today: bool = True) -> list[str]:
    """Which of ``ids`` need a summary in ``lang`` from ``model`` now (``failed_today``:
    papers whose calls failed too often today wait for tomorrow)."""
    return sstore.papers_needing_summary(
        db, lang=lang, model=model, prompt_version=PROMPT_VERSION, paper_ids=list(ids),
        resummarize_on_new_mention=config.llm.resummarize_on_new_mention,
        max_failed_calls_per_day=MAX_FAILED_CALLS_PER_DAY if failed_today else None,
        pushable_only=pushable_only, pushable_since=pushable_since)


def interleave(per_lang: list[tuple[str, list[str]]]) -> Pairs:
    """Newest papers first, languages interleaved (a spent budget hurts no language alone)."""
    return [(pids[i], lang) for i in range(max((len(p) for _, p in per_lang), default=0))
            for lang, pids in per_lang if i < len(pids)]


async def given_pairs(side: OffLoop, config: Config, wanted: list[str], ids: list[str], *,
                      model: str) -> AsyncIterator[Pairs]:
    """``summarize --paper``: the named papers (archived ones too) that need a summary."""
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        if work := interleave([(lang, await side(needing, lang, chunk, config=config,
                                                 model=model)) for lang in wanted]):
            yield work


def _checked_batch(db: Any, lang: str, *, below: queue.Position | None, config: Config,
                   model: str, since: str | None) -> tuple[list[str], queue.Position | None, int]:
    """The next queued papers of ``lang`` that need a summary now; pairs that need none
    leave the queue. Returns (papers, position reached, pairs read)."""
    fallback = model == FALLBACK_MODEL
    rows = queue.due_batch(db, lang, below=below, limit=BATCH, without_summary=fallback)
    if not rows:
        return [], below, 0
    reached = (rows[-1][1], rows[-1][0])
    ids = [r[0] for r in rows]
    opts = {"config": config, "pushable_only": True, "pushable_since": since}
    if fallback:  # no model: a fallback where there is none; the pairs stay queued
        return needing(db, lang, ids, model=model, **opts), reached, len(rows)
    needed = needing(db, lang, ids, model=model, failed_today=False, **opts)
    keep = set(needed)
    queue.drop_due(db, lang, [i for i in ids if i not in keep])
    # papers whose calls kept failing today stay queued for tomorrow
    return needing(db, lang, needed, model=model, **opts), reached, len(rows)


def _targets(db: Any, wanted: list[str], config: Config) -> tuple[dict[str, str | None],
                                                                    list[str]]:
    floors = sstore.push_since(db)
    floors = {lang: floors.get(lang) for lang in wanted}
    filling = queue.sync_targets(
        db, floors, model=config.llm.model, prompt_version=PROMPT_VERSION,
        resummarize=config.llm.resummarize_on_new_mention)
    return floors, filling


async def queued_pairs(side: OffLoop, config: Config, wanted: list[str], *,
                       model: str) -> AsyncIterator[Pairs]:
    """Rounds of queued pairs, BATCH per language, walking each language's queue once
    from its newest paper; a language whose papers are still being queued gets the next
    chunk queued as the walk goes."""
    floors, filling_now = await side(_targets, wanted, config)
    filling = set(filling_now)
    below: dict[str, queue.Position | None] = {lang: None for lang in wanted}
    while below:
        per_lang = []
        for lang in list(below):
            if lang in filling and not await side(queue.fill_chunk, lang):
                filling.discard(lang)
            ids, below[lang], read = await side(_checked_batch, lang, below=below[lang],
                                                config=config, model=model,
                                                since=floors.get(lang))
            if read < BATCH and lang not in filling:
                del below[lang]
            per_lang.append((lang, ids))
        if work := interleave(per_lang):
            yield work
