"""What every ``paperbot`` command shares: the click Context object and ``pass_ctx``.

Command modules import this module only, never the package (:mod:`jobs.cli`), which
imports them: no import circle."""

from __future__ import annotations

from dataclasses import dataclass

import click

from jobs import store
from jobs.config import Config, Secrets


@dataclass
class Context:
    """What every command gets: the validated config and the secrets, read once."""

    config: Config
    secrets: Secrets

    def db(self):
        return store.open_db(self.config.db_path)


pass_ctx = click.make_pass_decorator(Context)
