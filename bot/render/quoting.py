"""Quoting text someone else wrote (a blog post, arXiv metadata, the model's summary) into
a Telegram message, so that it can never put a link in front of a subscriber (pure).

Telegram links by itself any URL, ``www.`` address, bare domain with a known TLD, e-mail
address and ``@username`` it finds in a message's plain text. So in quoted text each of
those becomes its domain, to be shown in a ``<code>`` entity (Telegram does not look for
links inside code), and ``javascript:``/``data:``-style pseudo-URLs are dropped; leftover
HTML tags are removed. URLs of the paper sites (arXiv, Hugging Face, alphaXiv) and of the
blog posts the message quotes stay as written: those are links the message has anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PAPER_HOSTS = frozenset({"arxiv.org", "export.arxiv.org", "huggingface.co", "alphaxiv.org"})
_URL_CHARS = "[^\\s<>\"'`«»“”‘’]"
_LINKISH = re.compile(
    rf"(?P<url>\b[a-z][a-z0-9+.-]{{1,20}}://{_URL_CHARS}+)"
    rf"|(?P<pseudo>\b(?:javascript|vbscript|data|blob|file|about|intent|tg|tel|mailto|sms):"
    rf"{_URL_CHARS}+)"
    r"|(?P<email>\b[\w.+-]+@(?P<mailhost>[a-z0-9-]+(?:\.[a-z0-9-]+)+))"
    # Telegram links a bare domain with a known TLD; any ASCII letters count here
    rf"|(?P<domain>\b(?:[a-z0-9-]+\.)+(?:[a-z]{{2,24}}|xn--[a-z0-9-]{{2,30}})\b"
    rf"(?:[/?#]{_URL_CHARS}*)?)"
    r"|(?P<mention>(?<![\w@])@[a-z][a-z0-9_]{3,31}\b)",
    re.I)
# HTML elements only: a paper titled "Tiny <Models>" keeps its brackets
_HTML_TAGS = (
    "a|abbr|address|applet|area|article|aside|audio|b|base|bdi|bdo|big|blink|blockquote|"
    "body|br|button|canvas|caption|center|cite|code|col|colgroup|data|datalist|dd|del|"
    "details|dfn|dialog|div|dl|dt|em|embed|fieldset|figcaption|figure|font|footer|form|"
    "frame|frameset|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|legend|li|"
    "link|main|map|mark|marquee|math|menu|meta|meter|nav|noscript|object|ol|optgroup|option|"
    "output|p|param|picture|pre|progress|q|rp|rt|ruby|s|samp|script|section|select|small|"
    "source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|template|textarea|"
    "tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr")
_MARKUP = re.compile(rf"<!--.*?-->|</?(?:{_HTML_TAGS})(?:\s[^<>]{{0,300}})?/?>", re.I | re.S)
_TRAILING = ".,;:!?)]}'\""


def _host(url: str) -> str:
    """The host of ``url`` as written (case kept), without ``www.``; '' when none."""
    rest = url.split("://", 1)[1] if "://" in url else url
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = re.sub(r":\d*$", "", host)
    return host[4:] if host.lower().startswith("www.") else host


def is_paper_site(url: str) -> bool:
    host = _host(url).lower()
    return any(host == h or host.endswith("." + h) for h in PAPER_HOSTS)


Segment = tuple[str, str, str]  # ("text" | "code", what to show, its plain-text form)


def quote_segments(s: str | None, *, allowed: Iterable[str] = ()) -> list[Segment]:
    """``s`` as segments safe to show: markup removed; a URL or bare domain becomes its
    domain as "code" (unless it is a paper site or one of the ``allowed`` blog-post URLs),
    an e-mail address its domain, an ``@username`` "code" too; other schemes dropped."""
    s = _MARKUP.sub("", s or "")
    keep = {u.rstrip("/") for u in allowed}
    out: list[Segment] = []
    pos = 0
    for m in _LINKISH.finditer(s):
        token = m.group(0)
        tail = ""
        while token and token[-1] in _TRAILING:
            token, tail = token[:-1], token[-1] + tail
        out.append(_text(s[pos:m.start()]))
        pos = m.end()
        if m.group("pseudo"):
            continue  # javascript:…, data:…: nothing worth showing
        if m.group("mention"):
            out.append(("code", token, "\uff20" + token[1:]))  # fullwidth @: no mention
        elif m.group("email"):
            out.append(_shown_host(m.group("mailhost")))
        elif m.group("url") or m.group("domain"):
            if is_paper_site(token) or token.rstrip("/") in keep:
                out.append(_text(token))
            elif _host(token):
                out.append(_shown_host(_host(token)))
        out.append(_text(tail))
    out.append(_text(s[pos:]))
    return [seg for seg in out if seg[1]]


def _text(value: str) -> Segment:
    return ("text", value, value)


def _shown_host(host: str) -> Segment:
    # the plain-text fallback has no code entity to stop Telegram linking it: evil[.]com
    return ("code", host, host.replace(".", "[.]"))


def quoted_label(s: str | None) -> str:
    """A link label someone else wrote: no markup, no URL text (a foreign one becomes its
    bare domain, a pseudo-URL nothing). Inside a link Telegram links nothing else."""

    def label(m: re.Match) -> str:
        token = m.group(0).rstrip(_TRAILING)
        tail = m.group(0)[len(token):]
        if m.group("pseudo"):
            return ""
        if (m.group("url") or m.group("domain")) and not is_paper_site(token):
            return _host(token) + tail
        return m.group(0)

    return _LINKISH.sub(label, _MARKUP.sub("", s or ""))
