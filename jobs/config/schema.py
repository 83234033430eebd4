"""The TOML schema: one frozen pydantic dataclass per section (unknown keys refused,
every key with a default), :class:`Config` holding them all, and the default sources
(the real blogs). Value checks are the types of :mod:`.values`."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictFloat, StrictInt
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from jobs.config.values import (
    SUPPORTED_LANGS,
    Bool,
    ChatId,
    CssSelector,
    DirPath,
    HttpUrl,
    Lang,
    LogLevel,
    NonEmptyStr,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Regex,
    SourceName,
    SourceUrl,
    Str,
    TimeZone,
)

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
