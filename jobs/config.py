"""Configuration: one TOML file, validated once in ``main()``, passed down as plain data.

Lookup order: ``--config PATH``, else ``$PAPERBOT_CONFIG``, else ``./paperbot.toml``,
else the built-in defaults below. Secrets never come from the file: they come from
the environment or from systemd credentials (``$CREDENTIALS_DIRECTORY``).

The schema is the classes below: pydantic dataclasses, so a file is checked key by key
(unknown keys refused, types strict, ranges, enums, URL schemes, regexes compiled, CSS
selectors parsed, time zones and languages known) and the result is still a frozen
stdlib dataclass (``dataclasses.replace`` re-validates). Every problem is reported as
``key.path: what is wrong`` (:class:`ConfigError`), all of them at once.

Adding a section: write a ``@section`` class whose every key has a default, then add
one field ``name: NameConfig = field(default_factory=NameConfig)`` to :class:`Config`.
Checks that span several keys go in :func:`_cross_checks`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from pydantic.dataclasses import dataclass as _pydantic_dataclass

SOURCE_KINDS = ("rss", "discourse", "html", "url")
SUPPORTED_LANGS = ("en", "ko", "ja", "zh", "ru")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """The configuration file is invalid; the message names the key and the problem
    (one line per problem, also in :attr:`problems`)."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# --- value types: each one says what is wrong in words a config author understands ------
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
# a source name is a CLI argument, a cache directory and part of alert keys
SourceName = Annotated[StrictStr, Field(pattern=r"^\w[\w.:-]{0,63}$")]

section = _pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))


@section
class Source:
    name: SourceName
    kind: Literal["rss", "discourse", "html", "url"]
    url: SourceUrl
    lang: Lang = "en"
    enabled: Bool = True
    # rss / html / url: CSS selector of the post body on the post page.
    content_selector: CssSelector | None = None
    # html: CSS selector of the links to posts on the listing page.
    link_selector: CssSelector | None = None
    date_selector: CssSelector | None = None
    title_selector: CssSelector | None = None
    next_page_selector: CssSelector | None = None
    max_pages: PositiveInt = 1
    # discourse / html: keep only posts whose title matches this regex.
    title_pattern: Regex | None = None
    # rss: use the feed's full content when present (else always fetch the page).
    use_feed_content: Bool = True
    max_posts: PositiveInt = 50


@section
class Channel:
    chat_id: ChatId
    lang: Lang = "en"
    topics: list[Str] = field(default_factory=list)
    mode: Literal["instant", "digest"] = "instant"
    digest_hour: Annotated[StrictInt, Field(ge=0, le=23)] = 9
    tz: TimeZone = "UTC"


@section
class TelegramConfig:
    api_base_url: HttpUrl = "https://api.telegram.org/bot"
    api_base_file_url: HttpUrl = "https://api.telegram.org/file/bot"
    admin_chat_ids: list[StrictInt] = field(default_factory=list)
    max_messages_per_second: Annotated[StrictFloat, Field(gt=0, le=1000)] = 30.0
    per_chat_messages_per_second: PositiveFloat = 1.0
    group_messages_per_minute: PositiveInt = 20
    # the pacer aims at max_messages_per_second × rate_safety (jitter never crosses it)
    rate_safety: Annotated[StrictFloat, Field(gt=0, le=1)] = 0.93
    # send with allow_paid_broadcast: Telegram takes up to 1000 msg/s (billed in Stars);
    # with max_messages_per_second left at 30, the limit becomes 1000
    paid_broadcast: Bool = False
    # a send that provably did not reach Telegram (5xx, refused) is retried for this long,
    # waiting retry_backoff_seconds × 2^n (at most 64×) between tries
    retry_for_hours: Annotated[StrictFloat, Field(gt=0, le=24 * 30)] = 24.0
    retry_backoff_seconds: Annotated[StrictFloat, Field(gt=0, le=3600)] = 15.0
    languages: Annotated[list[Lang], Field(min_length=1)] = field(
        default_factory=lambda: list(SUPPORTED_LANGS))
    latest_count: Annotated[StrictInt, Field(ge=1, le=50)] = 5
    channels: list[Channel] = field(default_factory=list)


