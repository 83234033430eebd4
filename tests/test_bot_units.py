"""Pure bot helpers: catalogs, language choice, topics, /paper parsing, error grouping."""

import datetime as dt
import re

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot import handlers, i18n, topics
from jobs.steps import deliver as delivery
from tests.servers.telegram import parse_html


def test_catalogs_have_same_keys_and_placeholders():
    en = i18n.catalog("en")
    for lang in i18n.UI_LANGS:
        cat = i18n.catalog(lang)
        assert set(cat) == set(en), lang
        for key, value in cat.items():
            assert set(re.findall(r"{(\w+)}", value)) == set(re.findall(r"{(\w+)}", en[key])), key


@pytest.mark.parametrize("lang", i18n.UI_LANGS)
def test_catalog_text_is_valid_telegram_html(lang):
    sample = {"lang": "<x>&", "mode": "m&m", "topics": "a<b", "tz": "UTC", "hour": 9,
              "langs": "en", "count": 3, "arxiv_id": "2401.00001",
              "url": "https://arxiv.org/abs/2401.00001", "result": "<ok>", "error": "&",
              "active": "yes", "command": "/topics", "follows": "Ada <L>", "excludes": "x&y",
              "n": 3, "m": 2, "names": "a<b", "what": "cs.CV", "day": "Mon", "days": 7,
              "authors": "Yann & co", "keywords": "<robotics>"}
    for key, value in i18n.catalog(lang).items():
        needed = set(re.findall(r"{(\w+)}", value))
        parse_html(i18n.t(lang, key, **{k: sample[k] for k in needed}))


def test_pick_lang():
    langs = ["en", "ko", "ja", "zh", "ru"]
    assert i18n.pick_lang("ko", langs) == "ko"
    assert i18n.pick_lang("zh-hans", langs) == "zh"
    assert i18n.pick_lang("pt-br", langs) == "en"
    assert i18n.pick_lang(None, langs) == "en"


def test_topics_parse_and_match():
    assert topics.parse_topics("cs.cl, diffusion models；RLHF\n扩散") == [
        "cs.CL", "diffusion models", "RLHF", "扩散"]
    assert topics.matches([], categories=[], text="")
    assert topics.matches(["cs.CL"], categories=["cs.LG", "cs.CL"])
    assert topics.matches(["cs"], categories=["cs.LG"])
    assert not topics.matches(["cs.CV"], categories=["cs.CL"], text="computer vision")
    assert topics.matches(["rlhf"], text="We study RLHF at scale")
    assert not topics.matches(["rl"], text="We study RLHF at scale")  # whole words only
    assert topics.matches(["扩散"], text="基于扩散模型的方法")
    assert topics.toggle(["cs.CL"], "cs.cl") == []


def test_parse_paper_arg():
    assert handlers.parse_paper_arg("2401.12345v3") == "2401.12345"
    assert handlers.parse_paper_arg("https://arxiv.org/pdf/2401.12345v2.pdf") == "2401.12345"
    assert handlers.parse_paper_arg("https://huggingface.co/papers/2401.12345") == "2401.12345"
    assert handlers.parse_paper_arg("hello") is None


def test_errors_grouped_by_next_step():
    assert isinstance(delivery.classify(Forbidden("bot was blocked by the user")),
                      delivery.ChatGone)
    assert isinstance(delivery.classify(BadRequest("Chat not found")), delivery.ChatGone)
    assert isinstance(delivery.classify(BadRequest("Can't parse entities: x")),
                      delivery.MarkupRejected)
    assert isinstance(delivery.classify(BadRequest("Message is too long")),
                      delivery.Undeliverable)
    err = delivery.classify(RetryAfter(dt.timedelta(seconds=7)))
    assert isinstance(err, delivery.FloodWait) and err.after == 7
    assert isinstance(delivery.classify(InvalidToken()), delivery.BotUnusable)
    # a 5xx answer (PTB: a bare NetworkError) did not deliver it: retried later
    assert isinstance(delivery.classify(NetworkError("Internal Server Error (500)")),
                      delivery.NotSent)

    def wrapped(exc, cause):  # as PTB raises them: `raise TimedOut from httpx_error`
        exc.__cause__ = cause
        return delivery.classify(exc)

    request = httpx.Request("POST", "http://127.0.0.1/botT/sendMessage")
    # never left this machine: retried
    for cause in (httpx.ConnectError("refused", request=request),
                  httpx.ConnectTimeout("connect", request=request),
                  httpx.PoolTimeout("pool", request=request)):
        wrapper = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("x")
        assert isinstance(wrapped(wrapper, cause), delivery.NotSent), cause
    # written, no answer: Telegram may have delivered it — never retried automatically
    for cause in (httpx.ReadTimeout("read", request=request),
                  httpx.WriteTimeout("write", request=request),
                  httpx.RemoteProtocolError("Server disconnected", request=request),
                  httpx.ReadError("reset", request=request)):
        wrapper = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("x")
        assert isinstance(wrapped(wrapper, cause), delivery.Ambiguous), cause
    assert isinstance(delivery.classify(TimedOut()), delivery.Ambiguous)


def test_digest_due_in_subscriber_time_zone():
    sub = {"tz": "Asia/Seoul", "digest_hour": 9, "last_digest_at": None}
    before = dt.datetime(2025, 1, 1, 23, 59, tzinfo=dt.UTC)  # 08:59 in Seoul
    at = dt.datetime(2025, 1, 2, 0, 0, tzinfo=dt.UTC)  # 09:00 in Seoul
    assert not delivery.digest_due(sub, before)
    assert delivery.digest_due(sub, at)
    sub["last_digest_at"] = "2025-01-02T00:00:00+00:00"
    assert not delivery.digest_due(sub, at + dt.timedelta(hours=5))
    assert delivery.digest_due(sub, at + dt.timedelta(days=1))
