"""The Bot API methods the stub implements (``m_<method>``): getMe, getUpdates (long
polling), sendMessage, editMessageText, editMessageReplyMarkup, sendDocument,
answerCallbackQuery, the command menus, getChat, getChatMember, and the checks of text,
keyboards and captions Telegram makes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import time
from typing import Any

from aiohttp import web

from tests.servers.telegram.entities import MAX_TEXT, EntityError, parse_html, utf16_len
from tests.servers.telegram.state import Sent
from tests.servers.telegram.wire import BotApiWire


class BotMethods(BotApiWire):
    """The methods part of :class:`~tests.servers.telegram.server.TelegramStub` (a mixin on
    the stub's state, rate limits and faults)."""

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

    def _record(self, msg: Sent, into: list[Sent], stat: str, *, shown: bool = True) -> None:
        """Keep what was accepted, count it, wake the tests waiting for it; ``shown``: it
        is now what the chat shows under its message id (what later edits compare with)."""
        into.append(msg)
        if shown:
            self.current[(msg.chat_id, msg.message_id)] = msg
        self.stats[stat] += 1
        if self._sent_event is not None:
            self._sent_event.set()

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

    def _admit(self, method: str, params: dict) -> tuple[int | str, web.Response | None]:
        """A send's chat, and the refusal Telegram would answer first: a chat the bot
        cannot write to, then 429 when the sliding windows are full."""
        chat_id = self._chat_id(params.get("chat_id"))
        bad = self._check_chat(chat_id, method)
        if bad is not None:
            return chat_id, bad
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        retry = self._rate_limited(chat_id, paid)
        if retry is not None:
            self.stats["too_many_requests"] += 1
            self.attempts.append((method, chat_id, 429))
            return chat_id, self.error(429, f"Too Many Requests: retry after {retry}",
                                       {"retry_after": retry})
        return chat_id, None

    async def m_sendmessage(self, params: dict) -> web.Response:
        chat_id, refused = self._admit("sendMessage", params)
        if refused is not None:
            return refused
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
        self._record(msg, self.sent, "sent")
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
        self._record(msg, self.edits, "edits")
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
        self._record(msg, self.markup_edits, "markup_edits")
        result = self._message(chat_id, message_id, shown.visible)
        if markup:
            result["reply_markup"] = markup
        return self.ok(result)

    async def m_senddocument(self, params: dict) -> web.Response:
        chat_id, refused = self._admit("sendDocument", params)
        if refused is not None:
            return refused
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
        self._record(msg, self.sent, "documents", shown=False)
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
        scope = BotApiWire._json_field(params.get("scope")) or {"type": "default"}
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
