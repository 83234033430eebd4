"""Does this arXiv paper answer that title? Pure title/author/date rules, table-tested.

The resolver (:mod:`jobs.resolve.queue`) searches arXiv for an entry's title candidates
and hands every hit to :func:`decide`; links in posts are checked with
:func:`titles_disagree`. No I/O here.

An arXiv hit is accepted for a candidate (:func:`judge`) when

* ``exact``: the normalized titles are equal (case, accents, punctuation, dashes ignored);
* ``fuzzy``: they differ by a typo, a dropped colon or a compound word (ratio ≥ 92 and
  every word has a counterpart, numbers exact: see :func:`titles_match`);
* ``contains``: the candidate contains the whole arXiv title (a blog's "Title (Authors)"
  or "Title — note");
* ``name``: the candidate is the part of the arXiv title before ":" / " - " and is
  distinctive (a coined name — "Mamba", "LoRA", "Phi-3", "SAM 2" — or three words or more);

and it is then rejected when it was published after the post (a post cannot be about a
paper that did not exist yet), when a ``name`` match is a namesake more than
:data:`OLD_NAMESAKE_YEARS` older than the post, or when the post gives authors and none of
them is on the paper. Several acceptable papers for the best candidate → no decision
(``ambiguous``): never guess.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz

OLD_NAMESAKE_YEARS = 3


class Paper(Protocol):
    """What the rules read of an arXiv entry (``jobs.clients.arxiv.ArxivPaper``)."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    published: str | None


_STOPWORDS = frozenset(["a", "an", "the", "of", "for", "and", "or", "in", "on", "to", "with", "via", "from", "by", "is", "are", "at", "as", "its", "into", "towards", "toward"])
_LATEX = re.compile(r"\\[a-zA-Z]+|[{}$]")


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


def title_similarity(a: str, b: str) -> float:
    """0–100: rapidfuzz ``ratio`` (normalized Indel similarity) of the normalized titles."""
    return fuzz.ratio(normalize_title(a), normalize_title(b))


def _word_matches(word: str, others: Sequence[str], joined: str) -> bool:
    if word in others:
        return True
    if word.isdigit() or any(c.isdigit() for c in word):
        return False  # GPT-3 is not GPT-4, V2 is not V3: numbers must match exactly
    if len(word) >= 3 and word in joined:  # "selfrewarding" vs "self rewarding"
        return True
    return len(word) >= 4 and any(len(o) >= 4 and fuzz.ratio(word, o) >= 80 for o in others)


def titles_match(entry_title: str, arxiv_title: str, *, threshold: float = 92.0) -> bool:
    """Whether a blog's ``entry_title`` names the paper titled ``arxiv_title``.

    Two conditions, both on :func:`normalize_title` forms (tried also without a short
    "Name:" prefix when only one of the titles has one, see :func:`strip_name_prefix`):

    1. ``fuzz.ratio`` ≥ ``threshold`` (``[arxiv] title_match_threshold``, default 92).
       Indel similarity 92 allows ~8 % of the characters to differ: for a typical
       50–100 character title that is 4–8 edits, enough for a typo, a dropped colon or
       article, a plural or British spelling, but not for a different subtitle or an
       extra/missing clause. Measured on the stub index (tests/fixtures/arxiv_index.json),
       the confusable pairs of distinct papers score: MusicRL vs MusicRL-2 … at Scale
       90.8, Self-Rewarding Language Models vs … Vision-Language Models 89.6,
       Self-Discover vs Self-Discover v2 89.0, EVA-CLIP-18B vs its v2 82.6, KAN vs
       KAN 2.0 77.9: all below 92, while a typo or lost colon scores 95+. Going lower
       (85) would admit the first three; the titles of the same-name pair (two "LiPO"
       papers) are identical, and only the author check separates them.
    2. Every word of each title has a counterpart in the other: identical, a piece of a
       compound written together (``selfrewarding``), or a ≥ 4-letter word within
       ratio 80 (typo); a word containing a digit must match exactly. An inserted
       "not", "v2", "2.0" or "18B" changes the paper, however high the ratio
       ("Attention Is Not All You Need" scores 92.6 against "Attention Is All You Need").
    """
    pa, pb = strip_name_prefix(entry_title), strip_name_prefix(arxiv_title)
    pairs = [(entry_title, arxiv_title)]
    if pa and not pb:  # "LLaVA-RLHF: Aligning …" (blog) vs "Aligning …" (arXiv)
        pairs.append((pa, arxiv_title))
    if pb and not pa:
        pairs.append((entry_title, pb))
    return any(_titles_match(x, y, threshold) for x, y in pairs)


