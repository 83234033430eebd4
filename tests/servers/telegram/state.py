"""What the stub remembers: messages sent and edited (what each message shows now),
chats and members, commands, callback answers, the updates queue; and the Python test
API on it: inject messages, commands and callback presses, wait for messages."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import defaultdict, deque
from typing import Any

from tests.servers.telegram.entities import utf16_len
from tests.servers.telegram.rates import SlidingWindow

BOT_ID = 4242
BOT_USERNAME = "paperbot_test_bot"


@dataclasses.dataclass
class Sent:
    chat_id: int | str
    text: str  # as sent (HTML source when parse_mode is HTML)
    parse_mode: str | None
    visible: str  # the text after entity parsing
    message_id: int
    method: str = "sendMessage"
    reply_markup: Any = None
    link_preview_options: Any = None
    at: float = 0.0
    document: tuple[str, bytes] | None = None  # sendDocument: (file name, content)


class StubState:
    """The state part of :class:`~tests.servers.telegram.server.TelegramStub` (a mixin:
    ``reset()`` creates every piece of state, the rate windows and faults included)."""

    rate: float | None
    paid_rate: float

    def reset(self) -> None:
        self.sent: list[Sent] = []
        self.attempts: list[tuple[str, Any, int]] = []  # (method, chat_id, http status)
        self.edits: list[Sent] = []
        self.markup_edits: list[Sent] = []
        self.current: dict[tuple[Any, int], Sent] = {}  # what each message shows now
        self.callback_answers: list[dict] = []
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.blocked: set[Any] = set()
        self.missing: set[Any] = set()
        self.chats: dict[Any, dict] = {}
        self.members: dict[tuple[Any, int], str] = {}
        self.failures: dict[str, deque] = defaultdict(deque)
        self.outages: dict[str, tuple[int, str, float]] = {}  # method → (status, desc, until)
        self.late: deque[float] = deque()  # delays of the next answers (message delivered)
        self.late_chats: dict[Any, float] = {}
        self.stats: dict[str, int] = defaultdict(int)
        self._updates: list[dict] = []
        self._history: list[dict] = []
        self._next_update_id = 1000
        self._next_message_id = 1
        self._confirmed = 0
        self._new_update = asyncio.Event() if self._loop_running() else None
        self._sent_event = asyncio.Event() if self._loop_running() else None
        # every accepted message; a free one needs < rate in the last second, a paid one
        # (allow_paid_broadcast) < paid_rate
        self._global = SlidingWindow(max(self.rate or 1, self.paid_rate), 1.0)
        self._chat_windows: dict[Any, SlidingWindow] = {}

    @staticmethod
    def _loop_running() -> bool:
        try:
            asyncio.get_running_loop()
            return True
        except RuntimeError:
            return False

    def add_chat(self, chat_id: int, *, type: str = "channel", username: str | None = None,
                 title: str | None = None) -> None:
        """Register a chat for getChat (e.g. a channel known by ``@username``)."""
        self.chats[chat_id] = {"id": chat_id, "type": type, "title": title or str(chat_id),
                               "username": username}

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """getChatMember of ``user_id`` in ``chat_id`` answers ``status`` ("creator",
        "administrator", "member", "left", "kicked"); unknown users are "member"."""
        self.members[(chat_id, user_id)] = status

    def messages_to(self, chat_id: Any) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id]

    # ---------------------------------------------------------------- updates
    def _user(self, user_id: int, language_code: str | None, username: str | None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        return user

    def _chat(self, chat_id: int, chat_type: str, username: str | None) -> dict:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = f"Chat {chat_id}"
        if username:
            chat["username"] = username
        return chat

    def _push(self, payload: dict) -> int:
        self._next_update_id += 1
        update = {"update_id": self._next_update_id, **payload}
        self._updates.append(update)
        self._history.append(update)
        if self._new_update is not None:
            self._new_update.set()
        return self._next_update_id

    def inject_message(self, chat_id: int, text: str, *, user_id: int | None = None,
                       language_code: str | None = "en", chat_type: str = "private",
                       username: str | None = None, anonymous_admin: bool = False) -> int:
        """Queue a message update (a ``/command`` gets its bot_command entity). Returns its
        id. ``anonymous_admin``: sent by a group admin as the group (``sender_chat``)."""
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, username),
            "from": self._user(user_id or abs(chat_id), language_code, username),
            "text": text,
        }
        if anonymous_admin:
            message["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                               "username": "GroupAnonymousBot"}
            message["sender_chat"] = self._chat(chat_id, chat_type, username)
        if text.startswith("/"):
            cmd = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(cmd)}]
        return self._push({"message": message})

    inject_command = inject_message

    def inject_callback(self, chat_id: int, data: str, *, message_id: int | None = None,
                        user_id: int | None = None, language_code: str | None = "en",
                        chat_type: str = "private") -> int:
        """Queue a callback query (a press on an inline keyboard button). Returns its id."""
        if message_id is None:
            mine = self.messages_to(chat_id)
            message_id = mine[-1].message_id if mine else self._new_message_id()
        shown = self.current.get((chat_id, message_id))
        query_id = f"cbq{self._next_update_id + 1}"
        self._queries[query_id] = False
        message_json = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, None),
            "from": self._bot_user(),
            "text": shown.visible if shown else "…",
        }
        if shown is not None and shown.reply_markup:
            message_json["reply_markup"] = shown.reply_markup
        query = {
            "id": query_id,
            "from": self._user(user_id or abs(chat_id), language_code, None),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message_json,
        }
        return self._push({"callback_query": query})

    def redeliver_all(self) -> None:
        """Offer every update ever injected again, as Telegram does with updates a bot
        handled but never confirmed (it crashed before its next getUpdates)."""
        self._updates = list(self._history)
        self._confirmed = 0
        if self._new_update is not None:
            self._new_update.set()

    @property
    def pending_updates(self) -> int:
        return sum(1 for u in self._updates if u["update_id"] >= self._confirmed)

    async def wait_for_sent(self, count: int, *, timeout: float = 10.0,
                            chat_id: Any = None) -> list[Sent]:
        """Wait until ``count`` messages (to ``chat_id`` if given) were sent; return them."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.sent if chat_id is None else self.messages_to(chat_id)
            if len(got) >= count:
                return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"expected {count} messages, got {len(got)}: "
                                   f"{[m.visible[:80] for m in got]}")
            self._sent_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sent_event.wait(), min(left, 0.2))

    async def wait_until(self, predicate, *, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met")
            await asyncio.sleep(0.02)

    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "paperbot", "username": BOT_USERNAME}

    def _new_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id
