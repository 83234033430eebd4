"""Configuration errors: :class:`ConfigError` and pydantic's validation errors turned
into ``key.path: what is wrong`` lines a config author understands (unknown keys with a
"did you mean", expected TOML types, bounds, enums)."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Annotated, Any

from pydantic import ValidationError

from jobs.config.schema import NOT_TOML_KEYS, Config


class ConfigError(ValueError):
    """The configuration file is invalid; the message names the key and the problem
    (one line per problem, also in :attr:`problems`)."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


_TOML_TYPES = {bool: "true/false", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a table"}
_EXPECTED = {"int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
             "string_type": "a string", "list_type": "a list", "dict_type": "a table",
             "dataclass_type": "a table", "dataclass_exact_type": "a table",
             "path_type": "a path string"}


_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "[key]":
            out += f".{part}" if out else str(part)
    return out or "top level"


def _section_at(loc: tuple[Any, ...]) -> Any:
    """The config class a key path points into (for 'did you mean')."""
    tp: Any = Config
    for part in loc:
        while True:
            origin = typing.get_origin(tp)
            if origin is Annotated:
                tp = typing.get_args(tp)[0]
            elif origin is list and isinstance(part, int):
                tp = typing.get_args(tp)[0]
                break
            elif origin in (typing.Union, types.UnionType):
                tp = next(a for a in typing.get_args(tp) if a is not type(None))
            else:
                break
        if isinstance(part, int):
            continue
        if not dataclasses.is_dataclass(tp):
            return None
        tp = typing.get_type_hints(tp, include_extras=True).get(part)
        if tp is None:
            return None
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp if dataclasses.is_dataclass(tp) else None


def unknown_key_problem(loc: tuple[Any, ...]) -> str:
    """What is wrong with the unknown key at ``loc``: the known key it is closest to, or
    the keys its section knows."""
    cls = _section_at(loc[:-1])
    known = [f.name for f in dataclasses.fields(cls) if f.name not in NOT_TOML_KEYS] if cls else []
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known: {', '.join(known)})" if known else "unknown key"


def _problem(err: dict[str, Any]) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = f" (got {value!r})" if not isinstance(value, dict | list) else ""
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return unknown_key_problem(err["loc"])
    if kind == "missing" or kind == "missing_argument":
        return "required key is missing"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_TOML_TYPES.get(type(value), type(value).__name__)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}" + got
    bounds = [f"{op} {ctx[name]}" for name, op in _BOUNDS if name in ctx]
    if bounds:
        return f"must be {' and '.join(bounds)}" + got
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return ("must be letters, digits, '.', ':', '-' or '_' (at most 64), no spaces" + got)
    return err["msg"][0].lower() + err["msg"][1:] + got


def validation_problems(exc: ValidationError) -> list[str]:
    """Every problem pydantic found, as ``key.path: what is wrong`` lines (each once)."""
    out = [f"{_key_path(e['loc'])}: {_problem(e)}" for e in exc.errors()]
    return list(dict.fromkeys(out))
