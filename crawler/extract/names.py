"""Titles and author lists as blogs write them (pure string functions)."""

from __future__ import annotations

import re
from functools import lru_cache

from . import patterns as P

# Pure string → answer functions are asked again and again about the same strings while
# one post is read (every reading of it, every candidate): answers are remembered for the
# post and forgotten before the next one (``forget``), so no post is faster for an earlier one.
_MEMOIZED: list = []


def memo(fn):
    cached = lru_cache(maxsize=4096)(fn)
    _MEMOIZED.append(cached)
    return cached


def forget() -> None:
    """Drop the remembered answers (called once per post)."""
    for fn in _MEMOIZED:
        fn.cache_clear()

_NAME_PARTICLES = frozenset(["de", "van", "der", "von", "da", "di", "la", "le", "du", "dos", "del",
                             "y", "bin", "al", "et", "ten", "ter", "den", "st.", "mc"])
_SPLIT_AUTHORS = re.compile(r"\s*(?:,|;|，|、|\band\b|&)\s*")
_TA = re.compile(r"^(?P<title>.+?)\s*[(（](?P<authors>[^()（）]+)[)）]$")
_AFFIL_TAIL = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_YEAR_TAIL = re.compile(r"\s*[(（\[][^()（）\[\]]{0,30}?(?:19|20)\d\d[a-z]?(?:\s*年)?"
                        r"(?:[,，、][^()（）\[\]]{0,40})?\s*[)）\]]\s*$")  # "(2022 年, Long Ouyang 等)"
# "Title. In AAAI 2019.", "Title. EMNLP W-NUT Workshop 2019": a citation's venue
VENUE_TAIL = re.compile(r"\.\s+(?:In\s+)?(?:Proc(?:eedings|\.)?\s+of\s+(?:the\s+)?)?"
                        r"[A-Z][A-Za-z&\-]*(?:\s+[A-Za-z&\-']+){0,5}\s+'?(?:19|20)?\d\d\.?\s*$")
_SYMBOLS_HEAD = re.compile(r"^[^\w\[【(（\"'“「『]+(?=\w|[\[【(（])")
_LINK_TAGS_TAIL = re.compile(r"(?:\s*[\[【](?:pdf|code|paper|arxiv|论文|代码|論文|コード|논문|코드|project|demo|blog)[\]】])+\s*$", re.I)
# "[CoT] Chain-of-Thought Prompting …", "【ICLR 2024】Title": a short tag before the title
_TAG_HEAD = re.compile(r"^[\[【(（][^\]】)）]{1,24}[\]】)）]\s*(?=\S)")
_SEPARATORS = (" / ", " | ", " ｜ ", "／", " - ", " — ", " – ")


@memo
def short_name(text: str | None) -> bool:
    """A paper's short name as a list item names it ("Mamba", "Sora Preview", "Jamba"):
    1-3 capitalised Latin words, nothing else."""
    if not text or len(text) > 40:
        return False
    words = text.split()
    return 1 <= len(words) <= 3 and len(words[0]) >= 3 and words[0][0].isupper() and all(
        w[0].isupper() or w[0].isdigit() for w in words) and all(
        ch.isascii() and (ch.isalnum() or ch in "-.") for w in words for ch in w)


def is_name(part: str) -> bool:
    """A person's (or a team's) name in Latin script: 1-6 words, no digits; lower-case
    names are accepted ("jianhao Yuan") as long as the list as a whole reads as names."""
    tokens = part.split()
    if not 1 <= len(tokens) <= 6 or len(part) > 60 or any(ch.isdigit() for ch in part):
        return False
    return all(ch.isalpha() or ch in "-.'’" for tok in tokens for ch in tok)


