"""Regressions found running extraction at scale on real posts (issue "Extraction v3,
part 1"), each on a small post of our own with the same structure."""

from __future__ import annotations

from types import SimpleNamespace

from crawler.extract import extract_papers
from crawler.models import Post
from jobs import store
from jobs.steps import extract as extraction
from jobs.store import crawl as crawl_store
from tests.flatten import flat_html


def test_bare_link_then_one_long_english_paragraph_does_not_crash():
    paragraph = ("We study how language models learn to use tools over long horizons, and show that "
                 "a simple curriculum of tool calls improves success on every benchmark we try. " * 6)
    (paper,) = extract_papers(f'<p><a href="https://arxiv.org/abs/2406.12345">https://arxiv.org/abs/'
                              f"2406.12345</a></p><p>{paragraph}</p>")
    assert paper.arxiv_id == "2406.12345" and paper.role == "primary"


def test_stray_character_after_a_rows_links_keeps_the_row():
    row = ('<tr><td><strong>2) Mixture of A Million Experts</strong> - introduces an expert retrieval '
           'layer over a million tiny experts.</td><td><a href="https://arxiv.org/abs/2407.04153">Paper'
           '</a>, <a href="https://x.com/a/status/1">Tweet</a>_</td></tr>')
    other = ('<tr><td><strong>3) Internet of Agents</strong> - agents that join and leave a network.'
             '</td><td><a href="https://arxiv.org/abs/2407.07061">Paper</a>, '
             '<a href="https://x.com/a/status/2">Tweet</a></td></tr>')
    found = extract_papers(f"<table><tr><th>Paper</th><th>Links</th></tr>{row}{other}</table>")
    assert [(f.role, f.arxiv_id) for f in found] == [("primary", "2407.04153"), ("primary", "2407.07061")]


def test_table_row_with_a_non_arxiv_paper_link_takes_the_name_and_keeps_the_description():
    rows = ('<tr><td><strong>1) Tree Search for Language Model Agents</strong> - proposes a best-first '
            'search over agent actions at inference time.</td><td><a href="https://example.org/'
            'tree-search.pdf">Paper</a>, <a href="https://x.com/a/status/1">Tweet</a></td></tr>'
            '<tr><td><strong>2) Internet of Agents</strong> - agents that join a network.</td><td>'
            '<a href="https://arxiv.org/abs/2407.07061">Paper</a></td></tr>'
            '<tr><td><strong>3) Mixture of A Million Experts</strong> - a million tiny experts.</td><td>'
            '<a href="https://arxiv.org/abs/2407.04153">Paper</a></td></tr>')
    first = extract_papers(f"<table><tr><th>Paper</th><th>Links</th></tr>{rows}</table>")[0]
    assert first.arxiv_id is None and first.flag == "non-arxiv-link"
    assert first.title == "Tree Search for Language Model Agents"
    assert first.text == "proposes a best-first search over agent actions at inference time."


def test_pdf_link_after_the_author_line_is_the_sections_link():
    post = ("## Self-Play Preference Optimization for Language Model Alignment\n"
            "**Authors:** Yue Wu, Zhiqing Sun, Huizhuo Yuan, Kaixuan Ji, Yiming Yang, Quanquan Gu\n"
            "[PDF](http://arxiv.org/abs/2405.00675v1) Standard RLHF approaches relying on a parametric "
            "preference model fall short of capturing intransitive preferences.\n"
            "## Iterative Reasoning Preference Optimization\n"
            "**Authors:** Richard Yuanzhe Pang, Weizhe Yuan, Kyunghyun Cho\n"
            "[PDF](http://arxiv.org/abs/2404.19733v2) Iterative preference optimization methods work well.\n")
    found = extract_papers(post)
    assert [(f.arxiv_id, f.title) for f in found] == [
        ("2405.00675", "Self-Play Preference Optimization for Language Model Alignment"),
        ("2404.19733", "Iterative Reasoning Preference Optimization")]
    assert found[0].authors[:2] == ("Yue Wu", "Zhiqing Sun")


def test_a_date_heading_over_one_paper_section_does_not_hide_the_paper():
    post = ("# 2024-06-28 更新\n## Self-Play Preference Optimization for Language Model Alignment\n"
            "**Authors:** Yue Wu, Zhiqing Sun\n[PDF](http://arxiv.org/abs/2405.00675v1) abstract text.\n"
            "**摘要**：本文提出了一种自博弈的偏好优化方法。\n")
    (paper,) = extract_papers(post, lang="zh")
    assert paper.role == "primary" and paper.arxiv_id == "2405.00675"


