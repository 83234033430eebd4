"""Topic filters (pure): arXiv categories and free-text keywords; empty = everything."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

ARCHIVES = {"cs", "stat", "math", "eess", "econ", "q-bio", "q-fin", "physics", "astro-ph",
            "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
            "nlin", "nucl-ex", "nucl-th", "quant-ph"}
_UPPER_ARCHIVES = {"cs", "stat", "math", "eess", "econ", "q-bio", "q-fin"}
COMMON_CATEGORIES = ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "cs.IR", "cs.RO", "cs.SD", "stat.ML",
                     "cs.CR", "cs.SE", "cs.HC", "cs.MA")
_CATEGORY = re.compile(r"([a-z][a-z-]*)\.([A-Za-z][A-Za-z-]*)", re.I)
MAX_TOPICS = 30
MAX_TOPIC_LEN = 60


def is_category(topic: str) -> bool:
    m = _CATEGORY.fullmatch(topic)
    if m:
        return m.group(1).lower() in ARCHIVES
    return topic.lower() in ARCHIVES


def normalize(topic: str) -> str:
    """``cs.cl`` → ``cs.CL``; keywords are trimmed and whitespace-collapsed."""
    topic = re.sub(r"\s+", " ", topic).strip().strip("#")[:MAX_TOPIC_LEN]
    m = _CATEGORY.fullmatch(topic)
    if m and m.group(1).lower() in ARCHIVES:
        archive = m.group(1).lower()
        sub = m.group(2).upper() if archive in _UPPER_ARCHIVES else m.group(2).lower()
        return f"{archive}.{sub}"
    if topic.lower() in ARCHIVES:
        return topic.lower()
    return topic


def parse_topics(text: str) -> list[str]:
    """Free text → topics: split on commas, semicolons and new lines (any script)."""
    parts = re.split(r"[,;\n、，；]+", text or "")
    out: list[str] = []
    for p in parts:
        t = normalize(p)
        if t and t.casefold() not in {o.casefold() for o in out}:
            out.append(t)
    return out[:MAX_TOPICS]


def merge(current: Sequence[str], added: Iterable[str]) -> list[str]:
    out = list(current)
    for t in added:
        if t.casefold() not in {o.casefold() for o in out}:
            out.append(t)
    return out[:MAX_TOPICS]


def toggle(current: Sequence[str], topic: str) -> list[str]:
    if topic.casefold() in {o.casefold() for o in current}:
        return [o for o in current if o.casefold() != topic.casefold()]
    return merge(current, [topic])


def matches(topics: Sequence[str], *, categories: Sequence[str] = (), text: str = "") -> bool:
    """Does a paper (its arXiv ``categories`` and ``text``: title, abstract, summary) match
    any of ``topics``? No topics = everything."""
    return not topics or bool(matching(topics, categories=categories, text=text))


def matching(topics: Sequence[str], *, categories: Sequence[str] = (),
             text: str = "") -> list[str]:
    """The ``topics`` a paper matches (categories exactly or by archive; keywords as whole
    words in ASCII, as substrings in other scripts), in the order given."""
    cats = {c.lower() for c in categories or ()}
    archives = {c.split(".")[0] for c in cats}
    folded = (text or "").casefold()
    out: list[str] = []
    for topic in topics:
        if is_category(topic):
            t = topic.lower()
            if t in cats or ("." not in t and t in archives):
                out.append(topic)
            continue
        kw = topic.casefold()
        if not kw:
            continue
        if kw.isascii():
            if re.search(r"(?<![0-9a-z])" + re.escape(kw) + r"(?![0-9a-z])", folded):
                out.append(topic)
        elif kw in folded:
            out.append(topic)
    return out
