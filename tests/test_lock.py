"""One crawler at a time: `paperbot crawl once` refuses (75) or waits (--wait) while
another crawl holds the state directory's lock; a killed holder never leaves it stuck."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

import pytest

from jobs.service.lock import EX_TEMPFAIL, FileLock, LockBusy, crawl_lock
from tests.conftest import REPO, paperbot_env, run_paperbot, write_config

HOLD = """
import sys, time
from jobs.service.lock import crawl_lock
lock = crawl_lock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def hold_lock(state_dir, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(state_dir), str(seconds)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def example_config(tmp_path) -> str:
    shutil.copytree(REPO / "examples" / "blog", tmp_path / "blog")
    return str(write_config(tmp_path, f"""
        state_dir = '{tmp_path / "state"}'
        [[sources]]
        name = "example-blog"
        kind = "rss"
        url = "file:blog/feed.xml"
        lang = "ko"
        content_selector = "div.post-body"
    """))


def test_second_holder_is_refused_and_told_who_holds_it(tmp_path):
    first = crawl_lock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(LockBusy) as info:
            crawl_lock(tmp_path).acquire()
        assert info.value.holder.startswith("pid ")
        started = time.monotonic()
        with pytest.raises(LockBusy):
            crawl_lock(tmp_path).acquire(wait=True, timeout=0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        first.release()
    with FileLock(tmp_path / "crawl.lock"):  # free again
        pass


def test_a_killed_holder_releases_the_lock(tmp_path):
    proc = hold_lock(tmp_path, 60)
    with pytest.raises(LockBusy):
        crawl_lock(tmp_path).acquire()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    lock = crawl_lock(tmp_path)
    lock.acquire()  # no stale lock after a crash
    lock.release()


async def test_crawl_once_exits_75_while_another_crawl_runs_and_waits_with_wait(tmp_path):
    config = example_config(tmp_path)
    holder = hold_lock(tmp_path / "state", 2.5)
    try:
        refused = await run_paperbot("--config", config, "crawl", "once", cwd=tmp_path)
        assert refused.code == EX_TEMPFAIL, refused.stderr
        assert "another crawl is running" in refused.stderr
        assert f"pid {holder.pid}" in refused.stderr
        assert "example-blog" not in refused.stdout  # it did not crawl

        started = time.monotonic()
        waited = await run_paperbot("--config", config, "crawl", "once", "--wait", cwd=tmp_path,
                                    env=paperbot_env(tmp_path))
        assert waited.code == 0, waited.stderr
        assert holder.poll() is not None  # it only crawled after the holder was done
        assert time.monotonic() - started > 0.5
        assert "example-blog" in waited.stdout and "2401.10020" in waited.stdout
    finally:
        holder.kill()
        holder.wait()
