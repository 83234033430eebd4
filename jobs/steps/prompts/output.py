"""The model's answer: what it must return (:class:`SummaryOut`, its JSON schema and the
``response_format``), reading a reply (:func:`parse_output`), cleaning it into bounded
plain-text :class:`SummaryFields`, and the per-field language check."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobs.steps.prompts.inputs import LANG_NAMES
from jobs.steps.prompts.text import URL_PATTERN, plain_text, truncate

MAX_TITLE = 300
MAX_TLDR = 500
MAX_POINT = 280
MAX_POINTS = 3
MAX_BLOGS_SAID = 700


class InvalidOutput(ValueError):
    """The model's answer is not a usable summary (bad JSON, missing or empty fields)."""


class SummaryOut(BaseModel):
    """What the model must return (also the JSON schema sent as ``response_format``)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="The paper title translated into the target language.")
    tldr: str = Field(description="One or two sentences: what the paper does and finds.")
    key_points: list[str] = Field(description="At most three short key points.")
    blogs_said: str = Field(
        description="One or two sentences on what the blogs wrote, naming each blog by "
        "its source name."
    )


def output_schema(lang: str | None = None) -> dict[str, Any]:
    """The JSON schema of the answer; with ``lang``, each field's description names the
    language it must be written in (models read the descriptions)."""
    schema = SummaryOut.model_json_schema()
    schema.pop("title", None)  # the model's class name, not a field
    props = schema["properties"]
    props["key_points"]["maxItems"] = MAX_POINTS
    schema["additionalProperties"] = False
    if lang is not None:
        name = LANG_NAMES[lang]
        props["title"]["description"] = f"The paper title translated into {name}."
        props["tldr"]["description"] = (f"One or two sentences in {name}: what the paper "
                                        "does and finds.")
        props["key_points"]["description"] = f"At most three short key points, each in {name}."
        props["key_points"]["items"]["description"] = f"One key point, written in {name}."
        props["blogs_said"]["description"] = (
            f"One or two sentences in {name} on what the blogs wrote, naming each blog by "
            "its source name.")
    return schema


def response_format(lang: str | None = None) -> dict[str, Any]:
    """The ``response_format`` argument for structured output (strict JSON schema)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "paper_summary", "strict": True,
                        "schema": output_schema(lang)},
    }


_JSON_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S | re.I)


def parse_output(content: str | None) -> SummaryOut:
    """The model's reply (structured, or JSON somewhere in text) as a validated model."""
    if not content or not content.strip():
        raise InvalidOutput("empty reply")
    text = content.strip()
    candidates = [text]
    fenced = _JSON_FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1))
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    last_error: Exception | None = None
    for cand in candidates:
        try:
            data = json.loads(cand)
        except json.JSONDecodeError as exc:
            last_error = exc
            continue
        if isinstance(data, dict):
            # Tolerate a few extra keys from lenient servers; the fields we need must be there.
            data = {k: v for k, v in data.items() if k in SummaryOut.model_fields}
        try:
            return SummaryOut.model_validate(data)
        except ValidationError as exc:
            last_error = exc
    raise InvalidOutput(f"not a summary object: {str(last_error)[:200]}")


@dataclass(frozen=True)
class SummaryFields:
    title: str
    tldr: str
    key_points: tuple[str, ...]
    blogs_said: str

    def text_for_lang_check(self) -> str:
        body = " ".join([self.title, self.tldr, *self.key_points, self.blogs_said])
        return URL_PATTERN.sub(" ", body)

    def fields_for_lang_check(self) -> list[tuple[str, str]]:
        """(name, text) of each field whose language is checked: the TL;DR, each key
        point and what the blogs said (the title may rightly keep the paper's English)."""
        return [("tldr", self.tldr),
                *((f"key_points[{i}]", p) for i, p in enumerate(self.key_points)),
                ("blogs_said", self.blogs_said)]

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "tldr": self.tldr, "key_points": list(self.key_points),
                "blogs_said": self.blogs_said}


def clean_output(out: SummaryOut, *, allowed_urls: set[str]) -> SummaryFields:
    """Validated model output → bounded plain-text fields (raises InvalidOutput)."""
    title = truncate(plain_text(out.title, allowed_urls), MAX_TITLE)
    tldr = truncate(plain_text(out.tldr, allowed_urls), MAX_TLDR)
    points = [truncate(plain_text(p, allowed_urls), MAX_POINT) for p in out.key_points]
    points = tuple(p for p in points if p)[:MAX_POINTS]
    blogs = truncate(plain_text(out.blogs_said, allowed_urls), MAX_BLOGS_SAID)
    if not title or not tldr:
        raise InvalidOutput("title or tldr is empty after cleaning")
    return SummaryFields(title=title, tldr=tldr, key_points=points, blogs_said=blogs)


# Fields with fewer letters than this are not language-checked: a key point such as
# "RLHF, DPO, PPO" is in no language.
MIN_LETTERS_FOR_LANG_CHECK = 12


def wrong_language_fields(fields: SummaryFields, lang: str,
                          detect: Callable[[str], str | None],
                          names: Iterable[str] = ()) -> list[str]:
    """The checked fields (see ``fields_for_lang_check``) that ``detect`` finds in
    another language than ``lang``. ``names`` (the blogs' source names) are left out of
    the text checked."""
    names = [n for n in names if n]
    bad = []
    for field_name, value in fields.fields_for_lang_check():
        sample = URL_PATTERN.sub(" ", value)
        for n in names:
            sample = sample.replace(n, " ")
        if sum(ch.isalpha() for ch in sample) < MIN_LETTERS_FOR_LANG_CHECK:
            continue
        got = detect(sample)
        if got is not None and got != lang:
            bad.append(field_name)
    return bad
