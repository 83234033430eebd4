"""Summaries without a model: the first sentences of the English abstract and an excerpt
of each blog's own text, marked as not translated in the reader's language; stored
under the model name :data:`FALLBACK_MODEL`."""

from __future__ import annotations

from bot.render import first_sentences
from jobs.steps.prompts.inputs import MAX_BLOGS, PaperInput
from jobs.steps.prompts.output import MAX_BLOGS_SAID, MAX_TITLE, MAX_TLDR, SummaryFields
from jobs.steps.prompts.text import plain_text, truncate

FALLBACK_MODEL = "fallback"

# How a fallback summary says that a text was left in its original language.
NOT_TRANSLATED = {
    "en": "not translated",
    "ko": "번역되지 않음",
    "ja": "未翻訳",
    "zh": "未翻译",
    "ru": "не переведено",
}


def fallback_summary(paper: PaperInput, lang: str) -> SummaryFields:
    """A summary built without a model: the first sentences of the English abstract plus
    an excerpt of each blog's own text in its original language, marked as not translated
    in the reader's language."""
    marker = NOT_TRANSLATED.get(lang, NOT_TRANSLATED["en"])
    allowed = paper.allowed_urls
    mentions = paper.primary_mentions
    lead = first_sentences(plain_text(paper.abstract or "", allowed))
    lead_lang = "en"
    if not lead:
        for m in mentions:
            lead = first_sentences(plain_text(m.text, allowed))
            if lead:
                lead_lang = m.lang or ""
                break
    if not lead:
        lead = plain_text(paper.display_title, allowed)
        lead_lang = "en"
    tldr = lead if lead_lang == lang else f"[{marker}] {lead}"
    said = []
    for m in mentions[:MAX_BLOGS]:
        excerpt = truncate(plain_text(m.text, allowed), 200)
        if not excerpt:
            continue
        tag = "" if (m.lang or "") == lang else f" [{marker}]"
        said.append(f"{m.source}{tag}: “{excerpt}”")
    title = plain_text(paper.display_title, allowed) or f"arXiv:{paper.arxiv_id}"
    return SummaryFields(
        title=truncate(title, MAX_TITLE),
        tldr=truncate(tldr, MAX_TLDR),
        key_points=(),
        blogs_said=truncate(" ".join(said), MAX_BLOGS_SAID),
    )
