"""The LLM client: one ``AsyncOpenAI`` for any OpenAI-compatible endpoint."""

from __future__ import annotations

import openai

from jobs.config import Config, Secrets


def build_client(config: Config, secrets: Secrets) -> openai.AsyncOpenAI | None:
    """The LLM client, or None when there is neither an API key nor a base URL (then
    only fallback summaries are written). ``[llm] base_url`` wins over
    ``$OPENAI_BASE_URL``; a local server without a key gets a placeholder key."""
    base_url = config.llm.base_url or secrets.openai_base_url
    api_key = secrets.openai_api_key
    if not api_key and not base_url:
        return None
    return openai.AsyncOpenAI(
        api_key=api_key or "no-key",
        base_url=base_url or None,
        timeout=config.llm.timeout_seconds,
        max_retries=config.llm.max_retries,
    )
