"""Does this arXiv paper answer that title? Pure title/author/date rules, table-tested
(the normalizing and tokenizing they compare with is :mod:`jobs.resolve.titles`).

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz

from jobs.resolve.titles import (
    COMMON_WORDS,
    author_name_parts,
    content_words,
    distinctive,
    is_coined_name,
    is_real_title,
    mostly_latin,
    name_key,
    normalize_title,
    strip_name_prefix,
    title_acronyms,
    title_head,
)

OLD_NAMESAKE_YEARS = 3


class Paper(Protocol):
    """What the rules read of an arXiv entry (``jobs.clients.arxiv.ArxivPaper``)."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    published: str | None


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
    if not a or not b or not mostly_latin(a):
        return False
    return fuzz.token_set_ratio(a, b) < 60


def authors_overlap(entry_authors: Sequence[str], paper_authors: Sequence[str]) -> bool | None:
    """Whether the blog's author list agrees with arXiv's. None = cannot tell (no names,
    or names in a script arXiv does not use); True/False otherwise.

    A blog author matches an arXiv author when a surname-like part agrees, ignoring
    diacritics, initials and name order ("J. Weston", "Weston, Jason", "Ilic" vs
    "Ilić"). At least one match is needed, two when the blog lists four or more
    comparable names (common surnames alone must not carry a match)."""
    entry = [p for p in (author_name_parts(n) for n in entry_authors if n) if p]
    if not entry or not paper_authors:
        return None
    paper = [author_name_parts(n) for n in paper_authors]
    hits = sum(1 for parts in entry if any(parts & other for other in paper))
    return hits >= (2 if len(entry) >= 4 else 1)


# ---------------------------------------------------------------------------------
# The decision: which hit (if any) a ranked list of candidates names

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
        key = name_key(_REPORT.sub("", candidate))
        if distinctive(candidate) and key and name_key(_REPORT.sub("", head)) == key:
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
    acronyms = title_acronyms(arxiv_title)
    names = ([entry_title] if entry_title else []) + [c for c in candidates if c]
    for name in names:
        if _shares(name, text, acronyms, arxiv_title):
            return "agrees"
    own = [entry_title] if entry_title and is_real_title(entry_title) else []
    own += [c for c in candidates if entry_title and c.casefold() in entry_title.casefold()
            and is_coined_name(c) and not c.isupper()]  # "EDM", "DPO": nicknames, not checkable
    return "contradicts" if own else "unknown"


def _shares(name: str, text: str, acronyms: set[str], arxiv_title: str = "") -> bool:
    norm = normalize_title(name)
    if mostly_latin(norm) and len(norm.split()) >= 2 and not titles_disagree(name, arxiv_title):
        return True
    key = name_key(name)
    if len(key) >= 4 and key in name_key(arxiv_title):
        return True
    for word in content_words(name):
        if word not in COMMON_WORDS and f" {word} " in text:
            return True
    return any(tok in acronyms for tok in re.findall(r"\b[A-Z][A-Za-z]{1,6}\b", name)
               if sum(c.isupper() for c in tok) >= 2)
