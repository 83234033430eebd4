"""The summarize step: one summary per (paper, language, model, prompt version), exactly once.

For every language someone reads (active subscribers and configured channels), each
paper with a primary mention gets one model-written summary through any
OpenAI-compatible endpoint (``AsyncOpenAI``). Structured output (``response_format``
with a JSON schema) is asked for, and when the endpoint refuses it the run switches to
JSON-in-text for that client; both are validated with the same pydantic model and
cleaned (links, markup, lengths) by :mod:`jobs.steps.prompts`. Invalid output is retried once;
output in the wrong language is retried once with a firmer instruction, then stored
flagged (``lang_ok = 0``). Calls go through a semaphore (``[llm] concurrency``) and a
daily token budget (``[llm] daily_token_budget``, UTC day): when it is spent, calling
stops, the admins are alerted once, and the step resumes the next day.

Without a model (no API key and no base URL), when the model keeps failing for a paper
or when the budget is spent, a fallback summary (``model = 'fallback'``) is stored so
delivery is never stuck; a later run upgrades it to a model-written one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from crawler.arxiv_ids import parse_arxiv_id
from crawler.lang import detect_lang
from jobs.clients.llm import build_client
from jobs.config import Config, Secrets
from jobs.steps.prompts import (
    FALLBACK_MODEL,
    LANG_NAMES,
    PROMPT_VERSION,
    InvalidOutput,
    MentionInput,
    PaperInput,
    SummaryFields,
    build_messages,
    clean_output,
    fallback_summary,
    parse_output,
    response_format,
)
from jobs.store import summaries as sstore

log = logging.getLogger("paperbot.summarize")

# Calls that failed for one (paper, language) today before it waits for tomorrow
# (each failed run costs at most two calls: the first try and one retry).
MAX_FAILED_CALLS_PER_DAY = 4

AlertFn = Callable[[str, str], Awaitable[None]]


@dataclass
class SummaryReport:
    calls: int = 0  # requests this step sent (the library's own retries not included)
    written: int = 0  # model-written summaries stored (flagged ones included)
    flagged: int = 0  # stored with lang_ok = 0 (still the wrong language after a retry)
    fallbacks: int = 0  # fallback summaries stored
    failed: int = 0  # (paper, language) pairs where the model failed → fallback
    skipped: int = 0  # not attempted: budget spent
    prompt_tokens: int = 0
    completion_tokens: int = 0
    budget_exhausted: bool = False
    structured_output: bool | None = None  # None: no call made / no model

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def tokens_per_summary(self) -> float:
        return self.tokens / self.written if self.written else 0.0

    def line(self) -> str:
        parts = [f"calls={self.calls}", f"summaries={self.written}",
                 f"flagged={self.flagged}", f"fallbacks={self.fallbacks}",
                 f"failed={self.failed}", f"skipped={self.skipped}", f"tokens={self.tokens}"]
        if self.budget_exhausted:
            parts.append("BUDGET SPENT")
        return " ".join(parts)


class _LLMFailure(Exception):
    """The endpoint failed for this request after the library's retries."""


class _StructuredUnsupported(Exception):
    pass


# --------------------------------------------------------------------------- language


def _is_structured_unsupported(exc: openai.APIStatusError) -> bool:
    if exc.status_code not in (400, 422, 501):
        return False
    text = f"{exc.message} {exc.body}".lower()
    return any(word in text for word in ("response_format", "json_schema", "structured output",
                                         "guided_json", "json schema"))


def _paper_input(data: dict) -> PaperInput:
    return PaperInput(
        arxiv_id=data["arxiv_id"],
        title=data.get("title"),
        abstract=data.get("abstract"),
        authors=tuple(data.get("authors") or ()),
        categories=tuple(data.get("categories") or ()),
        mentions=tuple(
            MentionInput(source=m["source"], url=m["url"], lang=m.get("lang"),
                         text=m.get("text") or "", entry_title=m.get("entry_title"),
                         role=m.get("role") or "primary")
            for m in data.get("mentions") or ()),
    )


# --------------------------------------------------------------------------- the run


