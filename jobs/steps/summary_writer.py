"""Writing one summary: (paper, language) → one stored summary, through any
OpenAI-compatible endpoint (``AsyncOpenAI``).

Structured output (``response_format`` with a JSON schema) is asked for, and when the
endpoint refuses it the writer switches to JSON-in-text for that client; both are
validated with the same pydantic model and cleaned (links, markup, lengths) by
:mod:`jobs.steps.prompts`. Invalid output is retried once. The language is checked per
field (TL;DR, each key point, what the blogs said) with the detector; output in the
wrong language is retried once with a firmer instruction, then stored flagged
(``lang_ok = 0``): it is never shown as a summary (readers get the fallback layout) and
a later run tries again, at most ``MAX_FLAGGED_RUNS`` runs. A daily token budget
(``[llm] daily_token_budget``, UTC day) stops calling when spent: the admins are
alerted once and calling resumes the next day.

Without a model, when the model keeps failing for a paper or when the budget is spent,
a fallback summary (``model = 'fallback'``) is stored so delivery is never stuck; a
later run upgrades it to a model-written one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import openai

from crawler.lang import detect_lang
from jobs.config import Config
from jobs.steps.prompts import (
    FALLBACK_MODEL,
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
    wrong_language_fields,
)
from jobs.store import summaries as sstore

log = logging.getLogger("paperbot.summarize")

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


def _is_structured_unsupported(exc: openai.APIStatusError) -> bool:
    if exc.status_code not in (400, 422, 501):
        return False
    text = f"{exc.message} {exc.body}".lower()
    return any(word in text for word in ("response_format", "json_schema", "structured output",
                                         "guided_json", "json schema"))


def paper_input(data: dict) -> PaperInput:
    """A ``paper_inputs`` row as the prompt builder's input."""
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


