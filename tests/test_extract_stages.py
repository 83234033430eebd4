"""Each extraction stage on its own, on small posts of our own in the shapes real sites use:
content → lines (crawler.extract.page, .content, .textlines), what a line says (crawler.extract.lines), lines →
entries (segment / tables / entries), entries → roles and words (roles)."""

from __future__ import annotations

import pytest

from crawler.extract import extract_papers, post_lines
from crawler.extract.lines import title_like
from crawler.extract.page import page_lines
from crawler.extract.textlines import unwrap_redirect


def primaries(found):
    return [f.arxiv_id for f in found if f.role == "primary"]


def references(found):
    return [f.arxiv_id for f in found if f.role == "reference"]


# ----------------------------------------------------------------------------- page → lines

def test_bare_urls_markdown_links_and_anchors_are_the_same_link():
    forms = [
        '<p>Paper: <a href="https://arxiv.org/abs/2404.02258">https://arxiv.org/abs/2404.02258</a></p>',
        "<p>Paper: https://arxiv.org/abs/2404.02258</p>",
        "Paper: [https://arxiv.org/abs/2404.02258](https://arxiv.org/abs/2404.02258)\n",
        "Paper: https://arxiv.org/abs/2404.02258\n",
    ]
    for form in forms:
        (line,) = page_lines(form)
        assert line.text == "Paper: https://arxiv.org/abs/2404.02258", form
        assert [(lk.href, lk.arxiv_id) for lk in line.links] == [
            ("https://arxiv.org/abs/2404.02258", "2404.02258")], form


@pytest.mark.parametrize(("href", "target"), [
    ("https://link.zhihu.com/?target=https%3A//arxiv.org/abs/2406.10209",
     "https://arxiv.org/abs/2406.10209"),
    ("https://example.substack.com/redirect?url=https%3A%2F%2Farxiv.org%2Fpdf%2F2404.07143&j=x",
     "https://arxiv.org/pdf/2404.07143"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fhuggingface.co%2Fpapers%2F2404.14219",
     "https://huggingface.co/papers/2404.14219"),
    ("https://link.mail.beehiiv.com/ss/c/u001.abc/4a1/xyz", "https://link.mail.beehiiv.com/ss/c/u001.abc/4a1/xyz"),
    ("https://arxiv.org/abs/2401.10020?context=cs", "https://arxiv.org/abs/2401.10020?context=cs"),
])
def test_redirects_that_carry_their_target_are_unwrapped(href, target):
    assert unwrap_redirect(href) == target


def test_a_url_cut_short_is_a_paper_link_with_an_invalid_id():
    (line,) = page_lines("<p>论文地址：https://arxiv.org/abs/2406.1…</p>")
    (link,) = line.links
    assert link.paper and link.bad_arxiv and link.arxiv_id is None


def test_table_rows_html_markdown_and_text_are_one_line_each():
    html = ("<table><tr><th>论文</th><th>链接</th></tr><tr><td>Qwen2 Technical Report</td>"
            '<td><a href="https://arxiv.org/abs/2407.10671">arXiv</a></td></tr></table>')
    markdown = ("| 论文 | 链接 |\n|---|---|\n"
                "| Qwen2 Technical Report | [arXiv](https://arxiv.org/abs/2407.10671) |\n")
    for form in (html, markdown):
        rows = page_lines(form)
        assert [r.text for r in rows] == ["论文 | 链接", "Qwen2 Technical Report | arXiv"], form
        assert [c.text for c in rows[1].cells] == ["Qwen2 Technical Report", "arXiv"]
        assert rows[1].cells[1].links[0].arxiv_id == "2407.10671"


def test_layout_tables_of_e_mail_newsletters_are_walked_as_blocks():
    html = ("<table><tr><td><h2>1. Mixture-of-Depths</h2><p>Routing tokens around blocks.</p>"
            '<p>Paper: <a href="https://arxiv.org/abs/2404.02258">arXiv</a></p><p>a</p><p>b</p>'
            "</td></tr></table>")
    lines = page_lines(html)
    assert [ln.text for ln in lines][:2] == ["1. Mixture-of-Depths", "Routing tokens around blocks."]
    assert not any(ln.table for ln in lines)


