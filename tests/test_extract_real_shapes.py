"""Structures found measuring the extractor on real posts outside the corpus, three sets (docs
pages in Markdown with inline HTML, arXiv page titles pasted into reposts, badges, YAML
front matter, Tistory "source" lines, one-line shares…). Each test rebuilds the structure
with prose of our own; the IDs and titles are real papers'."""

from __future__ import annotations

from crawler.extract import extract_papers
from tests.flatten import plain_text


def primaries(found) -> list[str | None]:
    return [f.arxiv_id for f in found if f.role == "primary"]


def test_a_docs_page_in_markdown_with_inline_html_gives_each_paper_its_id_line():
    # MkDocs-style daily page: a linked heading to a local page, then a metadata row of
    # chips whose first chip is "arXiv <ID>" (no space between the chips), then a summary
    item = ('<article markdown="1">\n\n#### [{title}]({slug}.md)\n\n<div class="meta"><span class="id">'
            "arXiv {id}</span><span class=\"chip\">LLM 安全</span><span class=\"chip\">Agent</span></div>"
            '\n\n<div class="summary" markdown="1">\n\n{note}\n\n</div>\n\n</article>\n\n')
    papers = [("2310.06987", "Catastrophic Jailbreak of Open-source LLMs via Exploiting Generation",
               "本文发现只改变解码参数就能绕过对齐。"),
              ("2307.15043", "Universal and Transferable Adversarial Attacks on Aligned Language Models",
               "本文用梯度搜索后缀，让多个模型同时失守。"),
              ("2310.03693", "Fine-tuning Aligned Language Models Compromises Safety, Even When Users "
                             "Do Not Intend To", "少量微调样本即可破坏安全对齐。")]
    page = "---\ntitle: \"LLM 安全\"\n---\n\n# LLM 安全\n\n今日共 **3** 篇。\n\n<div class=\"list\" markdown=\"1\">\n\n"
    page += "".join(item.format(id=i, title=t, slug=t.lower().replace(" ", "-")[:30], note=n)
                    for i, t, n in papers) + "</div>\n"
    found = extract_papers(page, title="LLM 安全", lang="zh")
    assert primaries(found) == [i for i, _t, _n in papers]
    assert [f.title for f in found] == [t for _i, t, _n in papers]  # a long linked heading stays whole
    assert found[0].text == papers[0][2]


def test_the_arxiv_page_title_pasted_after_a_label_is_the_posts_paper():
    post = ("<p>最近大家都在讨论推荐系统里的大模型，这篇就来精读一篇。</p>"
            "<p>对应的论文为：[2403.01744] NoteLLM: A Retrievable Large Language Model for Note "
            "Recommendation [1]</p><p>下面按背景、方法、实验三部分展开。</p>"
            "<p>背景：传统方法只用 BERT 生成笔记向量，没有利用话题标签。</p>")
    (paper,) = extract_papers(post, title="NoteLLM 精读：用于笔记推荐的大模型", lang="zh")
    assert paper.arxiv_id == "2403.01744" and paper.role == "primary"
    assert paper.title == "NoteLLM: A Retrievable Large Language Model for Note Recommendation"


def test_a_source_line_at_the_top_of_a_review_links_its_paper():
    post = ("<p>출처 : https://arxiv.org/abs/2309.09530</p>"
            "<p>Adapting Large Language Models to Domains via Reading Comprehension</p>"
            "<p>오늘은 도메인 적응 논문을 읽었다. 원문 코퍼스를 독해 문제로 바꿔서 학습한다.</p>")
    (paper,) = extract_papers(post, title="Adapting Large Language Models to Domains via Reading "
                                          "Comprehension", lang="ko")
    assert (paper.arxiv_id, paper.role) == ("2309.09530", "primary")


