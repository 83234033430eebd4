"""systemd's notify protocol, written directly to ``$NOTIFY_SOCKET`` (no dependency).

``Type=notify`` units learn from these datagrams that the service is ready
(``READY=1``), alive (``WATCHDOG=1``, at least every ``WatchdogSec``), stopping
(``STOPPING=1``) and what it is doing (``STATUS=…``). Outside systemd
(``$NOTIFY_SOCKET`` unset) every call is a no-op that returns False.

The socket is an AF_UNIX datagram socket; a name starting with ``@`` is in the Linux
abstract namespace (leading NUL byte).
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("paperbot.sdnotify")


def _address(value: str) -> str | bytes:
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    return value


class Notifier:
    """Sends notify messages to the socket named by ``env['NOTIFY_SOCKET']``."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        self.socket_path = env.get("NOTIFY_SOCKET") or None
        self._watchdog_usec = env.get("WATCHDOG_USEC")
        self._watchdog_pid = env.get("WATCHDOG_PID")
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.socket_path is not None

    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings (half of ``WatchdogSec``), or None when
        systemd did not ask for them (or asked another process)."""
        if not self._watchdog_usec:
            return None
        if self._watchdog_pid and self._watchdog_pid.strip() != str(os.getpid()):
            return None
        try:
            usec = int(self._watchdog_usec)
        except ValueError:
            return None
        return usec / 2 / 1_000_000 if usec > 0 else None

    def notify(self, *lines: str) -> bool:
        """Send ``KEY=value`` lines in one datagram. True when sent."""
        if self.socket_path is None:
            return False
        payload = "\n".join(lines).encode("utf-8")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, _address(self.socket_path))
            return True
        except OSError as exc:
            if not self._warned:  # once: the watchdog would repeat it every few seconds
                log.warning("cannot notify systemd at %s: %s", self.socket_path, exc)
                self._warned = True
            return False

    def ready(self, status: str | None = None) -> bool:
        lines = ["READY=1", f"MAINPID={os.getpid()}"]
        if status:
            lines.append(f"STATUS={status}")
        return self.notify(*lines)

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        lines = ["STOPPING=1"]
        if status:
            lines.append(f"STATUS={status}")
        return self.notify(*lines)

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text.replace(chr(10), ' ')}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