def test_whole_page_chrome_and_link_cards_are_dropped():
    page = """<html><body><nav><a href="https://arxiv.org/abs/1111.1111">nav</a></nav>
    <article><div class="post-content"><p>Статья: <a href="https://arxiv.org/abs/2405.21060">arXiv</a></p>
    <div class="zenn-embedded-card"><a href="https://arxiv.org/abs/2405.21060">Transformers are SSMs</a>
    <p>We show that Transformers and SSMs are closely related.</p></div></div></article>
    <div class="related-posts"><a href="https://arxiv.org/abs/2312.11805">Gemini</a></div></body></html>"""
    lines = page_lines(page)
    assert [ln.text for ln in lines] == ["Статья: arXiv", "https://arxiv.org/abs/2405.21060"]


def test_a_telegram_channel_page_keeps_every_message():
    page = """<html><body><div class="tgme_widget_message_wrap"><div class="tgme_widget_message_text">
    Первая статья<br>https://arxiv.org/abs/2405.21060</div></div>
    <div class="tgme_widget_message_wrap"><div class="tgme_widget_message_text">Вторая статья<br>
    https://arxiv.org/abs/2404.19756</div><div class="tgme_widget_message_footer">1.2K views</div></div>
    </body></html>"""
    texts = [ln.text for ln in page_lines(page)]
    assert texts == ["Первая статья", "https://arxiv.org/abs/2405.21060", "Вторая статья",
                     "https://arxiv.org/abs/2404.19756"]


def test_plain_text_and_markdown_headings():
    lines = page_lines("## 1. Mamba\n**Authors:** Albert Gu, Tri Dao\n[PDF](https://arxiv.org/abs/2312.00752)\n")
    assert [(ln.hint, ln.text) for ln in lines] == [
        ("h2", "1. Mamba"), ("p", "Authors: Albert Gu, Tri Dao"), ("p", "PDF")]


# ----------------------------------------------------------------------------- what a line says

@pytest.mark.parametrize(("text", "num"), [
    ("1. Title", ("dot", 1)), ("2.标题", ("dot", 2)), ("3、标题", ("ideo", 3)), ("④ 标题", ("circled", 4)),
    ("(5) Title", ("paren", 5)), ("（6）标题", ("paren", 6)), ("七、标题", ("cn", 7)), ("十、标题", ("cn", 10)),
    ("8️⃣ Title", ("keycap", 8)), ("[9] Vaswani et al.", ("bracket", 9)), ("Paper 10: Title", ("word", 10)),
    ("第3篇：标题", ("word", 3)), ("2024.06.28 更新", None), ("3.5 倍的提升", None), ("Title", None),
])
def test_numbering(text, num):
    (line,) = post_lines(f"<p>{text}</p>")
    assert line.num == num


@pytest.mark.parametrize(("text", "label"), [
    ("论文链接：https://arxiv.org/abs/2406.10209", "paper"), ("论文地址: x", "paper"),
    ("論文: https://arxiv.org/abs/2406.10209", "paper"), ("📄 Paper → https://arxiv.org/abs/2406.10209", "paper"),
    ("Статья: https://arxiv.org/abs/2406.10209", "paper"), ("논문 링크: x", "paper"), ("arXiv:", "paper"),
    ("[PDF]", "paper"), ("链接：https://arxiv.org/abs/2406.10209", "link"), ("Link: x", "link"),
    ("Ссылка: x", "link"), ("リンク：x", "link"), ("링크: x", "link"), ("地址：x", "link"),
    ("GitHub 地址：https://github.com/a/b", "resource"), ("Code: x", "resource"), ("Код: x", "resource"),
    ("论文标题：Mamba", "title"), ("Authors: Albert Gu, Tri Dao", "authors"),
    ("Paper reading is fun, I read one every day.", None),
])
def test_labels(text, label):
    (line,) = post_lines(f"<p>{text}</p>")
    assert line.label == label


