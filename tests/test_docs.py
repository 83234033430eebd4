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


def test_every_bot_command_is_documented_and_in_every_menu_language():
    from bot import i18n
    from bot.app import ADMIN_COMMANDS, USER_COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in USER_COMMANDS + ADMIN_COMMANDS:
        assert f"| `/{name}`" in readme, f"/{name} is not documented in README.md"
        for lang in ("en", "ko", "ja", "zh", "ru"):
            description = i18n.raw(lang, f"cmd_{name}")
            assert description and description != f"cmd_{name}", (lang, name)
