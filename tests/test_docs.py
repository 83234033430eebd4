"""Every CLI command has a --help text and is documented in the README."""

from __future__ import annotations

import click

from jobs.cli import cli
from tests.conftest import REPO


def leaf_commands(group: click.Group, prefix: str = "paperbot") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out.extend(leaf_commands(cmd, path))
        else:
            out.append((path, cmd))
    return out


def test_every_cli_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = leaf_commands(cli)
    assert len(commands) >= 5
    for path, cmd in commands:
        assert cmd.help and len(cmd.help.strip()) > 20, f"{path} has no docstring/--help"
        assert f"`{path}" in readme, f"{path} is not documented in README.md"