class _Run:
    def __init__(self, db: Any, config: Config, client: openai.AsyncOpenAI,
                 on_alert: AlertFn | None, report: SummaryReport) -> None:
        self.db = db
        self.config = config
        self.llm = config.llm
        self.client = client
        self.on_alert = on_alert
        self.report = report
        self.sem = asyncio.Semaphore(max(1, self.llm.concurrency))
        # Structured output: assumed until the endpoint refuses it; the first call
        # probes alone (under a lock) so a refusing endpoint is asked only once per run.
        self.structured = self.llm.structured_output
        self.structured_known = not self.llm.structured_output
        self._probe = asyncio.Lock()

    # -- budget
    async def budget_spent(self) -> bool:
        budget = self.llm.daily_token_budget
        if budget <= 0:  # 0 = no limit
            return False
        day = sstore.utc_day()
        used = sstore.tokens_used(self.db, day)
        if used < budget:
            return False
        if not self.report.budget_exhausted:
            self.report.budget_exhausted = True
            if sstore.budget_alerted(self.db, day):
                log.info("LLM token budget for %s already spent and alerted", day)
            else:
                sstore.mark_budget_alerted(self.db, day)
                message = (f"LLM daily token budget spent: {used} of {budget} tokens on {day} "
                           "(UTC). Summaries stop until tomorrow; papers meanwhile get "
                           "untranslated fallback summaries.")
                if self.on_alert is None:
                    log.warning("%s", message)
                else:
                    try:
                        await self.on_alert(f"llm-budget-{day}", message)
                    except Exception:  # an alert channel failing must not stop the step
                        log.exception("could not send the budget alert")
        return True

    # -- one request
    async def _request(self, paper: PaperInput, lang: str, *, structured: bool, firm: bool,
                       invalid_before: bool) -> tuple[str, int, int]:
        kwargs: dict[str, Any] = {
            "model": self.llm.model,
            "messages": build_messages(paper, lang, structured=structured, firm_lang=firm,
                                       invalid_before=invalid_before),
        }
        if structured:
            kwargs["response_format"] = response_format()
        self.report.calls += 1
        try:
            resp = await self.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            if structured and _is_structured_unsupported(exc):
                self._usage(paper, lang, 0, 0, "unsupported")
                raise _StructuredUnsupported(str(exc)) from exc
            self._usage(paper, lang, 0, 0, "error")
            raise _LLMFailure(f"HTTP {exc.status_code}: {exc.message}"[:300]) from exc
        except openai.APITimeoutError as exc:
            self._usage(paper, lang, 0, 0, "timeout")
            raise _LLMFailure(f"timed out after {self.llm.timeout_seconds}s") from exc
        except openai.OpenAIError as exc:
            self._usage(paper, lang, 0, 0, "error")
            raise _LLMFailure(f"{type(exc).__name__}: {exc}"[:300]) from exc
        usage = resp.usage
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        content = resp.choices[0].message.content if resp.choices else None
        return content or "", prompt_tokens, completion_tokens

    async def call(self, paper: PaperInput, lang: str, *, firm: bool,
                   invalid_before: bool) -> tuple[str, int, int]:
        opts = {"firm": firm, "invalid_before": invalid_before}
        if not self.structured_known:
            async with self._probe:
                if not self.structured_known:
                    try:
                        out = await self._request(paper, lang, structured=True, **opts)
                    except _StructuredUnsupported:
                        log.warning("%s does not support structured output: using JSON in "
                                    "text for this run", self.client.base_url)
                        self.structured = False
                        self.structured_known = True
                    else:
                        self.structured_known = True
                        return out
        try:
            return await self._request(paper, lang, structured=self.structured, **opts)
        except _StructuredUnsupported as exc:  # refused later on (config said structured)
            self.structured = False
            raise _LLMFailure("structured output refused") from exc

    def _usage(self, paper: PaperInput, lang: str, prompt: int, completion: int,
               outcome: str) -> None:
        self.report.prompt_tokens += prompt
        self.report.completion_tokens += completion
        sstore.record_usage(self.db, arxiv_id=paper.arxiv_id, lang=lang, model=self.llm.model,
                            prompt_tokens=prompt, completion_tokens=completion,
                            outcome=outcome)

    # -- one (paper, language)
    async def summarize(self, paper: PaperInput, lang: str, mentions_count: int) -> None:
        async with self.sem:
            if await self.budget_spent():
                self.report.skipped += 1
                _store_fallback_if_none(self.db, paper, lang, mentions_count, self.report)
                return
            await self._summarize(paper, lang, mentions_count)

    async def _summarize(self, paper: PaperInput, lang: str, mentions_count: int) -> None:
        firm = invalid_before = False
        spent = [0, 0]
        best: SummaryFields | None = None
        for attempt in range(2):
            if attempt and await self.budget_spent():
                break
            try:
                content, p_tok, c_tok = await self.call(paper, lang, firm=firm,
                                                        invalid_before=invalid_before)
            except _LLMFailure as exc:
                log.warning("summary %s [%s] failed: %s", paper.arxiv_id, lang, exc)
                break
            spent[0] += p_tok
            spent[1] += c_tok
            try:
                fields = clean_output(parse_output(content), allowed_urls=paper.allowed_urls)
            except InvalidOutput as exc:
                self._usage(paper, lang, p_tok, c_tok, "invalid")
                log.info("summary %s [%s]: invalid output (%s)%s", paper.arxiv_id, lang, exc,
                         ", retrying" if attempt == 0 else "")
                invalid_before = True
                continue
            detected = detect_lang(fields.text_for_lang_check())
            if detected is not None and detected != lang:
                self._usage(paper, lang, p_tok, c_tok, "wrong-lang")
                log.info("summary %s [%s]: answer is in %s%s", paper.arxiv_id, lang, detected,
                         ", retrying with a firmer instruction" if attempt == 0 else "")
                best = fields
                firm = True
                continue
            self._usage(paper, lang, p_tok, c_tok, "ok")
            self._save(paper, lang, fields, True, mentions_count, spent)
            return
        if best is not None:  # valid, but in the wrong language twice: store it flagged
            self.report.flagged += 1
            self._save(paper, lang, best, False, mentions_count, spent)
            return
        self.report.failed += 1
        _store_fallback_if_none(self.db, paper, lang, mentions_count, self.report)

    def _save(self, paper: PaperInput, lang: str, fields: SummaryFields, lang_ok: bool,
              mentions_count: int, spent: list[int]) -> None:
        sstore.save_summary(
            self.db, arxiv_id=paper.arxiv_id, lang=lang, model=self.llm.model,
            prompt_version=PROMPT_VERSION, fields=fields.as_dict(), lang_ok=lang_ok,
            mentions_count=mentions_count, prompt_tokens=spent[0], completion_tokens=spent[1])
        self.report.written += 1


