"""The vocabulary of paper posts in en/ko/ja/zh/ru: labels, headings, numbering, scripts.

Only regular expressions and word lists live here (no logic), so that adding a label a
new site uses is a one-line change next to its siblings.
"""

from __future__ import annotations

import re

# ----------------------------------------------------------------------------- scripts

LATIN = re.compile(r"[A-Za-z]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
OTHER_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]")
CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{2,}")
ALNUM = re.compile(r"[^\W_]")

# ----------------------------------------------------------------------------- labels
# A label opens a line ("论文链接:", "Paper →", "📄 arXiv:", "[PDF]") and says what the
# rest of the line (or the next line) is. Decorations around labels: bullets, emoji,
# brackets, bold markers.

DECOR = r"[\s\-–—•*·>▶►▪︎◆◇■□●○★☆✅✔️🔗📄📃📝📑📌👉🔥💡🧵📎📚🔍📖🗒️🖇️:：【\[(（「『]*"
_CLOSE = r"\s*[】\])）」』]?\s*"

# the paper itself
PAPER_WORDS = (
    r"paper(?:\s*(?:link|url|page|pdf|here))?|the paper|read the paper|link to (?:the )?paper"
    r"|arxiv(?:[\s_-]*(?:link|paper|page|id|url|abs))?|pdf(?:[\s_-]*(?:url|link))?|preprint|full paper"
    r"|publication|paper[_-](?:url|link)"  # YAML front matter: "arxiv_url: …", "pdf_url: …"
    r"|论文(?:链接|地址|网址|下载|原文|链接地址|传送门)?|paper\s*地址|原论文|文章链接|文献链接"
    r"|(?:对应|對應|相应|相應)的?(?:论文|論文)(?:为|為|是)?|(?:论文|論文)(?:为|為|是)"
    r"|論文(?:リンク|URL|へのリンク|はこちら)?|원\s*논문|논문(?:\s*링크|\s*주소|\s*원문)?"
    # "the paper I read / we introduce": "読んだ論文：URL", "소개할 논문: URL", "解读的论文：URL"
    r"|(?:今回)?(?:読んだ|紹介する|紹介した)論文|元論文|対象論文|(?:읽은|소개할|소개한|리뷰할)\s*논문"
    r"|(?:阅读|解读|介绍)的?论文"
    r"|стать[яи](?:\s*на\s*arxiv)?|ссылка на статью|препринт|оригинал статьи|пейпер|папира"
)
# a bare "link:" is the paper's only when it links a paper
LINK_WORDS = (r"links?|urls?|链接|地址|网址|传送门|リンク|링크|주소|ссылк[аи]|линк"
              r"|原文(?:链接|地址)?|原論文|원문|оригинал(?:\s*статьи)?|original(?:\s*paper)?|source"
              r"|출처|来源|出处|出典|источник")
# other resources of the same entry: never its primary
RESOURCE_WORDS = (
    r"code|github|repo(?:sitory)?|project(?:\s*page)?|homepage|demo|blog(?:\s*post)?|website"
    r"|model(?:s|\s*weights)?|weights|checkpoints?|dataset|data|hugging\s*face|tweet|thread"
    r"|twitter|x\.com|video|slides|podcast|source|official|benchmark|leaderboard|colab|notebook"
    r"|代码(?:地址|链接|仓库)?|github\s*(?:地址|链接|仓库)|项目(?:地址|主页|链接)?|主页|模型(?:地址|下载)?"
    r"|数据集?(?:地址)?|演示|博客|官方|开源地址|コード|プロジェクト(?:ページ)?|データセット|デモ|ブログ"
    r"|코드|프로젝트(?:\s*페이지)?|데이터셋|데모|블로그|깃허브|код|репозиторий|гитхаб|проект"
    r"|датасет|демо|блог|веса|модель"
)
TITLE_WORDS = (
    r"(?:paper|english|original)\s*title|title|论文(?:标题|题目|名称)|英文(?:标题|题目|名称|名)|原(?:标题|题目|名)|标题|题目"
    r"|論文(?:タイトル|名)|英語(?:タイトル|題名)|原題|原題名|タイトル|논문\s*제목|영문\s*제목|원제(?:목)?|제목"
    r"|название(?:\s*статьи)?|(?:оригинальное|английское)\s+название|заголовок"
)
AUTHOR_WORDS = r"authors?|论文作者|作者|著者|저자|авторы?"
AFFIL_WORDS = r"affiliations?|institutions?|机构|单位|团队|所属|소속|기관|организаци[яи]|лаборатория"

# "Label:" (colon required) or "Label" alone on its line
def _label(words: str) -> re.Pattern[str]:
    # "Paper:", "Paper (PDF):", "论文链接 →", "Статья" alone on its line
    return re.compile(rf"^{DECOR}(?:{words})(?:\s*[(（][^()（）]{{1,16}}[)）])?{_CLOSE}"
                      rf"(?:[:：]|\s*[-–—→>]+\s|(?=\s*$))", re.I)


