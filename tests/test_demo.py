"""`make demo` (examples/demo.py) needs no network and explains what it did."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.conftest import REPO, db_rows

DEMO_IDS = ["2401.10020", "2401.10225", "2401.09865", "2401.10774", "2312.00752"]
CLOSED = "http://127.0.0.1:9"  # nothing listens: a proxy that refuses every connection


def without_network() -> list[str]:
    """``unshare -n`` (a network namespace with no interface up, not even loopback)
    where we may create one; else nothing, and the proxies below point at a closed port."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def test_the_demo_runs_offline_and_prints_its_report(tmp_path):
    env = {**os.environ, "HTTP_PROXY": CLOSED, "HTTPS_PROXY": CLOSED, "ALL_PROXY": CLOSED,
           "http_proxy": CLOSED, "https_proxy": CLOSED, "all_proxy": CLOSED, "NO_PROXY": ""}
    for name in ("PAPERBOT_CONFIG", "STATE_DIRECTORY", "TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY"):
        env.pop(name, None)
    out = subprocess.run([*without_network(), sys.executable, str(REPO / "examples" / "demo.py")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    report = out.stdout
    assert "paperbot demo: offline" in report
    assert "example-blog  ok" in report  # what it crawled: the crawl table
    header = next(line for line in report.splitlines() if line.startswith("arXiv ID"))
    assert header.split() == ["arXiv", "ID", "title", "role", "blog"]
    rows = {line.split()[0]: line for line in report.splitlines()
            if line[:10] in DEMO_IDS}
    assert sorted(rows) == sorted(DEMO_IDS)
    assert " reference " in rows["2312.00752"] and " primary " in rows["2401.10774"]
    assert "Database: state/demo/paperbot.db" in report
    for step in ("papers --json", "--config", " status", "[[sources]]", "crawl once"):
        assert step in report, step
    assert "Traceback" not in out.stderr and "WARNING" not in out.stderr, out.stderr
    # arXiv metadata came from the bundled file, also for the title-only paper
    db = tmp_path / "state" / "demo" / "paperbot.db"
    authors = dict(db_rows(db, "select arxiv_id, authors from papers"))
    assert json.loads(authors["2401.10774"])[0] == "Tianle Cai"
    assert all(json.loads(a) for a in authors.values())


CRAWL_AND_REPORT = """
import json, sys
from jobs.config import load_config, load_secrets
from jobs.steps.crawl import crawl_once
config = load_config(sys.argv[1], env={})  # its state_dir is relative: under the cwd
results = crawl_once(config, sources=config.sources,
                     secrets=load_secrets({"OPENAI_API_KEY": "sk-test-key"}))
print(json.dumps({"papers": sum(len(r.papers_new) for r in results),
                  "openai_loaded": "openai" in sys.modules}))
"""


def test_a_crawl_with_the_model_assist_off_loads_no_openai_client(tmp_path):
    """The crawl child imports the OpenAI library (22 MB) only for ``[resolve] use_llm``:
    with it off (the default) and a key present, the demo blog's papers are found without."""
    out = subprocess.run([sys.executable, "-c", CRAWL_AND_REPORT,
                          str(REPO / "examples" / "paperbot.toml")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["papers"] >= len(DEMO_IDS)
    assert report["openai_loaded"] is False