def _store_fallback_if_none(db: Any, paper: PaperInput, lang: str, mentions_count: int,
                            report: SummaryReport) -> None:
    """A fallback only where the reader would otherwise get nothing."""
    if sstore.has_summary(db, paper.arxiv_id, lang):
        return
    _store_fallback(db, paper, lang, mentions_count)
    report.fallbacks += 1


def _store_fallback(db: Any, paper: PaperInput, lang: str, mentions_count: int) -> None:
    sstore.save_summary(
        db, arxiv_id=paper.arxiv_id, lang=lang, model=FALLBACK_MODEL,
        prompt_version=PROMPT_VERSION, fields=fallback_summary(paper, lang).as_dict(),
        lang_ok=True, mentions_count=mentions_count)


def normalize_paper_id(value: str) -> str:
    """``arXiv:2401.01234v2`` / an arXiv URL → ``2401.01234``; anything else as given (it
    then matches no paper)."""
    return parse_arxiv_id(value.strip()) or value.strip()


async def summarize_pending(
    db: Any,
    *,
    config: Config,
    client: openai.AsyncOpenAI | None,
    langs: list[str] | None = None,
    paper_ids: list[str] | None = None,
    on_alert: AlertFn | None = None,
) -> SummaryReport:
    """Summarize every paper with a primary mention that lacks a summary in a wanted
    language (``langs``, default: the subscribers' and channels' languages), at most
    ``paper_ids`` when given. ``client=None`` stores fallback summaries only.
    ``on_alert(key, message)`` is awaited once when the daily token budget is spent."""
    report = SummaryReport()
    wanted = list(dict.fromkeys(langs)) if langs else sstore.wanted_languages(db, config)
    unknown = [lang for lang in wanted if lang not in LANG_NAMES]
    if unknown:
        raise ValueError(f"unsupported language {unknown[0]!r} (supported: "
                         f"{', '.join(LANG_NAMES)})")
    ids = [normalize_paper_id(p) for p in paper_ids] if paper_ids is not None else None
    if not wanted:
        log.info("no subscriber or channel language: nothing to summarize")
        return report
    model = FALLBACK_MODEL if client is None else config.llm.model
    work: list[tuple[str, str]] = []
    per_lang: list[list[str]] = []
    for lang in wanted:
        per_lang.append(sstore.papers_needing_summary(
            db, lang=lang, model=model, prompt_version=PROMPT_VERSION, paper_ids=ids,
            resummarize_on_new_mention=config.llm.resummarize_on_new_mention,
            max_failed_calls_per_day=MAX_FAILED_CALLS_PER_DAY))
    # newest papers first, languages interleaved (a spent budget hurts no language alone)
    for i in range(max((len(p) for p in per_lang), default=0)):
        for lang, pids in zip(wanted, per_lang, strict=True):
            if i < len(pids):
                work.append((pids[i], lang))
    if not work:
        return report
    papers = sstore.paper_inputs(db, [pid for pid, _ in work])
    if client is None:
        for pid, lang in work:
            _store_fallback(db, _paper_input(papers[pid]), lang, papers[pid]["primary_count"])
            report.fallbacks += 1
        log.info("no LLM configured: %d fallback summaries stored", report.fallbacks)
        return report
    run = _Run(db, config, client, on_alert, report)
    inputs = {pid: _paper_input(data) for pid, data in papers.items()}
    await asyncio.gather(*(
        run.summarize(inputs[pid], lang, papers[pid]["primary_count"]) for pid, lang in work))
    report.structured_output = run.structured if run.structured_known else None
    log.info("summarize: %s", report.line())
    return report


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