def strip_name_prefix(title: str) -> str | None:
    """``"KAN: Kolmogorov-Arnold Networks"`` → ``"Kolmogorov-Arnold Networks"``: the part
    after a short (≤ 4 words) name prefix, when the rest has ≥ 3 words; else None."""
    head, sep, rest = (title or "").partition(":")
    if not sep or not (1 <= len(normalize_title(head).split()) <= 4):
        return None
    return rest.strip() if len(normalize_title(rest).split()) >= 3 else None


def _titles_match(entry_title: str, arxiv_title: str, threshold: float) -> bool:
    a, b = normalize_title(entry_title), normalize_title(arxiv_title)
    if not a or not b or fuzz.ratio(a, b) < threshold:
        return False
    wa, wb = a.split(), b.split()
    ja, jb = a.replace(" ", ""), b.replace(" ", "")
    return (all(_word_matches(w, wb, jb) for w in wa)
            and all(_word_matches(w, wa, ja) for w in wb))


def titles_disagree(entry_title: str, arxiv_title: str) -> bool:
    """Whether a linked paper clearly is *not* the entry's paper: the entry title (in
    Latin script) shares little with the arXiv title even as a subset
    (``token_set_ratio`` < 60, so a short name such as "ChatQA" for "ChatQA: Building
    GPT-4 Level …" agrees). Titles in other scripts (translations) never disagree."""
    a, b = normalize_title(entry_title), normalize_title(arxiv_title)
    if not a or not b or not _mostly_latin(a):
        return False
    return fuzz.token_set_ratio(a, b) < 60


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= 0.8


def _name_parts(name: str) -> set[str]:
    """Comparable parts of an author name: accent-free, lower-case, no initials."""
    if "," in name:  # "Yuan, Weizhe" → "Weizhe Yuan"
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    words = normalize_title(name).split()
    return {w for w in words if len(w) > 1 and w.isascii() and w.isalpha()}


def authors_overlap(entry_authors: Sequence[str], paper_authors: Sequence[str]) -> bool | None:
    """Whether the blog's author list agrees with arXiv's. None = cannot tell (no names,
    or names in a script arXiv does not use); True/False otherwise.

    A blog author matches an arXiv author when a surname-like part agrees, ignoring
    diacritics, initials and name order ("J. Weston", "Weston, Jason", "Ilic" vs
    "Ilić"). At least one match is needed, two when the blog lists four or more
    comparable names (common surnames alone must not carry a match)."""
    entry = [p for p in (_name_parts(n) for n in entry_authors if n) if p]
    if not entry or not paper_authors:
        return None
    paper = [_name_parts(n) for n in paper_authors]
    hits = sum(1 for parts in entry if any(parts & other for other in paper))
    return hits >= (2 if len(entry) >= 4 else 1)


@dataclass(frozen=True)
class TitleMatch:
    paper: Paper
    score: float


def best_title_match(title: str, authors: Sequence[str], candidates: Iterable[Paper], *,
                     threshold: float = 92.0) -> TitleMatch | None:
    """The candidate the entry names, or None. Accepted only if :func:`titles_match` and
    the authors do not disagree (:func:`authors_overlap` is not False). Among several
    acceptable candidates the highest similarity wins; a tie between two different
    papers is ambiguous and gives None (never guess)."""
    accepted: list[TitleMatch] = []
    for paper in candidates:
        if not titles_match(title, paper.title, threshold=threshold):
            continue
        if authors_overlap(authors, paper.authors) is False:
            continue
        accepted.append(TitleMatch(paper, title_similarity(title, paper.title)))
    if not accepted:
        return None
    accepted.sort(key=lambda m: -m.score)
    if len(accepted) > 1 and accepted[1].score == accepted[0].score and (
            accepted[1].paper.arxiv_id != accepted[0].paper.arxiv_id):
        return None
    return accepted[0]


