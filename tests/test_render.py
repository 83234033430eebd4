"""Message rendering: escaped pieces, Telegram's 4096 limit, digests split between papers."""

from bot import render
from bot.render import Labels, PaperView, render_digest, render_paper, utf16_len
from tests.servers.telegram import parse_html

NASTY = 'Attention <script>alert("x")</script> & Friends < 3 &amp; co'


def view(arxiv_id="2401.00001", **kw) -> PaperView:
    base = dict(
        title=NASTY, authors=["A One", "B Two", "C Three", "D Four"], categories=["cs.CL", "stat.ML"],
        summary={"title": "Перевод <b>заголовка</b>", "tldr": "Short & sweet <tldr>.",
                 "key_points": ["first <point>", "second & point"],
                 "blogs_said": "Blog says <i>wow</i> & more"},
        mentions=[{"source": "rosinality", "post_url": "https://ex.org/p?a=1&b=<2>",
                   "post_title": "Post <1>", "text": "unmatched < here & there"}],
    )
    base.update(kw)
    return PaperView(arxiv_id=arxiv_id, **base)


def test_text_is_escaped_and_arrives_without_markup():
    msg = render_paper(view())
    visible = parse_html(msg.html)  # the stub's strict Telegram-like parser accepts it
    # quoted text loses its tags, nothing else: a stray '<' or '&' arrives as written
    assert 'Attention alert("x") & Friends < 3 &amp; co' in visible
    assert "unmatched < here & there" in visible
    assert "Blog says wow & more" in visible
    assert "<script>" not in msg.html
    assert 'href="https://ex.org/p?a=1&amp;b=&lt;2&gt;"' in msg.html
    assert visible.strip() == msg.visible.strip()


def test_message_shows_links_authors_and_tags():
    msg = render_paper(view(), Labels("TL;DR", "Key points", "What the blogs said", "via"))
    assert "A One, B Two, C Three et al." in msg.visible
    for url in ("https://arxiv.org/abs/2401.00001", "https://arxiv.org/pdf/2401.00001",
                "https://huggingface.co/papers/2401.00001",
                "https://www.alphaxiv.org/abs/2401.00001"):
        assert f'href="{url}"' in msg.html
    assert "arXiv · PDF · Hugging Face · alphaXiv" in msg.visible
    assert "#cs_CL #stat_ML" in msg.visible
    assert msg.html.startswith('<b><a href="https://arxiv.org/abs/2401.00001">')
    assert "https://arxiv.org/abs/2401.00001" in msg.plain_text  # plain fallback keeps links


def test_huge_paper_fits_4096_after_entity_parsing():
    # '&' costs 5 characters as HTML but 1 after parsing; emoji count 2 UTF-16 units
    huge = "& 😀 " * 3000
    v = view(summary={"tldr": huge, "key_points": [huge] * 20, "blogs_said": huge},
             mentions=[{"source": "s", "post_url": f"https://ex.org/{i}", "post_title": huge,
                        "text": huge} for i in range(30)], title=huge)
    msg = render_paper(v)
    visible = parse_html(msg.html)
    assert utf16_len(visible.strip()) <= 4096
    assert len(msg.html) > 4096 or utf16_len(visible) > 1000  # it was really squeezed, not dropped
    assert "https://arxiv.org/abs/2401.00001" in msg.html


def test_digest_splits_between_papers_never_inside():
    views = [view(f"2401.{i:05d}", summary={"tldr": f"paper {i} " + "x" * 900}) for i in range(12)]
    parts = render_digest(views, header=render.bold("Digest"))
    assert len(parts) > 1
    seen = []
    for part in parts:
        visible = parse_html(part.html)  # every part is valid HTML on its own
        assert utf16_len(visible.strip()) <= 4096
        seen += part.arxiv_ids
        for pid in part.arxiv_ids:
            assert f"https://arxiv.org/abs/{pid}" in part.html
    assert seen == [v.arxiv_id for v in views]  # each paper exactly once, in order
    assert parts[0].visible.startswith("Digest")


def test_small_digest_is_one_message():
    parts = render_digest([view("2401.00001"), view("2401.00002")])
    assert len(parts) == 1 and parts[0].arxiv_ids == ("2401.00001", "2401.00002")


