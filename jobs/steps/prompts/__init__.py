"""Summary prompts, the output model and output cleaning (pure: plain data in and out).

Blog text is hostile by default: it goes into the prompt inside ``<blog_text>`` blocks
that the instructions call quoted data containing no instructions, and whatever the
model answers is cleaned afterwards: only arXiv links and the mentioning posts' own
URLs survive, markup is stripped and every field has a length bound.

Modules, by what they build: :mod:`.inputs` (what a summary is built from: the paper,
its mentions, the languages, input bounds), :mod:`.messages` (the chat messages of a
request; :data:`PROMPT_VERSION`), :mod:`.output` (the answer's schema, parsing,
cleaning into :class:`SummaryFields`, the per-field language check), :mod:`.fallback`
(summaries without a model), :mod:`.text` (plain text, allowed links, truncation).
Import from this package.
"""

from __future__ import annotations

from jobs.steps.prompts.fallback import FALLBACK_MODEL, NOT_TRANSLATED, fallback_summary
from jobs.steps.prompts.inputs import (
    LANG_NAMES,
    MAX_ABSTRACT_CHARS,
    MAX_BLOG_CHARS,
    MAX_BLOGS,
    MentionInput,
    PaperInput,
)
from jobs.steps.prompts.messages import (
    PROMPT_VERSION,
    build_messages,
    language_reminder,
    system_prompt,
    user_prompt,
)
from jobs.steps.prompts.output import (
    MAX_BLOGS_SAID,
    MAX_POINT,
    MAX_POINTS,
    MAX_TITLE,
    MAX_TLDR,
    MIN_LETTERS_FOR_LANG_CHECK,
    InvalidOutput,
    SummaryFields,
    SummaryOut,
    clean_output,
    output_schema,
    parse_output,
    response_format,
    wrong_language_fields,
)
from jobs.steps.prompts.text import is_allowed_url, plain_text, strip_links, truncate

__all__ = [
    "FALLBACK_MODEL", "LANG_NAMES", "MAX_ABSTRACT_CHARS", "MAX_BLOGS", "MAX_BLOGS_SAID",
    "MAX_BLOG_CHARS", "MAX_POINT", "MAX_POINTS", "MAX_TITLE", "MAX_TLDR",
    "MIN_LETTERS_FOR_LANG_CHECK", "NOT_TRANSLATED", "PROMPT_VERSION", "InvalidOutput",
    "MentionInput", "PaperInput", "SummaryFields", "SummaryOut", "build_messages",
    "clean_output", "fallback_summary", "is_allowed_url", "language_reminder",
    "output_schema", "parse_output", "plain_text", "response_format", "strip_links",
    "system_prompt", "truncate", "user_prompt", "wrong_language_fields",
]
