"""docs/cli.md is current: its generated parts (every command's --help, every --json
shape) match the click commands, and every --json output declares its shape."""

from __future__ import annotations

import subprocess
import sys

from jobs.cli import cli
from jobs.cli.reference import json_schema, walk
from tests.conftest import REPO

DOC = REPO / "docs" / "cli.md"


def test_docs_cli_md_is_generated_from_the_current_commands():
    out = subprocess.run([sys.executable, "-m", "cogapp", "--check", "--diff", str(DOC)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, ("docs/cli.md is out of date: run `make docs`\n"
                                 + out.stdout + out.stderr)


def test_every_json_option_declares_its_documented_shape():
    with_json = [path for path, cmd in walk(cli)
                 if any(p.name == "as_json" for p in cmd.params)]
    assert len(with_json) >= 3
    for path in with_json:
        cmd = cli
        for name in path:
            cmd = cmd.commands[name]
        schema = json_schema(cmd)
        assert schema is not None, f"paperbot {' '.join(path)} --json: use json_option(SCHEMA)"
        assert schema["properties"]["schema"] == {"const": 1,
                                                  "description": "version of this shape"}
        assert f"### `paperbot {' '.join(path)} --json`" in DOC.read_text(encoding="utf-8")
