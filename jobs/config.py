"""Configuration: one TOML file, validated once in ``main()``, passed down as plain data.

Lookup order: ``--config PATH``, else ``$PAPERBOT_CONFIG``, else ``./paperbot.toml``,
else the built-in defaults below. Secrets never come from the file: they come from
the environment or from systemd credentials (``$CREDENTIALS_DIRECTORY``).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

SOURCE_KINDS = ("rss", "discourse", "html", "url")
SUPPORTED_LANGS = ("en", "ko", "ja", "zh", "ru")


class ConfigError(ValueError):
    """The configuration file is invalid; the message names the key and the problem."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    url: str
    lang: str = "en"
    enabled: bool = True
    # rss / html / url: CSS selector of the post body on the post page.
    content_selector: str | None = None
    # html: CSS selector of the links to posts on the listing page.
    link_selector: str | None = None
    date_selector: str | None = None
    title_selector: str | None = None
    next_page_selector: str | None = None
    max_pages: int = 1
    # discourse / html: keep only posts whose title matches this regex.
    title_pattern: str | None = None
    # rss: use the feed's full content when present (else always fetch the page).
    use_feed_content: bool = True
    max_posts: int = 50


@dataclass(frozen=True)
class Channel:
    chat_id: int | str
    lang: str = "en"
    topics: list[str] = field(default_factory=list)
    mode: str = "instant"
    digest_hour: int = 9
    tz: str = "UTC"


@dataclass(frozen=True)
class TelegramConfig:
    api_base_url: str = "https://api.telegram.org/bot"
    api_base_file_url: str = "https://api.telegram.org/file/bot"
    admin_chat_ids: list[int] = field(default_factory=list)
    max_messages_per_second: float = 30.0
    per_chat_messages_per_second: float = 1.0
    group_messages_per_minute: int = 20
    # the pacer aims at max_messages_per_second × rate_safety (jitter never crosses it)
    rate_safety: float = 0.93
    # send with allow_paid_broadcast: Telegram takes up to 1000 msg/s (billed in Stars);
    # with max_messages_per_second left at 30, the limit becomes 1000
    paid_broadcast: bool = False
    # a send that provably did not reach Telegram (5xx, refused) is retried for this long,
    # waiting retry_backoff_seconds × 2^n (at most 64×) between tries
    retry_for_hours: float = 24.0
    retry_backoff_seconds: float = 15.0
    languages: list[str] = field(default_factory=lambda: list(SUPPORTED_LANGS))
    latest_count: int = 5
    channels: list[Channel] = field(default_factory=list)


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 60.0
    max_retries: int = 2
    concurrency: int = 4
    daily_token_budget: int = 2_000_000
    resummarize_on_new_mention: bool = False
    structured_output: bool = True
    # USD per million tokens, keyed by model name: {"gpt-4o-mini": {input = 0.15, output = 0.6}}
    prices: dict[str, dict[str, float]] = field(
        default_factory=lambda: {"gpt-4o-mini": {"input": 0.15, "output": 0.60}}
    )


@dataclass(frozen=True)
class ArxivConfig:
    api_url: str = "https://export.arxiv.org/api/query"
    min_interval_seconds: float = 3.0
    timeout_seconds: float = 30.0
    max_retries: int = 4
    title_match_threshold: float = 92.0
    miss_retry_hours: float = 24.0
    batch_size: int = 100


FALLBACK_INDEXES = ("semantic_scholar", "openalex")


@dataclass(frozen=True)
class IndexConfig:
    """One fallback title index (Semantic Scholar's /paper/search/match, OpenAlex /works)."""
    base_url: str = ""
    timeout_seconds: float = 20.0
    min_interval_seconds: float = 1.0
    mailto: str = ""  # OpenAlex's polite pool


@dataclass(frozen=True)
class ResolveConfig:
    """Finding link-less papers by title (jobs/resolve/)."""
    batch_size: int = 50  # entries per batch (one transaction)
    search_ttl_days: float = 7.0  # cached searches (hits and misses) are reused this long
    max_attempts: int = 3  # rounds of searches per entry before it is left unresolved
    max_results: int = 100  # per arXiv search request
    fallbacks: list[str] = field(default_factory=list)  # "semantic_scholar", "openalex"
    semantic_scholar: IndexConfig = field(default_factory=lambda: IndexConfig(
        base_url="https://api.semanticscholar.org/graph/v1"))
    openalex: IndexConfig = field(default_factory=lambda: IndexConfig(
        base_url="https://api.openalex.org", min_interval_seconds=0.2))
    use_llm: bool = False  # ask [llm] for the English title of a translated-only entry


@dataclass(frozen=True)
class CrawlConfig:
    user_agent: str = "paperbot/0.1 (+https://github.com/paperbot/paperbot; research-paper digest bot)"
    obey_robots: bool = True
    concurrency_per_site: int = 1
    download_delay_seconds: float = 1.0
    timeout_seconds: float = 30.0
    max_response_bytes: int = 5_000_000
    retries: int = 2
    http_cache: bool = True


@dataclass(frozen=True)
class ScheduleConfig:
    crawl_every_minutes: float = 60.0
    jitter_seconds: float = 120.0
    crawl_time_limit_minutes: float = 20.0
    delivery_poll_seconds: float = 15.0
    source_alert_after_runs: int = 3
    watchdog_seconds: float = 30.0


@dataclass(frozen=True)
class SiteConfig:
    """The static site (``paperbot site build``): rebuilt after each crawl when out_dir is set."""
    out_dir: Path | None = None
    base_url: str | None = None  # where it is served, for absolute feed links
    title: str = "paperbot"
    languages: list[str] = field(default_factory=list)  # [] = telegram.languages
    index_days: int = 30  # the index lists the papers of the last N days (by first seen)
    feed_items: int = 50  # entries per feed