def test_clip_counts_utf16():
    assert render.clip("😀" * 10, 5) == "😀😀…"
    assert render.clip("abc", 5) == "abc"


def test_no_good_summary_gets_the_fallback_layout():
    flagged = {"title": "Wrong-language title", "tldr": "Wrong-language TL;DR.",
               "key_points": ["wrong point"], "blogs_said": "wrong", "is_fallback": 0,
               "lang_ok": 0}
    v = view(summary=flagged, abstract="We present X. It works well. We release code.",
             lang="ja")
    msg = render_paper(v)
    parse_html(msg.html)
    assert "Wrong-language" not in msg.visible and "wrong point" not in msg.visible
    assert "Abstract (English): We present X. It works well." in msg.visible
    assert "We release code" not in msg.visible  # the first sentences only
    assert "Post <1>: unmatched < here & there" in msg.visible  # the blog's own words
    assert msg.waiting == ("2401.00001",) and msg.lang == "ja"
    pending = render_paper(view(summary=None, pending=True))
    assert "this message will update" in pending.visible
    good = render_paper(view())
    assert good.waiting == () and "Short & sweet" in good.visible


def test_a_list_is_rendered_again_as_one_message_for_an_edit():
    views = [view(f"2401.{i:05d}", summary=None, abstract="Long abstract sentence. " * 40,
                  lang="en") for i in range(6)]
    (first,) = render_digest(views[:2], header=render.bold("Latest"))
    assert first.layout == "list" and first.header == "<b>Latest</b>"
    assert first.waiting == ("2401.00000", "2401.00001")
    upgraded = [view(v.arxiv_id, summary={"tldr": "x " * 600}, lang="en") for v in views]
    assert len(render_digest(upgraded, header=render.bold("Latest"))) > 1
    again = render.render_list(upgraded, header=render.bold("Latest"))
    assert again is not None and again.arxiv_ids == tuple(v.arxiv_id for v in views)
    assert utf16_len(parse_html(again.html).strip()) <= 4096 and again.waiting == ()


QUOTED = [
    # (text someone else wrote, what the message shows, the plain-text fallback)
    ("see https://evil.example/x?a=1, now", "see <code>evil.example</code>, now",
     "see evil[.]example, now"),
    ("www.Evil.COM/path and evil.io.", "<code>Evil.COM</code> and <code>evil.io</code>.",
     "Evil[.]COM and evil[.]io."),
    ("mail a@evil.example or @scam_channel", "mail <code>evil.example</code> or "
     "<code>@scam_channel</code>", "mail evil[.]example or \uff20scam_channel"),
    ("click javascript:alert(1) or data:text/html,x!", "click  or ", "click  or "),
    ("<script>alert(1)</script> ok <!-- x -->", "alert(1) ok ", "alert(1) ok "),
    ("arxiv.org/abs/2401.00001 and https://huggingface.co/papers/2401.00001",
     "arxiv.org/abs/2401.00001 and https://huggingface.co/papers/2401.00001",
     "arxiv.org/abs/2401.00001 and https://huggingface.co/papers/2401.00001"),
    ("the post https://ex.org/p?a=1 says", "the post https://ex.org/p?a=1 says",
     "the post https://ex.org/p?a=1 says"),
    ("Training data: 10k, e.g. U.S. GPT-4.5 v1.2 < 3 & co",
     "Training data: 10k, e.g. U.S. GPT-4.5 v1.2 &lt; 3 &amp; co",
     "Training data: 10k, e.g. U.S. GPT-4.5 v1.2 < 3 & co"),
]


def test_quoted_text_shows_foreign_domains_unlinked():
    for source, shown, plain in QUOTED:
        piece = render.quoted(source, allowed=["https://ex.org/p?a=1"])
        assert (piece.html, piece.plain) == (shown, plain), source
        assert piece.visible == parse_html(piece.html)


def test_only_http_links_and_no_url_in_a_label():
    assert render.link("x", "javascript:alert(1)").html == "x"
    assert render.quoted_label("Read https://evil.example/x now") == "Read evil.example now"
    assert render.quoted_label("<b>arXiv</b> arxiv.org/abs/1 data:x") == "arXiv arxiv.org/abs/1 "
