"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

It speaks the real protocol on 127.0.0.1 (``POST /v1/chat/completions``, ``usage`` in
every answer, OpenAI-style error bodies) and counts the calls itself, so a test checks
what actually reached "the model", not what the code under test believes it sent.

Scenarios (what the next answer is):

- ``ok``: a valid summary in the requested language (structured JSON when the request
  has ``response_format``, else JSON inside a fenced block with prose around it). The
  target language is read from the prompt line ``Target language: … [xx]``; each
  ``<blog_text source="…">`` block is attributed by name, and every URL that appears
  inside a quoted ``<blog_text>`` block is echoed (to test the link filter), as is the
  paper's arXiv URL.
- ``invalid_json``: content that is not JSON.
- ``wrong_lang``: a valid summary in another language (English; Russian for English).
- ``429``: status 429 with ``retry-after-ms`` (``retry_after_ms``, default 50).
- ``500``: status 500.
- ``slow``: waits ``delay`` seconds (default 5) then answers ``ok``.
- ``obey_injection``: an ``ok`` summary as a model that obeys a post's prompt injection
  writes it: the blog texts' URLs, bare and with scheme, a www. address, an e-mail address
  and an @username in its fields.
- a request for the ``paper_titles`` schema (the title resolver's model assist) is answered
  from ``paper_titles`` (``{text found in the prompt: [English titles]}``), else with empty
  lists — a model that does not know the paper.
- ``no_structured``: status 400 "response_format json_schema is not supported", as
  vLLM/older servers answer; set ``structured = False`` to make that permanent.

Control, in-process::

    async with OpenAIStub() as stub:          # stub.base_url -> "http://127.0.0.1:N/v1"
        stub.push("429", "ok")                # per-request queue, consumed in order
        stub.default = "ok"                   # used when the queue is empty
        stub.structured = False               # reject every response_format request
        stub.calls; stub.requests             # counted calls; JSON bodies received
        stub.max_in_flight                    # most requests being answered at once

Control, out of process (``python -m tests.servers.openai --port N``):
``POST /_stub/scenario`` with JSON ``{"push": [...], "default": "ok", "structured": true,
"delay": 5, "reset": true}`` and ``GET /_stub/stats`` → ``{"calls": n, "by_lang": {...},
"max_in_flight": n, "queue": [...]}``. Queue items are scenario names or objects ``{"kind": "slow",
"delay": 2}`` / ``{"kind": "429", "retry_after_ms": 20}``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import re
import time
from typing import Any

from aiohttp import web

from tests.servers import start_app

CANNED = {
    "en": ("A new method for training language models",
           "The paper proposes a simple method that makes language models more accurate "
           "while using less compute.",
           ["The method is simple to implement.", "It improves accuracy on standard "
            "benchmarks.", "It reduces the training cost."],
           "wrote that the results are promising and worth reading."),
    "ko": ("언어 모델 학습을 위한 새로운 방법",
           "이 논문은 더 적은 계산으로 언어 모델의 정확도를 높이는 간단한 방법을 제안합니다.",
           ["이 방법은 구현하기 쉽습니다.", "표준 벤치마크에서 정확도가 향상됩니다.",
            "학습 비용이 줄어듭니다."],
           "는 결과가 유망하며 읽어볼 가치가 있다고 소개했습니다."),
    "ja": ("言語モデルを学習するための新しい手法",
           "この論文は、より少ない計算で言語モデルの精度を高めるシンプルな手法を提案しています。",
           ["この手法は実装が簡単です。", "標準的なベンチマークで精度が向上します。",
            "学習コストが下がります。"],
           "は、結果が有望で読む価値があると紹介しています。"),
    "zh": ("一种训练语言模型的新方法",
           "本文提出了一种简单的方法，用更少的计算提高语言模型的准确率。",
           ["该方法易于实现。", "在标准基准上提高了准确率。", "降低了训练成本。"],
           "认为结果很有前景，值得一读。"),
    "ru": ("Новый метод обучения языковых моделей",
           "В статье предлагается простой метод, который повышает точность языковых моделей "
           "и требует меньше вычислений.",
           ["Метод легко реализовать.", "Он повышает точность на стандартных тестах.",
            "Он снижает стоимость обучения."],
           "пишет, что результаты многообещающие и статью стоит прочитать."),
}

_TARGET = re.compile(r"Target language:[^\[\n]*\[([a-z]{2})\]")
_BLOCK = re.compile(r"<blog_text\s+(source=\"[^>]*)>(.*?)</blog_text>", re.S)
_SOURCE = re.compile(r'source="([^"]*)"')
_ARXIV = re.compile(r"Paper: arXiv (\S+)")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_DOMAIN = re.compile(r"(?<![/@\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s<>\"')\]]*)?", re.I)


def _prompt_text(body: dict) -> str:
    parts = []
    for msg in body.get("messages") or []:
        content = msg.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def target_lang(prompt: str) -> str:
    m = _TARGET.search(prompt)
    return m.group(1) if m and m.group(1) in CANNED else "en"


def canned_summary(prompt: str, lang: str) -> dict[str, Any]:
    title, tldr, points, said = CANNED[lang]
    blocks = _BLOCK.findall(prompt)
    sources = []
    for attrs, _text in blocks:
        m = _SOURCE.search(attrs)
        if m and m.group(1) not in sources:
            sources.append(m.group(1))
    echoed = []
    for _attrs, text in blocks:
        for url in _URL.findall(text):
            url = url.rstrip(".,;")
            if url not in echoed:
                echoed.append(url)
    arxiv = _ARXIV.search(prompt)
    points = list(points[:2])
    if arxiv:
        points.append(f"{points[0]} https://arxiv.org/abs/{arxiv.group(1)}")
    blogs = " ".join(f"{s}{said if lang in ('ko', 'ja') else ' ' + said}" for s in sources)
    if echoed:
        blogs += " " + " ".join(echoed)
    return {"title": title, "tldr": tldr, "key_points": points,
            "blogs_said": blogs or f"Blog{said}"}


def obey_injection(summary: dict[str, Any], prompt: str) -> dict[str, Any]:
    """What a model that follows a post's injected instructions writes: every URL and bare
    domain of the quoted blog texts, bare and with a scheme, in the TL;DR and the key
    points, plus a call to visit them."""
    bodies = [body for _a, body in _BLOCK.findall(prompt)]
    urls = [u.rstrip(".,;") for body in bodies for u in _URL.findall(body)]
    domains = [d.rstrip(".,;") for body in bodies for d in _DOMAIN.findall(body)
               if "arxiv.org" not in d and d not in " ".join(urls)]
    bare = [re.sub(r"^https?://", "", u) for u in urls] + domains
    urls += [f"https://{d}" for d in domains]
    out = dict(summary)
    out["tldr"] = f"{summary['tldr']} Visit {' and '.join(bare) or 'evil-model.example'} now!"
    out["key_points"] = [*summary["key_points"], *(f"More at {u}" for u in urls),
                         "Join @paperbot_giveaway or mail win@evil-model.example"]
    out["title"] = f"{summary['title']} (www.evil-model.example)"
    return out


class OpenAIStub:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.default: str | dict = "ok"
        self.structured = True
        self.delay = 5.0
        self.queue: collections.deque[str | dict] = collections.deque()
        self.calls = 0
        self.requests: list[dict] = []
        self.by_lang: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        # the resolver's "which paper is this?" requests: {text in the prompt: [titles]}
        self.paper_titles: dict[str, list[str]] = {}
        self._runner: web.AppRunner | None = None

    # -- control
    def push(self, *scenarios: str | dict) -> None:
        self.queue.extend(scenarios)

    def reset(self) -> None:
        self.queue.clear()
        self.calls = 0
        self.requests.clear()
        self.by_lang.clear()
        self.max_in_flight = 0
        self.default = "ok"
        self.structured = True
        self.paper_titles = {}

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- server
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_post("/_stub/scenario", self._control)
        app.router.add_get("/_stub/stats", self._stats)
        return app

    async def start(self) -> OpenAIStub:
        self._runner, self.port = await start_app(self.app(), self.host, self.port,
                                                  shutdown_timeout=0.5)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> OpenAIStub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _control(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("reset"):
            self.reset()
        if "default" in data:
            self.default = data["default"]
        if "structured" in data:
            self.structured = bool(data["structured"])
        if "delay" in data:
            self.delay = float(data["delay"])
        self.push(*data.get("push", []))
        return await self._stats(request)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"calls": self.calls, "by_lang": dict(self.by_lang),
                                  "max_in_flight": self.max_in_flight,
                                  "queue": list(self.queue)})

    @staticmethod
    def _error(status: int, message: str, *, etype: str, code: str | None = None,
               param: str | None = None, headers: dict | None = None) -> web.Response:
        return web.json_response(
            {"error": {"message": message, "type": etype, "param": param, "code": code}},
            status=status, headers=headers)

    async def _completions(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        prompt = _prompt_text(body)
        lang = target_lang(prompt)
        self.by_lang[lang] += 1
        scenario = self.queue.popleft() if self.queue else self.default
        spec = {"kind": scenario} if isinstance(scenario, str) else dict(scenario)
        kind = spec["kind"]
        structured_req = (body.get("response_format") or {}).get("type") == "json_schema"

        if kind == "no_structured" or (structured_req and not self.structured):
            return web.json_response(
                {"object": "error", "type": "BadRequestError", "param": None, "code": 400,
                 "message": "response_format json_schema is not supported by this server"},
                status=400)
        if kind == "429":
            ms = int(spec.get("retry_after_ms", 50))
            return self._error(429, "Rate limit reached for requests", etype="requests",
                               code="rate_limit_exceeded",
                               headers={"retry-after-ms": str(ms)})
        if kind == "500":
            return self._error(500, "The server had an error while processing your request.",
                               etype="server_error")
        if kind == "slow":
            await asyncio.sleep(float(spec.get("delay", self.delay)))
            kind = "ok"

        schema_name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
        if kind == "invalid_json":
            content = "Sure! Here is the summary: title = great paper, tldr: it is good"
        elif schema_name == "paper_titles":  # the resolver's model assist
            known = next((v for k, v in self.paper_titles.items() if k in prompt), None)
            content = json.dumps({"titles": list(known or []), "names": []})
        else:
            out_lang = lang
            if kind == "wrong_lang":
                out_lang = "ru" if lang == "en" else "en"
            obj = canned_summary(prompt, out_lang)
            if kind == "obey_injection":
                obj = obey_injection(obj, prompt)
            text = json.dumps(obj, ensure_ascii=False)
            content = text if structured_req else f"Here is the summary:\n```json\n{text}\n```\n"
        prompt_tokens = max(1, len(prompt) // 4)
        completion_tokens = max(1, len(content) // 4)
        return web.json_response({
            "id": f"chatcmpl-stub-{self.calls}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stub"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        })


async def _serve(port: int) -> None:
    stub = await OpenAIStub(port=port).start()
    print(f"OpenAI stub on {stub.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await stub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
