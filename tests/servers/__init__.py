"""Local servers that speak the real protocols (blog, arXiv, OpenAI, Telegram) on 127.0.0.1."""

from __future__ import annotations

from aiohttp import web


async def start_app(app: web.Application, host: str, port: int, *,
                    shutdown_timeout: float = 0.2) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on host:port (0 = any free port); returns the runner and the real port.

    A short ``shutdown_timeout``: a handler still hanging (a fault being simulated) must
    not hold a test up for aiohttp's default 60 s on exit."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]
