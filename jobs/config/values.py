"""The config's value types: each one checks a single value and says what is wrong in
words a config author understands (languages, URLs, CSS selectors, regexes, time zones,
chat ids, paths, log levels, source names), for the sections in :mod:`.schema`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

SOURCE_KINDS = ("rss", "discourse", "html", "url")
SUPPORTED_LANGS = ("en", "ko", "ja", "zh", "ru")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _supported_lang(value: str) -> str:
    if value not in SUPPORTED_LANGS:
        raise ValueError(f"unsupported language {value!r} (supported: {', '.join(SUPPORTED_LANGS)})")
    return value


def _url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"{value!r} is not a URL with scheme {' or '.join(schemes)}")
    if parts.scheme == "file":
        if not parts.path:
            raise ValueError(f"{value!r} names no file")
    elif not parts.hostname or value[len(parts.scheme) + 1:][:2] != "//":
        raise ValueError(f"{value!r} has no host (write {parts.scheme}://host/...)")
    return value


def _http_url(value: str) -> str:
    return _url(value, ("http", "https"))


def _source_url(value: str) -> str:
    return _url(value, ("http", "https", "file"))


def _css_selector(value: str) -> str:
    # Scrapy's own translator (parsel), so ::text / ::attr(x) are accepted as in spiders.
    from cssselect import SelectorError
    from parsel.csstranslator import css2xpath

    if not value.strip():
        raise ValueError("empty CSS selector")
    try:
        css2xpath(value)
    except SelectorError as exc:
        raise ValueError(f"invalid CSS selector {value!r}: {exc}") from None
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like "
                         f"'Europe/Berlin' or 'UTC')") from None
    return value


def _chat_id(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,}", value):
        return value
    raise ValueError(f"{value!r} is neither a numeric chat id nor an @channelname")


def _dir_path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if isinstance(value, str) and value.strip():
        return Path(value)
    raise ValueError(f"expected a directory path, got {value!r}")


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


Str = StrictStr
NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
Bool = StrictBool
PositiveInt = Annotated[StrictInt, Field(ge=1)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
PositiveFloat = Annotated[StrictFloat, Field(gt=0)]
NonNegativeFloat = Annotated[StrictFloat, Field(ge=0)]
Lang = Annotated[StrictStr, AfterValidator(_supported_lang)]
HttpUrl = Annotated[StrictStr, AfterValidator(_http_url)]
SourceUrl = Annotated[StrictStr, AfterValidator(_source_url)]
CssSelector = Annotated[StrictStr, AfterValidator(_css_selector)]
Regex = Annotated[StrictStr, AfterValidator(_regex)]
TimeZone = Annotated[StrictStr, AfterValidator(_time_zone)]
ChatId = Annotated[int | str, PlainValidator(_chat_id)]
DirPath = Annotated[Path, PlainValidator(_dir_path)]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                     BeforeValidator(_upper)]
# a source name is a CLI argument, a cache directory and part of alert keys. Checked with
# Python's re: as a pydantic `pattern` the Unicode \w{0,63} compiles to a 9.6 MB automaton
# that every process loading the config would carry.
_SOURCE_NAME = re.compile(r"\w[\w.:-]{0,63}")


def _source_name(value: str) -> str:
    if not _SOURCE_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a source name (1-64 letters, digits, '.', ':' or '-', "
                         "starting with a letter or digit)")
    return value


SourceName = Annotated[StrictStr, AfterValidator(_source_name)]
