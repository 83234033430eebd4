"""Titles and names as comparable text (pure, no I/O): normalization (case, accents,
LaTeX, punctuation and dashes), the parts of a title ("Name: subtitle", the head before
":" / " - "), words, acronyms and author-name parts, and what a name or title looks like
(distinctive, coined, a real title). The rules that use them are :mod:`jobs.resolve.match`."""

from __future__ import annotations

import re
import unicodedata

_STOPWORDS = frozenset(["a", "an", "the", "of", "for", "and", "or", "in", "on", "to", "with", "via", "from", "by", "is", "are", "at", "as", "its", "into", "towards", "toward"])
_LATEX = re.compile(r"\\[a-zA-Z]+|[{}$]")
_CITATION = re.compile(r"\bet al\b|\b(?:19|20)\d\d\b")


def _fold(text: str) -> str:
    """NFKC + casefold + strip diacritics (Ilić → ilic, Ré → re)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def normalize_title(title: str) -> str:
    """Lower-case, accent-free words: LaTeX markup, punctuation and dash/quote variants
    become spaces (``Self-Rewarding`` → ``self rewarding``), whitespace collapsed."""
    text = _fold(_LATEX.sub(" ", title or ""))
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def strip_name_prefix(title: str) -> str | None:
    """``"KAN: Kolmogorov-Arnold Networks"`` → ``"Kolmogorov-Arnold Networks"``: the part
    after a short (≤ 4 words) name prefix, when the rest has ≥ 3 words; else None."""
    head, sep, rest = (title or "").partition(":")
    if not sep or not (1 <= len(normalize_title(head).split()) <= 4):
        return None
    return rest.strip() if len(normalize_title(rest).split()) >= 3 else None


_HEAD = re.compile(r"\s*(?::|：|\s[-–—]\s)\s*")


def title_head(title: str) -> str | None:
    """The name before ":" / " - " of an arXiv title ("Mamba: Linear-Time …" → "Mamba")."""
    parts = _HEAD.split(title, maxsplit=1)
    return parts[0].strip() if len(parts) == 2 and parts[0].strip() and len(parts[1].split()) >= 2 else None


def mostly_latin(text: str) -> bool:
    """Whether at least 80 % of the letters of ``text`` are ASCII (a Latin-script title)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= 0.8


def author_name_parts(name: str) -> set[str]:
    """Comparable parts of an author name: accent-free, lower-case, no initials."""
    if "," in name:  # "Yuan, Weizhe" → "Weizhe Yuan"
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    words = normalize_title(name).split()
    return {w for w in words if len(w) > 1 and w.isascii() and w.isalpha()}


def name_key(name: str) -> str:
    """A name compared letter by letter: case, accents, spaces, dashes ignored, but not
    "+" or digits ("LoRA+" is not "LoRA", "SAM 2" is "SAM-2")."""
    return "".join(c for c in _fold(name) if c.isalnum() or c in "+#")


def content_words(text: str) -> list[str]:
    """The normalized words of ``text`` that can carry a match: 3 letters or more, no stopword."""
    return [w for w in normalize_title(text).split() if len(w) >= 3 and w not in _STOPWORDS]


def title_acronyms(title: str) -> set[str]:
    """Initials of consecutive capitalised words: "Direct Preference Optimization" → DPO."""
    words = re.findall(r"[A-Za-z][\w'-]*", title)
    out = set()
    for i in range(len(words)):
        for j in range(i + 2, min(len(words), i + 6) + 1):
            span = [w for w in words[i:j] if w.lower() not in _STOPWORDS]
            if len(span) >= 2:
                out.add("".join(w[0].upper() for w in span))
    return out


# one common English word is not a name a paper goes by ("Attention", "Scaling")
COMMON_WORDS = frozenset("""
about above across adaptive agent agents aligning alignment all analysis any approach are
attention augmented automatic balance based being benchmark better beyond big bridging
building can case causal challenge challenges chat code coding combining compression
computing context continual control controllable data dataset decoding deep dense design
detection diffusion discovery distillation diverse do does dynamic editing effective
efficient embedding embeddings emergent end enhancing evaluating evaluation exploring
extending fast faster feedback few fine flow for foundation from general generalization
generation generative graph graphs grounding guidance how human image images improving
inference instruction interpretable is knowledge language large latent layer learning
learn less let linear long look low making many mask masked memory meta mind mixture model
modeling models more multi multimodal network networks neural new next not of on one open
optimal optimization optimizing over planning policy pre preference pretraining prompt
prompting prompts quantization question rag ranking reasoning recognition reinforcement
representation representations retrieval reward robust robustness safety scalable scale
scaling search segmentation self semantic sequence simple small sparse speech state
structured study survey synthetic system systems teaching test text thinking time token
tokens tool tools towards training transfer transformer transformers tuning understanding
universal unsupervised using video view vision visual what when why with without world
""".split())


def distinctive(name: str) -> bool:
    """A name specific enough to find one paper by: three words or more, or a coined name
    ("Mamba", "LoRA", "Phi-3", "SAM 2", "FlashAttention"), not one common word."""
    words = normalize_title(name).split()
    if len(words) >= 3:
        return True
    if not words:
        return False
    raw = name.strip()
    if any(c.isdigit() for c in raw) or "-" in raw or any(c.isupper() for c in raw[1:]):
        return len(raw) >= 3
    return len(words) == 1 and len(words[0]) >= 4 and words[0] not in COMMON_WORDS and raw[:1].isupper()


def is_coined_name(name: str) -> bool:
    """A name made up for a paper: a word with inner capitals, digits or a hyphen
    ("LLaVA-RLHF", "Phi-3", "KAN", "ReST-MCTS"), not a year or a citation."""
    raw = name.strip()
    if len(raw.split()) > 3 or _CITATION.search(raw) or not mostly_latin(normalize_title(raw)):
        return False
    return any(len(tok) >= 2 and (any(c.isdigit() for c in tok) or any(c.isupper() for c in tok[1:])
                                  or "-" in tok.strip("-"))
               for tok in raw.split())


def is_real_title(title: str) -> bool:
    """A paper title, not a sentence, a citation or a page heading: a coined name, a
    "Name: subtitle", or mostly capitalised words."""
    if not mostly_latin(normalize_title(title)) or _CITATION.search(title):
        return False
    head = title.split(":")[0].strip()
    if ":" in title and is_coined_name(head.split()[0] if head.split() else ""):
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", title) if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)
