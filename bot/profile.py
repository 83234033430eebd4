"""What a reader wants (pure): topics, followed authors, excluded keywords and the
weights their 👍 / 👎 gave to categories and keywords; and the decision, for one paper,
whether to send it and why.

The decision, in order:

1. an excluded keyword or category in the paper → not sent;
2. a followed author among the paper's authors → sent, whatever the topics and weights;
3. topics set and none matched → not sent;
4. the reader's *affinity* (their weights of the paper's primary category, half of each
   other category's, and their matched keywords') plus a bonus of one per extra blog
   that discussed the paper must stay above :data:`THRESHOLD`: two 👎 on a category's
   papers mute its single-blog papers, while a paper three blogs discussed still comes.

Author names are matched on a normalized form: transliterated to ASCII (``anyascii``:
Cyrillic, CJK, accents), case and punctuation dropped, the name parts in any order and
spacing ("LeCun, Yann" = "Yann Le Cun"), and initials ("Y. LeCun").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from anyascii import anyascii

from bot.render import Why
from bot.topics import is_category, matching

THRESHOLD = -2.0  # a paper whose score is at or below this is not sent
WEIGHT_LIMIT = 3.0  # weights stay within ±WEIGHT_LIMIT
SECONDARY = 0.5  # a vote moves the paper's other categories by half as much
MAX_FOLLOWS = 30
MAX_EXCLUDES = 30


@dataclass(frozen=True)
class Profile:
    topics: Sequence[str] = ()
    follows: Sequence[str] = ()
    excludes: Sequence[str] = ()
    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping) -> Profile:
        return cls(tuple(row.get("topics") or ()), tuple(row.get("follows") or ()),
                   tuple(row.get("excludes") or ()), dict(row.get("weights") or {}))

    @property
    def plain(self) -> bool:
        """Takes every paper (no topics, exclusions or weights)."""
        return not (self.topics or self.excludes or self.weights)


@dataclass(frozen=True)
class Facts:
    """What the decision looks at: the paper's arXiv categories (primary first), its text
    (title, abstract, summary), its authors and how many blogs discussed it."""

    categories: Sequence[str] = ()
    text: str = ""
    authors: Sequence[str] = ()
    curators: int = 1


@dataclass(frozen=True)
class Decision:
    send: bool
    why: Why
    score: float = 0.0


# ------------------------------------------------------------------ authors
def _name_parts(name: str) -> list[str]:
    """'LeCun, Yann' → ['yann', 'lecun']; any script transliterated to ASCII."""
    name = re.sub(r"\(.*?\)", " ", name or "")
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    ascii_name = anyascii(name).lower()
    return [p for p in re.split(r"[^a-z0-9]+", ascii_name) if p]


def normalize_author(name: str) -> str:
    """A display-independent form: 'Yann LeCun', 'LeCun, Yann' → 'yann lecun'."""
    return " ".join(_name_parts(name))


def _spellings(parts: Sequence[str]) -> set[str]:
    """Every order of the parts, concatenated ('kai ming he' = 'kaiming he' = 'he kaiming')."""
    if len(parts) > 5:
        return {"".join(parts)}
    return {"".join(p) for p in itertools.permutations(parts)}


def _with_initials(wanted: Sequence[str], author: Sequence[str]) -> bool:
    """'y lecun' matches 'yann lecun': same last part, each other part an initial (or the
    whole word) of the author's other parts, in order."""
    if len(wanted) < 2 or len(author) < 2 or wanted[-1] != author[-1]:
        return False
    rest = list(author[:-1])
    for part in wanted[:-1]:
        while rest and not rest[0].startswith(part):
            rest.pop(0)
        if not rest:
            return False
        rest.pop(0)
    return True


def _loose(spelling: str) -> str:
    """Transliterations differ in y/i/j, h and doubled letters ('Andrey Karpatyy' from
    Cyrillic = 'Andrej Karpathy'): fold them."""
    s = re.sub(r"[yj]", "i", spelling).replace("h", "")
    return re.sub(r"(.)\1+", r"\1", s)


