"""Benchmark: LLM calls paid vs. calls needed, against the local OpenAI-compatible stub
server (real ``AsyncOpenAI`` client), in the three situations of issue 12:

- a normal crawl: new papers × reader languages is the minimum (and the goal);
- a 300-paper backfill (archived papers): 0 calls until someone asks, then only what
  is asked for (a /latest window);
- a new language (a subscriber joins in it, or switches to it): no backlog, at most the
  /latest window;

plus tokens per summary on a seed-like data set.

    .venv/bin/python bench/summarize.py [--langs en,ko,ru] [--concurrency 4] [--backfill 300]

Papers and mentions go in through the crawl store (``save_post`` + ``record_extraction``)
the way the crawler writes them: four blogs (two Korean, one Chinese, one Russian) that
overlap on several papers, plus reference-only citations that must not be summarized.
Token counts are the stub's estimate (characters / 4), i.e. a measure of prompt size.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.models import FoundPaper, Post  # noqa: E402
from jobs import store  # noqa: E402
from jobs.clients.llm import build_client  # noqa: E402
from jobs.config import Secrets  # noqa: E402
from jobs.steps.summarize import Summarizer  # noqa: E402
from jobs.store import crawl as crawl_store  # noqa: E402
from jobs.store import subscribers as subs  # noqa: E402
from jobs.store import summaries as sstore  # noqa: E402
from tests.servers.openai import OpenAIStub  # noqa: E402
from tests.summarize_fixtures import add_post, enrich, make_config, prepare  # noqa: E402

LONG_AGO = "2000-01-01T00:00:00+00:00"

PAPERS = {
    "2305.18290": ("Direct Preference Optimization: Your Language Model is Secretly a Reward "
                   "Model", "DPO"),
    "2310.06825": ("Mistral 7B", "Mistral 7B"),
    "2312.00752": ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces", "Mamba"),
    "2401.04088": ("Mixtral of Experts", "Mixtral"),
    "2402.03300": ("DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open "
                   "Language Models", "DeepSeekMath"),
    "2404.14219": ("Phi-3 Technical Report: A Highly Capable Language Model Locally on Your "
                   "Phone", "Phi-3"),
    "2405.04434": ("DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts "
                   "Language Model", "DeepSeek-V2"),
    "2501.12948": ("DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement "
                   "Learning", "DeepSeek-R1"),
    "2307.09288": ("Llama 2: Open Foundation and Fine-Tuned Chat Models", "Llama 2"),
    "2106.09685": ("LoRA: Low-Rank Adaptation of Large Language Models", "LoRA"),
    "2205.14135": ("FlashAttention: Fast and Memory-Efficient Exact Attention with "
                   "IO-Awareness", "FlashAttention"),
    "2203.02155": ("Training language models to follow instructions with human feedback",
                   "InstructGPT"),
}

ABSTRACT = (
    "We introduce {short}, a method and model family studied at scale. {short} improves the "
    "trade-off between quality and compute compared with strong baselines of similar size. "
    "We analyse where the gains come from with careful ablations over data, architecture and "
    "training recipe, and discuss the limitations that remain. Across reasoning, coding and "
    "long-context benchmarks the approach is competitive with much larger models, and we "
    "release weights and code to support further research."
)

BLOG = {
    "ko": ("{short} 논문을 읽어 보았습니다. 핵심 아이디어는 기존 방법보다 적은 계산으로 비슷하거나 더 "
           "나은 성능을 얻는 것입니다. 저자들은 다양한 벤치마크에서 실험했고, 특히 긴 문맥과 추론 "
           "과제에서 개선이 두드러집니다. 다만 학습 데이터 구성에 대한 설명이 부족한 점은 아쉽습니다. "
           "구현이 공개되어 있어 재현해 보기 좋습니다."),
    "zh": ("本周推荐论文：{short}。该工作在相同计算预算下取得了更好的效果，作者在推理、代码和长上下文"
           "等多个基准上进行了系统评测，并通过消融实验分析了性能提升的来源。模型权重和代码均已开源，"
           "值得关注。"),
    "ru": ("Разбираем статью {short}. Авторы показывают, что при том же бюджете вычислений можно "
           "получить заметно лучшее качество. Эксперименты охватывают задачи на рассуждение, код и "
           "длинный контекст; абляции объясняют, откуда берётся выигрыш. Код и веса открыты, так "
           "что результаты легко проверить."),
}

# (source, lang, papers it is about (primary), papers it only cites (reference))
POSTS = [
    ("rosinality", "ko", ["2305.18290", "2312.00752", "2401.04088"], ["2106.09685"]),
    ("rosinality", "ko", ["2402.03300", "2501.12948"], ["2305.18290"]),
    ("pytorch-kr-weekly", "ko", ["2312.00752", "2404.14219", "2405.04434", "2501.12948"],
     ["2205.14135"]),
    ("csdn-zhipu-weekly", "zh", ["2401.04088", "2405.04434", "2501.12948", "2307.09288"], []),
    ("titanida", "ru", ["2310.06825", "2501.12948"], ["2203.02155"]),
    ("titanida", "ru", ["2106.09685", "2312.00752"], []),
]


def seed(db) -> tuple[set[str], int]:
    prepare(db)
    primaries: set[str] = set()
    mentions = 0
    for source, lang, prim, refs in POSTS:
        url = add_post(db, source=source, lang=lang,
                       papers=[(p, PAPERS[p][0]) for p in prim],
                       text=None, role="primary")
        # one post can mention papers in both roles: add the citations as their own post
        # (the store keys mentions by post × paper)
        if refs:
            add_post(db, source=source, lang=lang, papers=[(p, PAPERS[p][0]) for p in refs],
                     url=url + "#refs", role="reference")
        primaries.update(prim)
        mentions += len(prim)
    for pid, (title, short) in PAPERS.items():
        enrich(db, pid, title=title, abstract=ABSTRACT.format(short=short))
    # realistic, paper-specific blog text (add_post wrote a generic one)
    for row in list(db.query("select m.post_id, m.arxiv_id, m.lang from mentions m")):
        text = BLOG[row["lang"]].format(short=PAPERS[row["arxiv_id"]][1])
        db["mentions"].update((row["post_id"], row["arxiv_id"]), {"text": text})
    return primaries, mentions


async def one_run(db, cfg, label: str, stub: OpenAIStub, *, window_lang: str | None = None,
                  langs=None) -> dict:
    """A scheduled run, or (``window_lang``) the /latest window written on demand in it."""
    before = stub.calls
    client = build_client(cfg, Secrets(openai_api_key="bench"))
    start = time.perf_counter()
    try:
        summarizer = Summarizer(db, config=cfg, client=client)
        if window_lang:
            ids = sstore.latest_ids(db, limit=cfg.telegram.latest_count)
            report = await summarizer.on_demand(ids, window_lang)
        else:
            report = await summarizer.pending(langs=langs)
    finally:
        await client.close()
    return {"label": label, "calls": stub.calls - before, "report": report,
            "seconds": time.perf_counter() - start}


def backfill(db, n: int) -> None:
    """``n`` archived papers, as ``crawl once --since`` stores them (notify = 0), each with
    an abstract and a blog's words."""
    for start in range(0, n, 50):
        _, post_id = crawl_store.save_post(db, Post(
            url=f"https://rosinality.example.org/backfill/{start}", source="rosinality",
            title=f"old notes {start}", html="<p>old</p>", lang="ko"), notify=False)
        ids = [f"2301.{i:05d}" for i in range(start, min(n, start + 50))]
        crawl_store.record_extraction(db, post_id, [
            FoundPaper(arxiv_id=pid, role="primary", title=f"Archived {pid}",
                       text=BLOG["ko"].format(short=pid), lang="ko") for pid in ids],
            extractor_version=1)
        for pid in ids:
            enrich(db, pid, title=f"Archived {pid}", abstract=ABSTRACT.format(short=pid))


