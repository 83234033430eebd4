"""One crawler (and one service) per state directory: ``flock`` on a file in state_dir.

``paperbot crawl once`` takes ``crawl.lock`` for the whole crawl, whoever runs it (a
person at a shell or the service's crawl subprocess), so two crawls never run at once
on one database. ``paperbot run`` takes ``service.lock`` so that two services never
share a state directory (and a bot token's update stream).

The kernel releases a ``flock`` when its holder dies, even by SIGKILL, so a crash never
leaves a stale lock behind. The file holds the holder's pid and start time, only to say
who holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import time
from pathlib import Path

EX_TEMPFAIL = 75  # sysexits.h: "try again later"


class LockBusy(Exception):
    """Another process holds the lock; ``holder`` says who (``pid … since …``)."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by {holder or 'another process'}")
        self.path = path
        self.holder = holder


class FileLock:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def acquire(self, *, wait: bool = False, timeout: float | None = None,
                poll: float = 0.1) -> None:
        """Take the lock; raise :class:`LockBusy` when held elsewhere and ``wait`` is
        False (or ``timeout`` seconds passed)."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    if not wait or (deadline is not None and time.monotonic() >= deadline):
                        raise LockBusy(self.path, self.holder()) from None
                    time.sleep(poll)
        except BaseException:
            os.close(fd)
            raise
        since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {since}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def crawl_lock(state_dir: str | os.PathLike) -> FileLock:
    return FileLock(Path(state_dir) / "crawl.lock")


def service_lock(state_dir: str | os.PathLike) -> FileLock:
    return FileLock(Path(state_dir) / "service.lock")
