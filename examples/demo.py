"""`make demo`: crawl the bundled example blog with the real `paperbot` command, offline,
and print a short report: what was crawled, the papers found, where the database is,
and what to try next.

Nothing here touches the network: the blog is read from examples/blog/ (file: URLs)
and arXiv metadata from examples/arxiv.xml (examples/paperbot.toml says both). The
demo starts from an empty state/demo each time, so it can be run again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "paperbot.toml"


def shown(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def paperbot(*args: str) -> str:
    """Run ``paperbot --config examples/paperbot.toml ARGS``; its stdout (stderr passes
    through: warnings and errors stay visible)."""
    cmd = [sys.executable, "-m", "jobs", "--config", str(CONFIG), "--log-level", "WARNING",
           *args]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    if done.returncode != 0:
        sys.exit(f"demo: `paperbot {' '.join(args)}` failed (exit {done.returncode})")
    return done.stdout.strip()


def main() -> None:
    started = time.monotonic()
    state = Path("state/demo")  # examples/paperbot.toml: state_dir = "state/demo"
    shutil.rmtree(state, ignore_errors=True)
    cli = Path(sys.executable).parent / "paperbot"
    run = f"{shown(cli)} --config {shown(CONFIG)}"

    crawled = paperbot("crawl", "once")
    papers = paperbot("papers")
    status = json.loads(paperbot("status", "--json"))
    posts = sum(status["posts"].values())
    elapsed = time.monotonic() - started

    title = f"paperbot demo: offline, {elapsed:.1f} s"
    db = shown(Path(status["database"]))
    print(f"""
{title}
{"=" * len(title)}

What it crawled: the example blog in {shown(HERE / 'blog')}/ (an RSS feed and {posts} posts
read from disk), looking papers up in {shown(HERE / 'arxiv.xml')} (arXiv metadata saved
from the API) instead of arxiv.org. Configuration: {shown(CONFIG)}.

{crawled}

Papers found: {status['papers_total']}. role "primary": the post is about the paper;
"reference": the post only cites it (summaries are written for primaries only).

{papers}

Database: {db} (SQLite: `sqlite3 {db}` opens it)

Next, try:
  {run} papers --json
      the same list as JSON (its shape: docs/cli.md)
  {run} status
      each source's health, paper counts, summary and delivery queues
  a real blog: put its feed in ./paperbot.toml (other kinds of source, and every
  setting: deploy/paperbot.example.toml), then crawl it (this one needs the network):
      [[sources]]
      name = "my-blog"
      kind = "rss"
      url = "https://example.com/feed.xml"
      lang = "en"
      {shown(cli)} crawl once
""")


if __name__ == "__main__":
    main()
