"""Delivery benchmark: N subscribers × 1 paper against the local Telegram stub.

The stub runs as its own process (like Telegram, it is not sharing our CPU) with its
global limit at ``--rate`` msg/s; the bot is configured to the same rate. Reports the
achieved send rate as a ratio of the limit (goal >= 0.95), the 429s the stub answered
(goal 0) and the delivering process's peak RSS.

    .venv/bin/python bench/deliver.py --subscribers 10000 --rate 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_bot  # noqa: E402
from jobs import store  # noqa: E402
from jobs.config import parse_config  # noqa: E402
from jobs.steps.deliver import deliver_pending, plan_deliveries  # noqa: E402
from tests.bot_fixtures import TOKEN, add_subscribers, seed_paper  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stub_stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stub/stats", timeout=5) as r:
        return json.loads(r.read())


def wait_up(port: int, proc: subprocess.Popen) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit("stub exited")
        try:
            stub_stats(port)
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("stub did not start")


async def run(args: argparse.Namespace, port: int, workdir: Path) -> dict:
    base = f"http://127.0.0.1:{port}"
    config = parse_config({"state_dir": str(workdir), "sources": [], "telegram": {
        "api_base_url": f"{base}/bot", "api_base_file_url": f"{base}/file/bot",
        "max_messages_per_second": float(args.rate)}}, env={})
    db = store.open_db(config.db_path)
    t0 = time.monotonic()
    add_subscribers(db, range(10_000_000, 10_000_000 + args.subscribers), lang="en",
                    now="2000-01-01T00:00:00+00:00")
    seed_paper(db, "2501.00001", title="Benchmark paper", langs=["en"])
    planned = plan_deliveries(db, config=config)
    setup = time.monotonic() - t0
    bot = build_bot(config=config, token=TOKEN)
    async with bot:
        before = stub_stats(port)
        t1 = time.monotonic()
        report = await deliver_pending(db, bot=bot, config=config)
        elapsed = time.monotonic() - t1
        after = stub_stats(port)
    sent = after.get("sent", 0) - before.get("sent", 0)
    achieved = sent / elapsed if elapsed else 0.0
    return {
        "subscribers": args.subscribers, "planned": planned, "messages_sent": sent,
        "elapsed_s": round(elapsed, 2), "setup_s": round(setup, 2),
        "achieved_msgs_per_s": round(achieved, 1), "limit_msgs_per_s": args.rate,
        "ratio_of_limit": round(achieved / args.rate, 3),
        "429s_received": after.get("too_many_requests", 0) - before.get("too_many_requests", 0),
        "failed": report.failed, "ambiguous": report.ambiguous,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300.0)
    args = parser.parse_args()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.servers.telegram", "--port", str(port),
                             "--rate", str(args.rate)], cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_up(port, proc)
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(run(args, port, Path(tmp)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for k, v in result.items():
        print(f"{k:>22}: {v}")
    ok = result["ratio_of_limit"] >= 0.95 and result["429s_received"] == 0
    print("goal (ratio >= 0.95, 0 x 429):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