def test_a_metadata_box_under_a_numbered_title_gives_the_entry_its_id():
    post = ("<p>1. MOOSE-Star: Unlocking Tractable Training for Scientific Discovery by Breaking the "
            "Complexity Barrier</p><table><tr><td>arXiv: 2603.03756</td><td>기관: MiroMind AI</td>"
            "<td>⬆️ 74</td></tr></table><p>한 줄 요약: 가설 생성을 조합 문제로 바꾼다.</p>"
            "<p>2. SkillNet: Create, Evaluate, and Connect AI Skills</p><table><tr><td>arXiv: 2603.04448"
            "</td><td>기관: 어느 연구소</td><td>⬆️ 43</td></tr></table><p>한 줄 요약: 스킬을 그래프로 잇는다.</p>")
    found = extract_papers(post, title="AI 논문 핵심 요약", lang="ko")
    assert primaries(found) == ["2603.03756", "2603.04448"]
    assert found[0].title.startswith("MOOSE-Star")


def test_a_markdown_reading_list_with_tags_checkmarks_and_titles_ending_in_a_period():
    post = ("## Multi Agent\n"
            "- [arXiv23] ✅ Embodied LLM Agents Learn to Cooperate in Organized Teams. "
            "[paper](https://arxiv.org/abs/2403.12482)  [code](https://github.com/a/b)\n"
            "- [ICLR24] MetaGPT: Meta Programming for A Multi-Agent Collaborative Framework. "
            "[paper](https://arxiv.org/abs/2308.00352) [code](https://github.com/c/d)\n"
            "- [ICLR24] AgentVerse: Facilitating Multi-Agent Collaboration and Exploring Emergent "
            "Behaviors. [paper](https://arxiv.org/abs/2308.10848)\n")
    found = extract_papers(post, lang="en")
    assert primaries(found) == ["2403.12482", "2308.00352", "2308.10848"]
    assert found[0].title == "Embodied LLM Agents Learn to Cooperate in Organized Teams"


def test_an_awesome_list_of_linked_short_names_keeps_each_name_and_its_note():
    post = ("<p>Some examples of articles:</p><ul>"
            '<li><a href="https://arxiv.org/abs/1708.07120">Super-convergence</a> — very fast training</li>'
            '<li><a href="https://arxiv.org/abs/1612.07828">Learning from Simulated and Unsupervised Images '
            "through Adversarial Training</a> — GANs that refine synthetic images</li>"
            '<li><a href="https://openai.com/blog/gpt-3-apps/">OpenAI GPT-3</a> — a language model</li>'
            '<li><a href="https://arxiv.org/abs/1901.02860">Transformer-XL</a> — longer context</li></ul>')
    found = [f for f in extract_papers(post, lang="en") if f.arxiv_id]
    assert [(f.arxiv_id, f.title, f.text) for f in found] == [
        ("1708.07120", "Super-convergence", "very fast training"),
        ("1612.07828", "Learning from Simulated and Unsupervised Images through Adversarial Training",
         "GANs that refine synthetic images"),
        ("1901.02860", "Transformer-XL", "longer context")]


def test_a_badge_linking_the_paper_and_front_matter_naming_it():
    badge = ("# 🧠 Native Sparse Attention: Hardware-Aligned and Natively Trainable Sparse Attention\n\n"
             "[![arXiv](https://img.shields.io/badge/arXiv-2501.12948-b31b1b.svg)]"
             "(https://arxiv.org/pdf/2502.11089)\n\n## Обзор\nDeepSeek показала разреженное внимание.\n")
    (paper,) = [f for f in extract_papers(badge, lang="ru") if f.role == "primary"]
    assert paper.arxiv_id == "2502.11089"  # the badge's link, not the stale ID in its image URL
    front = ('---\nlayout: paper\ntitle: "HiFi-Inpaint: Towards High-Fidelity Reference-Based Inpainting"\n'
             'arxiv_id: "2603.02210"\narxiv_url: "https://arxiv.org/abs/2603.02210"\n---\n\n'
             "## 一言まとめ\n製品の細部を保ったまま人物画像を作る。\n")
    (paper,) = extract_papers(front, lang="ja")
    assert (paper.arxiv_id, paper.role) == ("2603.02210", "primary")


