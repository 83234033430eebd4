"""The stub as an HTTP server: :class:`TelegramStub` routes ``/bot<token>/<method>`` to its
methods (token check, injected faults first), serves the cross-process test API under
``/_stub/``, and starts and stops."""

from __future__ import annotations

import asyncio
import dataclasses

from aiohttp import web

from tests.servers import start_app
from tests.servers.telegram.faults import Faults
from tests.servers.telegram.methods import BotMethods
from tests.servers.telegram.rates import RateLimits
from tests.servers.telegram.state import StubState


class TelegramStub(BotMethods, Faults, RateLimits, StubState):
    """A local Bot API server (see :mod:`tests.servers.telegram`): ``start()`` / ``stop()``
    or ``async with``; point the bot at :attr:`base_url`."""

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

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        self.stats["requests"] += 1
        if self.token is not None and token != self.token:
            return self.error(401, "Unauthorized")
        try:
            params = await self._params(request)
        except ValueError:
            return self.error(400, "Bad Request: can't parse JSON")
        except ConnectionResetError:
            # the client hung up mid-request (a long poll cut by its shutdown): nobody to
            # answer, and nothing for the bot's own error log
            return web.Response(status=499)
        handler = getattr(self, f"m_{method.lower()}", None)
        if handler is None:
            return self.error(404, "Not Found: method not found")
        failure = self._injected_failure(method, params)
        if failure is not None:
            return failure
        return await handler(params)

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
