"""Seeding helpers for the summarize tests and benchmark: papers and mentions go in
through the crawl store (``save_post`` + ``record_extraction``), as the crawler writes
them; arXiv metadata goes in as enrichment would write it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from crawler.models import FoundPaper, Post
from jobs import store
from jobs.config import Channel, Config, LLMConfig, Source, TelegramConfig
from jobs.store import crawl as crawl_store

SOURCES = [
    Source(name="rosinality", kind="rss", url="https://rosinality.substack.com/feed", lang="ko"),
    Source(name="pytorch-kr-weekly", kind="discourse", url="https://discuss.pytorch.kr/c/14.json",
           lang="ko"),
    Source(name="csdn-zhipu-weekly", kind="html", url="https://blog.csdn.net/Zhipu_AI",
           lang="zh", link_selector="a"),
    Source(name="titanida", kind="html", url="https://titanida.com/", lang="ru",
           link_selector="a"),
    Source(name="hf-papers-en", kind="rss", url="https://example.org/feed", lang="en"),
]

BLOG_TEXT = {
    "ko": "이 논문은 긴 문맥에서도 효율적으로 동작하는 새로운 어텐션 방법을 제안합니다. "
          "실험 결과가 인상적이며 코드도 공개되었습니다.",
    "zh": "本文提出了一种在长上下文中高效运行的新注意力机制，实验结果令人印象深刻，代码已开源。",
    "ru": "Авторы предлагают новый механизм внимания для длинного контекста. Результаты "
          "впечатляют, код открыт.",
    "en": "The authors propose a new attention mechanism that scales to long contexts. The "
          "results are impressive and the code is released.",
    "ja": "著者らは長い文脈でも効率よく動く新しいアテンション機構を提案しています。",
}

ABSTRACT = (
    "We present a new attention mechanism that scales linearly with sequence length. "
    "On long-context benchmarks it matches full attention while using a fraction of the "
    "memory. We release code and models. Further experiments show gains on retrieval."
)


def make_config(base_url: str | None = None, *, channels: Sequence[str] = (),
                **llm: object) -> Config:
    """A config for tests: the LLM at ``base_url``, fast timeouts, ``channels`` languages."""
    llm_cfg = dataclasses.replace(
        LLMConfig(base_url=base_url, model="stub-model", timeout_seconds=5.0, max_retries=0,
                  prices={"stub-model": {"input": 1.0, "output": 2.0}}), **llm)
    telegram = TelegramConfig(channels=[Channel(chat_id=-100 - i, lang=lang)
                                        for i, lang in enumerate(channels)])
    return Config(llm=llm_cfg, telegram=telegram, sources=list(SOURCES))


def prepare(db, sources: Sequence[Source] = SOURCES) -> None:
    crawl_store.sync_sources(db, sources)


_post_counter = [0]


def add_post(db, *, source: str, lang: str, papers: Sequence[tuple[str, str]],
             text: str | None = None, url: str | None = None,
             role: str = "primary") -> str:
    """One blog post mentioning ``papers`` [(arxiv_id, entry_title)]; returns its URL."""
    _post_counter[0] += 1
    url = url or f"https://{source}.example.org/posts/{_post_counter[0]}"
    found = [FoundPaper(arxiv_id=pid, role=role, title=title, text=text or BLOG_TEXT[lang],
                        lang=lang) for pid, title in papers]
    html = "".join(f'<p>{f.text} <a href="https://arxiv.org/abs/{f.arxiv_id}">{f.title}</a></p>'
                   for f in found)
    _status, post_id = crawl_store.save_post(
        db, Post(url=url, source=source, title=f"post {_post_counter[0]}", html=html, lang=lang))
    crawl_store.record_extraction(db, post_id, found, extractor_version=1)
    return url


def enrich(db, arxiv_id: str, *, title: str, abstract: str = ABSTRACT) -> None:
    """What arXiv enrichment writes (title, authors, abstract, categories)."""
    db["papers"].update(arxiv_id, {
        "title": title, "abstract": abstract, "authors": store.dumps(["A. Author", "B. Author"]),
        "categories": store.dumps(["cs.CL", "cs.LG"]), "enriched_at": store.utcnow()})


LONG_AGO = "2000-01-01T00:00:00+00:00"


def add_subscriber(db, chat_id: int, lang: str, *, active: bool = True,
                   since: str = LONG_AGO) -> None:
    """A subscriber reading ``lang`` since ``since`` (default: long before any paper, so
    every new paper is pushed to them and summarized ahead in their language)."""
    db["subscribers"].insert({"chat_id": chat_id, "kind": "private", "lang": lang,
                              "active": int(active), "subscribed_at": since,
                              "lang_since": since})
