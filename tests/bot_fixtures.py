"""Shared helpers for the bot / delivery tests (seed data through the store functions,
run the real PTB Application against the local Telegram stub)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from crawler.models import FoundPaper, Post
from jobs.config import Config, parse_config
from jobs.store import crawl as crawl_store
from jobs.store import delivery as ledger
from jobs.store import subscribers as subs

TOKEN = "123456:TEST-token-for-the-stub"


def make_config(stub, state_dir: Path | str = "state", *, llm: dict | None = None,
                **telegram) -> Config:
    """Telegram at the local stub; ``llm``: the ``[llm]`` table (e.g. the local
    OpenAI-compatible server's base_url)."""
    tg = {"api_base_url": stub.base_url, "api_base_file_url": stub.base_file_url,
          "max_messages_per_second": 1000.0, "per_chat_messages_per_second": 100.0}
    tg.update(telegram)
    data = {"state_dir": str(state_dir), "telegram": tg, "sources": [
        {"name": "blog-ko", "kind": "rss", "url": "https://example.org/feed", "lang": "ko"}]}
    if llm is not None:
        data["llm"] = llm
    return parse_config(data, env={})


def seed_paper(db, arxiv_id: str, *, title: str = "A paper", langs: Sequence[str] = ("en",),
               categories: Sequence[str] = ("cs.CL",), blog_text: str = "The blog liked it.",
               post_title: str | None = None, notify: bool = True, primary: bool = True,
               tldr: str | None = None, key_points: Sequence[str] = ("Point one", "Point two"),
               authors: Sequence[str] = ("Ada Lovelace", "Alan Turing"),
               source: str = "blog-ko") -> None:
    crawl_store.sync_sources(db, [type("S", (), {"name": source, "kind": "rss",
                                                  "url": "https://example.org/feed",
                                                  "lang": "ko"})()])
    url = f"https://example.org/posts/{arxiv_id}"
    post = Post(url=url, source=source, title=post_title or f"Post about {arxiv_id}",
                html=f'<p><a href="https://arxiv.org/abs/{arxiv_id}">x</a></p>', lang="ko")
    _, post_id = crawl_store.save_post(db, post, notify=notify)
    crawl_store.record_extraction(db, post_id, [FoundPaper(
        arxiv_id=arxiv_id, role="primary" if primary else "reference", title=title,
        text=blog_text, lang="ko")], extractor_version=1)
    ledger.set_paper_metadata(db, arxiv_id, title=title, authors=list(authors),
                              categories=list(categories), abstract=f"Abstract of {title}.")
    for lang in langs:  # model-written summaries (a fallback one gets the fallback layout)
        ledger.insert_summary_row(db, arxiv_id, lang, title=title,
                                  tldr=tldr or f"[{lang}] {title} in one line.",
                                  key_points=list(key_points), blogs_said=f"[{lang}] {blog_text}",
                                  model="test-model", is_fallback=False)


def add_subscribers(db, chat_ids, *, lang: str = "en", mode: str = "instant",
                    topics: Sequence[str] = (), digest_hour: int = 9, tz: str = "UTC",
                    now: str | None = None) -> None:
    for chat_id in chat_ids:
        subs.subscribe(db, chat_id, lang=lang, now=now)
        values = {}
        if mode != "instant":
            values.update(mode=mode, digest_hour=digest_hour, tz=tz)
        if topics:
            values["topics"] = list(topics)
        if values:
            subs.update_settings(db, chat_id, **values)


@contextlib.asynccontextmanager
async def running_app(stub, db, config) -> AsyncIterator:
    # imported here: the delivery benchmark seeds through this module and sends with the
    # send-only bot, so loading the command handlers would count in its memory
    from bot.app import build_application, start_bot, stop_bot

    app = build_application(config=config, token=TOKEN, db=db)
    await start_bot(app, poll_timeout=1)
    try:
        yield app
    finally:
        await stop_bot(app)
