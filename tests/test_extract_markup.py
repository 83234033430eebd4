"""Markup independence: every fixture post gives the same primaries and references when a
mirror, a repost or a text excerpt strips its markup (tests/flatten.py): each line a
``<p>``, all lines ``<br>``-separated in one block, or plain text with bare URLs."""

from __future__ import annotations

import pytest

from crawler.extract import extract_papers
from tests.flatten import flat_html, plain_text
from tests.test_extract import EXPECTED, post_input

RENDERINGS = {
    "p-lines": flat_html,
    "br-lines": lambda html: flat_html(html, br=True),
    "plain-text": plain_text,
}


def roles(found) -> tuple[list[str | None], list[str]]:
    """Primaries in post order (None for a title entry) and references as a set."""
    return ([f.arxiv_id for f in found if f.role == "primary"],
            sorted(f.arxiv_id for f in found if f.role == "reference"))


@pytest.mark.parametrize("rendering", sorted(RENDERINGS))
@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_flat_rendering_gives_the_same_papers(path, rendering):
    html, title = post_input(path)
    structured = roles(extract_papers(html, title=title))
    flat = roles(extract_papers(RENDERINGS[rendering](html), title=title))
    assert flat == structured


def test_flat_renderings_really_drop_the_markup():
    html, _ = post_input("blog.csdn.net/Zhipu_AI/article/details/138402317/index.html")
    assert "<strong>" in html and "<strong>" not in flat_html(html)
    assert "<br>" in flat_html(html, br=True) and "<a " not in plain_text(html)
    assert "https://arxiv.org/pdf/2404.18796.pdf" in plain_text(html)
    table, _ = post_input("blog.csdn.net/Zhipu_AI/article/details/140442716/index.html")
    assert "<td>" not in flat_html(table) and " | " in flat_html(table)