def test_a_paper_named_in_native_prose_or_by_a_lowercase_coined_name_is_an_entry():
    ja = ("<p>アドベントカレンダー7日目です。</p><p>今回は Incorporating BERT into Neural Machine "
          "Translationという論文を読んでみることにしました。</p><p>まずは概要から。</p>")
    (paper,) = extract_papers(ja, title="論文要約フォーマットを使ってみる", lang="ja")
    assert paper.arxiv_id is None and paper.title == "Incorporating BERT into Neural Machine Translation"
    ru = ("<p>Аннотация</p><p>В данной статье представлен метод rStar-Math: малые модели решают "
          "олимпиадные задачи.</p>")
    (paper,) = extract_papers(ru, title="Как rStar-Math учит небольшие модели математике", lang="ru")
    assert paper.arxiv_id is None and "rStar-Math" in paper.candidates


def test_a_one_line_share_presents_its_link():
    (paper,) = extract_papers("<p>wow, a great read on how models learn (or don't). "
                              "https://arxiv.org/abs/2603.15381</p>", lang="en")
    assert (paper.arxiv_id, paper.role) == ("2603.15381", "primary")
    # the same link cited inside a longer how-to stays a reference
    howto = ("<p>We deployed the model behind an API last month.</p>" * 6
             + "<p>For the idea behind the cache, see the paper https://arxiv.org/abs/2309.06180 .</p>"
             + "<p>Then we tuned the batch size and the memory limit.</p>" * 4)
    assert [f.role for f in extract_papers(howto, lang="en")] == ["reference"]


def test_a_checklist_template_per_paper_takes_each_sections_paper_not_its_repeated_headings():
    section = ("## Section {n}: {name}\n### A: Contribution\n- [x] What it adds: {note}\n"
               "- [x] 論文リンク: https://arxiv.org/abs/{id}\n### B: Method\n- [x] 入力→出力: 文書画像 → テキスト\n"
               "### C: Results\n- [x] Evidence 1: ベンチマークで最良\n")
    post = "# 論文共有会 チェックリスト\n" + "".join(section.format(n=k, name=name, id=i, note=note) for k, (
        name, i, note) in enumerate([("DeepSeek-OCR 2", "2601.20552", "視覚エンコーダを言語モデルに置き換える"),
                                     ("Reinforced Attention Learning", "2602.04884", "注意分布に報酬を与える")], 1))
    found = extract_papers(post, title="論文共有会 チェックリスト", lang="ja")
    assert [(f.arxiv_id, f.title) for f in found] == [("2601.20552", "DeepSeek-OCR 2"),
                                                      ("2602.04884", "Reinforced Attention Learning")]


def test_a_numbered_title_whose_id_comes_as_an_arxiv_page_title_in_its_text():
    post = ("<p>以下是十篇重要论文。</p>"
            "<p>1. Training Language Models to Follow Instructions with Human Feedback (2022 年, Long Ouyang 等)</p>"
            "<p>核心贡献: 用人类反馈微调大模型 ([2203.02155] Training language models to follow instructions "
            "with human feedback)。</p>"
            "<p>2. Constitutional AI: Harmlessness from AI Feedback (2022 年, Bai 等)</p><p>核心贡献: 用原则代替人工标注。</p>"
            "<p>3. Direct Preference Optimization: Your Language Model is Secretly a Reward Model (2023 年)</p>"
            "<p>核心贡献: 不训练奖励模型。</p>")
    found = extract_papers(post, title="十大重要论文", lang="zh")
    assert [f.arxiv_id for f in found] == ["2203.02155", None, None]
    assert found[2].title == "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"