@pytest.mark.parametrize(("text", "expected"), [
    ("Mixture-of-Depths: Dynamically allocating compute in transformer-based language models", True),
    ("Can Mamba Learn How to Learn? A Comparative Study on In-Context Learning Tasks", True),
    ("空間と時間を表現する言語モデル / Language Models Represent Space and Time", True),
    ("减少生成式 LLM 中的死记硬背现象", True), ("Mamba-2: новый SSM от Tri Dao", True),
    ("The authors train sparse autoencoders on the residual stream. The circuits are small.", False),
    ("反复实验表明效果显著。", False), ("2024년 1월 19일", False), ("https://arxiv.org/abs/2401.10020", False),
    ("ok", False),
])
def test_title_like(text, expected):
    assert title_like(text) is expected


# ----------------------------------------------------------------------------- lines → entries

DIGEST = [  # (title, link line) × 3, written by us
    ("Mixture-of-Depths: Dynamically allocating compute", "2404.02258", "按 token 分配计算量。"),
    ("Leave No Context Behind: Infini-attention", "2404.07143", "压缩记忆加局部注意力。"),
    ("Phi-3 Technical Report", "2404.14219", "微软的小模型,手机上能跑。"),
]


def _digest(opener, label="论文链接：", sep="br"):
    parts = []
    for k, (title, ident, words) in enumerate(DIGEST, 1):
        head = opener.format(n=k, t=title)
        link = f"{label}https://arxiv.org/abs/{ident}"
        parts.append((head, words, link))
    if sep == "br":
        return "<p>" + "<br>".join(x for p in parts for x in p) + "</p>"
    if sep == "md":
        return "\n".join(x for p in parts for x in p) + "\n"
    return "".join(f"{head}<p>{words}</p><p>{link}</p>" for head, words, link in parts)


@pytest.mark.parametrize("post", [
    _digest("<h3>{n}. {t}</h3>", sep="html"),
    _digest("<p><b>{n}. {t}</b></p>", sep="html"),
    _digest("<p>{n}.{t}</p>", sep="html"),
    _digest("{n}、{t}"),
    _digest("## {t}", sep="md"),
    _digest("{t}"),
    _digest("<h2>{t}</h2>", sep="html"),
    _digest("{n}️⃣ {t}", label="📄 Paper: "),
    _digest("({n}) {t}", label="链接："),
], ids=["h3", "bold", "p-numbered", "br-numbered", "markdown", "br-unnumbered", "h2", "keycap",
        "bare-link-label"])
def test_the_same_digest_in_any_markup_gives_the_same_entries(post):
    found = extract_papers(post, lang="zh")
    prim = [f for f in found if f.role == "primary"]
    assert [f.arxiv_id for f in prim] == [d[1] for d in DIGEST]
    assert [f.title for f in prim] == [d[0] for d in DIGEST]
    assert [f.text for f in prim] == [d[2] for d in DIGEST]
    assert references(found) == []


def test_link_first_and_title_first_posts_pair_each_link_with_its_own_title():
    titles = ["Attention Is All You Need", "Deep Residual Learning for Image Recognition",
              "Adam: A Method for Stochastic Optimization"]
    ids = ["1706.03762", "1512.03385", "1412.6980"]
    title_first = "".join(f"<p>{t}</p><p>https://arxiv.org/abs/{i}</p>" for t, i in zip(titles, ids, strict=True))
    link_first = "".join(f"<p>https://arxiv.org/abs/{i}</p><p>{t} (A. Author, B. Author)</p><p>Good.</p>"
                         for t, i in zip(titles, ids, strict=True))
    for post in (title_first, link_first, title_first + "<p>Thanks for reading</p>"):
        prim = [f for f in extract_papers(post) if f.role == "primary"]
        assert [(f.arxiv_id, f.title) for f in prim] == list(zip(ids, titles, strict=True)), post