@section
class LLMConfig:
    base_url: HttpUrl | None = None
    model: NonEmptyStr = "gpt-4o-mini"
    timeout_seconds: PositiveFloat = 60.0
    max_retries: NonNegativeInt = 2
    concurrency: Annotated[StrictInt, Field(ge=1, le=256)] = 4
    daily_token_budget: NonNegativeInt = 2_000_000
    resummarize_on_new_mention: Bool = False
    structured_output: Bool = True
    # USD per million tokens, keyed by model name: {"gpt-4o-mini": {input = 0.15, output = 0.6}}
    prices: dict[NonEmptyStr, dict[Literal["input", "output"], NonNegativeFloat]] = field(
        default_factory=lambda: {"gpt-4o-mini": {"input": 0.15, "output": 0.60}}
    )


@section
class ArxivConfig:
    # file:… = a saved Atom feed answering every query (the offline demo: ArxivSnapshot)
    api_url: SourceUrl = "https://export.arxiv.org/api/query"
    min_interval_seconds: NonNegativeFloat = 3.0
    timeout_seconds: PositiveFloat = 30.0
    max_retries: NonNegativeInt = 4
    title_match_threshold: Annotated[StrictFloat, Field(ge=0, le=100)] = 92.0
    miss_retry_hours: PositiveFloat = 24.0
    batch_size: Annotated[StrictInt, Field(ge=1, le=100)] = 100


FALLBACK_INDEXES = ("semantic_scholar", "openalex")


@section
class IndexConfig:
    """One fallback title index (Semantic Scholar's /paper/search/match, OpenAlex /works)."""
    base_url: HttpUrl = ""
    timeout_seconds: PositiveFloat = 20.0
    min_interval_seconds: NonNegativeFloat = 1.0
    mailto: Str = ""  # OpenAlex's polite pool


@section
class ResolveConfig:
    """Finding link-less papers by title (jobs/resolve/)."""
    batch_size: PositiveInt = 50  # entries per batch (one transaction)
    search_ttl_days: PositiveFloat = 7.0  # cached searches (hits and misses) are reused this long
    max_attempts: PositiveInt = 3  # rounds of searches per entry before it is left unresolved
    max_results: PositiveInt = 100  # per arXiv search request
    # "semantic_scholar", "openalex"
    fallbacks: list[Literal["semantic_scholar", "openalex"]] = field(default_factory=list)
    semantic_scholar: IndexConfig = field(default_factory=lambda: IndexConfig(
        base_url="https://api.semanticscholar.org/graph/v1"))
    openalex: IndexConfig = field(default_factory=lambda: IndexConfig(
        base_url="https://api.openalex.org", min_interval_seconds=0.2))
    use_llm: Bool = False  # ask [llm] for the English title of a translated-only entry


@section
class CrawlConfig:
    user_agent: NonEmptyStr = "paperbot/0.1 (+https://github.com/paperbot/paperbot; research-paper digest bot)"
    obey_robots: Bool = True
    concurrency_per_site: Annotated[StrictInt, Field(ge=1, le=32)] = 1
    download_delay_seconds: NonNegativeFloat = 1.0
    timeout_seconds: PositiveFloat = 30.0
    max_response_bytes: PositiveInt = 5_000_000
    retries: Annotated[StrictInt, Field(ge=0, le=10)] = 2
    http_cache: Bool = True


@section
class ScheduleConfig:
    crawl_every_minutes: PositiveFloat = 60.0
    jitter_seconds: NonNegativeFloat = 120.0
    crawl_time_limit_minutes: PositiveFloat = 20.0
    delivery_poll_seconds: PositiveFloat = 15.0
    source_alert_after_runs: PositiveInt = 3
    watchdog_seconds: PositiveFloat = 30.0


@section
class SiteConfig:
    """The static site (``paperbot site build``): rebuilt after each crawl when out_dir is set."""
    out_dir: DirPath | None = None
    base_url: HttpUrl | None = None  # where it is served, for absolute feed links
    title: NonEmptyStr = "paperbot"
    languages: list[Lang] = field(default_factory=list)  # [] = telegram.languages
    index_days: PositiveInt = 30  # the index lists the papers of the last N days (by first seen)
    feed_items: PositiveInt = 50  # entries per feed


