"""Title candidates: the strings under which a link-less entry's paper may be found.

For an entry without an arXiv ID, the resolver searches arXiv for these, best first:

1. the entry's title, and of a non-English title its English parts: in parentheses or
   brackets, after `` / ``, ``:``, ``—`` or ``|``;
2. the names the entry gives the paper: bold names, a link's text, a title cell, list
   items like ``Title (2017)``, and the name before ":" of any of the above;
3. runs of Latin-script text inside CJK / Cyrillic lines that read like titles;
4. coined names with digits, capitals or hyphens ("Phi-3", "SAM 2", "Llama-3-V",
   "FlashAttention");
5. the text around a truncated or invalid arXiv link;
6. for a post that is its own entry, the post title and its parts.

Only the entry's own lines are read (page chrome is gone before this stage). Pure.
"""

from __future__ import annotations

import re

from . import names
from . import patterns as P
from .lines import Line
from .segment import Entry

MAX_CANDIDATES = 8
SPAN_LINES = 8  # an entry names its paper near its top; the rest of a long discussion adds no names

_SPLITTERS = re.compile(r"\s+/\s+|\s*[|｜]\s*|\s*[:：]\s+|\s*：\s*|\s+[—–-]{1,2}\s+|\s*——\s*")
_BRACKETED = re.compile(r"[(（\[「『【《\"“]\s*([^()（）\[\]「」『』【】《》\"“”]{2,300}?)\s*[)）\]」』】》\"”]")
# "Read the paper →", "Book a pilot", "Reference implementation here": buttons, not names
_CALL_TO_ACTION = re.compile(
    r"[→»›➜]|\b(?:read|click|here|more|book|sign ?up|subscribe|download|try|join|learn|watch|listen"
    r"|register|get|buy|demo|code|implementation|github|website|blog|thread|tweet|video|slides)\b", re.I)
_ACRONYM_TAIL = re.compile(r"\s*[(（][A-Z][A-Za-z0-9-]{1,10}[)）]\s*$")
_QUOTED = re.compile(r"[“\"«「『]([A-Z][^“”\"«»「」『』]{10,250}?)[”\"»」』]")
_LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-‐'’.,:;&+/ ]*[A-Za-z0-9)]")
_COINED = re.compile(  # longest forms first: "SAM 2" before "SAM", "Llama-3-V" before "Llama"
    r"(?<![\w-])(?:[A-Z][A-Za-z]{1,15} \d(?:\.\d)?(?![\d.])"
    r"|[A-Z][A-Za-z0-9]*(?:[-‐][a-z]+)*(?:[-‐][A-Z0-9][A-Za-z0-9]*)(?:[-‐][A-Za-z0-9]+)*"
    r"|[A-Z][A-Za-z]+\d+(?:\.\d+)?[A-Za-z]*|[A-Z]+[a-z]+[A-Z][A-Za-z]*|[A-Z][a-z]*[A-Z]+[a-z]*[A-Za-z]*"
    r"|[a-z]{1,2}[A-Z][A-Za-z0-9]*(?:[-‐][A-Za-z0-9]+)*)(?![\w-])")  # "xLSTM", "rStar-Math", "mPLUG-Owl"
# names too generic to find one paper by
_GENERIC = frozenset(map(str.lower, """AI LLM LLMs GPT GPU GPUs CPU API APIs NLP CV ML RL RLHF SFT MoE
    ChatGPT GPT-4 GPT-4o GPT-3 GPT-3.5 OpenAI DeepMind Google Meta Microsoft NVIDIA HuggingFace
    GitHub arXiv PyTorch TensorFlow JAX Transformer Transformers LoRA-based Top-K top-k Top-1 COVID-19
    ImageNet MMLU GSM8K HumanEval A100 H100 FP16 FP8 BF16 INT8 INT4 Q&A AGI""".split()))  # noqa: SIM905


def _latin(text: str) -> bool:
    return names.latin_part(text)


def _parts(text: str) -> list[str]:
    """English parts of a (possibly bilingual) title, the whole first."""
    out = [text]
    inner = [m.group(1) for m in _BRACKETED.finditer(text)]
    out += inner
    out += _SPLITTERS.split(text)
    return [p.strip(" .,:;-–—\"'“”") for p in out if p and p.strip()]


@names.memo
def _usable(text: str) -> bool:
    t = text.strip()
    if not t or len(t) > 300 or "http" in t or not _latin(t):
        return False
    if t.lower() in _GENERIC:
        return False
    words = t.split()
    if len(words) == 1:
        return len(t) >= 3 and bool(_COINED.fullmatch(t)) or (t[0].isupper() and any(
            c.isupper() for c in t[1:]))
    return names.title_ok(t[0].upper() + t[1:]) or len(words) >= 3