@memo
def parse_authors(text: str, *, min_count: int = 1) -> tuple[str, ...] | None:
    """``A, B and C`` → the names; None when the parts do not all read as names."""
    text = text.strip().rstrip(".")
    text = _AFFIL_TAIL.sub("", text)
    text = re.sub(r",?\s*(?:et al\.?|等人?|外|ほか|他|и др\.?)$", "", text)
    parts = [p.strip() for p in _SPLIT_AUTHORS.split(text) if p.strip()]
    if len(parts) < min_count or not all(is_name(p) for p in parts):
        return None
    # names are mostly capitalised: a run of lower-case words is a sentence, not authors
    caps = sum(1 for p in parts for tok in p.split() if tok[0].isupper())
    words = sum(len(p.split()) for p in parts)
    if caps * 2 < words and not (len(parts) >= 3 and caps * 3 >= words):
        return None
    if len(parts) == 1:
        one = parts[0]
        if not all(tok[0].isupper() for tok in one.split()):
            return None  # one lower-case word: not a name ("(see below)")
        if len(one.split()) == 1 and "-" not in one and (one.isupper() or len(one) < 4):
            return None  # "(DDIM)", "(MoE)": an acronym, not an author ("DeepSeek-AI" is a team)
    return tuple(parts)


_TITLE_WORDS = frozenset(["a", "an", "the", "of", "for", "with", "via", "from", "to", "in", "on", "and", "or", "is", "are", "as", "by", "towards", "toward", "using", "model", "models", "learning", "language", "languages", "network", "networks", "data", "large", "small", "neural", "deep", "attention", "transformer", "transformers", "vision", "visual", "training", "efficient", "scaling", "reasoning", "generation", "agents", "agent", "benchmark", "survey", "diffusion", "policy", "reinforcement", "multimodal", "instruction", "tuning", "retrieval"])


@memo
def author_line(text: str) -> tuple[str, ...] | None:
    """A line that is only an author list: ``A, B, C``, ``(A, B)``, ``A and B`` (an
    affiliation after a dash is dropped: ``Snell, Lee, Xu, Kumar — UC Berkeley``)."""
    if (m := _SHORT_CITE.match(text)) is not None:  # "Vaswani et al., 2017", "(Gu & Dao, 2023)"
        return tuple(a for a in (m.group("a"), m.group("b")) if a)
    if len(text) > 1200 or not ("," in text or "，" in text or "、" in text or " and " in text
                                or " & " in text or text.lstrip()[:1] in ("(", "（")):
        return None  # every form below lists names with one of these, or in parentheses
    t = re.split(r"\s+[—–]\s+|\s+-\s+", text.strip(), maxsplit=1)[0].strip()
    if len(t) > 600 or not t:
        return None
    if t[0] in "(（" and t[-1] in ")）":
        return parse_authors(t[1:-1])
    if t.count(",") + t.count("，") + t.count("、") >= 2:
        return parse_authors(t, min_count=3)
    if "," in t or " and " in t or " & " in t:
        authors = parse_authors(t, min_count=2)
        if authors and not any(w.lower() in _TITLE_WORDS for a in authors for w in a.split()):
            return authors
    return None


_SHORT_CITE = re.compile(r"^[(（]?\s*(?P<a>[A-Z][\w'’-]+)\s+(?:et\s+al\.?|(?:and|&)\s+(?P<b>[A-Z][\w'’-]+))"
                         r"\s*[,·]?\s*(?:19|20)\d\d[a-z]?\s*[)）]?\.?$")
_ET_AL = re.compile(r"\bet\s+al\.?,?\s*|^\s*[A-Z][\w'’-]+(?:\s+(?:and|&)\s+[A-Z][\w'’-]+)\s*[,.(]\s*")
_VENUE_TAIL = re.compile(r"[,.]?\s*\(?(?:[A-Z][A-Za-z&-]*\s+)?['’]?(?:19|20)?\d\d\)?\.?\s*$")


def short_cite(text: str) -> bool:
    """"Vaswani et al., 2017", "(Gu & Dao, 2023)": a citation's authors and year alone."""
    return _SHORT_CITE.match(text) is not None


