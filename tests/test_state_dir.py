"""A state directory paperbot cannot use: one clear line and a documented exit code
(73: missing and not creatable, read-only, not a directory; 74: disk full), never a
traceback, nothing half-written; commands that do not need it (``config show``,
``--help``) still work."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from jobs import store
from tests.conftest import NO_ARXIV, paperbot_env, write_config
from tests.namespaces import fill, in_namespace, requires_namespaces, seen_by
from tests.servers.arxiv import ArxivStub
from tests.servers.blog import BlogServer
from tests.servers.telegram import TelegramStub
from tests.service_fixtures import Blog, ServiceProc, service_config

READER = 5001

STATE_COMMANDS = [("status",), ("crawl", "once"), ("summarize", "once")]


async def paperbot(*args: str, cwd, wrap=None):
    argv = [sys.executable, "-m", "jobs", *args]
    proc = await asyncio.create_subprocess_exec(
        *(wrap(argv) if wrap else argv), cwd=str(cwd), env=paperbot_env(cwd),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


def one_clear_line(stderr: str) -> str:
    """The one line about the state directory (a command may have said something else
    before it), and no traceback."""
    lines = [line for line in stderr.splitlines() if "state directory" in line]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def config_with_state(tmp_path, state) -> str:
    return str(write_config(tmp_path, f"state_dir = '{state}'\n{NO_ARXIV}"
                            "[[sources]]\nname='a'\nkind='rss'\nurl='http://127.0.0.1:9/feed'\n"))


async def test_a_state_dir_that_cannot_be_created_exits_73(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    config = config_with_state(tmp_path, tmp_path / "file" / "state")
    results = await asyncio.gather(*(paperbot("--config", config, *args, cwd=tmp_path)
                                     for args in STATE_COMMANDS))
    for args, (code, _out, err) in zip(STATE_COMMANDS, results, strict=True):
        assert code == 73, (args, err)
        line = one_clear_line(err)
        assert "state directory" in line and "cannot be created" in line
    code, out, _err = await paperbot("--config", config, "config", "show", cwd=tmp_path)
    assert code == 0 and '"state_dir"' in out


@requires_namespaces
async def test_a_read_only_state_dir_exits_73(tmp_path):
    ro = tmp_path / "ro"
    (ro / "state").mkdir(parents=True)
    config = config_with_state(tmp_path, ro / "state")
    store.open_db(ro / "state" / "paperbot.db").conn.close()  # a database from before
    results = await asyncio.gather(*(
        paperbot("--config", config, *args, cwd=tmp_path,
                 wrap=lambda argv: in_namespace(argv, read_only=ro)) for args in STATE_COMMANDS))
    for args, (code, _out, err) in zip(STATE_COMMANDS, results, strict=True):
        assert code == 73, (args, err)
        assert "read-only" in one_clear_line(err)


@requires_namespaces
async def test_a_full_disk_exits_74(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    config = config_with_state(tmp_path, state)
    # a tmpfs with room for nothing: the database cannot even be initialised
    wrap = lambda argv: in_namespace(["sh", "-c", 'head -c 64k /dev/zero > "$0/fill"; exec "$@"',  # noqa: E731
                                      str(state), *argv], tmpfs=(state, "64k"))
    for args in (("summarize", "once"), ("crawl", "once")):
        code, _out, err = await paperbot("--config", config, *args, cwd=tmp_path, wrap=wrap)
        assert code == 74, (args, err)
        assert "is full" in one_clear_line(err)


@pytest.mark.slow
@requires_namespaces
async def test_the_service_rides_out_a_full_disk_and_recovers(tmp_path):
    """The disk under the state directory fills up while the service runs: it keeps
    running (one line per job, no traceback storm), and once space is freed the post
    published meanwhile reaches the subscriber, once."""
    state = tmp_path / "state"
    state.mkdir()
    async with BlogServer() as server, ArxivStub() as arxiv, TelegramStub() as tg:
        blog = Blog(server)
        blog.publish("first", ["2305.18290"])
        config = service_config(tmp_path, sources=[("notes", blog.feed_url, "en")],
                                telegram_url=tg.base_url, llm_url=None, arxiv_url=arxiv.url,
                                every_minutes=0.03)
        svc = ServiceProc(tmp_path, config, api_key=False,
                          wrap=lambda argv: in_namespace(argv, tmpfs=(state, "24m")))
        await svc.start()
        try:
            await svc.wait_for_line(r"paperbot running", timeout=20)
            tg.inject_command(READER, "/start", language_code="en")
            await tg.wait_for_sent(1, chat_id=READER)
            await svc.wait_for_line(r"crawl finished", timeout=20)  # the first crawl archives
            seen_state = seen_by(svc.proc.pid, state)
            filler = fill(seen_state)
            blog.publish("second", ["2307.03172"])
            full_since = len(svc.lines)
            for _ in range(3):  # crawls, deliveries and heartbeats fail meanwhile
                await svc.wait_for_line(r"crawl: the state directory is unusable",
                                        start=len(svc.lines), timeout=20)
            during = svc.lines[full_since:]
            assert any("is full" in line for line in during), "\n".join(during[-20:])
            assert not any("Traceback" in line for line in during), "\n".join(during[-20:])
            assert len(tg.messages_to(READER)) == 1
            filler.unlink()
            got = await tg.wait_for_sent(2, chat_id=READER, timeout=30)
            assert "2307.03172" in got[-1].text
            await svc.wait_for_line(r"state directory works again", start=full_since)
            svc.signal(signal.SIGTERM)
            assert await svc.wait(15) == 0
        finally:
            await svc.close()
    assert [m.text.count("2307.03172") > 0 for m in tg.messages_to(READER)].count(True) == 1
