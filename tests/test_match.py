"""The pure decision of title resolution (jobs.resolve.match), table-tested with real arXiv
titles: what a blog writes vs. the arXiv title of the paper it means, and the near-misses a
careless search would take (same short name, surveys, "for Code", "Revisited", "v2",
titles changed between versions, papers after the post, old namesakes, other authors)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jobs.resolve.match import decide, judge
from jobs.resolve.titles import distinctive, title_head


def paper(title, published="2023-01-01", authors=(), arxiv_id="x"):
    return SimpleNamespace(arxiv_id=arxiv_id, title=title, published=published, authors=tuple(authors))


POST = "2024-07-01"

# (what the blog wrote, the arXiv title, its first version date, expected rule or None)
PAIRS = [
    # the same paper: exact, with formatting noise
    ("Attention Is All You Need", "Attention Is All You Need", "2017-06-12", "exact"),
    ("attention is all you need", "Attention Is All You Need", "2017-06-12", "exact"),
    ("Mixture-of-Depths: Dynamically allocating compute in transformer-based language models",
     "Mixture-of-Depths: Dynamically allocating compute in transformer-based language models",
     "2024-04-02", "exact"),
    ("Mixture of Depths: Dynamically Allocating Compute in Transformer Based Language Models",
     "Mixture-of-Depths: Dynamically allocating compute in transformer-based language models",
     "2024-04-02", "exact"),
    ("KAN – Kolmogorov–Arnold Networks", "KAN: Kolmogorov-Arnold Networks", "2024-04-30", "exact"),
    ("LoRA: Low-Rank Adaptation of Large Language Models",
     "LoRA: Low-Rank Adaptation of Large Language Models", "2021-06-17", "exact"),
    ("QLoRA: Efficient Finetuning of Quantized LLMs", "QLoRA: Efficient Finetuning of Quantized LLMs",
     "2023-05-23", "exact"),
    ("Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
     "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
     "2023-05-29", "exact"),
    ("“Let’s Verify Step by Step”", "Let's Verify Step by Step", "2023-05-31", "exact"),
    ("The Era of 1-bit LLMs: All Large Language Models are in 1.58 Bits",
     "The Era of 1-bit LLMs: All Large Language Models are in 1.58 Bits", "2024-02-27", "exact"),
    ("Phi-3 Technical Report: A Highly Capable Language Model Locally on Your Phone",
     "Phi-3 Technical Report: A Highly Capable Language Model Locally on Your Phone", "2024-04-22",
     "exact"),
    ("Can Mamba Learn How to Learn? A Comparative Study on In-Context Learning Tasks",
     "Can Mamba Learn How to Learn? A Comparative Study on In-Context Learning Tasks",
     "2024-02-06", "exact"),
    # typos, compounds, a dropped article: fuzzy
    ("Self-Rewarding Langauge Models", "Self-Rewarding Language Models", "2024-01-18", "fuzzy"),
    ("SelfRewarding Language Models", "Self-Rewarding Language Models", "2024-01-18", "fuzzy"),
    ("Efficient Streaming Language Models with Attention Sink",
     "Efficient Streaming Language Models with Attention Sinks", "2023-09-29", "fuzzy"),
    ("Training Compute Optimal Large Language Models", "Training Compute-Optimal Large Language Models",
     "2022-03-29", "exact"),
    # the blog adds the authors / a note around the title: contains
    ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces (Gu & Dao)",
     "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", "2023-12-01", "contains"),
    ("FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning — Tri Dao",
     "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning",
     "2023-07-17", "contains"),
    ("Paper: Scaling Laws for Neural Language Models", "Scaling Laws for Neural Language Models",
     "2020-01-23", "fuzzy"),  # (a short "Name:" prefix is tried without)
    # the short name the blog uses for it: name
    ("Mamba", "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", "2023-12-01", "name"),
    ("LoRA", "LoRA: Low-Rank Adaptation of Large Language Models", "2021-06-17", None),  # old namesake
    ("QLoRA", "QLoRA: Efficient Finetuning of Quantized LLMs", "2023-05-23", "name"),
    ("FlashAttention", "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
     "2022-05-27", "name"),
    ("KAN", "KAN: Kolmogorov-Arnold Networks", "2024-04-30", "name"),
    ("SAM 2", "SAM 2: Segment Anything in Images and Videos", "2024-07-01", "name"),
    ("Phi-3 Technical Report", "Phi-3 Technical Report: A Highly Capable Language Model Locally on "
     "Your Phone", "2024-04-22", "name"),
    ("DeepSeek-V2", "DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts Language Model",
     "2024-05-07", "name"),
    ("Gemma", "Gemma: Open Models Based on Gemini Research and Technology", "2024-03-13", "name"),
    ("Chameleon", "Chameleon: Mixed-Modal Early-Fusion Foundation Models", "2024-05-16", "name"),
    ("Griffin", "Griffin: Mixing Gated Linear Recurrences with Local Attention for Efficient "
     "Language Models", "2024-02-29", "name"),
    ("LongRoPE", "LongRoPE: Extending LLM Context Window Beyond 2 Million Tokens", "2024-02-21", "name"),
    ("Qwen2 Technical Report", "Qwen2 Technical Report", "2024-07-15", None),  # after the post
    ("MM1", "MM1: Methods, Analysis & Insights from Multimodal LLM Pre-training", "2024-03-14", "name"),
    ("YOLOv9", "YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information",
     "2024-02-21", "name"),
    ("Self-Discover", "Self-Discover: Large Language Models Self-Compose Reasoning Structures",
     "2024-02-06", "name"),
    ("Quiet-STaR", "Quiet-STaR: Language Models Can Teach Themselves to Think Before Speaking",
     "2024-03-14", "name"),
    ("Tree of Thoughts", "Tree of Thoughts: Deliberate Problem Solving with Large Language Models",
     "2023-05-17", "name"),
    # the same short name for another paper: a different head, or not distinctive
    ("Mamba", "Vision Mamba: Efficient Visual Representation Learning with Bidirectional State Space "
     "Model", "2024-01-17", None),
    ("Mamba", "MambaByte: Token-free Selective State Space Model", "2024-01-24", None),
    ("Mamba", "Mamba-2: Transformers are SSMs", "2024-05-31", None),
    ("Mamba-2", "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", "2023-12-01", None),
    ("LoRA", "LoRA+: Efficient Low Rank Adaptation of Large Models", "2024-02-19", None),
    ("LoRA", "DoRA: Weight-Decomposed Low-Rank Adaptation", "2024-02-14", None),
    ("SAM 2", "Segment Anything", "2023-04-05", None),
    ("SAM", "SAM 2: Segment Anything in Images and Videos", "2024-07-01", None),
    ("Orca", "Orca 2: Teaching Small Language Models How to Reason", "2023-11-18", None),
    ("Phi-3", "Phi-3 Safety Post-Training: Aligning Language Models with a \"Break-Fix\" Cycle",
     "2024-07-18", None),
    ("Attention", "Attention Is All You Need", "2017-06-12", None),  # not a name
    ("Scaling", "Scaling: A Survey of Scaling Laws", "2023-01-01", None),  # one common word
    ("Gemini", "Gemini: A Family of Highly Capable Multimodal Models", "2023-12-19", "name"),
    # survey / "for Code" / "Revisited" / "v2" decoys
    ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
     "A Survey on Mamba: Architecture, Applications, and Future Directions", "2024-06-01", None),
    ("Mixture of Experts", "A Survey on Mixture of Experts", "2024-06-26", None),
    ("Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
     "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models for Code", "2024-01-01",
     None),
    ("Masked Autoencoders Are Scalable Vision Learners",
     "Masked Autoencoders Are Scalable Vision Learners Revisited", "2024-01-01", None),
    ("Self-Discover: Large Language Models Self-Compose Reasoning Structures",
     "Self-Discover v2: Large Language Models Self-Compose Reasoning Structures with Feedback",
     "2024-03-01", None),
    ("KAN: Kolmogorov-Arnold Networks", "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
     "2024-06-01", None),
    ("DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts Language Model",
     "DeepSeek-V3 Technical Report", "2024-06-27", None),
    ("Attention Is All You Need", "Attention Is Not All You Need", "2021-03-05", None),
    ("Language Models are Few-Shot Learners", "Language Models are Unsupervised Multitask Learners",
     "2019-02-14", None),
    ("Self-Rewarding Language Models", "Self-Rewarding Vision-Language Models", "2024-05-01", None),
    # a title changed between versions: the blog's old title is not taken for the new one
    ("Is Attention All You Need for Long Contexts?", "Attention Is All You Need", "2017-06-12", None),
    ("LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale",
     "LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale", "2022-08-15", "exact"),
    ("Efficient Memory Management for Large Language Model Serving with PagedAttention",
     "Efficient Memory Management for Large Language Model Serving with PagedAttention", "2023-09-12",
     "exact"),
    # dates: published after the post, or an old namesake of a short name
    ("Llama 3", "The Llama 3 Herd of Models", "2024-07-31", None),
    ("Chameleon", "Chameleon: Plug-and-Play Compositional Reasoning with Large Language Models",
     "2023-04-19", "name"),  # a namesake within three years is plausible (ambiguity decides)
    ("Orca", "Orca: A Distributed Serving System for Transformer-Based Generative Models",
     "2019-01-01", None),  # five years older: an old namesake
    ("Adam: A Method for Stochastic Optimization", "Adam: A Method for Stochastic Optimization",
     "2014-12-22", "exact"),  # old, but the whole title: a reading-list classic
]


@pytest.mark.parametrize(("blog", "title", "published", "rule"), PAIRS,
                         ids=[f"{i:02d}-{p[0][:30]}" for i, p in enumerate(PAIRS)])
def test_judge(blog, title, published, rule):
    assert judge(blog, paper(title, published), post_date=POST).rule == rule


def test_the_table_is_large_and_has_near_misses():
    assert len(PAIRS) >= 60
    assert sum(1 for p in PAIRS if p[3] is None) >= 20


def test_authors_given_by_the_post_must_be_on_the_paper():
    lipo = paper("LiPO: Listwise Preference Optimization through Learning-to-Rank", "2024-02-02",
                 ["Tianqi Liu", "Zhen Qin", "Junru Wu"])
    assert judge("LiPO", lipo, post_date=POST, authors=["Tianqi Liu"]).rule == "name"
    assert judge("LiPO", lipo, post_date=POST, authors=["Somebody Else"]).reason == "authors-disagree"
    assert judge("LiPO", lipo, post_date=POST, authors=["刘天奇"]).rule == "name"  # scripts differ


def test_one_acceptable_paper_resolves_two_stay_unresolved():
    hits = [paper("Foo-VL: Scaling Vision-Language Pretraining", "2024-03-01", arxiv_id="2403.00001"),
            paper("Vision Foo: Another Model", "2024-03-02", arxiv_id="2403.00002"),
            paper("Foo-VL 2: A Survey", "2024-05-01", arxiv_id="2405.00003")]
    d = decide(["Foo-VL"], hits, post_date=POST)
    assert (d.arxiv_id, d.reason, d.rule) == ("2403.00001", "resolved", "name")
    twin = paper("Foo-VL: Unified Visual Tokens", "2024-04-01", arxiv_id="2404.00004")
    d = decide(["Foo-VL"], [*hits, twin], post_date=POST)
    assert d.arxiv_id is None and d.reason == "ambiguous" and d.plausible == ("2403.00001", "2404.00004")
    # the twin appeared after the post: it cannot be the post's subject
    d = decide(["Foo-VL"], [*hits, twin], post_date="2024-03-20")
    assert d.arxiv_id == "2403.00001"


def test_the_best_candidate_decides_and_exact_beats_name():
    mamba = paper("Mamba: Linear-Time Sequence Modeling with Selective State Spaces", "2023-12-01",
                  arxiv_id="2312.00752")
    mamba2 = paper("Mamba-2: Transformers are SSMs", "2024-05-31", arxiv_id="2405.21060")
    d = decide(["Transformers are SSMs", "Mamba-2", "Mamba"], [mamba, mamba2], post_date=POST)
    assert d.arxiv_id == "2405.21060" and d.candidate == "Transformers are SSMs"  # the subtitle
    d = decide(["선택적 상태 공간 모델", "Mamba"], [mamba, mamba2], post_date=POST)
    assert d.arxiv_id == "2312.00752" and d.rule == "name"
    assert decide(["Mamba"], [mamba], post_date="2023-11-01").reason == "after-post"
    assert decide(["Nothing like it"], [mamba], post_date=POST).reason == "no-match"


@pytest.mark.parametrize(("name", "expected"), [
    ("Mamba", True), ("LoRA", True), ("Phi-3", True), ("SAM 2", True), ("FlashAttention", True),
    ("Tree of Thoughts", True), ("Attention", False), ("Scaling", False), ("AI", False), ("", False),
])
def test_distinctive(name, expected):
    assert distinctive(name) is expected


def test_title_head():
    assert title_head("Mamba: Linear-Time Sequence Modeling") == "Mamba"
    assert title_head("SAM 2 - Segment Anything in Images and Videos") == "SAM 2"
    assert title_head("Attention Is All You Need") is None
