"""Memory of `paperbot run`: idle RSS, and RSS during a broadcast to 1,000 and 10,000
subscribers, against the local stub servers (blog, arXiv, OpenAI-compatible, Telegram).

Goal: idle < 150 MB; memory flat in subscriber count (peak at 10k ≈ peak at 1k).
The RSS is the service process's own (the crawl subprocess is measured apart: it lives
only while crawling).

    .venv/bin/python bench/service.py [--subscribers 1000 10000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs import store  # noqa: E402
from jobs.store import subscribers as subs  # noqa: E402
from tests.servers.arxiv import ArxivStub  # noqa: E402
from tests.servers.blog import BlogServer  # noqa: E402
from tests.servers.openai import OpenAIStub  # noqa: E402
from tests.servers.telegram import TelegramStub  # noqa: E402
from tests.service_fixtures import Blog, ServiceProc, service_config  # noqa: E402


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


async def one_run(n_subs: int, rate: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="paperbot-bench-"))
    async with (BlogServer() as server, ArxivStub() as arxiv, OpenAIStub() as llm,
                TelegramStub() as tg):
        blog = Blog(server)
        blog.publish("old", ["2305.18290"])
        config = service_config(tmp, sources=[("notes", blog.feed_url, "en")],
                                telegram_url=tg.base_url, llm_url=llm.base_url,
                                arxiv_url=arxiv.url, every_minutes=0.05, poll_seconds=1.0)
        text = config.read_text().replace("max_messages_per_second = 200.0",
                                          f"max_messages_per_second = {rate}")
        config.write_text(text.replace("per_chat_messages_per_second = 50.0",
                                       "per_chat_messages_per_second = 1.0"))
        db = store.open_db(tmp / "state" / "paperbot.db")  # the first crawl archives "old"
        for i in range(n_subs):
            subs.subscribe(db, 10_000_000 + i, lang="en", now="2000-01-01T00:00:00+00:00")
        db.conn.close()

        svc = await ServiceProc(tmp, config).start()
        pid = svc.proc.pid
        crawl_peak = 0.0
        try:
            await svc.wait_for_line(r"paperbot running", timeout=30)
            # idle: after the first crawl (nothing new but the old post) has settled
            await svc.wait_for_line(r"crawl finished", timeout=30)
            await asyncio.sleep(2.0)
            idle = max(rss_mb(pid) for _ in range(5) if not time.sleep(0.1))
            # broadcast: a new post → crawl → summary → n_subs messages
            blog.publish("new", ["2307.03172"])
            base = len(tg.sent)
            peak, started = idle, None
            deadline = time.monotonic() + 900
            while len(tg.sent) < base + n_subs and time.monotonic() < deadline:
                peak = max(peak, rss_mb(pid))
                for child in children(pid):
                    crawl_peak = max(crawl_peak, rss_mb(child))
                if started is None and len(tg.sent) > base:
                    started = time.monotonic()
                await asyncio.sleep(0.1)
            elapsed = time.monotonic() - (started or time.monotonic())
            sent = len(tg.sent) - base
            svc.signal(15)
            await svc.wait(15)
        finally:
            await svc.close()
    return {"subscribers": n_subs, "idle_mb": idle, "peak_mb": peak, "sent": sent,
            "rate": sent / elapsed if elapsed else 0.0, "crawl_child_mb": crawl_peak}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="[telegram] max_messages_per_second for the broadcast")
    args = parser.parse_args()
    results = [await one_run(n, args.rate) for n in args.subscribers]
    print(f"{'subscribers':>11} {'idle RSS':>9} {'peak RSS':>9} {'sent':>6} {'msg/s':>7} "
          f"{'crawl child':>11}")
    for r in results:
        print(f"{r['subscribers']:>11} {r['idle_mb']:>7.1f}MB {r['peak_mb']:>7.1f}MB "
              f"{r['sent']:>6} {r['rate']:>7.0f} {r['crawl_child_mb']:>9.1f}MB")
    first, last = results[0], results[-1]
    print(f"idle RSS {first['idle_mb']:.1f} MB (goal < 150 MB: "
          f"{'ok' if first['idle_mb'] < 150 else 'OVER'}); peak at {last['subscribers']} / "
          f"peak at {first['subscribers']} subscribers = {last['peak_mb'] / first['peak_mb']:.2f} "
          f"(flat ≈ 1.0)")


if __name__ == "__main__":
    asyncio.run(main())
