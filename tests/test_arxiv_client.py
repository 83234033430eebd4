"""The arXiv client against the local arXiv API stub (real HTTP, real Atom)."""

from __future__ import annotations

import asyncio
import time

import pytest

from jobs.clients.arxiv import (
    ArxivClient,
    ArxivQueryError,
    ArxivUnavailable,
    build_http_client,
    parse_feed,
)
from tests.servers.arxiv import ArxivStub, entry_xml, feed_xml

UA = "paperbot-test/1.0 (+https://example.org/paperbot; test suite)"

PAPERS = [
    {"id": f"2401.{10000 + i:05d}", "title": f"Paper number {i} on sparse mixtures of experts",
     "authors": ["Ada Lovelace", "Émile Borel"], "abstract": f"Abstract {i}.",
     "categories": ["cs.LG", "stat.ML"], "published": "2024-01-18T18:41:58Z",
     "updated": "2024-02-08T10:00:00Z"}
    for i in range(150)
]


def client_for(stub: ArxivStub, **kwargs) -> ArxivClient:
    kwargs.setdefault("min_interval_seconds", 0.0)
    kwargs.setdefault("backoff_seconds", 0.01)
    return ArxivClient(build_http_client(user_agent=UA, timeout_seconds=kwargs.pop("timeout", 5)),
                       api_url=stub.url, **kwargs)


async def in_thread(fn, *args, **kwargs):
    """The client is synchronous; run it off the loop so the stub keeps answering."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def test_id_list_is_batched_by_100_and_parsed_completely():
    async with ArxivStub(PAPERS) as stub:
        with client_for(stub) as client:
            got = await in_thread(client.fetch, [p["id"] for p in PAPERS] + ["2401.10001"])
    assert len(got) == 150
    assert [len(q.split(",")) for q in stub.id_queries] == [100, 50]  # duplicate sent once
    paper = got["2401.10007"]
    assert paper.title == "Paper number 7 on sparse mixtures of experts"  # unwrapped
    assert paper.authors == ("Ada Lovelace", "Émile Borel")
    assert paper.categories == ("cs.LG", "stat.ML")  # primary first
    assert paper.published == "2024-01-18T18:41:58Z" and paper.updated == "2024-02-08T10:00:00Z"
    assert paper.abstract == "Abstract 7." and paper.version == 2
    assert all(ua == UA for _t, _p, ua in stub.requests)


async def test_unknown_ids_are_absent_and_a_malformed_id_is_a_query_error():
    async with ArxivStub(PAPERS) as stub:
        with client_for(stub) as client:
            got = await in_thread(client.fetch, ["2401.10003", "2499.99999"])
            assert set(got) == {"2401.10003"}
            with pytest.raises(ArxivQueryError, match="incorrect id format"):
                await in_thread(client.fetch, ["2401.1"])


async def test_search_answers_the_total_and_the_first_page():
    async with ArxivStub(PAPERS) as stub:
        with client_for(stub) as client:
            total, hits = await in_thread(
                client.search, 'ti:"paper number 42 on sparse mixtures" OR ti:"paper number 7"',
                max_results=1)
            assert total == 2 and len(hits) == 1
            total, hits = await in_thread(client.search, 'ti:"paper number 42" AND '
                                          "submittedDate:[202001010000 TO 202101010000]")
    assert total == 0 and hits == []
    assert stub.search_queries[0] == 'ti:"paper number 42 on sparse mixtures" OR ti:"paper number 7"'


async def test_503_is_retried_with_backoff_and_retry_after_is_honoured():
    async with ArxivStub(PAPERS) as stub:
        stub.fail_next(2, status=503, retry_after=1)
        with client_for(stub, max_retries=3) as client:
            got = await in_thread(client.fetch, ["2401.10001"])
    assert "2401.10001" in got
    times = [t for t, _p, _ua in stub.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.95 and times[2] - times[1] >= 0.95  # Retry-After: 1


async def test_persistent_503_raises_unavailable_after_the_retries():
    async with ArxivStub(PAPERS) as stub:
        stub.fail_next(10, status=503)
        with client_for(stub, max_retries=2) as client, pytest.raises(
                ArxivUnavailable, match="HTTP 503"):
            await in_thread(client.fetch, ["2401.10001"])
    assert len(stub.requests) == 3


async def test_a_slow_api_times_out_into_unavailable():
    async with ArxivStub(PAPERS) as stub:
        stub.delay = 2.0
        started = time.monotonic()
        with client_for(stub, max_retries=0, timeout=0.3) as client, pytest.raises(
                ArxivUnavailable, match="Timeout"):
            await in_thread(client.fetch, ["2401.10001"])
    assert time.monotonic() - started < 1.5


async def test_an_unreachable_api_fails_at_once():
    async with ArxivStub(PAPERS) as stub:
        url = stub.url
    client = ArxivClient(build_http_client(user_agent=UA, timeout_seconds=5), api_url=url,
                         min_interval_seconds=3.0)
    started = time.monotonic()
    with client, pytest.raises(ArxivUnavailable, match="cannot reach"):
        await in_thread(client.fetch, ["2401.10001"])
    assert time.monotonic() - started < 1.0


async def test_requests_are_spaced_by_the_minimum_interval():
    async with ArxivStub(PAPERS) as stub:
        with client_for(stub, min_interval_seconds=0.25) as client:
            for i in range(4):
                await in_thread(client.fetch, [f"2401.{10000 + i:05d}"])
    times = [t for t, _p, _ua in stub.requests]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.2  # (server-side arrival times jitter)


def test_parse_feed_reads_old_style_ids_and_rejects_error_entries():
    old = {"id": "hep-th/9901001", "title": "An old paper", "authors": ["A. Physicist"],
           "categories": ["hep-th"], "published": "1999-01-01T00:00:00Z",
           "updated": "1999-01-01T00:00:00Z"}
    total, papers = parse_feed(feed_xml("q", 1, 0, [entry_xml(old)]).encode())
    assert total == 1 and papers[0].arxiv_id == "hep-th/9901001" and papers[0].version == 1
    with pytest.raises(ArxivQueryError):
        from tests.servers.arxiv import error_xml

        parse_feed(error_xml("bad", "malformed query").encode())
    with pytest.raises(ArxivUnavailable):
        parse_feed(b"<html><body>Service temporarily unavailable</body></html>")


async def test_waits_and_retries_are_logged_at_info_before_they_happen(caplog):
    """A silent minute looks like a hang: each request says what it waits for and how
    long, each retry when it will happen."""
    caplog.set_level("INFO", logger="jobs.arxiv")
    async with ArxivStub(PAPERS) as stub:
        stub.fail_next(1, status=503, retry_after=1)
        with client_for(stub, max_retries=2, timeout=7, min_interval_seconds=0.5) as client:
            await in_thread(client.fetch, ["2401.10001", "2401.10002"])
            await in_thread(client.fetch, ["2401.10003"])  # within the polite interval
    lines = [r.getMessage() for r in caplog.records if r.name == "jobs.arxiv"]
    assert all(r.levelname == "INFO" for r in caplog.records if r.name == "jobs.arxiv")
    assert lines[:3] == [
        "arXiv API: metadata of 2 papers (answer within 7 s; attempt 1 of 3)",
        "arXiv API: HTTP 503 for metadata of 2 papers; retrying in 1 s",
        "arXiv API: metadata of 2 papers (answer within 7 s; attempt 2 of 3)"]
    assert lines[3].startswith("arXiv API: metadata of 1 paper (after the 0.")
    assert lines[3].endswith(" s pause between requests, answer within 7 s; attempt 1 of 3)")
    assert len(lines) == 4
