"""A local blog server on 127.0.0.1: serves a directory of pages and feeds like a real
site (ETag / Last-Modified / 304, robots.txt, content types) and can be told to fail.

Use in tests::

    async with BlogServer(root=FIXTURES / "sites" / "example") as blog:
        blog.fail("/feed.xml", status=500)      # or delay=..., hang=True, redirect_loop=True,
                                                 # trickle=True (a byte every 0.2 s: slow-loris)
        await blog.go_down(); await blog.come_back()  # connection refused, then back
        blog.add_page("/posts/new.html", html)   # a new post appears
        url = blog.url("/feed.xml")
        blog.hits["/feed.xml"]                   # requests per path
        blog.not_modified                        # 304s answered
        blog.latency = 0.05                      # every answer takes 50 ms
        blog.peak_in_flight, blog.arrivals       # politeness: concurrency, request times

Standalone: ``python -m tests.servers.blog --root DIR --port 8000``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import mimetypes
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from aiohttp import web

from tests.servers import start_app

_FILES_MODIFIED = 1_700_000_000.0  # the fixture files' Last-Modified


@dataclass
class Fault:
    status: int | None = None
    delay: float = 0.0
    hang: bool = False
    redirect_loop: bool = False
    trickle: bool = False  # answer 200 at once, then the body a byte every 0.2 s, forever
    body: bytes | None = None
    content_type: str | None = None
    times: int | None = None  # fail this many times, then serve normally


class BlogServer:
    def __init__(self, root: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.root = Path(root) if root else None
        self.host = host
        self.port = port
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.modified: dict[str, float] = {}  # Last-Modified of the added pages
        self.faults: dict[str, Fault] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        self.latency = 0.0  # every answer takes this long (politeness is then measurable)
        self.in_flight = self.peak_in_flight = 0
        self.arrivals: list[float] = []  # monotonic time each request came in
        self._runner: web.AppRunner | None = None

    # -- control -----------------------------------------------------------------
    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add_page(self, path: str, body: str | bytes, content_type: str | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        ctype = content_type or mimetypes.guess_type(path)[0] or "text/html"
        if self.pages.get(path, (None,))[0] != data:
            self.modified[path] = time.time()
        self.pages[path] = (data, ctype)

    def fail(self, path: str, **kwargs) -> None:
        self.faults[path] = Fault(**kwargs)

    def heal(self, path: str | None = None) -> None:
        if path is None:
            self.faults.clear()
        else:
            self.faults.pop(path, None)

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    # -- serving -----------------------------------------------------------------
    def _lookup(self, path: str) -> tuple[bytes, str] | None:
        if path in self.pages:
            return self.pages[path]
        if self.root is None:
            return None
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file() or self.root.resolve() not in candidate.parents:
            return None
        ctype = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if candidate.suffix == ".xml":
            ctype = "application/rss+xml" if "feed" in candidate.name else "application/xml"
        return candidate.read_bytes(), ctype

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.arrivals.append(time.monotonic())
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.query_string else request.path
        key = path if path in self.pages or path in self.faults else request.path
        self.hits[key] += 1
        fault = self.faults.get(key)
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times < 0:
                self.faults.pop(key, None)
                fault = None
        if fault is not None:
            if fault.hang:
                await asyncio.sleep(3600)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.redirect_loop:
                raise web.HTTPFound(location=key)
            if fault.trickle:
                return await self._trickle(request)
            if fault.status:
                return web.Response(status=fault.status, text=f"error {fault.status}")
            if fault.body is not None:
                return web.Response(body=fault.body,
                                    content_type=fault.content_type or "text/html")
        if request.path == "/robots.txt" and self._lookup("/robots.txt") is None:
            return web.Response(text="User-agent: *\nAllow: /\n")
        found = self._lookup(key)
        if found is None:
            return web.Response(status=404, text="not found")
        body, ctype = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = self.modified.get(key, _FILES_MODIFIED)
        headers = {"ETag": etag, "Last-Modified": formatdate(modified, usegmt=True),
                   "Cache-Control": "no-cache"}
        # RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since
        inm, ims = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
        if (inm == etag) if inm is not None else _not_modified_since(ims, modified):
            self.not_modified += 1
            return web.Response(status=304, headers=headers)
        charset = "utf-8" if ctype.startswith("text/") or "xml" in ctype or "json" in ctype else None
        return web.Response(body=body, content_type=ctype, charset=charset, headers=headers)

    @staticmethod
    async def _trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            while True:
                await response.write(b" ")
                await asyncio.sleep(0.2)
        except (ConnectionError, asyncio.CancelledError):
            return response

    async def go_down(self) -> None:
        """Stop listening: connections to this port are refused until :meth:`come_back`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def come_back(self) -> None:
        """Listen again on the same port."""
        if self._runner is None:
            app = web.Application()
            app.router.add_route("GET", "/{tail:.*}", self._handle)
            self._runner, self.port = await start_app(app, self.host, self.port)

    async def __aenter__(self) -> BlogServer:
        await self.come_back()
        return self

    async def __aexit__(self, *exc) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _not_modified_since(header: str | None, modified: float) -> bool:
    """``If-Modified-Since`` at or after the page's Last-Modified (HTTP dates: whole
    seconds)."""
    if not header:
        return False
    try:
        return parsedate_to_datetime(header).timestamp() >= int(modified)
    except (TypeError, ValueError):
        return False


def rss_feed(base: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed of ``items`` (title, path, RFC 822 date), links under ``base``."""
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><pubDate>{date}</pubDate></item>"
        for title, path, date in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>blog</title><link>{base}/</link>{entries}</channel></rss>")


def one_paper_feed(base: str, i: int) -> str:
    """Source ``i``'s feed: one post, its full text in the feed (no second request), naming
    paper 2402.{i + 1:05d} (many sources on one site: the politeness test and bench)."""
    body = (f'<p><a href="https://arxiv.org/abs/2402.{i + 1:05d}">Paper {i}</a> — what the blog '
            "thought of it.</p>")
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>b</title>'
            f"<link>{base}/</link><item><title>Post {i}</title><link>{base}/p/{i}.html</link>"
            "<pubDate>Fri, 19 Jan 2024 09:00:00 GMT</pubDate>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>")


async def _serve(args: argparse.Namespace) -> None:
    async with BlogServer(args.root, port=args.port) as server:
        print(f"serving {args.root} on {server.url()}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, default=8000)
    asyncio.run(_serve(parser.parse_args()))