def test_lower_case_author_names_are_authors():
    post = ("<h3>Diffusion Models as Data Mining Tools</h3><p>jianhao Yuan, Bo zhao, Ioannis Siglidis</p>"
            "<p>Paper: https://arxiv.org/abs/2408.02752</p><p>Nice trick.</p>"
            "<h3>Vision Language Models are Blind</h3><p>Pooyan Rahmanzadehgervi, Logan Bolton</p>"
            "<p>Paper: https://arxiv.org/abs/2407.06581</p>")
    for form in (post, flat_html(post)):
        first = extract_papers(form)[0]
        assert first.authors == ("jianhao Yuan", "Bo zhao", "Ioannis Siglidis"), form
        assert first.text == "Nice trick."


def test_one_failing_post_is_marked_and_the_others_go_on(monkeypatch):
    db = store.memory_db()
    crawl_store.sync_sources(db, [SimpleNamespace(name="blog", kind="rss", url="https://blog.example/feed",
                                                  lang="en")])
    for k in (1, 2):
        crawl_store.save_post(db, Post(url=f"https://blog.example/p/{k}", source="blog", title=f"p{k}",
                                       html=f"<p>Paper: https://arxiv.org/abs/2404.0225{k}</p>"), notify=False)
    real = extraction.extract_papers

    def flaky(html, **kw):
        if "2404.02251" in html:
            raise ValueError("max() arg is an empty sequence")
        return real(html, **kw)
    monkeypatch.setattr(extraction, "extract_papers", flaky)
    new = extraction.extract_pending(db)
    assert new == {"blog": ["2404.02252"]}
    rows = {r["url"]: r for r in db.query("select url, status, error from posts")}
    assert rows["https://blog.example/p/1"]["status"] == "failed"
    assert "max() arg is an empty sequence" in rows["https://blog.example/p/1"]["error"]
    assert rows["https://blog.example/p/2"]["status"] == "extracted"


# A weekly "top papers" repost without arXiv links (found by bench/backfill.py): the
# paper's title, or only its short name, then the blog's sentence and a link to a tweet.
WEEKLY_ITEMS = [
    ("Jamba", "트랜스포머 층과 맘바 층을 섞어 긴 문맥을 싸게 처리하는 모델이다."),
    ("Mixture-of-Depths: Dynamically allocating compute in transformer-based language models",
     "토큰마다 거칠 층의 수를 다르게 정해 연산을 아낀다."),
    ("Long-context LLMs Struggle with Long In-context Learning",
     "긴 문맥 안의 예시로 배우는 능력을 따로 잰 벤치마크다."),
    ("Many-shot Jailbreaking", "예시를 아주 많이 넣으면 안전 장치가 무너진다는 보고서다."),
]


def weekly_ol() -> str:
    items = "".join(f'<li><strong>{name}</strong> - {note} (<a href="https://x.com/a/status/{k}">트윗</a>)</li>'
                    for k, (name, note) in enumerate(WEEKLY_ITEMS, 1))
    return f"<ol>{items}</ol>"


def test_an_ordered_list_reads_as_numbered_like_its_text_copy():
    # the browser shows "1." "2." for <ol>; a mirror or a copy keeps them as text
    plain = "".join(f'<p>{k}. {name} - {note} (<a href="https://x.com/a/status/{k}">트윗</a>)</p>'
                    for k, (name, note) in enumerate(WEEKLY_ITEMS, 1))
    from_list = extract_papers(weekly_ol(), title="주간 ML 논문", lang="ko")
    from_text = extract_papers(plain, title="주간 ML 논문", lang="ko")
    assert [f.title for f in from_list] == [f.title for f in from_text] == [n for n, _ in WEEKLY_ITEMS]
    assert all(f.role == "primary" and f.arxiv_id is None for f in from_list)


def test_a_title_with_a_colon_before_the_dash_stays_whole():
    found = extract_papers(weekly_ol(), title="주간 ML 논문", lang="ko")
    mod = found[1]
    assert mod.title == "Mixture-of-Depths: Dynamically allocating compute in transformer-based language models"
    assert mod.candidates[0] == mod.title and "Mixture-of-Depths" in mod.candidates


def test_an_item_naming_its_paper_by_one_word_is_an_entry_searched_by_that_name():
    jamba = extract_papers(weekly_ol(), title="주간 ML 논문", lang="ko")[0]
    assert jamba.title == "Jamba" and jamba.candidates[0] == "Jamba"
    # the same word in a list that is not about papers is not an entry
    chores = "".join(f"<li>{w} - 오늘 할 일</li>" for w in ("Laundry", "Groceries", "Dishes"))
    assert extract_papers(f"<ol>{chores}</ol>", title="오늘 할 일", lang="ko") == []