def test_cited_titles_with_their_venue_are_papers_and_a_title_with_its_url_in_parentheses():
    post = ("<p>我们组在这个任务上的两篇工作：</p>"
            "<p>1. A Unified Model for Opinion Target Extraction and Target Sentiment Prediction. In AAAI 2019.</p>"
            "<p>源码链接: https://github.com/a/e2e</p>"
            "<p>2. Exploiting BERT for End-to-End Aspect-based Sentiment Analysis. In EMNLP W-NUT Workshop 2019.</p>"
            "<p>源码链接: https://github.com/a/bert-e2e</p><p>下面分别介绍。</p>")
    found = extract_papers(post, title="情感分析的最新进展", lang="zh")
    assert [f.title for f in found] == [
        "A Unified Model for Opinion Target Extraction and Target Sentiment Prediction",
        "Exploiting BERT for End-to-End Aspect-based Sentiment Analysis"]
    page = ("<p>論文の概要</p><p>CiteSum: Citation Text-guided Scientific Extreme Summarization and "
            "Low-resource Domain Adaptation ( http://arxiv.org/abs/2205.06207v1 )</p><p>ライセンス: CC BY 4.0</p>")
    (paper,) = extract_papers(page, lang="ja")
    assert (paper.arxiv_id, paper.role) == ("2205.06207", "primary")


def test_items_whose_paper_links_were_stripped_keep_their_names():
    post = ("<p>올해 주목할 논문을 정리합니다.</p><p>1. 자율 과학자의 등장</p>"
            "<p>- Paper2Agent (스탠포드): 논문을 실행 가능한 에이전트로 바꿉니다. 🔗 논문 보기</p>"
            "<p>- SSRL (칭화대): 외부 검색 없이 스스로 학습하는 강화 학습법입니다. 🔗 논문 보기</p>"
            "<p>- Agent Lightning (MS): 에이전트를 강화 학습으로 최적화합니다. 🔗 논문 보기</p>")
    found = extract_papers(post, title="2025년 주목할 논문", lang="ko")
    assert [(f.arxiv_id, f.title) for f in found] == [(None, "Paper2Agent"), (None, "SSRL"),
                                                      (None, "Agent Lightning")]
    assert found[1].text == "외부 검색 없이 스스로 학습하는 강화 학습법입니다."


# ----------------------------------------------------------------------------- third set


def test_a_source_line_with_an_arxiv_id_is_its_sections_paper_and_a_tldr_list_is_not_papers():
    # a Gist report: a TL;DR numbered list of concepts, then numbered sections starting at 1
    # again; one section names its source as "Источник: <blog>, arXiv:<ID>" (no link)
    post = ("RLM: обзор\n\nTL;DR\n\n"
            "1. Recursive Language Model — управление контекстом через делегирование (Prime Intellect, 2025)\n"
            "2. Reasoning Language Model — модели, обученные рассуждать через RL\n\n"
            "1. Два значения RLM\n\n1.1 Recursive Language Model\n\n"
            "Источник: блог Prime Intellect, arXiv:2512.24601\n\n"
            "Главная модель не читает данные сама, а поручает это вспомогательным.\n")
    found = extract_papers(post, title="RLM: обзор", lang="ru")
    assert [(f.arxiv_id, f.role) for f in found] == [("2512.24601", "primary")]


def test_each_section_says_which_paper_it_read():
    # Japanese study notes: "読んだ論文：<URL>" under each topic heading
    post = ("# OCRの後処理\n\n後処理でOCRの誤りを直す話。\n\n"
            "読んだ論文：http://arxiv.org/abs/2108.02899v1 (Workshop at KDD, 2021)\n\n"
            "## 構成\n\n文字の埋め込みを畳み込みに通す。\n\n"
            "# 情景文字認識\n\n曲がった文字列を読むタスク。\n\n"
            "読んだ論文：https://arxiv.org/abs/2107.13938v1\n\n## 構成\n\nCNNの後に注意機構。\n")
    found = extract_papers(post, title="OCRの勉強メモ", lang="ja")
    assert [(f.arxiv_id, f.role) for f in found] == [("2108.02899", "primary"), ("2107.13938", "primary")]