def lookup_key(title: str, authors: Sequence[str] = ()) -> str:
    """The cache key of a title look-up: the normalized title, plus the blog's author
    surnames when it lists any (the author check is part of the answer)."""
    names = sorted({p for n in authors for p in _name_parts(n)})
    key = normalize_title(title)
    return key + (" | " + " ".join(names) if names else "")


# ---------------------------------------------------------------------------------
# The decision: which hit (if any) a ranked list of candidates names

# one common English word is not a name a paper goes by ("Attention", "Scaling")
_COMMON = frozenset("""
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


@dataclass(frozen=True)
class Verdict:
    rule: str | None  # "exact" | "fuzzy" | "contains" | "name" | None (not accepted)
    reason: str  # the rule, or why not: "no-match", "after-post", "old-namesake", "authors-disagree"


@dataclass(frozen=True)
class Decision:
    arxiv_id: str | None
    reason: str  # "resolved" | "no-match" | "ambiguous" | a rejection reason of the best hit
    rule: str | None = None
    candidate: str | None = None
    plausible: tuple[str, ...] = ()  # the papers that were acceptable (several: ambiguous)


_REPORT = re.compile(r"\s+(?:technical|tech)\s+report\s*$", re.I)
_STRENGTH = {"exact": 4, "fuzzy": 3, "contains": 2, "name": 1}
_HEAD = re.compile(r"\s*(?::|：|\s[-–—]\s)\s*")


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
    return len(words) == 1 and len(words[0]) >= 4 and words[0] not in _COMMON and raw[:1].isupper()


def _name_key(name: str) -> str:
    """A name compared letter by letter: case, accents, spaces, dashes ignored, but not
    "+" or digits ("LoRA+" is not "LoRA", "SAM 2" is "SAM-2")."""
    return "".join(c for c in _fold(name) if c.isalnum() or c in "+#")


def title_head(title: str) -> str | None:
    """The name before ":" / " - " of an arXiv title ("Mamba: Linear-Time …" → "Mamba")."""
    parts = _HEAD.split(title, maxsplit=1)
    return parts[0].strip() if len(parts) == 2 and parts[0].strip() and len(parts[1].split()) >= 2 else None


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def judge(candidate: str, paper: Paper, *, post_date: str | None = None,
          authors: Sequence[str] = ()) -> Verdict:
    """Whether ``paper`` is the one ``candidate`` names (see the module docstring)."""
    cand, title = normalize_title(candidate), normalize_title(paper.title)
    if not cand or not title:
        return Verdict(None, "no-match")
    rule = None
    if cand == title:
        rule = "exact"
    elif titles_match(candidate, paper.title):
        rule = "fuzzy"
    elif len(title.split()) >= 3 and f" {title} " in f" {cand} ":
        rule = "contains"
    else:
        head = title_head(paper.title) or paper.title
        key = _name_key(_REPORT.sub("", candidate))
        if distinctive(candidate) and key and _name_key(_REPORT.sub("", head)) == key:
            rule = "name"  # "Mamba: Linear-Time …", "Qwen2 Technical Report", "Phi-3 Technical Report: …"
    if rule is None:
        return Verdict(None, "no-match")
    posted, published = _date(post_date), _date(paper.published)
    if posted and published:
        if published > posted + dt.timedelta(days=1):
            return Verdict(None, "after-post")
        if rule == "name" and (posted - published).days > 365 * OLD_NAMESAKE_YEARS:
            return Verdict(None, "old-namesake")
    if authors and authors_overlap(authors, paper.authors) is False:
        return Verdict(None, "authors-disagree")
    return Verdict(rule, rule)


def decide(candidates: Sequence[str], papers: Iterable[Paper], *, post_date: str | None = None,
           authors: Sequence[str] = ()) -> Decision:
    """The paper the entry names, from arXiv hits for its ranked title ``candidates``.

    Candidates are taken best first; the first one with an acceptable hit decides: one
    paper at the strongest rule → resolved; several → ambiguous (no guess). When nothing
    is acceptable the reason is the most telling rejection (e.g. "after-post")."""
    hits = list({p.arxiv_id: p for p in papers}.values())
    rejected: str | None = None
    for candidate in candidates:
        accepted: dict[str, tuple[int, str]] = {}
        for paper in hits:
            verdict = judge(candidate, paper, post_date=post_date, authors=authors)
            if verdict.rule is None:
                if verdict.reason != "no-match" and rejected is None:
                    rejected = verdict.reason
                continue
            accepted[paper.arxiv_id] = (_STRENGTH[verdict.rule], verdict.rule)
        if not accepted:
            continue
        best = max(strength for strength, _r in accepted.values())
        top = sorted(i for i, (strength, _r) in accepted.items() if strength == best)
        if len(top) > 1:
            return Decision(None, "ambiguous", candidate=candidate, plausible=tuple(top))
        return Decision(top[0], "resolved", rule=accepted[top[0]][1], candidate=candidate,
                        plausible=tuple(sorted(accepted)))
    return Decision(None, rejected or "no-match")


# ---------------------------------------------------------------------------------
# Does a post's link point at the paper its entry presents?

def link_verdict(entry_title: str | None, candidates: Sequence[str], arxiv_title: str,
                 arxiv_abstract: str = "") -> str:
    """"agrees", "contradicts" or "unknown": is the linked arXiv paper the one the entry
    presents? Agrees when a distinctive word the entry gives (its title, a coined name, an
    English title) is in the arXiv title or abstract, or an acronym of it ("DPO"); contradicts
    only when the entry's own title is a real title — a coined name, a "Name: …" title or
    Title Case words — and shares none of that with the paper. Names met only in the
    commentary (baselines, datasets) can confirm a link, never contradict it."""
    text = f" {normalize_title(arxiv_title + ' ' + (arxiv_abstract or ''))} "
    acronyms = _acronyms(arxiv_title)
    names = ([entry_title] if entry_title else []) + [c for c in candidates if c]
    for name in names:
        if _shares(name, text, acronyms, arxiv_title):
            return "agrees"
    own = [entry_title] if entry_title and _real_title(entry_title) else []
    own += [c for c in candidates if entry_title and c.casefold() in entry_title.casefold()
            and _coined(c) and not c.isupper()]  # "EDM", "DPO": nicknames, not checkable
    return "contradicts" if own else "unknown"


_CITATION = re.compile(r"\bet al\b|\b(?:19|20)\d\d\b")


def _words(text: str) -> list[str]:
    return [w for w in normalize_title(text).split() if len(w) >= 3 and w not in _STOPWORDS]


def _shares(name: str, text: str, acronyms: set[str], arxiv_title: str = "") -> bool:
    norm = normalize_title(name)
    if _mostly_latin(norm) and len(norm.split()) >= 2 and not titles_disagree(name, arxiv_title):
        return True
    key = _name_key(name)
    if len(key) >= 4 and key in _name_key(arxiv_title):
        return True
    for word in _words(name):
        if word not in _COMMON and f" {word} " in text:
            return True
    return any(tok in acronyms for tok in re.findall(r"\b[A-Z][A-Za-z]{1,6}\b", name)
               if sum(c.isupper() for c in tok) >= 2)


def _acronyms(title: str) -> set[str]:
    """Initials of consecutive capitalised words: "Direct Preference Optimization" → DPO."""
    words = re.findall(r"[A-Za-z][\w'-]*", title)
    out = set()
    for i in range(len(words)):
        for j in range(i + 2, min(len(words), i + 6) + 1):
            span = [w for w in words[i:j] if w.lower() not in _STOPWORDS]
            if len(span) >= 2:
                out.add("".join(w[0].upper() for w in span))
    return out


def _coined(name: str) -> bool:
    """A name made up for a paper: a word with inner capitals, digits or a hyphen
    ("LLaVA-RLHF", "Phi-3", "KAN", "ReST-MCTS"), not a year or a citation."""
    raw = name.strip()
    if len(raw.split()) > 3 or _CITATION.search(raw) or not _mostly_latin(normalize_title(raw)):
        return False
    return any(len(tok) >= 2 and (any(c.isdigit() for c in tok) or any(c.isupper() for c in tok[1:])
                                  or "-" in tok.strip("-"))
               for tok in raw.split())


def _real_title(title: str) -> bool:
    """A paper title, not a sentence, a citation or a page heading: a coined name, a
    "Name: subtitle", or mostly capitalised words."""
    if not _mostly_latin(normalize_title(title)) or _CITATION.search(title):
        return False
    head = title.split(":")[0].strip()
    if ":" in title and _coined(head.split()[0] if head.split() else ""):
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", title) if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)
