"""A local Telegram Bot API server for tests and benchmarks (aiohttp, 127.0.0.1).

It speaks the real wire protocol at ``/bot<token>/<method>`` (query string, JSON,
url-encoded and multipart bodies, like api.telegram.org), so the real
python-telegram-bot client is pointed at it with ``[telegram] api_base_url =
stub.base_url`` and nothing is monkeypatched.

Implemented methods: getMe, getUpdates (long polling with offset/limit/timeout),
sendMessage, editMessageText, editMessageReplyMarkup, sendDocument (multipart upload),
answerCallbackQuery, setMyCommands, getMyCommands, deleteMyCommands, deleteWebhook,
getChat, getChatMember (``set_member``), close/logOut (no-ops).

Behaviour that mirrors Telegram:

* ``parse_mode=HTML`` is validated strictly: unknown tags, unclosed / misnested tags,
  bad attributes and unsupported entities → 400 "Bad Request: can't parse entities: …";
  more than 4096 characters (UTF-16 code units) after entity parsing → 400
  "Bad Request: message is too long"; empty text → 400 "Bad Request: message text is empty".
* Rate limits, as strict as Telegram's documented ones: sliding windows over the
  messages *accepted* (sendMessage): at most ``rate`` in any one second overall (Telegram's
  "30 per second"), ``paid_rate`` (default 1000) for requests with
  ``allow_paid_broadcast=true``, ``chat_rate`` per second in one private chat and
  ``group_per_minute`` per minute in one group/channel. Over a limit → 429
  ``{"ok":false,"error_code":429,"description":"Too Many Requests: retry after N",
  "parameters":{"retry_after":N}}`` with N the whole seconds until the window has room.
  ``stats["max_per_second"]`` is the most messages accepted in any one-second window.
* Inline keyboards: callback data over 64 bytes → 400 "Bad Request: BUTTON_DATA_INVALID".
  A callback query carries the message it was pressed on, keyboard included; it can be
  answered once ("query is too old and response timeout expired or query ID is
  invalid" after that). Editing a message that was not sent → "message to edit not
  found"; the same text/keyboard again → "message is not modified: …".
* ``sendDocument``: the file part of a multipart body (``attach://`` references too);
  none → "there is no document in the request", empty → "file must be non-empty";
  a caption over 1024 characters → "message caption is too long".
* ``block(chat_id)`` → 403 "Forbidden: bot was blocked by the user";
  ``not_found(chat_id)`` → 400 "Bad Request: chat not found";
  ``fail_next(method, n, status=500)`` injects errors; ``outage(method, status=500,
  seconds=None)`` fails every call until ``end_outage()`` (or for ``seconds``);
  ``answer_late(delay, chat_ids=…)`` / ``answer_late(delay, count=n)``: the message *is*
  delivered, but the answer comes ``delay`` seconds later (after a client's read timeout).

Test API (Python): ``inject_message``, ``inject_command``, ``inject_callback``,
``sent`` / ``messages_to(chat_id)`` / ``wait_for_sent(n)``, ``stats``, ``commands``,
``callback_answers``. The same controls are served over HTTP under ``/_stub/`` for
cross-process use (benchmarks, the service end-to-end test):
``GET /_stub/stats``, ``GET /_stub/sent?chat_id=``, ``POST /_stub/inject`` (JSON:
``{"chat_id", "text", "language_code", ...}`` or ``{"callback": {...}}``),
``POST /_stub/block`` ``{"chat_id"}``, ``POST /_stub/not_found``,
``POST /_stub/fail_next`` ``{"method", "count", "status", "description"}``,
``POST /_stub/outage`` ``{"method", "status", "seconds"}`` (``{"end": true}`` ends it),
``POST /_stub/answer_late`` ``{"delay", "count"}``, ``POST /_stub/reset``.

Standalone: ``python -m tests.servers.telegram --port 8081 --rate 30``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import html
import json
import math
import re
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

from tests.servers import start_app

MAX_TEXT = 4096
BOT_ID = 4242
BOT_USERNAME = "paperbot_test_bot"

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityError(ValueError):
    """The text is not valid Telegram HTML (message after "can't parse entities: ")."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    """Decode the entity starting at text[i] == '&'; return (char, next index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        raise EntityError(f"Unsupported HTML entity at byte offset {len(text[:i].encode())}")
    name = text[i + 1 : end]
    if name in NAMED_ENTITIES:
        return NAMED_ENTITIES[name], end + 1
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(code), end + 1
        except (ValueError, OverflowError):
            pass
    raise EntityError(f"Unsupported HTML entity at byte offset {len(text[:i].encode())}")


def _decode_attr(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            ch, i = _decode_entity(value, i)
            out.append(ch)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(text: str) -> str:
    """Validate ``text`` as Telegram HTML and return the visible text (entities decoded).

    Raises :class:`EntityError` with a Telegram-like message.
    """
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
            continue
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        offset = len(text[:i].encode())
        close = text.find(">", i)
        if close == -1:
            raise EntityError(f"Unclosed start tag at byte offset {offset}")
        inner = text[i + 1 : close]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise EntityError(f"Unexpected end tag at byte offset {offset}")
            if stack[-1] != name:
                raise EntityError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"')
            stack.pop()
            i = close + 1
            continue
        m = _TAG_NAME.match(inner)
        if not m:
            raise EntityError(f"Unexpected start tag at byte offset {offset}")
        name = m.group(0).lower()
        if name not in ALLOWED_TAGS:
            raise EntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
        rest = inner[m.end():]
        attrs: dict[str, str] = {}
        pos = 0
        while pos < len(rest) and rest[pos:].strip():
            am = _ATTR.match(rest, pos)
            if not am or am.end() == pos:
                raise EntityError(f'Can\'t parse attributes of tag "{name}" at byte offset {offset}')
            raw = am.group(2) or ""
            if raw[:1] in ("'", '"'):
                raw = raw[1:-1]
            attrs[am.group(1).lower()] = _decode_attr(raw)
            pos = am.end()
        if name == "a" and not attrs.get("href"):
            raise EntityError(f'Tag "a" must have attribute "href" at byte offset {offset}')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(name)
        i = close + 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
# What Telegram links by itself in plain text, more eagerly than Telegram does (any
# Unicode TLD, any scheme): a URL, www., a bare domain, an e-mail, an @username.
_AUTOLINK = re.compile(
    r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[\w-]+\.)+[^\W\d_]{2,}\b(?:/\S*)?|(?<![\w@])@[A-Za-z]\w{3,}", re.I)


def links_in(text: str, parse_mode: str | None = "HTML") -> list[str]:
    """Every link a reader of this message could follow: the ``<a href>`` targets, and
    whatever Telegram would link by itself in the text outside ``<a>``, ``<code>`` and
    ``<pre>`` (where it does not look)."""
    if not parse_mode:
        return _AUTOLINK.findall(text)
    links: list[str] = []
    plain: list[str] = []
    inside: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        if not any(t in ("a", "code", "pre") for t in inside):
            plain.append(text[pos:m.start()])
        plain.append("\n")  # a tag boundary is a word boundary
        closing, name = m.group(1), m.group(2).lower()
        if closing:
            if name in inside:
                del inside[len(inside) - 1 - inside[::-1].index(name)]
        else:
            inside.append(name)
            if name == "a":
                href = _HREF.search(m.group(3) or "")
                links.append(html.unescape(next(g for g in href.groups() if g is not None))
                             if href else "")
        pos = m.end()
    plain.append(text[pos:])
    links += _AUTOLINK.findall(html.unescape("".join(plain)))
    return links


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds (a log of the accepted ones)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = max(1, int(limit)), period
        self.times: deque[float] = deque()

    @classmethod
    def per_second(cls, rate: float) -> SlidingWindow:
        """``rate`` per second as a window: 30/s → 30 in any second; 0.5/s → 1 in 2 s."""
        return cls(math.floor(rate), 1.0) if rate >= 1 else cls(1, 1.0 / rate)

    def count(self, now: float) -> int:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        return len(self.times)

    def wait(self, now: float, limit: int | None = None) -> float:
        """0.0 when one more event fits now (under ``limit``, default the window's own),
        else the seconds until it does."""
        limit = self.limit if limit is None else limit
        n = self.count(now)
        if n < limit:
            return 0.0
        return self.times[n - limit] + self.period - now

    def add(self, now: float) -> None:
        self.times.append(now)


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


class TelegramStub:
    def __init__(self, *, token: str | None = None, rate: float | None = None,
                 paid_rate: float = 1000.0, chat_rate: float | None = None,
                 group_per_minute: float | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token  # None: accept any token
        self.rate, self.paid_rate = rate, paid_rate
        self.chat_rate = chat_rate
        self.group_per_minute = group_per_minute
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self.reset()

    # ------------------------------------------------------------------ state
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

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def block(self, chat_id: Any) -> None:
        self.blocked.add(chat_id)

    def unblock(self, chat_id: Any) -> None:
        self.blocked.discard(chat_id)

    def not_found(self, chat_id: Any) -> None:
        self.missing.add(chat_id)

    def add_chat(self, chat_id: int, *, type: str = "channel", username: str | None = None,
                 title: str | None = None) -> None:
        """Register a chat for getChat (e.g. a channel known by ``@username``)."""
        self.chats[chat_id] = {"id": chat_id, "type": type, "title": title or str(chat_id),
                               "username": username}

    def fail_next(self, method: str = "sendMessage", count: int = 1, *, status: int = 500,
                  description: str | None = None, retry_after: int | None = None) -> None:
        """The next ``count`` calls of ``method`` fail with ``status``."""
        desc = description or {500: "Internal Server Error", 502: "Bad Gateway",
                               429: "Too Many Requests: retry after 1"}.get(status, "Error")
        for _ in range(count):
            self.failures[method].append((status, desc, retry_after))

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """getChatMember of ``user_id`` in ``chat_id`` answers ``status`` ("creator",
        "administrator", "member", "left", "kicked"); unknown users are "member"."""
        self.members[(chat_id, user_id)] = status

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

    # --------------------------------------------------------------- protocol
    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "paperbot", "username": BOT_USERNAME}

    def _new_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

    @staticmethod
    def ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def error(status: int, description: str, parameters: dict | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.text()
            if body.strip():
                params.update(json.loads(body))
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
            params["_files"] = {k: (v.filename, v.file.read()) for k, v in form.items()
                                if isinstance(v, web.FileField)}
        return params

    @staticmethod
    def _bad_markup(markup: Any) -> str | None:
        """Telegram's answer to an invalid inline keyboard, or None."""
        for row in (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
        return None

    @staticmethod
    def _json_field(value: Any) -> Any:
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return json.loads(value)
        return value

    @staticmethod
    def _int(value: Any, default: int | None = None) -> int | None:
        if value is None or value == "":
            return default
        return int(value)

    @staticmethod
    def _chat_id(value: Any) -> int | str | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        s = str(value)
        return int(s) if re.fullmatch(r"-?\d+", s) else s

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        self.stats["requests"] += 1
        if self.token is not None and token != self.token:
            return self.error(401, "Unauthorized")
        try:
            params = await self._params(request)
        except ValueError:
            return self.error(400, "Bad Request: can't parse JSON")
        handler = getattr(self, f"m_{method.lower()}", None)
        if handler is None:
            return self.error(404, "Not Found: method not found")
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
        return await handler(params)

    async def m_getme(self, params: dict) -> web.Response:
        return self.ok({**self._bot_user(), "can_join_groups": True,
                        "can_read_all_group_messages": False, "supports_inline_queries": False})

    async def m_deletewebhook(self, params: dict) -> web.Response:
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._confirmed = self._next_update_id + 1
        return self.ok(True)

    async def m_close(self, params: dict) -> web.Response:
        return self.ok(True)

    m_logout = m_close

    async def m_getupdates(self, params: dict) -> web.Response:
        offset = self._int(params.get("offset"), 0) or 0
        limit = self._int(params.get("limit"), 100) or 100
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._confirmed = max(self._confirmed, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= self._confirmed][:limit]
            left = deadline - time.monotonic()
            if ready or left <= 0:
                return self.ok(ready)
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), left)

    def _rate_limited(self, chat_id: Any, paid: bool) -> int | None:
        """Seconds to retry after when ``chat_id`` is over a limit, else None (counted)."""
        now = time.monotonic()
        window = None
        is_group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
        if is_group and self.group_per_minute:
            window = self._chat_windows.get(chat_id) or SlidingWindow(
                math.floor(self.group_per_minute), 60.0)
        elif not is_group and self.chat_rate:
            window = self._chat_windows.get(chat_id) or SlidingWindow.per_second(self.chat_rate)
        if window is not None:
            self._chat_windows[chat_id] = window
        overall = self.paid_rate if paid else self.rate
        wait = self._global.wait(now, math.floor(overall)) if overall else 0.0
        if window is not None:
            wait = max(wait, window.wait(now))
        if wait > 0:  # check every window before counting in any
            return max(1, math.ceil(wait))
        self._global.add(now)
        if window is not None:
            window.add(now)
        self.stats["max_per_second"] = max(self.stats["max_per_second"],
                                           self._global.count(now))
        if paid:
            self.stats["paid"] += 1
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

    def _validate_text(self, text: Any, parse_mode: Any) -> tuple[str | None, web.Response | None]:
        if not isinstance(text, str) or not text.strip():
            return None, self.error(400, "Bad Request: message text is empty")
        if parse_mode and str(parse_mode).lower() == "html":
            try:
                visible = parse_html(text)
            except EntityError as exc:
                self.stats["bad_entities"] += 1
                return None, self.error(400, f"Bad Request: can't parse entities: {exc}")
        elif parse_mode:
            return None, self.error(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        else:
            visible = text
        visible = visible.strip()
        if not visible:
            return None, self.error(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_TEXT:
            self.stats["too_long"] += 1
            return None, self.error(400, "Bad Request: message is too long")
        return visible, None

    def _message(self, chat_id: Any, message_id: int, visible: str) -> dict:
        if isinstance(chat_id, str):
            chat = {"id": -1000000000000 - abs(hash(chat_id)) % 10**9, "type": "channel",
                    "title": chat_id, "username": chat_id.lstrip("@")}
        elif chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup" if chat_id < -10**12 else "group",
                    "title": f"Chat {chat_id}"}
        else:
            chat = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"message_id": message_id, "date": int(time.time()), "chat": chat,
                "from": self._bot_user(), "text": visible}

    async def m_sendmessage(self, params: dict) -> web.Response:
        chat_id = self._chat_id(params.get("chat_id"))
        bad = self._check_chat(chat_id, "sendMessage")
        if bad is not None:
            return bad
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        retry = self._rate_limited(chat_id, paid)
        if retry is not None:
            self.stats["too_many_requests"] += 1
            self.attempts.append(("sendMessage", chat_id, 429))
            return self.error(429, f"Too Many Requests: retry after {retry}",
                              {"retry_after": retry})
        parse_mode = params.get("parse_mode") or None
        visible, bad = self._validate_text(params.get("text"), parse_mode)
        if bad is not None:
            self.attempts.append(("sendMessage", chat_id, 400))
            return bad
        markup = self._json_field(params.get("reply_markup"))
        if self._bad_markup(markup):
            self.attempts.append(("sendMessage", chat_id, 400))
            return self.error(400, self._bad_markup(markup))
        self.attempts.append(("sendMessage", chat_id, 200))
        msg = Sent(chat_id=chat_id, text=params["text"], parse_mode=parse_mode, visible=visible,
                   message_id=self._new_message_id(), reply_markup=markup,
                   link_preview_options=self._json_field(params.get("link_preview_options")),
                   at=time.monotonic())
        self.sent.append(msg)
        self.current[(chat_id, msg.message_id)] = msg
        self.stats["sent"] += 1
        if self._sent_event is not None:
            self._sent_event.set()
        delay = self.late_chats.get(chat_id) or (self.late.popleft() if self.late else 0.0)
        if delay:  # delivered; the answer comes after the client stopped waiting for it
            self.stats["late_answers"] += 1
            await asyncio.sleep(delay)
        return self.ok(self._message(chat_id, msg.message_id, visible))

    async def m_editmessagetext(self, params: dict) -> web.Response:
        chat_id = self._chat_id(params.get("chat_id"))
        bad = self._check_chat(chat_id, "editMessageText")
        if bad is not None:
            return bad
        parse_mode = params.get("parse_mode") or None
        visible, bad = self._validate_text(params.get("text"), parse_mode)
        if bad is not None:
            return bad
        message_id = self._int(params.get("message_id"))
        markup = self._json_field(params.get("reply_markup"))
        if self._bad_markup(markup):
            return self.error(400, self._bad_markup(markup))
        shown = self.current.get((chat_id, message_id))
        if shown is not None and shown.text == params["text"] and shown.reply_markup == markup:
            return self.error(400, self.NOT_MODIFIED)
        msg = Sent(chat_id=chat_id, text=params["text"], parse_mode=parse_mode, visible=visible,
                   message_id=message_id, method="editMessageText", reply_markup=markup,
                   at=time.monotonic())
        self.edits.append(msg)
        self.current[(chat_id, message_id)] = msg
        self.stats["edits"] += 1
        if self._sent_event is not None:
            self._sent_event.set()
        return self.ok(self._message(chat_id, message_id, visible))

    NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message")

    async def m_editmessagereplymarkup(self, params: dict) -> web.Response:
        chat_id = self._chat_id(params.get("chat_id"))
        bad = self._check_chat(chat_id, "editMessageReplyMarkup")
        if bad is not None:
            return bad
        message_id = self._int(params.get("message_id"))
        shown = self.current.get((chat_id, message_id))
        if shown is None:
            return self.error(400, "Bad Request: message to edit not found")
        markup = self._json_field(params.get("reply_markup"))
        if self._bad_markup(markup):
            return self.error(400, self._bad_markup(markup))
        if markup == shown.reply_markup:
            return self.error(400, self.NOT_MODIFIED)
        msg = dataclasses.replace(shown, method="editMessageReplyMarkup", reply_markup=markup,
                                  at=time.monotonic())
        self.markup_edits.append(msg)
        self.current[(chat_id, message_id)] = msg
        self.stats["markup_edits"] += 1
        if self._sent_event is not None:
            self._sent_event.set()
        result = self._message(chat_id, message_id, shown.visible)
        if markup:
            result["reply_markup"] = markup
        return self.ok(result)

    async def m_senddocument(self, params: dict) -> web.Response:
        chat_id = self._chat_id(params.get("chat_id"))
        bad = self._check_chat(chat_id, "sendDocument")
        if bad is not None:
            return bad
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        retry = self._rate_limited(chat_id, paid)
        if retry is not None:
            self.stats["too_many_requests"] += 1
            return self.error(429, f"Too Many Requests: retry after {retry}",
                              {"retry_after": retry})
        files = params.get("_files") or {}
        ref = str(params.get("document") or "")
        name = ref[len("attach://"):] if ref.startswith("attach://") else "document"
        if name not in files:
            return self.error(400, "Bad Request: there is no document in the request")
        filename, content = files[name]
        if not content:
            return self.error(400, "Bad Request: file must be non-empty")
        caption, parse_mode = params.get("caption") or "", params.get("parse_mode") or None
        visible = caption
        if caption and parse_mode:
            try:
                visible = parse_html(caption)
            except EntityError as exc:
                return self.error(400, f"Bad Request: can't parse entities: {exc}")
        if utf16_len(visible) > 1024:
            return self.error(400, "Bad Request: message caption is too long")
        msg = Sent(chat_id=chat_id, text=caption, parse_mode=parse_mode, visible=visible,
                   message_id=self._new_message_id(), method="sendDocument",
                   at=time.monotonic(), document=(filename or "document", content))
        self.sent.append(msg)
        self.stats["documents"] += 1
        if self._sent_event is not None:
            self._sent_event.set()
        result = self._message(chat_id, msg.message_id, visible)
        del result["text"]
        result["document"] = {"file_name": filename, "mime_type": "application/octet-stream",
                              "file_id": f"doc{msg.message_id}",
                              "file_unique_id": f"u{msg.message_id}", "file_size": len(content)}
        if caption:
            result["caption"] = visible
        return self.ok(result)

    async def m_answercallbackquery(self, params: dict) -> web.Response:
        query_id = str(params.get("callback_query_id") or "")
        if self._queries.get(query_id, True):  # unknown, or answered already
            return self.error(400, "Bad Request: query is too old and response timeout "
                                   "expired or query ID is invalid")
        self._queries[query_id] = True
        self.callback_answers.append(dict(params))
        return self.ok(True)

    @staticmethod
    def _scope_key(params: dict) -> tuple[str, str]:
        scope = TelegramStub._json_field(params.get("scope")) or {"type": "default"}
        key = scope.get("type", "default")
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        return key, params.get("language_code") or ""

    async def m_setmycommands(self, params: dict) -> web.Response:
        commands = self._json_field(params.get("commands")) or []
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")):
                return self.error(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                return self.error(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(params)] = commands
        return self.ok(True)

    async def m_getmycommands(self, params: dict) -> web.Response:
        return self.ok(self.commands.get(self._scope_key(params), []))

    async def m_deletemycommands(self, params: dict) -> web.Response:
        self.commands.pop(self._scope_key(params), None)
        return self.ok(True)

    async def m_getchat(self, params: dict) -> web.Response:
        chat_id = self._chat_id(params.get("chat_id"))
        found = None
        for cid, chat in self.chats.items():
            if chat_id == cid or (isinstance(chat_id, str)
                                  and chat.get("username") == chat_id.lstrip("@")):
                found = chat
        if found is None or chat_id in self.missing:
            return self.error(400, "Bad Request: chat not found")
        return self.ok({**{k: v for k, v in found.items() if v is not None},
                        "accent_color_id": 0, "max_reaction_count": 11,
                        "accepted_gift_types": {"unlimited_gifts": False,
                                                "limited_gifts": False,
                                                "unique_gifts": False,
                                                "premium_subscription": False,
                                                "gifts_from_channels": False}})

    async def m_getchatmember(self, params: dict) -> web.Response:
        chat_id, user_id = self._chat_id(params.get("chat_id")), self._int(params.get("user_id"))
        self.stats["getChatMember"] += 1
        if chat_id is None or chat_id == "" or chat_id in self.missing:
            return self.error(400, "Bad Request: chat not found")
        if user_id is None:
            return self.error(400, "Bad Request: invalid user_id specified")
        status = self.members.get((chat_id, user_id), "member")
        member: dict[str, Any] = {"status": status, "user": self._user(user_id, None, None)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({key: key in ("can_manage_chat", "can_delete_messages",
                                        "can_invite_users")
                           for key in ("can_be_edited", "is_anonymous", "can_manage_chat",
                                       "can_delete_messages", "can_manage_video_chats",
                                       "can_restrict_members", "can_promote_members",
                                       "can_change_info", "can_invite_users",
                                       "can_post_stories", "can_edit_stories",
                                       "can_delete_stories")})
        elif status == "kicked":
            member["until_date"] = 0
        return self.ok(member)

    # -------------------------------------------------------- HTTP test API
    async def c_stats(self, request: web.Request) -> web.Response:
        return web.json_response({**self.stats, "pending_updates": self.pending_updates})

    async def c_sent(self, request: web.Request) -> web.Response:
        chat = request.query.get("chat_id")
        msgs = self.sent if chat is None else self.messages_to(self._chat_id(chat))
        return web.json_response([dataclasses.asdict(m) for m in msgs])

    async def c_inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "callback" in body:
            cb = body["callback"]
            uid = self.inject_callback(cb.pop("chat_id"), cb.pop("data"), **cb)
        else:
            uid = self.inject_message(body.pop("chat_id"), body.pop("text"), **body)
        return web.json_response({"update_id": uid})

    async def c_block(self, request: web.Request) -> web.Response:
        self.block((await request.json())["chat_id"])
        return web.json_response({"ok": True})

    async def c_not_found(self, request: web.Request) -> web.Response:
        self.not_found((await request.json())["chat_id"])
        return web.json_response({"ok": True})

    async def c_fail_next(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail_next(body.get("method", "sendMessage"), body.get("count", 1),
                       status=body.get("status", 500), description=body.get("description"),
                       retry_after=body.get("retry_after"))
        return web.json_response({"ok": True})

    async def c_outage(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("end"):
            self.end_outage(body.get("method", "sendMessage"))
        else:
            self.outage(body.get("method", "sendMessage"), status=body.get("status", 500),
                        description=body.get("description"), seconds=body.get("seconds"))
        return web.json_response({"ok": True})

    async def c_answer_late(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.answer_late(float(body["delay"]), count=int(body.get("count", 1)))
        return web.json_response({"ok": True})

    async def c_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    # ------------------------------------------------------------- lifecycle
    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/_stub/stats", self.c_stats)
        app.router.add_get("/_stub/sent", self.c_sent)
        app.router.add_post("/_stub/inject", self.c_inject)
        app.router.add_post("/_stub/block", self.c_block)
        app.router.add_post("/_stub/not_found", self.c_not_found)
        app.router.add_post("/_stub/fail_next", self.c_fail_next)
        app.router.add_post("/_stub/outage", self.c_outage)
        app.router.add_post("/_stub/answer_late", self.c_answer_late)
        app.router.add_post("/_stub/reset", self.c_reset)
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        return app

    async def start(self) -> TelegramStub:
        if self._new_update is None:
            self._new_update, self._sent_event = asyncio.Event(), asyncio.Event()
        self._runner, self.port = await start_app(self.make_app(), self.host, self.port,
                                                  shutdown_timeout=60.0)
        return self

    async def stop(self) -> None:
        if self._new_update is not None:
            self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramStub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _serve(args: argparse.Namespace) -> None:
    stub = TelegramStub(token=args.token, rate=args.rate, paid_rate=args.paid_rate,
                        chat_rate=args.chat_rate, group_per_minute=args.group_per_minute,
                        host=args.host, port=args.port)
    await stub.start()
    print(f"telegram stub listening on {stub.base_url} (rate={args.rate})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await stub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API stub")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this token")
    parser.add_argument("--rate", type=float, default=None,
                        help="messages in any one second (Telegram: 30)")
    parser.add_argument("--paid-rate", type=float, default=1000.0,
                        help="the same with allow_paid_broadcast (Telegram: 1000)")
    parser.add_argument("--chat-rate", type=float, default=None, help="per private chat msgs/s")
    parser.add_argument("--group-per-minute", type=float, default=None)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
