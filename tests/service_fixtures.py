"""Helpers for the service tests: a `paperbot run` subprocess that the test can read,
signal and kill, a blog whose posts the test controls, and a config pointing the real
clients at the local stub servers (blog, arXiv, OpenAI-compatible, Telegram)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import FAST_CRAWL, REPO, paperbot_env, write_config
from tests.servers.blog import rss_feed

TOKEN = "987654321:AAHfakeTOKENfor-paperbot_tests-0123456789x"
API_KEY = "sk-test-SECRETKEY-0123456789abcdef"


# ------------------------------------------------------------------------------ blog
def post_html(arxiv_ids: list[str], words: str = "A paper worth reading.") -> str:
    paras = "".join(
        f'<p><a href="https://arxiv.org/abs/{pid}">https://arxiv.org/abs/{pid}</a></p>'
        f"<p>{words} ({pid})</p>" for pid in arxiv_ids)
    return (f"<html><head><title>notes</title></head><body><article>"
            f'<div class="post-body">{paras}</div></article></body></html>')


class Blog:
    """One blog on a BlogServer: ``publish(path, ids)`` adds a post and lists it in the
    feed (newest first)."""

    def __init__(self, server, prefix: str = "") -> None:
        self.server, self.prefix = server, prefix
        self.items: list[tuple[str, str, str]] = []
        self._day = 1

    @property
    def feed_url(self) -> str:
        return self.server.url(f"{self.prefix}/feed.xml")

    def publish(self, name: str, arxiv_ids: list[str], words: str = "A paper worth reading.",
                *, html: str | None = None) -> None:
        path = f"{self.prefix}/posts/{name}.html"
        self.server.add_page(path, html if html is not None else post_html(arxiv_ids, words))
        date = f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][self._day % 7]}, " \
               f"{self._day:02d} Jan 2024 09:00:00 GMT"
        self._day += 1
        self.items.insert(0, (name, path, date))
        self.server.add_page(f"{self.prefix}/feed.xml", rss_feed(self.server.url(""), self.items),
                             "application/rss+xml")


# ------------------------------------------------------------------------------ config
def service_config(tmp_path: Path, *, sources: list[tuple[str, str, str]], telegram_url: str,
                   llm_url: str | None, arxiv_url: str, every_minutes: float = 0.05,
                   poll_seconds: float = 0.5, alert_after: int = 3, admin: int | None = None,
                   log_level: str = "INFO", crawl_timeout: float = 3.0,
                   extra: str = "") -> Path:
    """``sources``: (name, feed url, lang)."""
    body = (f"state_dir = '{tmp_path / 'state'}'\nlog_level = '{log_level}'\n"
            + FAST_CRAWL.replace("timeout_seconds = 3.0", f"timeout_seconds = {crawl_timeout}")
            + f"""
[schedule]
crawl_every_minutes = {every_minutes}
jitter_seconds = 0.0
crawl_time_limit_minutes = 1.0
delivery_poll_seconds = {poll_seconds}
source_alert_after_runs = {alert_after}
watchdog_seconds = 2.0

[telegram]
api_base_url = '{telegram_url}'
admin_chat_ids = [{admin if admin is not None else ''}]
max_messages_per_second = 200.0
per_chat_messages_per_second = 50.0

[arxiv]
api_url = '{arxiv_url}'
min_interval_seconds = 0.0
timeout_seconds = 2.0
max_retries = 0
""")
    if llm_url:
        body += f"\n[llm]\nbase_url = '{llm_url}'\ntimeout_seconds = 5.0\nmax_retries = 0\n"
    body += extra
    for name, url, lang in sources:
        body += (f"\n[[sources]]\nname = '{name}'\nkind = 'rss'\nurl = '{url}'\nlang = '{lang}'\n"
                 f"content_selector = 'div.post-body'\nuse_feed_content = false\n")
    return write_config(tmp_path, body)


# ------------------------------------------------------------------------------ process
class ServiceProc:
    """``python -m jobs --config CONFIG run`` in its own session (so a SIGKILL of the
    group also takes its crawl child, like systemd killing the unit's cgroup)."""

    def __init__(self, tmp_path: Path, config: Path, *, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = (), api_key: bool = True,
                 wrap: Callable[[list[str]], list[str]] | None = None) -> None:
        """``api_key``: set OPENAI_API_KEY (only with ``[llm] base_url`` pointing at the
        local stub: a key without a base URL would mean api.openai.com). ``wrap``: the
        command line run instead of the plain one (e.g. inside a mount namespace)."""
        self.tmp_path, self.config, self.args = tmp_path, config, args
        self.wrap = wrap
        secrets = {"TELEGRAM_BOT_TOKEN": TOKEN, **({"OPENAI_API_KEY": API_KEY} if api_key else {})}
        self.env = env if env is not None else paperbot_env(tmp_path, **secrets)
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task | None = None
        self._new_line = asyncio.Event()

    async def start(self) -> ServiceProc:
        argv = [sys.executable, "-m", "jobs", "--config", str(self.config), "run", *self.args]
        self.proc = await asyncio.create_subprocess_exec(
            *(self.wrap(argv) if self.wrap else argv),
            cwd=str(self.tmp_path), env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True, limit=1 << 20)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))
            self._new_line.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, pattern: str, *, timeout: float = 20.0, start: int = 0) -> str:
        """The first output line (from index ``start``) matching the regex ``pattern``."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for line in self.lines[seen:]:
                if rx.search(line):
                    return line
            seen = max(seen, len(self.lines))
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(f"service exited {self.proc.returncode} before "
                                     f"{pattern!r}:\n{self.output[-4000:]}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n"
                                     f"{self.output[-4000:]}")
            self._new_line.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_line.wait(), min(left, 0.2))

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill_group(self) -> None:
        """A crash: SIGKILL to the service and its crawl child at once."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    async def wait(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reader, 2.0)
        return code

    async def close(self) -> None:
        """Make sure nothing of it is left running (test teardown)."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.kill_group()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # an orphaned crawl child
        with contextlib.suppress(Exception):
            await self.wait(5.0)
        # kept for a failing test's post-mortem (pytest keeps the last tmp dirs)
        (self.tmp_path / "service.log").write_text(self.output, encoding="utf-8")


async def poll(predicate, *, timeout: float = 20.0, interval: float = 0.1, what: str = ""):
    """Wait until ``predicate()`` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(interval)


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    if not db_path.exists():
        return []
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def paperbot_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobs", *args]


__all__ = ["API_KEY", "Blog", "REPO", "ServiceProc", "TOKEN", "paperbot_cmd", "poll", "query",
           "service_config"]
