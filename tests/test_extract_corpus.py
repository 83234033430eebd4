"""The extractor on the labelled corpus (tests/fixtures/corpus): 129 posts from 56 sites in
39 formats and 5 languages, none of them written for the extractor (Telegram channels and
mirrors, WeChat/Zhihu/Juejin, Qiita/Zenn/note/Hatena, velog/tistory/Naver, Habr, GitHub
READMEs, e-mail newsletters, Reddit/HN, text tables). Scored as bench/extract_eval.py does:
recall and precision of the primaries whose ID the post writes, no ID the post does not
write; and the same when the body is rendered flat or the whole page is handed over."""

from __future__ import annotations

import pytest

from bench.extract_eval import score
from tests import corpus


@pytest.fixture(scope="module")
def truth():
    return corpus.truth()


def test_corpus_is_broad(truth):
    assert len(truth) >= 120
    assert len({p["site"] for p in truth.values()}) >= 12
    assert {p["lang"] for p in truth.values()} == {"en", "ko", "ja", "zh", "ru"}
    ids = {p["id"] for p in corpus.arxiv_index()}
    for key, post in truth.items():
        assert (corpus.PAGES / key).exists(), key
        assert set(post["primary"]) | set(post["references"]) <= ids, key


@pytest.mark.parametrize("mode", ["body", "flat", "whole-page"])
def test_primaries_recall_precision_and_nothing_invented(truth, mode):
    result = score(truth, whole_page=mode == "whole-page", flat=mode == "flat")
    t = result["totals"]["all"]
    recall = t["hit"] / t["linked"]
    precision = (t["found"] - t["false"]) / t["found"]
    assert t["invented"] == 0, result["wrong"]
    assert recall >= 0.97, (recall, result["wrong"])
    assert precision >= 0.99, (precision, result["wrong"])
