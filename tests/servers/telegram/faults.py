"""Faults a test injects: blocked and missing chats (403 / 400 answers), the next calls
of a method failing, outages until ended, answers that come after the client's timeout
(the message delivered)."""

from __future__ import annotations

import math
import time
from typing import Any

from aiohttp import web

from tests.servers.telegram.wire import BotApiWire


class Faults(BotApiWire):
    """The fault part of :class:`~tests.servers.telegram.server.TelegramStub` (a mixin on
    the stub's state: ``blocked``, ``missing``, ``failures``, ``outages``, ``late``,
    ``late_chats``, ``attempts``, ``stats``)."""

    def block(self, chat_id: Any) -> None:
        self.blocked.add(chat_id)

    def unblock(self, chat_id: Any) -> None:
        self.blocked.discard(chat_id)

    def not_found(self, chat_id: Any) -> None:
        self.missing.add(chat_id)

    def fail_next(self, method: str = "sendMessage", count: int = 1, *, status: int = 500,
                  description: str | None = None, retry_after: int | None = None) -> None:
        """The next ``count`` calls of ``method`` fail with ``status``."""
        desc = description or {500: "Internal Server Error", 502: "Bad Gateway",
                               429: "Too Many Requests: retry after 1"}.get(status, "Error")
        for _ in range(count):
            self.failures[method].append((status, desc, retry_after))

    def outage(self, method: str = "sendMessage", *, status: int = 500,
               description: str | None = None, seconds: float | None = None) -> None:
        """Every call of ``method`` fails with ``status`` until :meth:`end_outage` (or for
        ``seconds``)."""
        desc = description or {500: "Internal Server Error", 502: "Bad Gateway",
                               503: "Service Unavailable"}.get(status, "Error")
        until = time.monotonic() + seconds if seconds is not None else math.inf
        self.outages[method] = (status, desc, until)

    def end_outage(self, method: str = "sendMessage") -> None:
        self.outages.pop(method, None)

    def answer_late(self, delay: float, *, count: int | None = None,
                    chat_ids: Any = None) -> None:
        """Deliver, but answer ``delay`` seconds late: the next ``count`` sendMessage
        calls, or every one to ``chat_ids``."""
        for chat_id in chat_ids or ():
            self.late_chats[chat_id] = delay
        self.late.extend([delay] * (count or 0))

    def _injected_failure(self, method: str, params: dict) -> web.Response | None:
        """The error answer of an outage of ``method`` or of its next queued failure
        (recorded as an attempt), else None."""
        outage = self.outages.get(method)
        if outage is not None and outage[2] <= time.monotonic():
            self.outages.pop(method, None)
            outage = None
        if outage is not None:
            self.stats[f"injected_{outage[0]}"] += 1
            self.attempts.append((method, self._chat_id(params.get("chat_id")), outage[0]))
            return self.error(outage[0], outage[1])
        if self.failures[method]:
            status, desc, retry_after = self.failures[method].popleft()
            self.stats[f"injected_{status}"] += 1
            self.attempts.append((method, self._chat_id(params.get("chat_id")), status))
            return self.error(status, desc,
                              {"retry_after": retry_after} if retry_after else None)
        return None

    def _check_chat(self, chat_id: Any, method: str) -> web.Response | None:
        if chat_id is None or chat_id == "":
            return self.error(400, "Bad Request: chat_id is empty")
        if chat_id in self.missing:
            self.attempts.append((method, chat_id, 400))
            return self.error(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            self.attempts.append((method, chat_id, 403))
            self.stats["forbidden"] += 1
            kind = "bot was kicked from the channel chat" if (
                isinstance(chat_id, str) or chat_id < 0) else "bot was blocked by the user"
            return self.error(403, f"Forbidden: {kind}")
        return None
