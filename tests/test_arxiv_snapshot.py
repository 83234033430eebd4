"""``[arxiv] api_url = "file:…"``: arXiv metadata answered from a saved Atom feed, the
same client logic (fetch by ID, title search and matching), no network."""

from __future__ import annotations

import json

import pytest

from jobs.clients.arxiv import ArxivClient, ArxivUnavailable, resolve_title
from jobs.clients.arxiv_snapshot import ArxivSnapshot
from jobs.config import load_config
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


def test_title_search_resolves_a_link_less_title_like_the_api(snapshot):
    client = ArxivSnapshot(snapshot)
    match = resolve_title(client, "Mamba: Linear-time sequence modeling with selective "
                                  "state spaces", ["Albert Gu"])
    assert match is not None and match.paper.arxiv_id == "2312.00752"
    assert resolve_title(client, "Attention Is Not All You Need") is None
    assert [p.arxiv_id for p in client.query(search_query="au:Vaswani")] == ["1706.03762"]
    assert client.query(search_query='ti:"language models" AND au:Weston')[0].arxiv_id == \
        "2401.10020"


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
