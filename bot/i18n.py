"""Localized UI text from the message catalogs in ``bot/locales/<lang>.toml``.

Catalog values are Telegram HTML; :func:`t` fills ``{placeholders}`` with HTML-escaped
values, so user data never becomes markup. Missing languages or keys fall back to English.
Catalogs are read lazily (first use), never at import.
"""

from __future__ import annotations

import functools
import html
import tomllib
from importlib import resources

UI_LANGS = ("en", "ko", "ja", "zh", "ru")
DEFAULT_LANG = "en"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog for ``lang`` (empty when there is none)."""
    try:
        data = resources.files("bot").joinpath("locales", f"{lang}.toml").read_bytes()
    except (FileNotFoundError, OSError):
        return {}
    return tomllib.loads(data.decode("utf-8"))


def has_catalog(lang: str) -> bool:
    return bool(catalog(lang))


def t(lang: str | None, key: str, /, **values: object) -> str:
    """The text for ``key`` in ``lang`` (HTML), placeholders filled with escaped ``values``."""
    text = catalog(lang or DEFAULT_LANG).get(key)
    if text is None:
        text = catalog(DEFAULT_LANG)[key]
    if not values:
        return text
    return text.format(**{k: html.escape(str(v), quote=False) for k, v in values.items()})


def raw(lang: str | None, key: str) -> str:
    """The catalog text for ``key`` as plain text (for button labels and command menus)."""
    return catalog(lang or DEFAULT_LANG).get(key) or catalog(DEFAULT_LANG)[key]


def lang_name(lang: str) -> str:
    """A language's own name ("한국어"), or the code when there is no catalog."""
    return catalog(lang).get("lang_name", lang)


def match_lang(language_code: str | None, supported: list[str] | tuple[str, ...]) -> str | None:
    """Telegram's ``language_code`` ("ko", "zh-hans", "pt-br") → a supported language, or
    None when paperbot does not speak it."""
    if not language_code:
        return None
    code = language_code.lower().replace("_", "-")
    if code in supported:
        return code
    base = code.split("-")[0]
    return base if base in supported else None


def pick_lang(language_code: str | None, supported: list[str] | tuple[str, ...]) -> str:
    """Telegram's ``language_code`` ("ko", "pt-br", "zh-hans") → a supported language, else en."""
    found = match_lang(language_code, supported)
    if found:
        return found
    return DEFAULT_LANG if DEFAULT_LANG in supported or not supported else supported[0]