def author_matches(wanted: str, author: str) -> bool:
    a, b = _name_parts(wanted), _name_parts(author)
    if not a or not b:
        return False
    if _spellings(a) & _spellings(b) or _with_initials(a, b):
        return True
    if wanted.isascii() and author.isascii():
        return False
    return bool({_loose(x) for x in _spellings(a)} & {_loose(x) for x in _spellings(b)})


def followed(follows: Sequence[str], authors: Sequence[str]) -> list[str]:
    """The followed names (as the reader wrote them) among ``authors``."""
    return [f for f in follows if any(author_matches(f, a) for a in authors)]


def clean_names(text: str) -> list[str]:
    """'/follow' arguments → names: split on ';' or new lines (commas belong to
    'Last, First'), whitespace collapsed."""
    names = [re.sub(r"\s+", " ", n).strip(" .") for n in re.split(r"[;\n]+", text or "")]
    return [n[:80] for n in names if n]


def add_items(current: Sequence[str], added: Sequence[str], *, key=str.casefold,
              limit: int = MAX_FOLLOWS) -> list[str]:
    out = list(current)
    for item in added:
        if key(item) not in {key(o) for o in out}:
            out.append(item)
    return out[:limit]


def remove_items(current: Sequence[str], removed: Sequence[str], *,
                 key=str.casefold) -> list[str]:
    gone = {key(r) for r in removed}
    return [c for c in current if key(c) not in gone]


# ------------------------------------------------------------------ weights
def vote_terms(facts: Facts, keywords: Sequence[str] = ()) -> dict[str, float]:
    """What a vote on this paper moves, and by how much: its primary category fully, its
    other categories by half, the reader's keywords it matched fully."""
    terms: dict[str, float] = {}
    for i, cat in enumerate(dict.fromkeys(c for c in facts.categories if c)):
        terms[cat] = 1.0 if i == 0 else SECONDARY
    for kw in keywords:
        if not is_category(kw):
            terms[kw.casefold()] = 1.0
    return terms


def apply_vote(weights: Mapping[str, float], terms: Mapping[str, float], *, old: int,
               new: int) -> dict[str, float]:
    """Weights after a vote changes from ``old`` to ``new`` (-1, 0, 1): each term moves by
    (new - old) × its share, within ±WEIGHT_LIMIT; zero weights are dropped."""
    delta = new - old
    out = dict(weights)
    for term, share in terms.items():
        w = max(-WEIGHT_LIMIT, min(WEIGHT_LIMIT, out.get(term, 0.0) + delta * share))
        if abs(w) < 1e-9:
            out.pop(term, None)
        else:
            out[term] = round(w, 3)
    return out


def affinity(weights: Mapping[str, float], facts: Facts, keywords: Sequence[str] = ()) -> float:
    if not weights:
        return 0.0
    terms = vote_terms(facts, keywords)
    return sum(weights.get(term, 0.0) * share for term, share in terms.items())


# ------------------------------------------------------------------ the decision
def decide(profile: Profile, facts: Facts) -> Decision:
    """Send ``facts``' paper to a reader with ``profile``? And why (see the module doc)."""
    curators = max(1, facts.curators)
    if profile.excludes and matching(profile.excludes, categories=facts.categories,
                                     text=facts.text):
        return Decision(False, Why(curators=curators))
    authors = tuple(followed(profile.follows, facts.authors))
    topics = tuple(matching(profile.topics, categories=facts.categories, text=facts.text))
    why = Why(topics=topics, authors=authors, curators=curators)
    if authors:
        return Decision(True, why)
    if profile.topics and not topics:
        return Decision(False, why)
    score = affinity(profile.weights, facts, topics) + (curators - 1)
    return Decision(score > THRESHOLD, why, score)