@section
class Config:
    state_dir: DirPath = Path("state")
    log_level: LogLevel = "INFO"
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    arxiv: ArxivConfig = field(default_factory=ArxivConfig)
    resolve: ResolveConfig = field(default_factory=ResolveConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    sources: list[Source] = field(default_factory=list)
    # Where the file came from (None = built-in defaults); not a TOML key.
    path: Path | None = field(default=None, compare=False)

    @property
    def db_path(self) -> Path:
        return self.state_dir / "paperbot.db"

    def source(self, name: str) -> Source:
        for src in self.sources:
            if src.name == name:
                return src
        raise KeyError(name)


NOT_TOML_KEYS = frozenset({"path"})


@dataclasses.dataclass(frozen=True)
class Secrets:
    telegram_bot_token: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None

    def masked(self) -> dict[str, str | None]:
        return {k: mask(v) for k, v in dataclasses.asdict(self).items()}


def mask(secret: str | None) -> str | None:
    if not secret:
        return None
    return secret[:3] + "…" + f"({len(secret)} chars)" if len(secret) > 8 else "***"


# The real blogs from the product brief. Selectors live here, not in spider code.
DEFAULT_SOURCES: list[dict[str, Any]] = [
    {
        "name": "rosinality",
        "kind": "rss",
        "url": "https://rosinality.substack.com/feed",
        "lang": "ko",
        "content_selector": "div.available-content, div.body.markup",
    },
    {
        "name": "pytorch-kr-weekly",
        "kind": "discourse",
        "url": "https://discuss.pytorch.kr/c/news/14.json",
        "lang": "ko",
        "title_pattern": "(?i)top ml papers|주요 ML 논문",
    },
    {
        "name": "csdn-zhipu-weekly",
        "kind": "html",
        "url": "https://blog.csdn.net/Zhipu_AI/category_12522936.html",
        "lang": "zh",
        "link_selector": "ul.column_article_list li a",
        "content_selector": "#content_views",
        "title_selector": "h1#articleContentId",
        "date_selector": "span.time",
        "title_pattern": "大模型周报",  # the column's weekly posts only
        "max_posts": 20,
    },
    {
        "name": "titanida",
        "kind": "html",
        "url": "https://titanida.com/",
        "lang": "ru",
        # Jekyll "minima" theme: the home page lists every post as a.post-link
        "link_selector": "h2.post-title a, a.post-link",
        "content_selector": "article .post-content, article",
        "title_selector": "h1.post-title, h1",
        "date_selector": "time.dt-published, time",
    },
]


def _absolute_file_url(url: str, base: Path) -> str:
    """``file:blog/feed.xml`` (relative) → ``file:///abs/dir/blog/feed.xml``; others unchanged."""
    if url.startswith("file:") and not url.startswith("file:/"):
        return (base / url[len("file:"):]).resolve().as_uri()
    return url


# --- error messages -----------------------------------------------------------------------
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


def _unknown_key(loc: tuple[Any, ...]) -> str:
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
        return _unknown_key(err["loc"])
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


def _problems(exc: ValidationError) -> list[str]:
    out = [f"{_key_path(e['loc'])}: {_problem(e)}" for e in exc.errors()]
    return list(dict.fromkeys(out))


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
    problems = [f"{key}: {_unknown_key((key,))}" for key in sorted(NOT_TOML_KEYS & data.keys())]
    for key in NOT_TOML_KEYS:
        data.pop(key, None)
    data.setdefault("sources", DEFAULT_SOURCES)
    if "state_dir" not in data:
        data["state_dir"] = env.get("STATE_DIRECTORY") or "state"
    try:
        cfg = _CONFIG.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(problems + _problems(exc)) from None
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


def _credential(name: str, env: dict[str, str]) -> str | None:
    """A secret from the environment, else from a systemd credential file of the same name."""
    if env.get(name):
        return env[name].strip()
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        for candidate in (name, name.lower()):
            p = Path(cred_dir) / candidate
            if p.is_file():
                return p.read_text(encoding="utf-8").strip() or None
    return None


def load_secrets(env: dict[str, str] | None = None) -> Secrets:
    env = dict(os.environ) if env is None else env
    return Secrets(
        telegram_bot_token=_credential("TELEGRAM_BOT_TOKEN", env),
        openai_api_key=_credential("OPENAI_API_KEY", env),
        openai_base_url=_credential("OPENAI_BASE_URL", env),
    )


def config_as_dict(cfg: Config, secrets: Secrets | None = None) -> dict[str, Any]:
    """The effective configuration as plain data (for ``config show``), secrets masked."""

    def plain(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj):
            return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                    if f.name != "path"}
        if isinstance(obj, list):
            return [plain(v) for v in obj]
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, Path):
            return str(obj)
        return obj

    out = plain(cfg)
    out["config_file"] = str(cfg.path) if cfg.path else None
    if secrets is not None:
        out["secrets"] = secrets.masked()
    return out
