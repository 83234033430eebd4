"""Loading the configuration: which file (``--config``, ``$PAPERBOT_CONFIG``,
``./paperbot.toml``, else the built-in defaults), TOML parsing, validation against
:mod:`.schema` (every problem at once, :class:`~jobs.config.errors.ConfigError`), the
checks that span several keys, and relative ``file:`` URLs made absolute."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from jobs.config.errors import ConfigError, unknown_key_problem, validation_problems
from jobs.config.schema import DEFAULT_SOURCES, NOT_TOML_KEYS, Config


def _absolute_file_url(url: str, base: Path) -> str:
    """``file:blog/feed.xml`` (relative) → ``file:///abs/dir/blog/feed.xml``; others unchanged."""
    if url.startswith("file:") and not url.startswith("file:/"):
        return (base / url[len("file:"):]).resolve().as_uri()
    return url


def _cross_checks(cfg: Config) -> Iterator[str]:
    """Checks that need more than one key."""
    seen: set[str] = set()
    for i, src in enumerate(cfg.sources):
        key = f"sources[{i}]"
        if src.name in seen:
            yield f"{key}.name: duplicate source name {src.name!r}"
        seen.add(src.name)
        if src.name.startswith("url:"):
            yield f"{key}.name: 'url:' names are for `crawl once --url`"
        if src.kind == "html" and not src.link_selector:
            yield f"{key}.link_selector: required for kind 'html'"
    for i, ch in enumerate(cfg.telegram.channels):
        if ch.lang not in cfg.telegram.languages:
            yield f"telegram.channels[{i}].lang: {ch.lang!r} not in telegram.languages"


_CONFIG = TypeAdapter(Config)


def parse_config(data: dict[str, Any], *, env: dict[str, str] | None = None,
                 path: Path | None = None) -> Config:
    """Build a validated :class:`Config` from parsed TOML ``data`` (raises ConfigError)."""
    env = os.environ if env is None else env
    data = dict(data)
    problems = [f"{key}: {unknown_key_problem((key,))}" for key in sorted(NOT_TOML_KEYS & data.keys())]
    for key in NOT_TOML_KEYS:
        data.pop(key, None)
    data.setdefault("sources", DEFAULT_SOURCES)
    if "state_dir" not in data:
        data["state_dir"] = env.get("STATE_DIRECTORY") or "state"
    try:
        cfg = _CONFIG.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(problems + validation_problems(exc)) from None
    problems += _cross_checks(cfg)
    if problems:
        raise ConfigError(problems)
    base = (path.parent if path else Path.cwd()).resolve()
    return dataclasses.replace(cfg, path=path, sources=[
        dataclasses.replace(src, url=_absolute_file_url(src.url, base)) for src in cfg.sources
    ], arxiv=dataclasses.replace(cfg.arxiv, api_url=_absolute_file_url(cfg.arxiv.api_url, base)))


def config_path(explicit: str | os.PathLike | None, *, env: dict[str, str] | None = None) -> Path | None:
    """Which file to read: --config, else $PAPERBOT_CONFIG, else ./paperbot.toml if it exists."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("PAPERBOT_CONFIG"):
        return Path(env["PAPERBOT_CONFIG"])
    default = Path("paperbot.toml")
    return default if default.exists() else None


def load_config(explicit: str | os.PathLike | None = None, *,
                env: dict[str, str] | None = None) -> Config:
    path = config_path(explicit, env=env)
    if path is None:
        return parse_config({}, env=env)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return parse_config(data, env=env, path=path)