def pushed_history(db, n: int, langs: list[str]) -> None:
    """``n`` papers pushed long ago, already summarized in ``langs`` (a year of use)."""
    _, post_id = crawl_store.save_post(db, Post(
        url="https://titanida.example.org/history", source="titanida", title="history",
        html="<p>history</p>", lang="ru"))
    ids = [f"2201.{i:05d}" for i in range(n)]
    crawl_store.record_extraction(db, post_id, [
        FoundPaper(arxiv_id=pid, role="primary", title=f"Pushed {pid}",
                   text=BLOG["ru"].format(short=pid), lang="ru") for pid in ids],
        extractor_version=1)
    db.execute("update papers set first_seen_at = '2020-01-01T00:00:00+00:00' "
               "where arxiv_id like '2201.%'")
    for pid in ids:
        for lang in langs:
            sstore.save_summary(db, arxiv_id=pid, lang=lang, model="stub-model",
                                prompt_version=1, fields={"title": pid, "tldr": "t",
                                                          "key_points": [], "blogs_said": ""})


def line(r: dict, minimum: int | None = None) -> str:
    rep = r["report"]
    ratio = f" ({r['calls'] / minimum:.2f}× minimum)" if minimum and r["calls"] else ""
    tokens = (f", tokens/summary {rep.tokens_per_summary:,.0f} (prompt "
              f"{rep.prompt_tokens / max(rep.written, 1):,.0f}, completion "
              f"{rep.completion_tokens / max(rep.written, 1):,.0f})") if rep.written else ""
    return (f"  {r['label']:<52} calls {r['calls']:>3}{ratio}, summaries {rep.written:>3}"
            f"{tokens}, {r['seconds']:.2f}s")


