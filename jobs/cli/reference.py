"""The generated parts of docs/cli.md, from the click commands themselves: every
command's ``--help`` and the shape of every ``--json`` output (the JSON Schema a command
declares with :func:`jobs.cli.context.json_option`).

docs/cli.md calls these through cog (``make docs`` rewrites it; ``cog --check`` in the
tests fails when it is out of date), as sqlite-utils and datasette generate their CLI
references. The root group is passed in: this module imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
from click.testing import CliRunner

WIDTH = 88


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                          click.Command]]:
    """``(path, command)`` for ``group`` and everything below it, depth first, by name."""
    yield path, group
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from walk(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def help_text(root: click.Group, path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(root, [*path, "--help"], prog_name="paperbot",
                                terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"paperbot {' '.join(path)} --help failed: {result.output}")
    return result.output.rstrip()


def json_schema(cmd: click.Command) -> dict[str, Any] | None:
    return getattr(cmd.callback, "json_schema", None)


def commands_markdown(root: click.Group) -> str:
    out = []
    for path, _cmd in walk(root):
        name = " ".join(("paperbot", *path))
        out.append(f"### `{name}`\n\n```\n{help_text(root, path)}\n```\n")
    return "\n".join(out)


def _type(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return f"`{schema['const']}`"
    if "enum" in schema:
        return " or ".join(f"`{v}`" for v in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(_type(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds and "items" in schema:
        item = schema["items"]
        if item.get("type") not in ("object", None) or "enum" in item:
            kinds = [f"array of {_type(item)}" if k == "array" else k for k in kinds]
    return " or ".join(kinds)


def _rows(schema: dict[str, Any], path: str) -> Iterator[tuple[str, str, str]]:
    """(field path, type, description) of ``schema`` and of what it contains."""
    if path:
        yield path, _type(schema), schema.get("description", "")
    for option in schema.get("oneOf", []):
        if option.get("type") == "object":
            schema = option
    prefix = f"{path}." if path else ""
    for name, sub in schema.get("properties", {}).items():
        yield from _rows(sub, prefix + name)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _rows(extra, prefix + "<key>")
    item = schema.get("items")
    if isinstance(item, dict) and (item.get("properties") or item.get("oneOf")):
        yield from _rows(item, f"{path}[]")


def json_markdown(root: click.Group) -> str:
    out = []
    for path, cmd in walk(root):
        schema = json_schema(cmd)
        if schema is None:
            continue
        name = " ".join(("paperbot", *path, "--json"))
        lines = [f"### `{name}`", "", "| field | type | description |", "|---|---|---|"]
        for field, kind, description in _rows(schema, ""):
            lines.append(f"| `{field}` | {kind} | {description.replace('|', '/')} |")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)
