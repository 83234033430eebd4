"""extract_papers on the saved fixture pages: exactly the expected primaries, references
only as references, chrome ignored, commentary without the copied English abstract,
hashtags and language found. Bodies are cut from the pages with the selectors the
sources are configured with (Scrapy selectors on an HtmlResponse), and the same posts
are also extracted from the whole page to prove the chrome is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from rapidfuzz import fuzz
from scrapy.http import HtmlResponse

from crawler.extract import extract_papers

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
BODY_SELECTORS = {
    "rosinality.substack.com": "div.available-content",
    "papersdigest.substack.com": "div.available-content",
    "blog.csdn.net": "#content_views",
    "titanida.com": "article .post-content",
}


def _response(path: str) -> HtmlResponse:
    return HtmlResponse(url=EXPECTED[path]["url"], body=(SITES / path).read_bytes(), encoding="utf-8")


def post_input(path: str, *, whole_page: bool = False) -> tuple[str, str | None]:
    """(html, title) as the spider hands them to extract_papers."""
    if path.endswith(".json"):
        topic = json.loads((SITES / path).read_text(encoding="utf-8"))
        return topic["post_stream"]["posts"][0]["cooked"], topic["title"]
    resp = _response(path)
    title = resp.css("h1::text").get()
    if whole_page:
        return resp.text, title
    body = resp.css(BODY_SELECTORS[path.split("/")[0]]).get()
    assert body, f"selector found no body in {path}"
    return body, title


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def _title_matches(got: str, want: str) -> bool:
    got, want = _norm(got), _norm(want)
    return want in got or got in want or fuzz.token_set_ratio(got, want) >= 90


def check_against_expected(path: str, found) -> None:
    exp = EXPECTED[path]
    by_title = exp.get("resolved_by_title", {})
    mismatch = exp.get("mismatch", {})
    prim = [f for f in found if f.role == "primary"]
    refs = [f.arxiv_id for f in found if f.role == "reference"]
    assert {f.role for f in found} <= {"primary", "reference"}

    # primaries with an ID: the linked ones (a wrongly linked ID stays as linked: the
    # resolver checks it against arXiv), in post order
    want_ids = [i for i in exp["primary"] if i not in by_title]
    linked_wrong = list(mismatch)
    got_ids = [f.arxiv_id for f in prim if f.arxiv_id]
    assert sorted(got_ids) == sorted(want_ids + linked_wrong), path
    assert [i for i in got_ids if i in want_ids] == want_ids, "primaries out of post order"

    # entries without an ID: one per title-resolved paper (not counting the wrong links) and
    # per paper with no arXiv version, each carrying the title to look up
    titled = [f for f in prim if not f.arxiv_id]
    want_titles = [t for i, t in by_title.items() if t not in mismatch.values()]
    want_titles += exp.get("unresolved", [])
    assert len(titled) == len(want_titles), [f.title for f in titled]
    for want in want_titles:
        assert any(f.title and _title_matches(f.title, want) for f in titled), (want, [f.title for f in titled])
    for wrong_id, real_title in mismatch.items():
        entry = next(f for f in prim if f.arxiv_id == wrong_id)
        assert _title_matches(entry.title, real_title)

    # references: exactly the expected ones, once each, never also a primary
    assert sorted(refs) == sorted(exp["references"]), path
    assert len(refs) == len(set(refs))
    assert not set(refs) & set(got_ids)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_post_body_gives_exactly_the_expected_papers(path):
    html, title = post_input(path)
    check_against_expected(path, extract_papers(html, title=title))


@pytest.mark.parametrize("path", sorted(p for p in EXPECTED if not p.endswith(".json")))
def test_whole_page_gives_the_same_papers_chrome_ignored(path):
    html, title = post_input(path, whole_page=True)
    found = extract_papers(html, title=title)
    check_against_expected(path, found)
    ids = {f.arxiv_id for f in found}
    # arXiv links planted in the chrome: a Substack reader comment, CSDN 相关推荐
    assert "2312.11805" not in ids
    if path.startswith("blog.csdn.net"):
        assert not any(f.title and "余额" in f.title for f in found)
        assert "2401.10020" not in ids


@pytest.mark.parametrize("site", ["rosinality.substack.com", "papersdigest.substack.com"])
def test_substack_feed_content_gives_the_same_as_the_page(site):
    feed = feedparser.parse((SITES / site / "feed.xml").read_bytes())
    assert feed.entries
    for entry in feed.entries:
        path = next(p for p, e in EXPECTED.items() if e["url"] == entry.link)
        found = extract_papers(entry.content[0].value, title=entry.title)
        check_against_expected(path, found)


def _found(path, **kw):
    html, title = post_input(path, **kw)
    return extract_papers(html, title=title)


def test_rosinality_entries_have_korean_commentary_without_the_english_abstract():
    found = _found("rosinality.substack.com/p/2024-01-19/index.html")
    prim = [f for f in found if f.role == "primary"]
    first = prim[0]
    assert first.title == "Self-Rewarding Language Models"
    assert first.authors[:2] == ("Weizhe Yuan", "Richard Yuanzhe Pang")
    assert "We posit that" not in first.text  # the copied abstract
    assert first.text.startswith("일단 SFT 데이터와")
    assert "#alignment" not in first.text
    assert first.labels == ("alignment", "feedback")
    assert prim[3].labels == ("contrastive_learning", "vision-language")
    assert all(f.lang == "ko" for f in prim)
    refs = [f for f in found if f.role == "reference"]
    assert all("관련지어" in f.text for f in refs)  # the sentence that cites them


def test_title_only_entries_carry_title_and_authors():
    found = _found("rosinality.substack.com/p/2024-02-07/index.html")
    prim = [f for f in found if f.role == "primary"]
    assert [f.arxiv_id for f in prim] == [None] * 6
    assert prim[0].title == "MusicRL: Aligning Music Generation to Human Preferences"
    assert prim[0].authors[0] == "Geoffrey Cideron" and len(prim[0].authors) == 14
    assert prim[1].text == "2B 샘플에 대해 학습한 18B EVA CLIP."
    assert prim[1].lang == "ko"
    assert all("Scaling up contrastive" not in f.text for f in prim)


def test_discourse_sections_use_the_labelled_link_and_drop_copied_english():
    found = _found("discuss.pytorch.kr/t/2023-10-02-10-08-top-ml-papers-of-the-week/2620.json")
    prim = [f for f in found if f.role == "primary"]
    assert prim[0].title == "Language Models Represent Space and Time"  # English half of "ja / en"
    assert prim[0].labels == ("llm", "llama2")
    assert "Discovers that llms" not in prim[0].text
    assert "The capabilities of large language models" not in prim[0].text
    assert "言語モデルが複数のスケール" in prim[0].text
    assert all(f.lang == "ja" for f in prim)


def test_flags_for_github_pdf_truncated_id_and_post_title_entries():
    found = _found("rosinality.substack.com/p/2024-05-08/index.html")
    by_title = {f.title.split(":")[0]: f for f in found if f.role == "primary"}
    assert by_title["DeepSeek-V2"].arxiv_id is None
    assert by_title["DeepSeek-V2"].flag == "non-arxiv-link"
    assert by_title["Chameleon"].arxiv_id is None
    assert by_title["Chameleon"].flag == "invalid-arxiv-id"
    assert by_title["KAN"].arxiv_id == "2404.19765" and by_title["KAN"].flag is None

    (llava,) = _found("titanida.com/LLaVA-RLHF-aligning-large-multimodal-models/index.html")
    assert llava.arxiv_id is None and llava.role == "primary" and llava.flag == "post-title"
    assert llava.title == "LLaVA-RLHF: Aligning Large Multimodal Models with Factually Augmented RLHF"
    assert llava.lang == "ru" and "Авторы предлагают" in llava.text


def test_no_arxiv_version_entry_keeps_title_and_authors():
    found = _found("papersdigest.substack.com/p/weekly-digest-21/index.html")
    sfc = next(f for f in found if f.role == "primary" and f.arxiv_id is None)
    assert sfc.title == "Sparse Feature Circuits in Vision Transformers"
    assert sfc.authors == ("Maya Okafor", "Lucas Brandt", "Priya Raman")
    assert sfc.lang == "en" and sfc.text.startswith("The authors train sparse autoencoders")
    assert "Subscribe" not in " ".join(f.text for f in found)


def test_single_paper_explainer_takes_labelled_title_and_authors():
    found = _found("blog.csdn.net/Zhipu_AI/article/details/135402788/index.html")
    (mamba,) = [f for f in found if f.role == "primary"]
    assert mamba.arxiv_id == "2312.00752"
    assert mamba.title == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    assert mamba.authors == ("Albert Gu", "Tri Dao")
    assert mamba.lang == "zh"
    assert "Vaswani" not in mamba.text  # the 参考文献 list is not commentary


@pytest.mark.parametrize(("path", "lang"), [
    ("blog.csdn.net/Zhipu_AI/article/details/138402317/index.html", "zh"),
    ("titanida.com/Jamba-hybrid-transformer-mamba/index.html", "ru"),
    ("discuss.pytorch.kr/t/2024-04-22-04-28-ml-top-ml-papers-of-the-week/4180.json", "ko"),
    ("discuss.pytorch.kr/t/2024-03-18-03-24-top-ml-papers-of-the-week/3912.json", "ja"),
    ("papersdigest.substack.com/p/weekly-digest-21/index.html", "en"),
])
def test_entry_language_is_detected(path, lang):
    prim = [f for f in _found(path) if f.role == "primary"]
    assert prim and all(f.lang == lang and f.text for f in prim)


def test_unseen_post_kinds_generalise():
    # h3 sections with an "arXiv:" label in text, an English abstract under "Abstract",
    # a "See also" reference and a table of papers elsewhere are handled by structure
    html = """
    <h3>1. Orca Whales: Tiny Models that Reason</h3>
    <p><b>Paper</b>: arXiv:2409.01234</p>
    <h4>Abstract</h4><p>We present Orca Whales, a family of small language models trained on
    synthetic reasoning traces that match models ten times larger on grade-school math.</p>
    <p>My take: nice data recipe, weak evaluation. See also <a href="https://arxiv.org/abs/2306.02707">Orca</a>.</p>
    <h3>2. Lighthouse: Retrieval Heads in Long Context Models</h3>
    <p><b>Paper</b>: <a href="https://arxiv.org/pdf/2410.04321v1">pdf</a></p>
    <p>Finds a handful of attention heads that do all the retrieval.</p>
    """
    found = extract_papers(html, title="Two papers", lang="en")
    prim = [f for f in found if f.role == "primary"]
    assert [f.arxiv_id for f in prim] == ["2409.01234", "2410.04321"]
    assert prim[0].title == "Orca Whales: Tiny Models that Reason"
    assert prim[0].text == "My take: nice data recipe, weak evaluation. See also Orca."
    assert [f.arxiv_id for f in found if f.role == "reference"] == ["2306.02707"]


def test_table_rows_are_entries_and_results_tables_are_not():
    # a headerless paper table (title | link | comment), a title-only row, a reference in a
    # comment cell, then a results table whose rows link models (and one paper) but are numbers
    html = """
    <p>今週の論文まとめ</p>
    <table>
    <tr><td>Orca Whales: Tiny Models that Reason</td><td><a href="https://arxiv.org/abs/2409.01234">論文リンク</a></td>
        <td>小さなモデルでも推論できる。<a href="https://arxiv.org/abs/2306.02707">Orca</a> の続編。</td></tr>
    <tr><td><a href="https://arxiv.org/pdf/2410.04321v1">Lighthouse: Retrieval Heads in Long Context Models</a></td>
        <td>検索ヘッドの分析。</td></tr>
    <tr><td>Quiet Harbor: Sparse Experts at Scale</td><td>-</td><td>リンクは来週。</td></tr>
    <tr><td>Tidepool Alignment (Ana Silva, Ben Ortiz)</td><td>arXiv:2411.00042</td><td>報酬モデルなしのアライメント。</td></tr>
    </table>
    <table>
    <tr><th>Model</th><th>MMLU</th><th>Source</th></tr>
    <tr><td><a href="https://huggingface.co/x/a">Model A</a></td><td>71.2</td><td><a href="https://arxiv.org/abs/2401.00001">1</a></td></tr>
    <tr><td><a href="https://huggingface.co/x/b">Model B</a></td><td>68.0</td><td><a href="https://arxiv.org/abs/2401.00002">2</a></td></tr>
    </table>
    """
    found = extract_papers(html, title="週刊論文", lang="ja")
    prim = [f for f in found if f.role == "primary"]
    assert [f.arxiv_id for f in prim] == ["2409.01234", "2410.04321", None, "2411.00042"]
    assert [f.title for f in prim] == [
        "Orca Whales: Tiny Models that Reason", "Lighthouse: Retrieval Heads in Long Context Models",
        "Quiet Harbor: Sparse Experts at Scale", "Tidepool Alignment"]
    assert prim[3].authors == ("Ana Silva", "Ben Ortiz")
    assert prim[0].text == "小さなモデルでも推論できる。Orca の続編。"
    assert prim[1].text == "検索ヘッドの分析。" and prim[2].text == "リンクは来週。"
    assert all(f.lang == "ja" for f in prim)
    refs = [f.arxiv_id for f in found if f.role == "reference"]
    assert refs == ["2306.02707", "2401.00001", "2401.00002"]

    # a results table alone: no entries at all
    results = html[html.index("<table>", html.index("</table>")):]
    assert [f.role for f in extract_papers(results, lang="en")] == ["reference", "reference"]


def test_degenerate_input():
    assert extract_papers("") == []
    assert extract_papers("<p>   </p>") == []
    assert extract_papers("<p>Nothing to see, no papers here.</p>", title="Weekend notes") == []