async def main(langs: list[str], concurrency: int, n_backfill: int) -> None:
    async with OpenAIStub() as stub:
        # -- a normal crawl: every new paper, once per reader language
        db = store.memory_db()
        primaries, mentions = seed(db)
        for i, lang in enumerate(langs):
            subs.subscribe(db, 100 + i, lang=lang, now=LONG_AGO)
        minimum = len(primaries) * len(langs)
        cfg = make_config(stub.base_url, concurrency=concurrency, max_retries=0)
        crawl = [await one_run(db, cfg, "first run (new papers)", stub),
                 await one_run(db, cfg, "second run (nothing new)", stub)]
        add_post(db, source="hf-papers-en", lang="en",
                 papers=[("2501.12948", PAPERS["2501.12948"][0])])
        crawl.append(await one_run(db, cfg, "after a new mention of a summarized paper", stub))
        db2 = store.memory_db()
        seed(db2)
        for i, lang in enumerate(langs):
            subs.subscribe(db2, 100 + i, lang=lang, now=LONG_AGO)
        stub.structured = False
        crawl.append(await one_run(db2, cfg, "endpoint without structured output", stub))
        stub.structured = True

        # -- a backfill of archived papers, then a new language
        db3 = store.memory_db()
        prepare(db3)
        for i, lang in enumerate(langs):
            subs.subscribe(db3, 100 + i, lang=lang, now=LONG_AGO)
        backfill(db3, n_backfill)
        pushed_history(db3, 100, langs)
        window = cfg.telegram.latest_count
        archive = [await one_run(db3, cfg, f"scheduled run after a {n_backfill}-paper backfill",
                                 stub),
                   await one_run(db3, cfg, f"/latest in {langs[0]} (someone asks)", stub,
                                 window_lang=langs[0])]
        subs.subscribe(db3, 200, lang="ja")  # a new subscriber in a new language
        subs.update_settings(db3, 100, lang="zh")  # an old one switching to another
        new_lang = [await one_run(db3, cfg, "scheduled run after ja joins, en→zh switch", stub),
                    await one_run(db3, cfg, "/latest window in ja (on /lang or /latest)", stub,
                                  window_lang="ja"),
                    await one_run(db3, cfg, "/latest window in zh", stub, window_lang="zh")]
        untouched = db3.execute(
            "select count(*) from papers p where notify = 0 and not exists (select 1 from "
            "summaries s where s.arxiv_id = p.arxiv_id)").fetchone()[0]

    total_papers = len(PAPERS)
    print(f"normal crawl: {len(POSTS)} posts, {mentions} primary mentions of {len(primaries)} "
          f"papers ({total_papers - len(primaries)} more only cited), languages "
          f"{', '.join(langs)}")
    print(f"  goal = new papers × languages = {len(primaries)} × {len(langs)} = {minimum}")
    for r in crawl:
        print(line(r, minimum))
    print(f"backfill: {n_backfill} archived papers, readers in {', '.join(langs)}; goal 0 "
          f"calls until someone asks, then the /latest window ({window})")
    for r in archive:
        print(line(r))
    print(f"new language: goal ≤ the /latest window ({window}) per new language, no backlog")
    for r in new_lang:
        print(line(r))
    print(f"  archived papers never summarized: {untouched} of {n_backfill}; pushed history "
          f"(100 papers) not summarized again in ja or zh")
    print(f"FIGURES backfill={archive[0]['calls']} new_language_max="
          f"{max(r['calls'] for r in new_lang)} (window {window}) normal_crawl="
          f"{crawl[0]['calls']} (goal {minimum})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langs", default="en,ko,ru")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--backfill", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main([x.strip() for x in args.langs.split(",") if x.strip()], args.concurrency,
                     args.backfill))
