"""Shared fixtures: an in-memory DB and a way to run the real `paperbot` command."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs import store

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def db():
    """A migrated in-memory database."""
    database = store.memory_db()
    yield database
    database.conn.close()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def paperbot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a paperbot subprocess: no real secrets, no user config."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                        "PAPERBOT_CONFIG", "STATE_DIRECTORY", "CREDENTIALS_DIRECTORY")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


async def run_paperbot(*args: str, cwd: Path, env: dict[str, str] | None = None,
                       timeout: float = 90) -> Result:
    """Run ``python -m jobs ARGS`` as a user would, without blocking the test's loop
    (local servers in the same loop keep answering)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jobs", *args, cwd=str(cwd),
        env=env if env is not None else paperbot_env(cwd),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"paperbot {' '.join(args)} timed out:\n{err.decode()}") from None
    return Result(proc.returncode, out.decode(), err.decode())


def db_rows(db_path: Path, sql: str, params: tuple | list = ()) -> list[tuple]:
    """Rows of ``sql`` read from a paperbot database file the way an operator would."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def state_db(tmp_path: Path) -> Path:
    """The database of a test whose config says ``state_dir = tmp_path / 'state'``."""
    return tmp_path / "state" / "paperbot.db"


def write_config(tmp_path: Path, body: str, name: str = "paperbot.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


# Never the real arXiv: a closed loopback port (connection refused at once), no retries.
NO_ARXIV = """
[arxiv]
api_url = "http://127.0.0.1:9/api/query"
max_retries = 0
min_interval_seconds = 0.0
"""

FAST_CRAWL = """
[crawl]
download_delay_seconds = 0.0
timeout_seconds = 3.0
retries = 0
obey_robots = true
"""
