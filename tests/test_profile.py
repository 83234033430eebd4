"""What a reader wants (pure): author names, the decision to send, vote weights; and
BibTeX entries of saved papers, checked with a real BibTeX parser."""

from __future__ import annotations

import bibtexparser
import pytest

from bot import bibtex
from bot.profile import (
    THRESHOLD,
    Facts,
    Profile,
    apply_vote,
    author_matches,
    clean_names,
    decide,
    normalize_author,
    vote_terms,
)
from bot.render import callback_data, parse_callback


@pytest.mark.parametrize(("wanted", "author"), [
    ("Yann LeCun", "Yann LeCun"),
    ("yann lecun", "Yann LeCun"),
    ("LeCun, Yann", "Yann LeCun"),
    ("Yann Le Cun", "Yann LeCun"),
    ("Y. LeCun", "Yann LeCun"),
    ("Kaiming He", "He Kaiming"),
    ("何恺明", "Kaiming He"),  # CJK transliterated: he kai ming = kaiming he
    ("Jürgen Schmidhuber", "Jurgen Schmidhuber"),
    ("Łukasz Kaiser", "Lukasz Kaiser"),
    ("Андрей Карпатый", "Andrej Karpathy"),  # transliteration differs in y/j/h
])
def test_followed_names_match_other_spellings(wanted, author):
    assert author_matches(wanted, author)


@pytest.mark.parametrize(("wanted", "author"), [
    ("Yann LeCun", "Yann Dauphin"),
    ("Kaiming He", "Kaiming Wang"),
    ("He", "Kaiming He"),  # a bare part is not a name
    ("Z. LeCun", "Yann LeCun"),
])
def test_other_people_do_not_match(wanted, author):
    assert not author_matches(wanted, author)


def test_names_are_normalized_and_split_on_semicolons():
    assert normalize_author("  LeCun,  Yann ") == "yann lecun"
    assert clean_names("Yann LeCun; Geoffrey Hinton\nLeCun, Yann") == [
        "Yann LeCun", "Geoffrey Hinton", "LeCun, Yann"]


def facts(cats=("cs.CV",), text="A vision paper", authors=("Ada Lovelace",), curators=1):
    return Facts(categories=cats, text=text, authors=authors, curators=curators)


def test_exclusions_beat_everything_and_follows_beat_topics_and_weights():
    p = Profile(topics=("cs.CL",), follows=("Ada Lovelace",), excludes=("robot",),
                weights={"cs.CV": -3.0})
    assert decide(p, facts()).send  # followed author, off-topic and disliked: still sent
    assert decide(p, facts()).why.authors == ("Ada Lovelace",)
    assert not decide(p, facts(text="A robot arm")).send  # excluded keyword
    assert not decide(Profile(excludes=("cs.CV",)), facts()).send  # excluded category
    assert not decide(Profile(topics=("cs.CL",)), facts()).send
    d = decide(Profile(topics=("cs.CV", "vision")), facts())
    assert d.send and d.why.topics == ("cs.CV", "vision")


def test_two_dislikes_mute_a_category_unless_several_blogs_discussed_the_paper():
    weights: dict = {}
    disliked = facts(cats=("cs.CV", "cs.LG"))
    for _ in range(2):
        terms = vote_terms(disliked)
        weights = apply_vote(weights, terms, old=0, new=-1)
    assert weights == {"cs.CV": -2.0, "cs.LG": -1.0}
    p = Profile(weights=weights)
    assert decide(p, facts(cats=("cs.CV",))).score == THRESHOLD
    assert not decide(p, facts(cats=("cs.CV",))).send
    assert decide(p, facts(cats=("cs.LG", "cs.CL"))).send  # secondary category: -1
    assert decide(p, facts(cats=("cs.CV",), curators=3)).send  # three blogs: +2
    assert decide(p, facts(cats=("cs.CV",), curators=3)).why.curators == 3
    # taking the votes back restores everything; weights stay within ±3
    for _ in range(2):
        weights = apply_vote(weights, vote_terms(disliked), old=-1, new=0)
    assert weights == {}
    many = {}
    for _ in range(10):
        many = apply_vote(many, {"cs.AI": 1.0}, old=0, new=1)
    assert many == {"cs.AI": 3.0}