@memo
def citation_title(text: str) -> str | None:
    """The title in a citation-style item: ``Leviathan et al., Fast Inference from
    Transformers via Speculative Decoding, ICML 2023.`` → the middle part."""
    m = _ET_AL.search(text)
    if not m:
        return None
    rest = _VENUE_TAIL.sub("", text[m.end():]).strip(" ,.;:")
    return rest if title_ok(rest) and len(rest.split()) >= 3 else None


@memo
def title_authors(text: str, *, min_count: int = 1) -> tuple[str, tuple[str, ...]] | None:
    """``Title (Author, Author)`` → (title, authors)."""
    if len(text) > 1500:
        return None
    m = _TA.match(text)
    if not m:
        return None
    title = m.group("title").strip(" :-–—")
    if not title_ok(title):
        return None
    authors = parse_authors(m.group("authors"), min_count=min_count)
    return (title, authors) if authors else None


@memo
def title_ok(text: str) -> bool:
    """An English paper title: starts with a capital or digit, 1-30 words, mostly Latin."""
    if not text or len(text) > 300 or text[-1] in ".。!！" or "http" in text:
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    words = text.split()
    if not 1 <= len(words) <= 30:
        return False
    latin = len(P.LATIN.findall(text))
    if len(words) == 1 and not (len(text) >= 3 and (any(c.isupper() for c in text[1:])
                                                    or any(c.isdigit() for c in text)
                                                    or re.fullmatch(r"[A-Z][a-z]+-[a-z]{3,}", text))):
        return False  # one plain word is not a title; "LoRA", "Phi-3", "Super-convergence" are
    return latin >= 3 and len(P.OTHER_SCRIPT.findall(text)) <= 0.1 * latin


@memo
def clean_title(text: str) -> str:
    """A heading as a title: numbering, decoration and a trailing year dropped; of a
    bilingual "原題 / English title" the English half."""
    num = P.numbering(text)
    if num:
        text = text[num[2]:]
    text = P.BULLET.sub("", text, count=1).strip()
    text = _SYMBOLS_HEAD.sub("", text)
    text = text.strip("#*•·:：-–— \"'“”「」『』【】")
    tagged = _TAG_HEAD.sub("", text)
    if tagged != text:  # "[arXiv24] ✅ Title": the decoration after the tag too
        text = _SYMBOLS_HEAD.sub("", tagged).strip()
    text = _LINK_TAGS_TAIL.sub("", text)
    text = _YEAR_TAIL.sub("", text)
    text = VENUE_TAIL.sub("", text)
    for sep in _SEPARATORS:
        if sep in text:
            left, right = text.split(sep, 1)
            if latin_part(right) and not latin_part(left):
                return right.strip()
            if latin_part(left) and not latin_part(right):
                return left.strip()
    return text.strip()


@memo
def title_cased(text: str) -> bool:
    """Most longer words capitalised, as English paper titles are written ("Embodied LLM
    Agents Learn to Cooperate in Organized Teams"), unlike a sentence."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’+-]*", text) if len(w) >= 4]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


@memo
def latin_part(text: str) -> bool:
    return len(P.LATIN.findall(text)) > 2 * len(P.OTHER_SCRIPT.findall(text))


@memo
def paren_title(text: str) -> str | None:
    """The English title a non-English headline gives in parentheses / brackets:
    ``论文解读：… (Attention Is All You Need)`` → ``Attention Is All You Need``."""
    for m in re.finditer(r"[(（\[「『]\s*([^()（）\[\]「」『』]{8,300}?)\s*[)）\]」』]", text):
        inner = m.group(1).strip()
        if latin_part(inner) and title_ok(inner) and len(inner.split()) >= 2:
            return inner
    return None


def cut_citation(text: str) -> str:
    """``Title — Ziegler et al., 2019.`` / ``Title (Stiennon et al., NeurIPS 2020)`` → Title."""
    text = re.sub(r"\s*[(（][^()（）]*(?:et al|19\d\d|20\d\d)[^()（）]*[)）]\s*$", "", text)
    return re.sub(r"\s+[—–-]\s+[^—–]*(?:et al\.?|,\s*(?:19|20)\d\d)[^—–]*$", "", text).strip()
