"""Standalone: ``python -m tests.servers.telegram --port 8081 --rate 30`` (the delivery
benchmark runs the stub as its own process)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from tests.servers.telegram.server import TelegramStub


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
    parser = argparse.ArgumentParser(prog="python -m tests.servers.telegram",
                                     description="Local Telegram Bot API stub")
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
