"""Real file-system trouble for tests, without root on the host: a private mount namespace
(``unshare --user --map-root-user --mount``) in which a directory is a read-only bind
mount or a tiny tmpfs that fills up. The process under test sees it; the host does not
(the test reaches it through ``/proc/<pid>/root``)."""

from __future__ import annotations

import functools
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest


@functools.cache
def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


requires_namespaces = pytest.mark.skipif(
    not _unshare_works(), reason="needs unprivileged user+mount namespaces (unshare)")


def in_namespace(argv: list[str], *, read_only: Path | None = None,
                 tmpfs: tuple[Path, str] | None = None) -> list[str]:
    """``argv`` run in a new mount namespace where ``read_only`` is mounted read-only and
    ``tmpfs`` = (dir, size such as '2m') is a tmpfs of that size."""
    steps = []
    if read_only is not None:
        d = shlex.quote(str(read_only))
        steps.append(f"mount --bind {d} {d} && mount -o remount,bind,ro {d} {d}")
    if tmpfs is not None:
        d = shlex.quote(str(tmpfs[0]))
        steps.append(f"mount -t tmpfs -o size={tmpfs[1]},mode=0700 tmpfs {d}")
    script = " && ".join([*steps, 'exec "$@"'])
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", *argv]


def seen_by(pid: int, path: Path) -> Path:
    """``path`` as the process ``pid`` (in its own mount namespace) sees it."""
    return Path(f"/proc/{pid}/root") / str(path).lstrip("/")


def fill(directory: Path, *, name: str = "filler") -> Path:
    """Write ``directory/name`` until the file system is full (not a byte left)."""
    target = directory / name
    with open(target, "ab", buffering=0) as f:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * size
            while True:
                try:
                    f.write(block)
                except OSError:
                    break
    return target