def _name_before_colon(text: str) -> str | None:
    head, sep, rest = text.partition(":")
    if sep and 1 <= len(head.split()) <= 4 and len(rest.split()) >= 2:
        return head.strip()
    return None


def title_candidates(lines: list[Line], e: Entry, post_title: str | None = None) -> tuple[str, ...]:
    """Ranked, de-duplicated title candidates for entry ``e`` (at most MAX_CANDIDATES)."""
    ranked: list[tuple[int, str]] = []

    def add(text: str | None, rank: int, *, title: bool = False) -> None:
        if text:
            t = " ".join(text.split()).strip(" .,;:-–—\"'“”#*")
            # the entry's own title may be one plain word: the paper's name ("3. Mamba - …")
            if _usable(t) or title and names.short_name(t) and t.lower() not in _GENERIC:
                ranked.append((rank, t))
                name = _name_before_colon(t)
                if name and _usable(name):
                    ranked.append((rank + 3, name))

    if e.title:
        bare = _ACRONYM_TAIL.sub("", e.title)
        if bare != e.title:  # "Denoising Diffusion Implicit Models (DDIM)": the title without it
            add(bare, 0)
        for k, part in enumerate(_parts(e.title)):
            add(part, 0 if k == 0 else 1, title=k == 0)
            if k == 0:  # the coined names of the title come right after it ("SAM 2, first look: …")
                for m in _COINED.finditer(part):
                    add(m.group(0), 0)
    span = range(e.start, min(e.end, e.start + SPAN_LINES))
    opener = lines[e.start] if e.start < len(lines) else None
    if opener is not None and opener.body and opener.body != e.title:
        for part in _parts(names.clean_title(opener.body)):
            add(part, 2)
    below = [j for j in range(e.start + 1, min(e.end, e.start + 3)) if lines[j].text.strip()][:1]
    for j in below:  # "② BERT" then "BERT: Pre-training of …": the English title under a name
        if lines[j].title_like and not lines[j].links and len(lines[j].body.split()) >= 3:
            add(lines[j].body, 1)
    for j in span:
        line = lines[j]
        for s in line.strong:
            for part in _parts(s):
                add(part, 3)
        for lk in line.links:
            if lk.text and not lk.arxiv_id and not P.URL_TEXT.match(lk.text) \
                    and not P.LINK_TEXT_LABEL.match(lk.text) and not P.DOMAIN_TEXT.match(lk.text) \
                    and not _CALL_TO_ACTION.search(lk.text):
                add(names.clean_title(lk.text), 3)
            if lk.bad_arxiv:  # the text around a truncated / invalid ID
                around = (line.text[:lk.start] + " " + line.text[lk.start + len(lk.text):]).strip()
                add(names.clean_title(around), 2)
                if j > 0:
                    add(names.clean_title(lines[j - 1].body), 3)
        for m in _QUOTED.finditer(line.text):  # a full English title quoted in the text
            if len(m.group(1).split()) >= 3:
                add(m.group(1), 1)
        if line.other:
            for m in _LATIN_RUN.finditer(line.text):
                run = m.group(0)
                if len(run.split()) >= 3:
                    add(names.clean_title(run), 5)
    coined: dict[str, int] = {}
    for j in span:
        for m in _COINED.finditer(lines[j].text):
            coined[m.group(0)] = coined.get(m.group(0), 0) + 1
    before = len(ranked)
    for name in sorted(coined, key=lambda n: -coined[n]):
        if len(ranked) - before >= MAX_CANDIDATES:
            break  # ranked last: more of them could never be kept
        add(name, 6)
    if e.kind == "single":
        for k, part in enumerate(_parts(post_title or "")):
            add(part, 1 if k else 2)
        for m in _COINED.finditer(post_title or ""):  # "Meta выкатила SAM 2 — …"
            add(m.group(0), 1)
        opening = [ln for ln in lines[:8] if ln.text.strip() and not ln.links][:3]
        for ln in opening:  # "🐍 Mamba — new SSM-based architecture…": the name before the dash
            head = _SPLITTERS.split(names.clean_title(ln.body), maxsplit=1)[0]
            if head != names.clean_title(ln.body):
                add(head, 2)
    seen: set[str] = set()
    out: list[str] = []
    for _rank, text in sorted(ranked, key=lambda r: r[0]):
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            out.append(text)
    return tuple(out[:MAX_CANDIDATES])
