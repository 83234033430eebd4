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

Modules, by concern: :mod:`.server` (:class:`TelegramStub`: HTTP routing, the ``/_stub/``
test API, start/stop), :mod:`.wire` (parameters in, ``ok``/``error`` bodies out),
:mod:`.methods` (the Bot API methods), :mod:`.state` (messages, chats, updates; the
Python test API that injects and waits), :mod:`.rates` (sliding windows, 429s),
:mod:`.faults` (blocked and missing chats, injected errors, outages, late answers),
:mod:`.entities` (Telegram HTML: parsing, length, links). Import from this package.
"""

from __future__ import annotations

from tests.servers.telegram.entities import (
    ALLOWED_TAGS,
    MAX_TEXT,
    NAMED_ENTITIES,
    EntityError,
    links_in,
    parse_html,
    utf16_len,
)
from tests.servers.telegram.rates import SlidingWindow
from tests.servers.telegram.server import TelegramStub
from tests.servers.telegram.state import BOT_ID, BOT_USERNAME, Sent

__all__ = ["ALLOWED_TAGS", "BOT_ID", "BOT_USERNAME", "MAX_TEXT", "NAMED_ENTITIES", "EntityError",
           "Sent", "SlidingWindow", "TelegramStub", "links_in", "parse_html", "utf16_len"]
