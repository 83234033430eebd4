"""systemd notify protocol: a real `paperbot run` sends READY=1, WATCHDOG=1 (at half of
WATCHDOG_USEC, from its event loop) and STOPPING=1 to the datagram socket named by
$NOTIFY_SOCKET, path or abstract (@name)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time

import pytest

from jobs.service.sdnotify import Notifier
from tests.conftest import paperbot_env, write_config
from tests.service_fixtures import ServiceProc


def bind_socket(tmp_path, abstract: bool) -> tuple[socket.socket, str]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = f"paperbot-test-{os.getpid()}-{time.monotonic_ns()}"
        sock.bind("\0" + name)
        address = "@" + name
    else:
        address = str(tmp_path / "notify.sock")
        sock.bind(address)
    sock.setblocking(False)
    return sock, address


async def receive(sock: socket.socket, until: str, *, timeout: float) -> list[str]:
    """Datagrams until one contains the line ``until``."""
    loop = asyncio.get_running_loop()
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {until} within {timeout}s; got {got}")
        try:
            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), left)
        except TimeoutError:
            continue
        got.append(data.decode())
        if until in data.decode().splitlines():
            return got


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_notifier_writes_datagrams(tmp_path, abstract):
    sock, address = bind_socket(tmp_path, abstract)
    try:
        notifier = Notifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "4000000"})
        assert notifier.watchdog_interval() == 2.0
        assert notifier.ready("up")
        assert notifier.watchdog()
        assert notifier.stopping()
        msgs = [sock.recv(4096).decode() for _ in range(3)]
        assert msgs[0].splitlines()[0] == "READY=1" and "STATUS=up" in msgs[0]
        assert msgs[1] == "WATCHDOG=1" and msgs[2] == "STOPPING=1"
        notifier.close()
    finally:
        sock.close()


def test_without_systemd_it_is_a_no_op():
    notifier = Notifier({})
    assert not notifier.ready() and notifier.watchdog_interval() is None
    # WATCHDOG_PID names another process: not ours to ping
    assert Notifier({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000000",
                     "WATCHDOG_PID": "1"}).watchdog_interval() is None


async def test_paperbot_run_notifies_ready_watchdog_and_stopping(tmp_path):
    sock, address = bind_socket(tmp_path, abstract=True)
    config = write_config(tmp_path, f"""
        state_dir = '{tmp_path / "state"}'
        sources = []
        [schedule]
        watchdog_seconds = 2.0
    """)
    env = paperbot_env(tmp_path, NOTIFY_SOCKET=address, WATCHDOG_USEC="600000")
    svc = await ServiceProc(tmp_path, config, env=env, args=("--no-bot",)).start()
    try:
        before_ready = await receive(sock, "READY=1", timeout=20)
        ready = before_ready[-1]
        assert f"MAINPID={svc.proc.pid}" in ready
        assert any(line.startswith("STATUS=") for line in ready.splitlines())
        started = time.monotonic()
        pings = 0
        while pings < 3:  # every 0.3 s: half of WATCHDOG_USEC
            msgs = await receive(sock, "WATCHDOG=1", timeout=3)
            pings += sum(m == "WATCHDOG=1" for m in msgs)
        assert time.monotonic() - started < 2.5
        svc.signal(signal.SIGTERM)
        stopping = await receive(sock, "STOPPING=1", timeout=10)
        assert stopping
        assert await svc.wait(10) == 0
    finally:
        await svc.close()
        sock.close()
