"""arXiv identifier parsing: every supported form, versions dropped, invalid IDs rejected."""

from __future__ import annotations

import pytest

from crawler.arxiv_ids import find_arxiv_ids, is_arxiv_link, parse_arxiv_id

CASES = [
    # new style, bare
    ("2401.10020", "2401.10020"),
    ("2401.10020v2", "2401.10020"),
    ("2401.10020v12", "2401.10020"),
    (" 2401.10020 ", "2401.10020"),
    ("0704.0001", "0704.0001"),  # the first new-style ID
    ("1412.6980", "1412.6980"),  # last 4-digit month (Adam)
    ("1501.00001", "1501.00001"),  # first 5-digit month
    ("1706.03762", "1706.03762"),
    # new style, invalid
    ("2005.1416", None),  # truncated 5-digit number: never guessed
    ("2405.0981", None),
    ("1412.69801", None),  # 5 digits before 2015
    ("1501.0001", None),  # 4 digits from 2015
    ("2413.00001", None),  # month 13
    ("2400.12345", None),  # month 00
    ("0703.0001", None),  # before new-style IDs existed
    ("9912.12345", None),  # year 2099
    ("2401.00000", None),
    ("2401.100201", None),  # 6 digits
    ("2401.10020abc", None),
    ("arXiv:2302.13971This survey reviews", "2302.13971"),  # a page's text dump glues words on
    ("arXiv:2302.13971this", None),
    ("12345.67890", None),
    ("", None),
    (None, None),
    ("not an id", None),
    # old style
    ("hep-th/9901001", "hep-th/9901001"),
    ("hep-th/9901001v3", "hep-th/9901001"),
    ("math.GT/0309136", "math/0309136"),  # subject class is not part of the ID
    ("cond-mat.str-el/0101001v2", "cond-mat/0101001"),
    ("astro-ph/0702001", "astro-ph/0702001"),
    ("foo-bar/9901001", None),  # unknown archive
    ("hep-th/9913001", None),  # month 13
    ("hep-th/990100", None),  # 6 digits
    ("hep-th/0801001", None),  # old style ended in March 2007
    # arxiv.org URLs
    ("https://arxiv.org/abs/2401.10020", "2401.10020"),
    ("http://arxiv.org/abs/2405.00451v2", "2405.00451"),
    ("https://arxiv.org/pdf/2401.10020", "2401.10020"),
    ("https://arxiv.org/pdf/2401.10020v3", "2401.10020"),
    ("https://arxiv.org/pdf/2205.14135.pdf", "2205.14135"),
    ("https://arxiv.org/pdf/2404.14219v2.pdf", "2404.14219"),
    ("https://arxiv.org/html/2403.08295v1", "2403.08295"),
    ("https://www.arxiv.org/abs/2401.10020", "2401.10020"),
    ("https://export.arxiv.org/abs/2401.10020", "2401.10020"),
    ("https://export.arxiv.org/pdf/2404.14219v2.pdf", "2404.14219"),
    ("arxiv.org/abs/2401.10020", "2401.10020"),
    ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
    ("https://arxiv.org/abs/math.GT/0309136v1", "math/0309136"),
    ("https://arxiv.org/abs/2401.10020?context=cs.CL", "2401.10020"),
    ("https://arxiv.org/abs/2401.10020#S3", "2401.10020"),
    ("https://arxiv.org/abs/2405.0981", None),  # truncated in a link
    ("https://arxiv.org/abs/", None),
    ("https://arxiv.org/list/cs.CL/recent", None),
    # trailing punctuation glued to the URL
    ("https://arxiv.org/abs/2401.02412,", "2401.02412"),
    ("https://arxiv.org/abs/2401.02412.", "2401.02412"),
    ("https://arxiv.org/abs/2401.02412)", "2401.02412"),
    ("https://arxiv.org/abs/2401.02412}", "2401.02412"),
    ("(https://arxiv.org/abs/2402.03170)", "2402.03170"),
    ("2401.10020,", "2401.10020"),
    # mirrors and aggregators
    ("https://ar5iv.labs.arxiv.org/html/2403.13187", "2403.13187"),
    ("https://ar5iv.org/abs/1706.03762", "1706.03762"),
    ("https://www.alphaxiv.org/abs/2404.02258", "2404.02258"),
    ("https://www.alphaxiv.org/overview/2404.02258v1", "2404.02258"),
    ("https://alphaxiv.org/abs/2404.02258", "2404.02258"),
    ("https://huggingface.co/papers/2404.07143", "2404.07143"),
    ("https://huggingface.co/papers/2404.07143#community", "2404.07143"),
    ("https://huggingface.co/papers", None),
    # arXiv: references in text and the arXiv DOI
    ("arXiv:2401.10020", "2401.10020"),
    ("arXiv: 2401.10020v1", "2401.10020"),
    ("ARXIV:2401.10020", "2401.10020"),
    ("arXiv:hep-th/9901001", "hep-th/9901001"),
    ("see arXiv:2310.03744 too", "2310.03744"),
    ("10.48550/arXiv.2401.10020", "2401.10020"),
    ("https://doi.org/10.48550/arXiv.2404.19733", "2404.19733"),
    ("https://doi.org/10.48550/ARXIV.2404.19733", "2404.19733"),
    # things that are not arXiv references
    ("https://github.com/deepseek-ai/DeepSeek-V2/blob/main/deepseek-v2-tech-report.pdf", None),
    ("https://openreview.net/pdf?id=Xy7Kq2LmN4", None),
    ("https://example.com/abs/2401.10020", None),
    ("price 2401.10020 won", None),  # a bare number inside running text is not taken
    ("https://doi.org/10.1145/3442188.3445922", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_arxiv_id(text, expected):
    assert parse_arxiv_id(text) == expected


def test_table_is_large_and_has_invalid_cases():
    assert len(CASES) >= 50
    assert sum(1 for _, want in CASES if want is None) >= 15


def test_find_in_text_gives_ids_and_spans_without_trailing_punctuation():
    text = ("구글이 쓰는 방법 (https://arxiv.org/abs/2401.02412, https://arxiv.org/abs/2401.08525) "
            "and arXiv:2310.03744v2. Truncated https://arxiv.org/abs/2405.0981 is skipped.")
    found = find_arxiv_ids(text)
    assert [i for i, _, _ in found] == ["2401.02412", "2401.08525", "2310.03744"]
    for ident, start, end in found:
        span = text[start:end]
        assert ident in span.replace("v2", "")
        assert span[-1] not in ",.)"


def test_find_returns_every_occurrence_in_order():
    text = "arXiv:2401.10020 ... https://arxiv.org/pdf/2401.10020v2.pdf ... hep-th/9901001 arXiv:hep-th/9901001"
    assert [i for i, _, _ in find_arxiv_ids(text)] == ["2401.10020", "2401.10020", "hep-th/9901001"]


def test_is_arxiv_link_recognises_broken_arxiv_links():
    assert is_arxiv_link("https://arxiv.org/abs/2405.0981")
    assert is_arxiv_link("https://huggingface.co/papers/2404.07143")
    assert not is_arxiv_link("https://huggingface.co/datasets/zhiqings/LLaVA-Human-Preference-10K")
    assert not is_arxiv_link("https://github.com/x/y/paper.pdf")
    assert not is_arxiv_link(None)