PAPER_LABEL = _label(PAPER_WORDS)
LINK_LABEL = _label(LINK_WORDS)
RESOURCE_LABEL = _label(RESOURCE_WORDS)
TITLE_LABEL = re.compile(rf"^{DECOR}(?:{TITLE_WORDS}){_CLOSE}[:：]\s*(?P<rest>.+)$", re.I)
AUTHOR_LABEL = re.compile(rf"^{DECOR}(?:{AUTHOR_WORDS}){_CLOSE}[:：]\s*(?P<rest>.+)$", re.I)
AFFIL_LABEL = re.compile(rf"^{DECOR}(?:{AFFIL_WORDS}){_CLOSE}[:：]", re.I)

# link texts that name the kind of link, not the paper ("[PDF]", "arXiv", "論文リンク")
LINK_TEXT_LABEL = re.compile(
    rf"^{DECOR}(?:{PAPER_WORDS}|{LINK_WORDS}|abs|html|here|this|click here|点击|这里|此处|こちら|여기|здесь"
    rf"|arxiv\.org|huggingface\.co|alphaxiv\.org|ar5iv(?:\.labs\.arxiv\.org)?|openreview(?:\.net)?){_CLOSE}[:：]?\s*$",
    re.I)

# ----------------------------------------------------------------------------- headings

REF_HEAD = re.compile(
    r"^\W*(?:references?|bibliography|citations?|foot\s*notes?|notes and references|acknowledge?ments?|credits|thanks to|built (?:up)?on|based on|how to cite|cite (?:this|us)|bibtex|further reading|related (?:work|works|papers|reading|posts?|lists?|links?|repos(?:itories)?|projects?)|other (?:lists|resources|reading)|background|prior art"
    r"|see also|more reading|prior work|previous work|background reading|also worth reading"
    r"|参考文献|参考资料|参考链接|参考|注释|脚注|致谢|鸣谢|感谢|引用|相关论文|相关工作|相关阅读|延伸阅读|扩展阅读|往期(?:回顾|推荐)?|推荐阅读"
    r"|関連論文|関連研究|関連記事|参考資料|参考文献|参考リンク|参照|脚注|注釈|謝辞|引用|あわせて読みたい"
    r"|참고\s*문헌|참고\s*자료|참고\s*링크|참고|각주|감사의\s*글|인용|관련\s*논문|관련\s*연구|관련\s*글|함께\s*읽(?:기|을)"
    r"|литература|список литературы|сноски|примечания|благодарности|цитирование|см\.?\s*также|ссылки|источники|что ещё почитать|по теме)"
    r"\s*[:：]?\W*$", re.I)
# "See also: <link>" / "参考: <link>" at the start of a line: that line cites
REF_PREFIX = re.compile(
    r"^\W*(?:see also|cf\.|related|compare|also|previously|earlier|prior work|background|follow-up to"
    r"|参见|参考|另见|相关|前作|此前|関連|参考|参照|前作|참고|관련|이전|이전 연구"
    r"|см\.?\s*также|ср\.|ранее|по теме)\s*[:：]", re.I)
MORE_HEAD = re.compile(
    r"^\W*(?:read more|more|further|source|original|via|原文|原文链接|阅读原文|来源|出处|さらに読む|もっと読む"
    r"|元記事|出典|원문|출처|더\s*읽어\s*보기|источник|оригинал|читать далее)\s*[:：]?\W*$", re.I)
SUBHEAD = re.compile(
    r"^\W*(?:abstract|summary|tl;?dr|overview|introduction|intro|key (?:points|ideas|takeaways|findings)"
    r"|highlights|method(?:s|ology)?|approach|results?|experiments?|conclusions?|limitations|contributions?"
    r"|my take|thoughts|comments?|notes?|why it matters|what'?s new|details"
    r"|論文紹介|論文要旨|論文要約|概要|要旨|要約|手法|結果|所感|感想|ポイント|まとめ|背景|提案手法|実験"
    r"|摘要|简介|概述|介绍|方法|结果|结论|总结|亮点|核心观点|点评|背景|创新点|主要贡献|研究背景|实验结果"
    r"|논문\s*소개|논문\s*초록(?:\s*\(abstract\))?|초록|요약|개요|방법|결과|결론|정리|소감|배경|핵심"
    r"|аннотация|краткое содержание|обзор|суть|метод|результаты|выводы|вкратце|коротко|итог[иа]?|детали)"
    r"\s*[:：]?\W*$", re.I)
ABSTRACT_HEAD = re.compile(r"abstract|論文要旨|論文要約|要旨|摘要|초록|аннотация", re.I)

# ----------------------------------------------------------------------------- numbering

