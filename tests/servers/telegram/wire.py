"""The Bot API's wire format: a request's parameters (query string, JSON, url-encoded and
multipart bodies, files), Telegram's ``ok`` / ``error`` bodies, and parameter coercion."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from aiohttp import web


class BotApiWire:
    """Reading parameters and writing answers, shared by the stub's methods and faults."""

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
