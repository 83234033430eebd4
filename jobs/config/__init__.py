"""Configuration: one TOML file, validated once in ``main()``, passed down as plain data.

Lookup order: ``--config PATH``, else ``$PAPERBOT_CONFIG``, else ``./paperbot.toml``,
else the built-in defaults. Secrets never come from the file: they come from the
environment or from systemd credentials (``$CREDENTIALS_DIRECTORY``).

The schema is pydantic dataclasses, so a file is checked key by key (unknown keys
refused, types strict, ranges, enums, URL schemes, regexes compiled, CSS selectors
parsed, time zones and languages known) and the result is still a frozen stdlib
dataclass (``dataclasses.replace`` re-validates). Every problem is reported as
``key.path: what is wrong`` (:class:`ConfigError`), all of them at once.

Modules: :mod:`.values` (the value types and what they reject), :mod:`.schema` (the
sections, :class:`Config`, the default sources), :mod:`.errors` (:class:`ConfigError`,
pydantic's errors in a config author's words), :mod:`.load` (which file, parsing,
validation, cross-key checks), :mod:`.credentials` (secrets lookup and masking, the
effective configuration for ``config show``). Import from this package.

Adding a section: write a ``@section`` class in :mod:`.schema` whose every key has a
default, then add one field ``name: NameConfig = field(default_factory=NameConfig)`` to
:class:`Config`. Checks that span several keys go in :func:`jobs.config.load._cross_checks`.
"""

from __future__ import annotations

from jobs.config.credentials import Secrets, config_as_dict, load_secrets, mask
from jobs.config.errors import ConfigError
from jobs.config.load import config_path, load_config, parse_config
from jobs.config.schema import (
    DEFAULT_SOURCES,
    FALLBACK_INDEXES,
    NOT_TOML_KEYS,
    ArxivConfig,
    Channel,
    Config,
    CrawlConfig,
    IndexConfig,
    LLMConfig,
    ResolveConfig,
    ScheduleConfig,
    SiteConfig,
    Source,
    TelegramConfig,
)
from jobs.config.values import LOG_LEVELS, SOURCE_KINDS, SUPPORTED_LANGS

__all__ = [
    "DEFAULT_SOURCES", "FALLBACK_INDEXES", "LOG_LEVELS", "NOT_TOML_KEYS", "SOURCE_KINDS",
    "SUPPORTED_LANGS", "ArxivConfig", "Channel", "Config", "ConfigError", "CrawlConfig",
    "IndexConfig", "LLMConfig", "ResolveConfig", "ScheduleConfig", "Secrets", "SiteConfig",
    "Source", "TelegramConfig", "config_as_dict", "config_path", "load_config", "load_secrets",
    "mask", "parse_config",
]