class Writer:
    """Calls the model for one (paper, language) at a time and stores the outcome. One
    per process: it remembers whether the endpoint takes structured output."""

    def __init__(self, db: Any, config: Config, client: openai.AsyncOpenAI,
                 on_alert: AlertFn | None = None) -> None:
        self.db = db
        self.llm = config.llm
        self.client = client
        self.on_alert = on_alert
        # Structured output: assumed until the endpoint refuses it; the first call
        # probes alone (under a lock) so a refusing endpoint is asked only once.
        self.structured = self.llm.structured_output
        self.structured_known = not self.llm.structured_output
        self._probe = asyncio.Lock()

    # -- budget
    async def budget_spent(self, report: SummaryReport) -> bool:
        budget = self.llm.daily_token_budget
        if budget <= 0:  # 0 = no limit
            return False
        day = sstore.utc_day()
        used = sstore.tokens_used(self.db, day)
        if used < budget:
            return False
        if not report.budget_exhausted:
            report.budget_exhausted = True
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
    async def _request(self, paper: PaperInput, lang: str, report: SummaryReport, *,
                       structured: bool, firm: bool, invalid_before: bool
                       ) -> tuple[str, int, int]:
        kwargs: dict[str, Any] = {
            "model": self.llm.model,
            "messages": build_messages(paper, lang, structured=structured, firm_lang=firm,
                                       invalid_before=invalid_before),
        }
        if structured:
            kwargs["response_format"] = response_format(lang)
        report.calls += 1
        try:
            resp = await self.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            if structured and _is_structured_unsupported(exc):
                self._usage(paper, lang, report, 0, 0, "unsupported")
                raise _StructuredUnsupported(str(exc)) from exc
            self._usage(paper, lang, report, 0, 0, "error")
            raise _LLMFailure(f"HTTP {exc.status_code}: {exc.message}"[:300]) from exc
        except openai.APITimeoutError as exc:
            self._usage(paper, lang, report, 0, 0, "timeout")
            raise _LLMFailure(f"timed out after {self.llm.timeout_seconds}s") from exc
        except openai.OpenAIError as exc:
            self._usage(paper, lang, report, 0, 0, "error")
            raise _LLMFailure(f"{type(exc).__name__}: {exc}"[:300]) from exc
        usage = resp.usage
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        content = resp.choices[0].message.content if resp.choices else None
        return content or "", prompt_tokens, completion_tokens

    async def _call(self, paper: PaperInput, lang: str, report: SummaryReport, *, firm: bool,
                    invalid_before: bool) -> tuple[str, int, int]:
        opts = {"firm": firm, "invalid_before": invalid_before}
        if not self.structured_known:
            async with self._probe:
                if not self.structured_known:
                    try:
                        out = await self._request(paper, lang, report, structured=True, **opts)
                    except _StructuredUnsupported:
                        log.warning("%s does not support structured output: using JSON in "
                                    "text from now on", self.client.base_url)
                        self.structured = False
                        self.structured_known = True
                    else:
                        self.structured_known = True
                        return out
        try:
            return await self._request(paper, lang, report, structured=self.structured, **opts)
        except _StructuredUnsupported as exc:  # refused later on (config said structured)
            self.structured = False
            raise _LLMFailure("structured output refused") from exc

    def _usage(self, paper: PaperInput, lang: str, report: SummaryReport, prompt: int,
               completion: int, outcome: str) -> None:
        report.prompt_tokens += prompt
        report.completion_tokens += completion
        sstore.record_usage(self.db, arxiv_id=paper.arxiv_id, lang=lang, model=self.llm.model,
                            prompt_tokens=prompt, completion_tokens=completion,
                            outcome=outcome)

    # -- one (paper, language)
    async def write(self, paper: PaperInput, lang: str, mentions_count: int,
                    report: SummaryReport) -> bool:
        """Summarize ``paper`` in ``lang`` and store the outcome. True when a good summary
        (model-written, right language) was stored."""
        if await self.budget_spent(report):
            report.skipped += 1
            store_fallback_if_none(self.db, paper, lang, mentions_count, report)
            return False
        firm = invalid_before = False
        spent = [0, 0]
        best: SummaryFields | None = None
        sources = [m.source for m in paper.mentions]
        for attempt in range(2):
            if attempt and await self.budget_spent(report):
                break
            try:
                content, p_tok, c_tok = await self._call(paper, lang, report, firm=firm,
                                                         invalid_before=invalid_before)
            except _LLMFailure as exc:
                log.warning("summary %s [%s] failed: %s", paper.arxiv_id, lang, exc)
                break
            spent[0] += p_tok
            spent[1] += c_tok
            try:
                fields = clean_output(parse_output(content), allowed_urls=paper.allowed_urls)
            except InvalidOutput as exc:
                self._usage(paper, lang, report, p_tok, c_tok, "invalid")
                log.info("summary %s [%s]: invalid output (%s)%s", paper.arxiv_id, lang, exc,
                         ", retrying" if attempt == 0 else "")
                invalid_before = True
                continue
            wrong = wrong_language_fields(fields, lang, detect_lang, sources)
            if wrong:
                self._usage(paper, lang, report, p_tok, c_tok, "wrong-lang")
                log.info("summary %s [%s]: %s not in the target language%s", paper.arxiv_id,
                         lang, ", ".join(wrong),
                         ", retrying with a firmer instruction" if attempt == 0 else "")
                best = fields
                firm = True
                continue
            self._usage(paper, lang, report, p_tok, c_tok, "ok")
            self._save(paper, lang, fields, True, mentions_count, spent)
            report.written += 1
            return True
        if best is not None:  # valid, but in the wrong language twice: stored flagged
            report.flagged += 1
            report.written += 1
            self._save(paper, lang, best, False, mentions_count, spent)
            return False
        report.failed += 1
        store_fallback_if_none(self.db, paper, lang, mentions_count, report)
        return False

    def _save(self, paper: PaperInput, lang: str, fields: SummaryFields, lang_ok: bool,
              mentions_count: int, spent: list[int]) -> None:
        sstore.save_summary(
            self.db, arxiv_id=paper.arxiv_id, lang=lang, model=self.llm.model,
            prompt_version=PROMPT_VERSION, fields=fields.as_dict(), lang_ok=lang_ok,
            mentions_count=mentions_count, prompt_tokens=spent[0], completion_tokens=spent[1])


def store_fallback_if_none(db: Any, paper: PaperInput, lang: str, mentions_count: int,
                           report: SummaryReport) -> None:
    """A fallback only where the reader would otherwise get nothing."""
    if sstore.has_summary(db, paper.arxiv_id, lang):
        return
    store_fallback(db, paper, lang, mentions_count)
    report.fallbacks += 1


def store_fallback(db: Any, paper: PaperInput, lang: str, mentions_count: int) -> None:
    sstore.save_summary(
        db, arxiv_id=paper.arxiv_id, lang=lang, model=FALLBACK_MODEL,
        prompt_version=PROMPT_VERSION, fields=fallback_summary(paper, lang).as_dict(),
        lang_ok=True, mentions_count=mentions_count)
