"""Crawl benchmark: N sources on one site, one `paperbot crawl once`.

Politeness as the site sees it (requests in flight at most, gaps between requests) and
the crawl process's peak RSS, against the local blog server (each source a feed whose
one post names one arXiv paper).

    .venv/bin/python bench/crawl.py --sources 50 --delay 1.0     # politeness
    .venv/bin/python bench/crawl.py --sources 200 --delay 0      # memory per source
    .venv/bin/python bench/crawl.py --root /path/to/other/checkout ...   # compare a commit

Goals (issue 15): 50 sources on one host → at most 1 request in flight and the configured
delay between requests; 200 sources → peak RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import NO_ARXIV, paperbot_env  # noqa: E402
from tests.servers.blog import BlogServer, one_paper_feed  # noqa: E402

# run the crawl and report its peak RSS (ru_maxrss of the only child of this helper)
_MEASURE = """
import json, resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(json.dumps({"code": code, "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


async def run(args: argparse.Namespace, work: Path) -> dict:
    async with BlogServer() as site:
        site.latency = args.latency
        for i in range(args.sources):
            site.add_page(f"/feed{i}.xml", one_paper_feed(site.url(""), i), "application/rss+xml")
        body = (f"state_dir = '{work / 'state'}'\n[crawl]\n"
                f"download_delay_seconds = {args.delay}\nconcurrency_per_site = 1\n"
                "timeout_seconds = 30.0\nretries = 0\nobey_robots = true\n" + NO_ARXIV)
        for i in range(args.sources):
            body += (f"\n[[sources]]\nname = 'blog-{i}'\nkind = 'rss'\n"
                     f"url = '{site.url(f'/feed{i}.xml')}'\nlang = 'ko'\n")
        config = work / "paperbot.toml"
        config.write_text(body)
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _MEASURE, sys.executable, "-m", "jobs", "--config",
            str(config), "crawl", "once", cwd=str(args.root), env=paperbot_env(work),
            stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        elapsed = time.monotonic() - started
    result = json.loads(out)
    gaps = [b - a for a, b in pairwise(site.arrivals)]
    busiest = max((sum(1 for t in site.arrivals if s <= t < s + 1) for s in site.arrivals),
                  default=0)
    return {"sources": args.sources, "requests": site.total_hits,
            "robots_requests": site.hits["/robots.txt"], "peak_in_flight": site.peak_in_flight,
            "busiest_second": busiest, "configured_delay_s": args.delay,
            "min_gap_s": round(min(gaps), 3) if gaps else None,
            "median_gap_s": round(statistics.median(gaps), 3) if gaps else None,
            "elapsed_s": round(elapsed, 1), "exit_code": result["code"],
            "peak_rss_mb": round(result["rss_mb"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.02, help="the site's answer time")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paperbot-bench-crawl-") as tmp:
        result = asyncio.run(run(args, Path(tmp)))
    for key, value in result.items():
        print(f"{key:>20}: {value}")
    polite = result["peak_in_flight"] <= 1 and (
        result["min_gap_s"] is None or result["min_gap_s"] >= args.delay * 0.9)
    print("goal (≤ 1 in flight, the delay between requests):", "met" if polite else "NOT met")
    if args.sources >= 200:
        print("goal (200 sources: peak RSS < 150 MB):",
              "met" if result["peak_rss_mb"] < 150 else "NOT met")


if __name__ == "__main__":
    main()
