"""Configuration: lookup order, validation errors that name the key, masked secrets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import textwrap

import pytest

from jobs.config import ConfigError, load_config, load_secrets, parse_config
from tests.conftest import paperbot_env, run_paperbot, write_config

BAD_CONFIGS = [
    ("unknown top-level key", "colour = 'blue'\n", "colour: unknown key"),
    ("unknown nested key", "[telegram]\ntoken = 'x'\n", "telegram.token: unknown key"),
    ("misspelt key", "[llm]\nmodle = 'x'\n", "llm.modle: unknown key (did you mean 'model'?)"),
    ("wrong type", "[schedule]\ncrawl_every_minutes = 'hourly'\n",
     "schedule.crawl_every_minutes: expected a number, got a string"),
    ("bad url", "[[sources]]\nname='a'\nkind='rss'\nurl='not a url'\n", "sources[0].url"),
    ("duplicate source",
     "[[sources]]\nname='a'\nkind='rss'\nurl='https://a.example/feed'\n"
     "[[sources]]\nname='a'\nkind='rss'\nurl='https://b.example/feed'\n",
     "sources[1].name: duplicate source name 'a'"),
    ("unknown kind", "[[sources]]\nname='a'\nkind='gopher'\nurl='https://a.example/'\n",
     "sources[0].kind: must be one of 'rss', 'discourse', 'html' or 'url' (got 'gopher')"),
    ("missing required", "[[sources]]\nname='a'\nkind='rss'\n", "sources[0].url: required"),
    ("list of wrong items", "[telegram]\nadmin_chat_ids = ['me']\n",
     "telegram.admin_chat_ids[0]: expected an integer"),
    ("html without links", "[[sources]]\nname='a'\nkind='html'\nurl='https://a.example/'\n",
     "sources[0].link_selector: required for kind 'html'"),
    ("bool is not a number", "[crawl]\nretries = true\n", "crawl.retries: expected an integer"),
    ("price of an unknown kind", "[llm.prices.m]\ninput = 1.0\ncache = 2.0\n",
     "llm.prices.m.cache: must be one of 'input' or 'output'"),
]


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_config(tmp_path, "[crawl]\nretries = -1\n[llm]\nconcurrency = 0\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert err.value.problems == ["llm.concurrency: must be >= 1 (got 0)",
                                  "crawl.retries: must be >= 0 (got -1)"]


def test_code_that_builds_a_config_gets_it_validated_too():
    cfg = parse_config({}, env={})
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        dataclasses.replace(cfg.crawl, concurrency_per_site=0)
    assert dataclasses.replace(cfg.crawl, retries=5).retries == 5


@pytest.mark.parametrize("label,body,message", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_rejected_naming_the_key(tmp_path, label, body, message):
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert message in str(err.value)


async def test_bad_config_exits_2_and_writes_nothing(tmp_path):
    state = tmp_path / "state"
    path = write_config(tmp_path, f"state_dir = '{state}'\n[llm]\nmodle = 'x'\n")
    for args in (["crawl", "once"], ["papers"], ["status"]):
        result = await run_paperbot("--config", str(path), *args, cwd=tmp_path)
        assert result.code == 2, result.stderr
        assert "llm.modle: unknown key" in result.stderr
    assert not state.exists()


def test_lookup_order_and_state_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # nothing anywhere: built-in defaults, the real blogs, ./state
    cfg = load_config(None, env={})
    assert cfg.path is None and str(cfg.state_dir) == "state"
    assert {s.kind for s in cfg.sources} >= {"rss", "discourse", "html"}
    # $STATE_DIRECTORY (systemd) when the file does not say
    assert str(load_config(None, env={"STATE_DIRECTORY": "/var/lib/paperbot"}).state_dir) == \
        "/var/lib/paperbot"
    # ./paperbot.toml, then $PAPERBOT_CONFIG over it, then --config over both
    write_config(tmp_path, "log_level = 'DEBUG'\n")
    env_file = write_config(tmp_path, "log_level = 'WARNING'\n", name="env.toml")
    explicit = write_config(tmp_path, "log_level = 'ERROR'\n", name="explicit.toml")
    assert load_config(None, env={}).log_level == "DEBUG"
    assert load_config(None, env={"PAPERBOT_CONFIG": str(env_file)}).log_level == "WARNING"
    assert load_config(explicit, env={"PAPERBOT_CONFIG": str(env_file)}).log_level == "ERROR"


def test_relative_file_urls_resolve_against_the_config_file(tmp_path):
    path = write_config(tmp_path, textwrap.dedent("""
        [[sources]]
        name = "local"
        kind = "rss"
        url = "file:blog/feed.xml"
    """))
    cfg = load_config(path, env={})
    assert cfg.sources[0].url == (tmp_path / "blog" / "feed.xml").as_uri()


def test_secrets_come_from_env_or_systemd_credentials(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "TELEGRAM_BOT_TOKEN").write_text("123:from-credential\n")
    secrets = load_secrets({"CREDENTIALS_DIRECTORY": str(creds), "OPENAI_API_KEY": "sk-env"})
    assert secrets.telegram_bot_token == "123:from-credential"
    assert secrets.openai_api_key == "sk-env"
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"telegram": {"bot_token": "x"}}, env={})


async def test_config_show_masks_secrets(tmp_path):
    token = "123456:ABCDEFsecretTOKENvalue"
    env = paperbot_env(tmp_path, TELEGRAM_BOT_TOKEN=token, OPENAI_API_KEY="sk-verysecretkey")
    result = await run_paperbot("config", "show", cwd=tmp_path, env=env)
    assert result.code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert token not in result.stdout and "sk-verysecretkey" not in result.stdout
    assert shown["secrets"]["telegram_bot_token"].startswith("123")
    assert shown["telegram"]["max_messages_per_second"] == 30
    assert shown["arxiv"]["api_url"].startswith("https://export.arxiv.org")


# Issue 11, point 7: each of these passed validation before and failed later (a 131-line
# traceback at crawl time) or silently. Now: exit 2, the key named, nothing written.
SOURCE = "[[sources]]\nname = 'a'\nkind = 'html'\nurl = 'https://a.example/'\nlink_selector = 'a'\n"
CHANNEL = "[[telegram.channels]]\nchat_id = '@papers_channel'\n"
INVALID_VALUES = [
    (SOURCE + "title_pattern = '(weekly'\n", "sources[0].title_pattern",
     "invalid regular expression"),
    (SOURCE + "content_selector = 'div[class='\n", "sources[0].content_selector",
     "invalid CSS selector"),
    (SOURCE.replace("https://a.example/", "https:example.com/feed"), "sources[0].url",
     "has no host"),
    (SOURCE + "lang = 'de'\n", "sources[0].lang", "unsupported language 'de'"),
    (SOURCE.replace("name = 'a'", "name = 'my blog'"), "sources[0].name", "is not a source name"),
    (CHANNEL + "digest_hour = 25\n", "telegram.channels[0].digest_hour", "must be <= 23"),
    (CHANNEL + "tz = 'Mars/Olympus'\n", "telegram.channels[0].tz", "unknown time zone"),
    (CHANNEL + "lang = 'klingon'\n", "telegram.channels[0].lang", "unsupported language"),
    ("[crawl]\nretries = -1\n", "crawl.retries", "must be >= 0"),
    ("[arxiv]\nmin_interval_seconds = -3.0\n", "arxiv.min_interval_seconds", "must be >= 0"),
    ("[crawl]\nmax_response_bytes = -1\n", "crawl.max_response_bytes", "must be >= 1"),
    ("[telegram]\nper_chat_messages_per_second = -1.0\n",
     "telegram.per_chat_messages_per_second", "must be > 0"),
    ("[llm]\nconcurrency = 0\n", "llm.concurrency", "must be >= 1"),
    ("[arxiv]\nbatch_size = 0\n", "arxiv.batch_size", "must be >= 1"),
    ("[schedule]\ncrawl_time_limit_minutes = 0\n", "schedule.crawl_time_limit_minutes",
     "must be > 0"),
    ("log_level = 'LOUD'\n", "log_level", "must be one of 'DEBUG'"),
]


async def test_every_invalid_value_exits_2_naming_the_key_and_writes_nothing(tmp_path):
    async def check(i: int, body: str, key: str, problem: str) -> str | None:
        work = tmp_path / f"case{i}"
        work.mkdir()
        state = work / "state"
        path = write_config(work, f"state_dir = '{state}'\n{body}")
        result = await run_paperbot("--config", str(path), "crawl", "once", cwd=work)
        if result.code != 2 or f"{key}: " not in result.stderr or problem not in result.stderr:
            return f"{key}: exit {result.code}, stderr {result.stderr!r}"
        if state.exists() or sorted(p.name for p in work.iterdir()) != ["paperbot.toml"]:
            return f"{key}: wrote {sorted(p.name for p in work.rglob('*'))}"
        return None

    limit = asyncio.Semaphore(4)

    async def bounded(*args):
        async with limit:
            return await check(*args)

    failures = await asyncio.gather(*(bounded(i, *case) for i, case in enumerate(INVALID_VALUES)))
    assert [f for f in failures if f] == []


async def test_help_never_reads_the_config(tmp_path):
    """A broken ./paperbot.toml must not hide the help that explains how to fix it."""
    write_config(tmp_path, "[crawl]\nretries = -1\nthis is not toml")
    from jobs.cli import cli

    def leaves(group, path=()):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from leaves(cmd, (*path, name))
            else:
                yield (*path, name)

    commands = [(), *leaves(cli)]
    assert ("crawl", "once") in commands and ("run",) in commands
    results = await asyncio.gather(*(run_paperbot(*cmd, "--help", cwd=tmp_path)
                                     for cmd in commands))
    for cmd, result in zip(commands, results, strict=True):
        assert result.code == 0 and "Usage: paperbot" in result.stdout, (cmd, result.stderr)
    # the command itself still refuses the file, naming the problem
    result = await run_paperbot("status", cwd=tmp_path)
    assert result.code == 2 and "not valid TOML" in result.stderr