@dataclass(frozen=True)
class Config:
    state_dir: Path = Path("state")
    log_level: str = "INFO"
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


@dataclass(frozen=True)
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


def _is_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https", "file") and bool(parsed.netloc or parsed.path)


def _absolute_file_url(url: str, base: Path) -> str:
    """``file:blog/feed.xml`` (relative) → ``file:///abs/dir/blog/feed.xml``; others unchanged."""
    if url.startswith("file:") and not url.startswith("file:/"):
        return (base / url[len("file:"):]).resolve().as_uri()
    return url


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp)).replace("NoneType", "none")


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it converted (Path, dataclass)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__}")
        (item_tp,) = typing.get_args(tp)
        return [_coerce(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table, got {type(value).__name__}")
        _, val_tp = typing.get_args(tp)
        return {k: _coerce(v, val_tp, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if tp is Path:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a path string, got {type(value).__name__}")
        return Path(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {type(value).__name__}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {type(value).__name__}")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise ConfigError(f"{key}: expected {_type_name(tp)}, got {type(value).__name__}")
        return value
    raise ConfigError(f"{key}: unsupported type {_type_name(tp)}")  # pragma: no cover


def _build(cls: type, data: Any, prefix: str) -> Any:
    where = prefix or "top level"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "path"}
    kwargs = {}
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            raise ConfigError(f"{full}: unknown key (known: {', '.join(sorted(fields))})")
        kwargs[key] = _coerce(value, hints[key], full)
    missing = [
        name
        for name, f in fields.items()
        if name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{prefix + '.' if prefix else ''}{missing[0]}: required key is missing")
    return cls(**kwargs)


def _validate(cfg: Config) -> None:
    seen: set[str] = set()
    for i, src in enumerate(cfg.sources):
        key = f"sources[{i}]"
        if src.name in seen:
            raise ConfigError(f"{key}.name: duplicate source name {src.name!r}")
        seen.add(src.name)
        if src.kind not in SOURCE_KINDS:
            raise ConfigError(f"{key}.kind: {src.kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        if not _is_url(src.url):
            raise ConfigError(f"{key}.url: {src.url!r} is not an http(s) or file URL")
        if src.kind == "html" and not src.link_selector:
            raise ConfigError(f"{key}.link_selector: required for kind 'html'")
    for key, url in (
        ("telegram.api_base_url", cfg.telegram.api_base_url),
        ("arxiv.api_url", cfg.arxiv.api_url),
        ("llm.base_url", cfg.llm.base_url),
        ("resolve.semantic_scholar.base_url", cfg.resolve.semantic_scholar.base_url),
        ("resolve.openalex.base_url", cfg.resolve.openalex.base_url),
        ("site.base_url", cfg.site.base_url),
    ):
        if url is not None and not _is_url(url):
            raise ConfigError(f"{key}: {url!r} is not a URL")
    tg = cfg.telegram
    for key, value, low, high in (
        ("max_messages_per_second", tg.max_messages_per_second, 0.0, 1000.0),
        ("rate_safety", tg.rate_safety, 0.0, 1.0),
        ("retry_for_hours", tg.retry_for_hours, 0.0, 24.0 * 30),
        ("retry_backoff_seconds", tg.retry_backoff_seconds, 0.0, 3600.0),
    ):
        if not low < value <= high:
            raise ConfigError(f"telegram.{key}: must be > {low:g} and <= {high:g}")
    for i, name in enumerate(cfg.resolve.fallbacks):
        if name not in FALLBACK_INDEXES:
            raise ConfigError(f"resolve.fallbacks[{i}]: {name!r} is not one of {', '.join(FALLBACK_INDEXES)}")
    for key in ("batch_size", "max_attempts", "max_results"):
        if getattr(cfg.resolve, key) < 1:
            raise ConfigError(f"resolve.{key}: must be >= 1")
    if cfg.resolve.search_ttl_days <= 0:
        raise ConfigError("resolve.search_ttl_days: must be > 0")
    if cfg.schedule.crawl_every_minutes <= 0:
        raise ConfigError("schedule.crawl_every_minutes: must be > 0")
    for i, ch in enumerate(cfg.telegram.channels):
        if ch.mode not in ("instant", "digest"):
            raise ConfigError(f"telegram.channels[{i}].mode: must be 'instant' or 'digest'")
        if ch.lang not in cfg.telegram.languages:
            raise ConfigError(f"telegram.channels[{i}].lang: {ch.lang!r} not in telegram.languages")


def parse_config(data: dict[str, Any], *, env: dict[str, str] | None = None,
                 path: Path | None = None) -> Config:
    """Build a validated :class:`Config` from parsed TOML ``data`` (raises ConfigError)."""
    env = os.environ if env is None else env
    data = dict(data)
    if "sources" not in data:
        data["sources"] = DEFAULT_SOURCES
    cfg = _build(Config, data, "")
    base = (path.parent if path else Path.cwd()).resolve()
    cfg = dataclasses.replace(cfg, sources=[
        dataclasses.replace(src, url=_absolute_file_url(src.url, base)) for src in cfg.sources
    ], arxiv=dataclasses.replace(cfg.arxiv, api_url=_absolute_file_url(cfg.arxiv.api_url, base)))
    if "state_dir" not in data:
        cfg = dataclasses.replace(cfg, state_dir=Path(env.get("STATE_DIRECTORY") or "state"))
    _validate(cfg)
    return dataclasses.replace(cfg, path=path)


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