def test_code_in_a_fenced_block_is_neither_a_heading_nor_an_entry():
    post = ("# メモ\n\n論文 \"Everything is Context\"（arXiv:2512.05470）を読んだ。\n\n"
            "```bash\n# MEMORY.md の参照チェック\n1. Context Loader Script\n2. Context Check Script\n"
            "3. Context Clean Script\n```\n\n感想はまた書く。\n")
    found = extract_papers(post, title="メモ: 論文 'Everything is Context'", lang="ja")
    assert [(f.arxiv_id, f.role) for f in found] == [("2512.05470", "primary")]


def test_a_summary_list_glossing_english_terms_is_not_a_list_of_papers():
    # a discussion of one paper: its summary list glosses the paper's terms in parentheses;
    # the post's title quotes the paper, the text gives its ID next to the same title
    post = ("<h2>はじめに</h2><p>そんなとき \"Everything is Context\"（arXiv:2512.05470）という論文を読んだ。</p>"
            "<h2>まとめ</h2><p>1. 文脈があふれる → 段階的に読み込む（Context Constructor）</p>"
            "<p>2. 全部は入らない → 優先度で選ぶ（Bounded Reasoning）</p>"
            "<p>3. 古い情報で動く → 鮮度を確かめる（Context Evaluator）</p>"
            "<p>論文 \"Everything is Context\" はこの流れに名前をつけてくれた。</p>")
    found = extract_papers(post, title="作ったものに名前がついていた — 論文 'Everything is Context' との対応",
                           lang="ja")
    assert [(f.arxiv_id, f.role) for f in found] == [("2512.05470", "primary")]


def test_a_footnote_citing_the_papers_title_gives_the_posts_paper():
    post = ("---\ntitle: 論文読み - Efficient Estimation of Word Representations in Vector Space\n---\n\n"
            "今回はword2vecの元論文を読む[^1]。\n\n"
            "[^1]: T. Mikolov, K. Chen, G. Corrado, J. Dean, \"Efficient Estimation of Word Representations "
            "in Vector Space\", 2013, https://arxiv.org/abs/1301.3781\n\n## 導入\n\n単語をベクトルにする。\n")
    (paper,) = [f for f in extract_papers(post, lang="ja") if f.role == "primary"]
    assert (paper.arxiv_id, paper.title) == ("1301.3781", "Efficient Estimation of Word Representations in Vector Space")