def test_reading_lists_that_name_papers_are_primaries_bare_link_lists_are_references():
    named = ("<p>Papers to read:</p><ul>"
             '<li><a href="https://arxiv.org/abs/1706.03762">Attention Is All You Need</a> (2017)</li>'
             "<li>Deep Residual Learning for Image Recognition — https://arxiv.org/pdf/1512.03385</li>"
             "<li>Adam: A Method for Stochastic Optimization: https://arxiv.org/abs/1412.6980</li></ul>")
    assert primaries(extract_papers(named)) == ["1706.03762", "1512.03385", "1412.6980"]
    bare = ("<p>Links I keep coming back to:</p><ul>"
            + "".join(f"<li>https://arxiv.org/abs/{i}</li>" for i in ("1706.03762", "1512.03385", "1412.6980"))
            + "</ul><p>More next week.</p>")
    found = extract_papers(bare)
    assert primaries(found) == [] and references(found) == ["1706.03762", "1512.03385", "1412.6980"]


def test_citations_inside_an_entry_and_under_reference_headings_are_references():
    post = ("<p>1. Mixture-of-Depths</p><p>Paper: https://arxiv.org/abs/2404.02258</p>"
            "<p>Builds on routing ideas (see arXiv:2101.03961) and is cheap.</p>"
            '<p>See also: <a href="https://arxiv.org/abs/2402.19427">Griffin</a></p>'
            "<p>2. Phi-3 Technical Report</p><p>Paper: https://arxiv.org/abs/2404.14219</p>"
            "<p>参考文献</p><p>[1] Vaswani A, et al. Attention Is All You Need. https://arxiv.org/abs/1706.03762</p>"
            "<p>[2] He K, et al. Deep Residual Learning. https://arxiv.org/abs/1512.03385</p>")
    found = extract_papers(post)
    assert primaries(found) == ["2404.02258", "2404.14219"]
    assert references(found) == ["2101.03961", "2402.19427", "1706.03762", "1512.03385"]


def test_resource_links_never_become_the_paper():
    post = ("<p>🔥 Mamba-2: новый SSM</p><p>Код: https://github.com/state-spaces/mamba</p>"
            "<p>Авторы показывают связь SSM и внимания.</p><p>Статья: https://arxiv.org/abs/2405.21060</p>")
    (paper,) = extract_papers(post, lang="ru")
    assert paper.arxiv_id == "2405.21060" and paper.text == "Авторы показывают связь SSM и внимания."


def test_single_paper_post_named_in_parentheses_in_its_headline():
    post = "<p>今回は状態空間モデルの論文を読みました。著者は Gu と Dao です。</p><p>線形時間で長い系列を扱えます。</p>"
    (paper,) = extract_papers(post, title="【論文紹介】選択的状態空間モデル (Mamba: Linear-Time Sequence "
                                          "Modeling with Selective State Spaces)", lang="ja")
    assert paper.arxiv_id is None and paper.role == "primary" and paper.flag == "post-title"
    assert paper.title == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"


def test_results_table_is_not_a_paper_table():
    post = ("<table><tr><th>Model</th><th>MMLU</th><th>Source</th></tr>"
            '<tr><td>A</td><td>71.2</td><td><a href="https://arxiv.org/abs/2401.00001">1</a></td></tr>'
            '<tr><td>B</td><td>68.0</td><td><a href="https://arxiv.org/abs/2401.00002">2</a></td></tr></table>')
    found = extract_papers(post)
    assert primaries(found) == [] and references(found) == ["2401.00001", "2401.00002"]


# ----------------------------------------------------------------------------- roles and words

def test_words_drop_copied_abstract_labels_and_bare_urls():
    post = ("<p>1. Mixture-of-Depths</p>"
            "<p>A router picks the top-k tokens per block that get processed; everyone else skips the"
            " block through the residual stream, which keeps the compute graph static.</p>"
            "<p>谷歌的新方法,类似 MoE (https://arxiv.org/abs/2101.03961) 但作用在深度上。</p>"
            "<p>论文链接：https://arxiv.org/abs/2404.02258</p><p>#moe #efficiency</p>"
            "<p>2. Phi-3</p><p>论文链接：https://arxiv.org/abs/2404.14219</p>")
    first = extract_papers(post, lang="zh")[0]
    assert first.text == "谷歌的新方法,类似 MoE 但作用在深度上。"
    assert first.labels == ("moe", "efficiency") and first.lang == "zh"
