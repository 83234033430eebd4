"""``[arxiv] api_url = "file:…"``: arXiv metadata answered from a saved Atom feed, the
same client logic (fetch by ID, title search and matching), no network."""

from __future__ import annotations

import json

import pytest

from jobs.clients.arxiv import ArxivClient, ArxivQueryError, ArxivUnavailable
from jobs.clients.arxiv_snapshot import ArxivSnapshot
from jobs.config import load_config
from jobs.resolve import queries
from tests.conftest import FIXTURES, REPO, write_config
from tests.servers.arxiv import entry_xml, feed_xml

INDEX = {p["id"]: p for p in json.loads((FIXTURES / "arxiv_index.json").read_text("utf-8"))}
IDS = ["2401.10020", "2401.10225", "2312.00752", "1706.03762"]


@pytest.fixture
def snapshot(tmp_path):
    """An Atom feed as the arXiv API serves it (the local stub's rendering)."""
    path = tmp_path / "arxiv.xml"
    path.write_text(feed_xml("id_list=…", len(IDS), 0, [entry_xml(INDEX[i]) for i in IDS]),
                    encoding="utf-8")
    return path


def test_a_file_api_url_relative_to_the_config_gives_a_snapshot_client(tmp_path, snapshot):
    config = load_config(write_config(tmp_path, "[arxiv]\napi_url = 'file:arxiv.xml'\n"),
                         env={})
    assert config.arxiv.api_url == snapshot.as_uri()
    with ArxivClient.from_config(config.arxiv, user_agent="test") as client:
        assert isinstance(client, ArxivSnapshot) and client.path == snapshot


def test_fetch_by_id_returns_known_papers_and_omits_unknown_ones(snapshot):
    client = ArxivSnapshot(snapshot)
    got = client.fetch(["2401.10020", "2401.10225v2", "2499.99999"])
    assert set(got) == {"2401.10020", "2401.10225"}
    paper = got["2401.10020"]
    assert paper.title == "Self-Rewarding Language Models"
    assert paper.authors[0] == "Weizhe Yuan" and paper.categories[0] == "cs.CL"


def ids(papers) -> list[str]:
    return sorted(p.arxiv_id for p in papers)


def test_searches_speak_the_query_language_the_resolver_sends(snapshot):
    client = ArxivSnapshot(snapshot)
    plan = queries.plan(["Mamba: Linear-time sequence modeling with selective state spaces",
                         "Mamba", "ChatQA"], post_date="2024-01-20")
    total, found = client.search(queries.search_query(plan))  # phrases OR (name AND dates)
    assert total == 2 and ids(found) == ["2312.00752", "2401.10225"]
    assert ids(client.query(search_query="au:Vaswani")) == ["1706.03762"]
    assert ids(client.query(search_query='ti:"language models" AND au:Weston')) == \
        ["2401.10020"]
    assert ids(client.query(search_query="all:models ANDNOT ti:chatqa")) == ["2401.10020"]
    # submitted after the window: a 2023 paper is not found for a 2017 post
    window = queries.plan(["Mamba"], post_date="2017-06-30")[0].term
    assert client.query(search_query=window) == []
    with pytest.raises(ArxivQueryError):
        client.query(search_query='ti:"unbalanced" AND (')


def test_an_unreadable_snapshot_behaves_like_an_unavailable_api(tmp_path):
    client = ArxivSnapshot(tmp_path / "missing.xml")
    with pytest.raises(ArxivUnavailable, match="cannot read the arXiv snapshot"):
        client.fetch(["2401.10020"])


def test_the_demo_snapshot_holds_every_paper_of_the_example_blog():
    config = load_config(REPO / "examples" / "paperbot.toml", env={})
    with ArxivClient.from_config(config.arxiv, user_agent="test") as client:
        got = client.fetch(["2401.10020", "2401.10225", "2401.09865", "2401.10774",
                            "2312.00752"])
    assert len(got) == 5 and all(p.title and p.authors for p in got.values())
