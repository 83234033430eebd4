"""Telegram HTML as the Bot API reads it: strict ``parse_mode=HTML`` validation with
Telegram's error messages (:func:`parse_html`), lengths in UTF-16 code units, and the
links a reader could follow in a message (:func:`links_in`)."""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityError(ValueError):
    """The text is not valid Telegram HTML (message after "can't parse entities: ")."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    """Decode the entity starting at text[i] == '&'; return (char, next index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        raise EntityError(f"Unsupported HTML entity at byte offset {len(text[:i].encode())}")
    name = text[i + 1 : end]
    if name in NAMED_ENTITIES:
        return NAMED_ENTITIES[name], end + 1
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(code), end + 1
        except (ValueError, OverflowError):
            pass
    raise EntityError(f"Unsupported HTML entity at byte offset {len(text[:i].encode())}")


def _decode_attr(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            ch, i = _decode_entity(value, i)
            out.append(ch)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(text: str) -> str:
    """Validate ``text`` as Telegram HTML and return the visible text (entities decoded).

    Raises :class:`EntityError` with a Telegram-like message.
    """
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
            continue
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        offset = len(text[:i].encode())
        close = text.find(">", i)
        if close == -1:
            raise EntityError(f"Unclosed start tag at byte offset {offset}")
        inner = text[i + 1 : close]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise EntityError(f"Unexpected end tag at byte offset {offset}")
            if stack[-1] != name:
                raise EntityError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"')
            stack.pop()
            i = close + 1
            continue
        m = _TAG_NAME.match(inner)
        if not m:
            raise EntityError(f"Unexpected start tag at byte offset {offset}")
        name = m.group(0).lower()
        if name not in ALLOWED_TAGS:
            raise EntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
        rest = inner[m.end():]
        attrs: dict[str, str] = {}
        pos = 0
        while pos < len(rest) and rest[pos:].strip():
            am = _ATTR.match(rest, pos)
            if not am or am.end() == pos:
                raise EntityError(f'Can\'t parse attributes of tag "{name}" at byte offset {offset}')
            raw = am.group(2) or ""
            if raw[:1] in ("'", '"'):
                raw = raw[1:-1]
            attrs[am.group(1).lower()] = _decode_attr(raw)
            pos = am.end()
        if name == "a" and not attrs.get("href"):
            raise EntityError(f'Tag "a" must have attribute "href" at byte offset {offset}')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(name)
        i = close + 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
# What Telegram links by itself in plain text, more eagerly than Telegram does (any
# Unicode TLD, any scheme): a URL, www., a bare domain, an e-mail, an @username.
_AUTOLINK = re.compile(
    r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[\w-]+\.)+[^\W\d_]{2,}\b(?:/\S*)?|(?<![\w@])@[A-Za-z]\w{3,}", re.I)


def links_in(text: str, parse_mode: str | None = "HTML") -> list[str]:
    """Every link a reader of this message could follow: the ``<a href>`` targets, and
    whatever Telegram would link by itself in the text outside ``<a>``, ``<code>`` and
    ``<pre>`` (where it does not look)."""
    if not parse_mode:
        return _AUTOLINK.findall(text)
    links: list[str] = []
    plain: list[str] = []
    inside: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        if not any(t in ("a", "code", "pre") for t in inside):
            plain.append(text[pos:m.start()])
        plain.append("\n")  # a tag boundary is a word boundary
        closing, name = m.group(1), m.group(2).lower()
        if closing:
            if name in inside:
                del inside[len(inside) - 1 - inside[::-1].index(name)]
        else:
            inside.append(name)
            if name == "a":
                href = _HREF.search(m.group(3) or "")
                links.append(html.unescape(next(g for g in href.groups() if g is not None))
                             if href else "")
        pos = m.end()
    plain.append(text[pos:])
    links += _AUTOLINK.findall(html.unescape("".join(plain)))
    return links
