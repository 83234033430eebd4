"""What every ``paperbot`` command shares: the click Context object and ``pass_ctx``,
the exit codes, the ``--json`` option and the text tables.

Command modules import this module only, never the package (:mod:`jobs.cli`), which
imports them: no import circle."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import click

from jobs import store
from jobs.config import Config, Secrets

# Exit codes (docs/cli.md lists them). 2 is click's usage error, and paperbot's for
# anything that needs a configuration change: a restart would not help (systemd's
# RestartPreventExitStatus=2). 66 and 75 are sysexits.h's EX_NOINPUT and EX_TEMPFAIL.
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_NO_DATABASE = 66
EXIT_BUSY = 75

JSON_SCHEMA_VERSION = 1  # the "schema" field of every --json output


@dataclass
class Context:
    """What every command gets: the validated config and the secrets, read once."""

    config: Config
    secrets: Secrets

    def db(self):
        """The database, created and migrated if missing (commands that write)."""
        return store.open_db(self.config.db_path)

    def existing_db(self):
        """The database for a read-only command: a missing file is an error (exit 66),
        never an empty database created as a side effect."""
        path = self.config.db_path
        if not path.is_file():
            click.echo(f"paperbot: no database at {path}: nothing has been crawled with this "
                       f"state directory yet. Run `paperbot crawl once` first, or choose the "
                       f"state directory with --config (state_dir) or $STATE_DIRECTORY.",
                       err=True)
            click.get_current_context().exit(EXIT_NO_DATABASE)
        return store.open_db(path)


pass_ctx = click.make_pass_decorator(Context)


def json_option(schema: dict[str, Any]) -> Callable:
    """The ``--json`` flag of a command whose JSON output is described by ``schema`` (a
    JSON Schema, rendered into docs/cli.md and checked against real output by the
    tests). The command prints with :func:`echo_json`."""

    def decorate(f: Callable) -> Callable:
        f.json_schema = schema  # functools.wraps (pass_ctx) carries it to the callback
        return click.option("--json", "as_json", is_flag=True,
                            help="Print JSON (its shape: docs/cli.md).")(f)

    return decorate


def echo_json(data: dict[str, Any]) -> None:
    """Print one JSON document: ``{"schema": 1, ...data}``."""
    click.echo(json.dumps({"schema": JSON_SCHEMA_VERSION, **data}, indent=2,
                          ensure_ascii=False, default=str))


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table (tabulate's "simple" format: a header, a rule, aligned columns)."""
    from tabulate import tabulate

    return tabulate([["" if c is None else c for c in row] for row in rows], headers=headers,
                    tablefmt="simple", disable_numparse=True)


def shorten(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    one_line = " ".join((text or "").split())
    return one_line if len(one_line) <= width else one_line[: width - 1].rstrip() + "…"