NUMBERED = re.compile(
    r"^\s*(?:"
    r"(?P<dot>#?\d{1,3})\s*[.．):：](?!\d)"
    r"|(?P<ideo>\d{1,3})\s*[、]"
    r"|[(（](?P<paren>\d{1,3})[)）]"
    r"|\[(?P<bracket>\d{1,3})\]"
    r"|(?P<circled>[①-⑳])"
    r"|(?P<keycap>\d{1,2})\ufe0f?\u20e3"
    r"|(?P<cn>[一二三四五六七八九十]{1,3})\s*[、.．]"
    r"|(?:no\.?|paper|论文|№|第|section|セクション|섹션|раздел|part)\s*(?P<word>\d{1,3})(?![A-Za-z])\s*(?:篇|本)?\s*[.:：)、]?"
    r")\s*(?=\S)", re.I)
_CN_DIGITS = {ch: i for i, ch in enumerate("一二三四五六七八九十", 1)}


def numbering(text: str) -> tuple[str, int, int] | None:
    """(style, number, length of the marker) of a numbered line ("3. X", "3、X", "③ X",
    "(3) X", "三、X", "3️⃣ X", "[3] X", "Paper 3: X"), or None."""
    m = NUMBERED.match(text)
    if not m:
        return None
    for style in ("dot", "ideo", "paren", "bracket", "keycap", "word"):
        value = m.group(style)
        if value:
            return style, int(value.lstrip("#")), m.end()
    if m.group("circled"):
        return "circled", ord(m.group("circled")) - ord("①") + 1, m.end()
    cn = m.group("cn")
    value = _CN_DIGITS.get(cn[-1], 0) + (10 if len(cn) > 1 and cn[0] != "十" else 0) \
        if len(cn) <= 2 else 0
    if cn == "十":
        value = 10
    return "cn", value, m.end()


BULLET = re.compile(r"^\s*(?:[-–—•·*▪▫◦‣⁃►▶▷◆◇■□●○★☆✓✔✅☑➤➜→⇒]|[\U0001F300-\U0001FAFF\u2600-\u27BF]\ufe0f?)\s+")

# ----------------------------------------------------------------------------- misc

HASHTAG = re.compile(r"(?<![\w&/#])#(\w[\w\-]*\w|\w)")
URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
DOMAIN_TEXT = re.compile(r"^(?:[\w-]+\.)+[a-z]{2,}(?:/\S*)?$", re.I)
DATE_LINE = re.compile(
    r"^\W*(?:\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*[日일]?|\d{4}년\s*\d{1,2}월\s*\d{1,2}일"
    r"|\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2,4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}"
    r"|\d{1,2}\s+[а-я]+\s+\d{4})\b", re.I)
SENTENCE_END = frozenset(".。!！?？;；…")
PAPER_HINT = re.compile(
    r"\b(?:paper|authors?|preprint|arxiv|we propose|this work|technical report|tech report)\b"
    r"|автор|стать|исследовател|отч[её]т|论文|作者|研究|提出|技术报告|論文|著者|提案|技術レポート|テクニカルレポート"
    r"|논문|저자|연구|제안|기술\s*리포트|기술\s*보고서", re.I)
# "Christiano et al., 2017." / "(Rafailov et al., NeurIPS 2023)" / "Gao, Schulman, Hilton (2022)"
CITATION_NOTE = re.compile(r"^[(（]?[^()（）]{0,80}(?:et al\.?|(?:19|20)\d\d)[^()（）]{0,20}[)）]?[.,]?$")
# stronger: the post is about a paper (not "в этой статье" = "in this article")
STRONG_PAPER_HINT = re.compile(
    r"\b(?:paper|preprint|arxiv|technical report|tech report|the authors)\b|препринт|авторы\s+(?:статьи|предлага)"
    r"|(?<!этой )(?<!данной )(?<!нашей )(?<!моей )(?<!прошлой )\bстать[июяе]\b|техотч[её]т|техническ\w+\s+отч[её]т"
    r"|\bаннотаци[яи]\b|(?:представлен|предложен)\w*\s+(?:новый\s+)?(?:метод|подход|фреймворк)"
    r"|论文|技术报告|論文|テクニカルレポート|技術レポート"
    r"|논문|기술\s*리포트|기술\s*보고서", re.I)
# a paper named in the prose of a native-language post: "Incorporating BERT into Neural
# Machine Translationという論文を読んで", "…라는 논문", "论文《…》", "статью «…»"
PROSE_TITLE = re.compile(
    r"(?P<a>[A-Z][A-Za-z0-9][A-Za-z0-9:;,'’&+\-. ]{8,250}?)\s*(?:という(?:題名の)?論文|って論文|の論文を"
    r"|(?:이)?라는\s*논문|논문인)"
    r"|(?:论文|論文|논문|стать[юяи]|работ[аеуы]|paper)\s*(?:[《「『“\"«]\s*(?P<b>[A-Z][^》」』”\"»]{8,250}?)\s*[》」』”\"»]"
    r"|‘(?P<c>[A-Z][^‘]{8,250}?)’(?!\w))")

# "[2403.01744] NoteLLM: A Retrievable …": an arXiv abs page's own title, pasted
PAGE_TITLE_ID = re.compile(r"\[(\d{4}\.\d{4,5})(?:v\d{1,2})?\]\s*([A-Z][^()（）\[\]]{8,250})")
