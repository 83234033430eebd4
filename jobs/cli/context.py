"""What every ``paperbot`` command shares: the click Context object and ``pass_ctx``,
the exit codes, the logging set-up, the ``--json`` option and the text tables.

Command modules import this module only, never the package (:mod:`jobs.cli`), which
imports them: no import circle.

The config is read when a command runs, not when the command line is parsed: ``paperbot
<cmd> --help`` never reads it, so a broken ``./paperbot.toml`` cannot hide the help that
explains how to fix it."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from jobs import store
from jobs.config import Config, ConfigError, Secrets, config_path, load_config

# Exit codes (docs/cli.md lists them). 2 is click's usage error, and paperbot's for
# anything that needs a configuration change: a restart would not help (systemd's
# RestartPreventExitStatus=2). 66 and 75 are sysexits.h's EX_NOINPUT and EX_TEMPFAIL.
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_NO_DATABASE = 66
EXIT_STATE_DIR = store.EX_CANTCREAT  # 73: missing and not creatable, read-only
EXIT_DISK_FULL = store.EX_IOERR  # 74
EXIT_BUSY = 75
# Everything paperbot creates (database, WAL, HTTP cache, locks) is for its owner only,
# whatever the umask it was started with (systemd's UMask=0077 says the same).
PRIVATE_UMASK = 0o077

JSON_SCHEMA_VERSION = 1  # the "schema" field of every --json output


class Context:
    """What every command gets: the validated config (read once, on first use) and the
    secrets."""

    def __init__(self, *, config: Config | None = None, secrets: Secrets | None = None,
                 config_path: str | None = None, log_level: str | None = None) -> None:
        self._config = config
        self.secrets = secrets or Secrets()
        self.config_path = config_path
        self.log_level = log_level  # --log-level (None: the config's log_level)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            if not self.log_level:
                from jobs.service.logs import set_log_level

                set_log_level(self._config.log_level)
        return self._config

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


def setup(secrets: Secrets, log_level: str | None) -> None:
    """Before any command runs: the private umask and the redacting log handler."""
    from jobs.service.logs import setup_logging

    os.umask(PRIVATE_UMASK)
    setup_logging(secrets, log_level or "INFO")


def _load(ctx: Context, *, state: bool) -> None:
    """Read the config (exit 2 naming every bad key, nothing written) and, for commands
    that use the state directory, check it without creating anything (one line, exit 73
    when it cannot be used)."""
    click_ctx = click.get_current_context()
    try:
        config = ctx.config
    except ConfigError as exc:
        path = config_path(ctx.config_path)
        where = f" in {path}" if path else ""
        for problem in exc.problems:
            click.echo(f"config error{where}: {problem}", err=True)
        click_ctx.exit(EXIT_CONFIG)
    if state:
        try:
            store.check_state_dir(config.state_dir)
        except store.StateDirError as exc:
            click.echo(f"paperbot: {exc}", err=True)
            click_ctx.exit(exc.exit_code)


def _passing(state: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @click.pass_obj
        @functools.wraps(fn)
        def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> Any:
            _load(ctx, state=state)
            return fn(ctx, *args, **kwargs)

        return wrapper

    return decorator


pass_ctx = _passing(state=True)
"""For commands that use the state directory (all but ``config show``)."""

pass_config = _passing(state=False)
"""For commands that only read the config."""


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
