"""Secrets never reach an output line, and the state is private.

Every CLI command runs at --log-level DEBUG with a real-shaped bot token and API key in
its environment, against the local Telegram, OpenAI, arXiv and blog servers, so httpx
logs every Bot API URL (``…/bot<token>/sendMessage``), PTB its base URL and openai its
requests: neither secret appears in any line of any command's stdout or stderr. All of
it runs under umask 022, as outside systemd: every directory paperbot creates is 0700
and every file (database, WAL, HTTP cache, locks) 0600."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat
from pathlib import Path

import pytest

from jobs.cli import cli
from tests.conftest import paperbot_env, run_paperbot
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.openai import OpenAIStub
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import Blog, ServiceProc, service_config

# Shaped like the real ones: <bot id>:<35 chars>, sk-proj-<long>.
TOKEN = "7123456789:AAF3kq9ZtXw-R2p_Lm8NvB5cYd0HeJ6sUi4"
API_KEY = "sk-proj-Zx8Qw2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz1Xc3Vb5Nm7Qw9Er1Ty3Ui5Op7As9"
SECRETS = (TOKEN, TOKEN.split(":")[1], API_KEY, API_KEY.removeprefix("sk-proj-"))
READER = 4001


def leaf_commands(group=cli, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from leaf_commands(cmd, (*path, name))
        else:
            yield (*path, name)


def leaks(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(s in line for s in SECRETS)]


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every path paperbot created under ``root`` whose mode is not owner-only."""
    loose = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            loose[str(path.relative_to(root.parent))] = oct(mode)
    return loose


@pytest.mark.slow
async def test_no_command_prints_a_secret_and_the_state_is_private(tmp_path):
    async with (BlogServer() as server, ArxivStub() as arxiv, OpenAIStub() as llm,
                TelegramStub() as tg):
        blog = Blog(server)
        blog.publish("first", ["2305.18290"])
        config = service_config(tmp_path, sources=[("notes", blog.feed_url, "en")],
                                telegram_url=tg.base_url, llm_url=llm.base_url,
                                arxiv_url=arxiv.url, log_level="DEBUG", every_minutes=0.05)
        env = paperbot_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, OPENAI_API_KEY=API_KEY)
        state = tmp_path / "state"
        outputs: dict[tuple[str, ...], str] = {}

        async def run(*args: str) -> None:
            result = await run_paperbot("--config", str(config), "--log-level", "DEBUG", *args,
                                        cwd=tmp_path, env=env)
            outputs[args] = result.stdout + result.stderr

        with umask(0o022):
            await run("crawl", "once")
            await run("summarize", "once")
            svc = await ServiceProc(tmp_path, config, env=env).start()
            try:
                await svc.wait_for_line(r"paperbot running", timeout=20)
                tg.inject_command(READER, "/start", language_code="en")
                await tg.wait_for_sent(1, chat_id=READER, timeout=10)
                blog.publish("second", ["2307.03172"])  # crawled, summarized, delivered
                await tg.wait_for_sent(2, chat_id=READER, timeout=25)
                # while the service runs, its WAL and shared-memory files exist too
                assert (state / "paperbot.db-wal").exists()
                assert modes(state) == {}
                svc.signal(signal.SIGTERM)
                assert await svc.wait(15) == 0
            finally:
                await svc.close()
            outputs[("run",)] = svc.output
            blog.publish("third", ["2309.17453"])
            await run("crawl", "once")
            await run("summarize", "once")
            await run("deliver", "once")
            # the rest read the database (commands added later run too, with defaults)
            rest = [args for args in leaf_commands() if args not in outputs]
            await asyncio.gather(*(run(*args) for args in rest))

    assert set(leaf_commands()) <= set(outputs)
    # the secrets were in play: the Bot API URLs were logged, redacted
    assert "/bot<redacted>/sendMessage" in outputs[("deliver", "once")]
    assert "/bot<redacted>/getUpdates" in outputs[("run",)]
    assert llm.calls >= 2 and len(tg.messages_to(READER)) >= 2
    assert {args: leaks(text) for args, text in outputs.items() if leaks(text)} == {}
    assert modes(state) == {}
    assert {p.name for p in state.iterdir()} >= {"paperbot.db", "httpcache", "crawl.lock"}