def test_a_reading_list_of_citations_without_links_names_each_paper():
    post = ("Reading\n\nPapers I keep coming back to.\n\nArchitectures\n\n"
            "- Mamba: Linear-Time Sequence Modeling with Selective State Spaces Gu & Dao · 2023\n"
            "Attention-free and still competitive.\n\nLong context\n\n"
            "- Lost in the Middle: How Language Models Use Long Contexts Liu et al. (TACL 2024) · 2023\n"
            "Why the middle of a long prompt gets ignored.\n\n"
            "- DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via RL DeepSeek-AI · 2025\n"
            "Reasoning from verifiable rewards alone.\n")
    found = extract_papers(post, title="Reading", lang="en")
    assert [(f.arxiv_id, f.title) for f in found] == [
        (None, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"),
        (None, "Lost in the Middle: How Language Models Use Long Contexts"),
        (None, "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via RL")]
    assert found[1].text == "Why the middle of a long prompt gets ignored."
    labelled = ("<p>컨텍스트 길이 관련 논문입니다.</p><p>arXiv: Memorizing Transformers (2022)</p>"
                "<p>arXiv: Qwen2.5-1M Technical Report (2025)</p><p>둘 다 긴 문맥을 다룹니다.</p>")
    assert [f.title for f in extract_papers(labelled, lang="ko")] == [
        "Memorizing Transformers", "Qwen2.5-1M Technical Report"]


def test_a_title_then_its_authors_and_year_is_a_paper():
    post = ("<h2>🏗️ Foundations</h2><p>🔹 Attention Is All You Need</p><p>Vaswani et al., 2017</p>"
            "<p>Replaced recurrence with self-attention.</p>"
            "<p>🔹 LoRA: Low-Rank Adaptation of Large Language Models</p><p>Hu et al., 2021</p>"
            "<p>Cheap fine-tuning with low-rank updates.</p>")
    found = extract_papers(post, title="Essential reading", lang="en")
    assert [(f.title, f.authors) for f in found] == [
        ("Attention Is All You Need", ("Vaswani",)),
        ("LoRA: Low-Rank Adaptation of Large Language Models", ("Hu",))]


def test_a_paper_named_in_russian_prose_between_single_quotes():
    post = ("<p>Автор: Иван Петров</p><p>В работе ‘Beyond the Black Box: Theory and Mechanism of Large "
            "Language Models’ предложена классификация теорий о больших моделях.</p>"
            "<p>Разберём, что из этого следует для практики.</p>")
    (paper,) = extract_papers(post, title="Языковые модели: от загадки к пониманию", lang="ru")
    assert (paper.arxiv_id, paper.title) == (None, "Beyond the Black Box: Theory and Mechanism of Large Language Models")


def test_an_english_title_with_a_native_gloss_keeps_the_gloss_as_the_blogs_words():
    # "Title — gloss — URL" items and a table cell "Title - gloss": the English half names
    # the paper, the native half is what the blog said about it
    post = ("<p>이번 주 논문</p><p>- Tree Search for Language Model Agents — 에이전트를 위한 트리 탐색 — "
            "https://arxiv.org/abs/2407.01476</p><p>- Lighthouse Retrieval Heads — 검색 헤드 분석 — "
            "https://arxiv.org/abs/2404.15574</p>")
    found = extract_papers(post, title="이번 주 논문", lang="ko")
    assert [(f.title, f.text) for f in found] == [
        ("Tree Search for Language Model Agents", "에이전트를 위한 트리 탐색"),
        ("Lighthouse Retrieval Heads", "검색 헤드 분석")]
    table = ("<table><tr><th>Paper</th><th>Links</th></tr><tr><td>1) <strong>Tree Search for Language Model "
             "Agents</strong> - 에이전트를 위한 트리 탐색을 제안합니다.</td><td><a href='https://arxiv.org/abs/2407.01476'>"
             "Paper</a></td></tr><tr><td>2) <strong>Lighthouse Retrieval Heads</strong> - 검색 헤드를 분석합니다."
             "</td><td><a href='https://arxiv.org/abs/2404.15574'>Paper</a></td></tr></table>")
    for rendered in (table, plain_text(table)):  # and as text: "1) Title - 설명 | Paper <URL>" rows
        found = extract_papers(rendered, title="주간 논문", lang="ko")
        assert [(f.title, f.text) for f in found] == [
            ("Tree Search for Language Model Agents", "에이전트를 위한 트리 탐색을 제안합니다."),
            ("Lighthouse Retrieval Heads", "검색 헤드를 분석합니다.")]


def test_sub_headings_every_section_repeats_do_not_open_entries():
    # study notes: each paper under its own heading, then the same sub-headings every time
    section = ("# {title}\n\n{intro}\n\n読んだ論文：https://arxiv.org/abs/{id}v1\n\n## 構成\n\n{how}\n\n"
               "## わかってないこと\n\n{open}\n\n")
    post = section.format(title="OCRの後処理", intro="誤りを後から直す話。", id="2108.02899",
                          how="文字の埋め込みを畳み込みに通す。", open="損失の重みの決め方。")
    post += section.format(title="Scene Text Recognition", intro="曲がった文字列を読む。", id="2107.13938",
                           how="CNNの後に注意機構。", open="変形が要らない理由。")
    for text in (post, post.replace("## ", "").replace("# ", "")):  # and as plain lines
        found = extract_papers(text, title="OCRの勉強メモ", lang="ja")
        assert [(f.arxiv_id, f.title) for f in found] == [("2108.02899", "OCRの後処理"),
                                                          ("2107.13938", "Scene Text Recognition")]
        assert found[1].text.startswith("曲がった文字列を読む。")
