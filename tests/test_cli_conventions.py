"""The `paperbot` command behaves like sqlite-utils / datasette / httpie: --version,
read-only commands that never create a database, --json documents with a "schema"
field and a documented shape, env vars in --help, shell completion, progress bar and log
lines that do not collide on a terminal."""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from jobs import store
from jobs.cli import cli
from jobs.cli.papers import PAPERS_SCHEMA
from jobs.cli.status import STATUS_SCHEMA
from jobs.cli.subscribers import SUBSCRIBERS_SCHEMA
from jobs.config import parse_config
from jobs.store import health as health_store
from tests.bot_fixtures import add_subscribers, seed_paper
from tests.conftest import REPO, paperbot_env, run_paperbot, write_config


async def test_version_is_the_installed_distributions(tmp_path):
    result = await run_paperbot("--version", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == f"paperbot {importlib.metadata.version('paperbot')}"


@pytest.mark.parametrize("command", [["papers"], ["papers", "--json"], ["status"],
                                     ["status", "--json"], ["subscribers", "--json"]])
async def test_read_only_commands_refuse_a_missing_database_and_create_nothing(tmp_path,
                                                                               command):
    result = await run_paperbot(*command, cwd=tmp_path)
    assert result.code == 66, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "no database at state/paperbot.db" in result.stderr
    assert "paperbot crawl once" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no ./state, no empty database


def test_help_shows_environment_variables_and_exit_codes():
    out = CliRunner().invoke(cli, ["--help"], prog_name="paperbot").output
    for name in ("PAPERBOT_CONFIG", "PAPERBOT_LOG_LEVEL", "TELEGRAM_BOT_TOKEN",
                 "OPENAI_API_KEY", "OPENAI_BASE_URL", "STATE_DIRECTORY"):
        assert name in out, name
    assert "66 no database yet" in out and "75 busy" in out


async def test_config_and_log_level_come_from_the_environment(tmp_path):
    config = write_config(tmp_path, "state_dir = 'elsewhere'\nlog_level = 'INFO'\n",
                          name="from-env.toml")
    env = paperbot_env(tmp_path, PAPERBOT_CONFIG=str(config), PAPERBOT_LOG_LEVEL="DEBUG")
    result = await run_paperbot("papers", cwd=tmp_path, env=env)
    assert result.code == 66 and "no database at elsewhere/paperbot.db" in result.stderr


def test_bash_completion_completes_commands():
    env = {**os.environ, "_PAPERBOT_COMPLETE": "bash_complete", "COMP_WORDS": "paperbot su",
           "COMP_CWORD": "1"}
    out = subprocess.run([sys.executable, "-m", "jobs"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["plain,subscribers", "plain,summarize"]
    script = subprocess.run([sys.executable, "-m", "jobs"], capture_output=True, text=True,
                            env={**os.environ, "_PAPERBOT_COMPLETE": "bash_source"}, timeout=60)
    assert "complete -o nosort -F _paperbot_completion paperbot" in script.stdout


# ------------------------------------------------------------------ --json documents
@pytest.fixture
def populated(tmp_path):
    """A state directory with papers, a reference, subscribers, deliveries and an alert."""
    state = tmp_path / "state"
    db = store.open_db(state / "paperbot.db")
    seed_paper(db, "2401.10020", title="Self-Rewarding Language Models", langs=("en", "ko"))
    seed_paper(db, "2312.00752", title="Mamba", primary=False, langs=())
    add_subscribers(db, [1, 2], lang="en")
    add_subscribers(db, [3], lang="ko", mode="digest", digest_hour=8, tz="Asia/Seoul",
                    topics=["cs.CL", "agents"])
    from jobs.steps.deliver import plan_deliveries
    from jobs.store import subscribers as subs

    subs.deactivate(db, 2, "blocked by the user")
    plan_deliveries(db, config=parse_config({"state_dir": str(state)}, env={}))
    health_store.raise_alert(db, "source-blog-ko", "blog-ko failed 3 runs in a row")
    db.conn.close()
    return write_config(tmp_path, f"state_dir = '{state}'\n")


def run_json(config: Path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("args", "schema"), [
    (["papers", "--json"], PAPERS_SCHEMA),
    (["status", "--json"], STATUS_SCHEMA),
    (["subscribers", "--json"], SUBSCRIBERS_SCHEMA),
])
def test_json_output_has_schema_1_and_matches_its_documented_shape(populated, args, schema):
    doc = run_json(populated, *args)
    assert doc["schema"] == 1
    jsonschema.validate(doc, schema)  # every key documented (additionalProperties: false)


def test_papers_json_lists_roles_and_arxiv_metadata(populated):
    papers = {p["arxiv_id"]: p for p in run_json(populated, "papers", "--json")["papers"]}
    assert papers["2401.10020"]["mentions"][0]["role"] == "primary"
    assert papers["2401.10020"]["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert papers["2312.00752"]["mentions"][0]["role"] == "reference"


def test_subscribers_json_lists_every_subscriber(populated):
    rows = {r["chat_id"]: r for r in run_json(populated, "subscribers", "--json")["subscribers"]}
    assert set(rows) == {1, 2, 3}
    assert rows[3]["topics"] == ["cs.CL", "agents"] and rows[3]["mode"] == "digest"
    assert rows[2]["active"] == 0 and rows[2]["inactive_reason"] == "blocked by the user"


def test_papers_table_has_headers_and_one_row_per_blog(populated):
    result = CliRunner().invoke(cli, ["--config", str(populated), "papers"])
    lines = result.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == ["arXiv ID", "title", "role", "blog"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    rows = {line.split()[0]: line for line in lines[2:]}
    assert "reference" in rows["2312.00752"] and "blog-ko" in rows["2312.00752"]
    assert "primary" in rows["2401.10020"]


# ------------------------------------------------------------------ terminal output
def run_in_terminal(args: list[str], cwd: Path, timeout: float = 90) -> tuple[int, str]:
    """Run ``python -m jobs ARGS`` with stdout and stderr on a pseudo-terminal; the raw
    bytes it wrote (carriage returns included)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 120 cols
    proc = subprocess.Popen([sys.executable, "-m", "jobs", *args], cwd=cwd,
                            env=paperbot_env(cwd), stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    code = proc.wait(timeout=10)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_log_lines_and_the_progress_bar_do_not_collide_on_a_terminal(tmp_path):
    config = REPO / "examples" / "paperbot.toml"  # state_dir is relative: under tmp_path
    code, raw = run_in_terminal(["--config", str(config), "--log-level", "INFO",
                                 "crawl", "once"], cwd=tmp_path)
    assert code == 0, raw
    assert "crawling" in raw and "%" in raw  # a progress bar was drawn
    # What a terminal shows of each line: the text after its last carriage return.
    shown = [line.rsplit("\r", 1)[-1] for line in raw.replace("\r\n", "\n").split("\n")]
    records = [line for line in shown if " INFO " in line]
    assert len(records) >= 3, shown  # the posts' extraction lines at least
    for line in records:
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ", line), line