def test_a_vote_moves_the_readers_matched_keywords_too():
    assert vote_terms(facts(), ["diffusion", "cs.CV"]) == {"cs.CV": 1.0, "diffusion": 1.0}


def test_callback_data_fits_telegrams_64_bytes():
    for arxiv_id in ("2401.12345", "hep-th/9901001", "math.AG/0601001", "cond-mat.mes-hall/0601001"):
        for action in ("up", "down", "save"):
            data = callback_data(action, arxiv_id)
            assert len(data.encode()) < 64 and parse_callback(data) == (action, arxiv_id)
    assert parse_callback("lang:en") is None and parse_callback("fb:nope:1") is None
    with pytest.raises(ValueError):
        callback_data("up", "x" * 70)


PAPERS = [
    {"arxiv_id": "1706.03762", "title": "Attention Is All You Need",
     "authors": ["Ashish Vaswani", "Noam Shazeer"], "categories": ["cs.CL", "cs.LG"],
     "published": "2017-06-12T17:57:34Z"},
    {"arxiv_id": "2401.00001", "title": "Attention & {braces}: 100% $cheap_tricks# ~^\\",
     "authors": ["Ashish Vaswani", "Łukasz Kaiser"], "categories": ["cs.CL"], "published": None},
    {"arxiv_id": "2401.00002", "title": "The attention of it", "authors": ["Ashish Vaswani"],
     "categories": [], "published": "2024-01-02"},
    {"arxiv_id": "hep-th/9901001", "title": "Strings", "authors": [], "categories": ["hep-th"]},
]


def test_bibtex_entries_parse_with_arxiv_fields_and_unique_keys():
    text = bibtex.bibliography(PAPERS)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert list(entries) == ["vaswani2017attention", "vaswani2024attention",
                             "vaswani2024attentiona", "arxiv1999strings"]
    first = entries["vaswani2017attention"]
    assert first.entry_type == "misc"
    assert first["title"] == "Attention Is All You Need"
    assert first["author"] == "Ashish Vaswani and Noam Shazeer"
    assert (first["eprint"], first["archivePrefix"], first["primaryClass"], first["year"]) == (
        "1706.03762", "arXiv", "cs.CL", "2017")
    assert first["url"] == "https://arxiv.org/abs/1706.03762"
    tricky = entries["vaswani2024attention"]["title"]
    assert r"\&" in tricky and r"\%" in tricky and r"\$" in tricky and r"\{braces\}" in tricky
    assert entries["vaswani2024attention"]["author"] == "Ashish Vaswani and Łukasz Kaiser"


def test_migration_v4_is_idempotent_and_keeps_subscribers():
    import sqlite3

    import sqlite_utils

    from jobs.store import schema

    old = sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None))
    old["meta"].create({"key": str, "value": str}, pk="key")
    for m in schema.MIGRATIONS[:3]:
        m(old)
    old.execute("insert into meta values('schema_version', '3')")
    old.execute("insert into subscribers(chat_id, lang, topics, subscribed_at) "
                "values(1, 'ko', '[\"cs.CL\"]', '2024-05-01T00:00:00+00:00')")
    assert schema.migrate(old) == schema.SCHEMA_VERSION >= 4
    row = old.execute("select topics, follows, excludes, weights, digest_weekday "
                      "from subscribers").fetchone()
    assert row == ('["cs.CL"]', "[]", "[]", "{}", 0)
    schema.MIGRATIONS[3](old)  # idempotent
    assert "feedback" in old.table_names()
    plan = " ".join(str(r) for r in old.execute(
        "explain query plan select 1 from posts s where coalesce(s.published_at, "
        "s.first_seen_at) >= '2024-01-01'"))
    assert "posts_discussed_at" in plan
