"""Pure helpers of the settings commands: inline keyboards, settings and mode text,
time zone names."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import i18n, topics

COMMON_TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Seoul",
                    "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "America/New_York",
                    "America/Los_Angeles")


def weekday_name(day: int, lang: str) -> str:
    names = i18n.raw(lang, "weekdays").split(",")
    return names[day % 7] if len(names) == 7 else str(day)


def describe_mode(sub: dict, lang: str) -> str:
    if sub.get("mode") == "weekly":
        return i18n.raw(lang, "mode_weekly").format(
            day=weekday_name(int(sub.get("digest_weekday") or 0), lang),
            hour=sub.get("digest_hour", 9), tz=sub.get("tz") or "UTC")
    if sub.get("mode") == "digest":
        return i18n.raw(lang, "mode_digest").format(hour=sub.get("digest_hour", 9),
                                                    tz=sub.get("tz") or "UTC")
    return i18n.raw(lang, "mode_instant")


def describe_topics(sub: dict, lang: str) -> str:
    return ", ".join(sub.get("topics") or []) or i18n.raw(lang, "topics_everything")


def describe_list(items, lang: str, empty: str) -> str:
    return ", ".join(items or []) or i18n.raw(lang, empty)


def settings_text(sub: dict, lang: str) -> str:
    return i18n.t(lang, "settings", active=i18n.raw(lang, "yes" if sub["active"] else "no"),
                  lang=i18n.lang_name(sub["lang"]), mode=describe_mode(sub, lang),
                  tz=sub.get("tz") or "UTC", topics=describe_topics(sub, lang),
                  follows=describe_list(sub.get("follows"), lang, "nobody"),
                  excludes=describe_list(sub.get("excludes"), lang, "nothing"))


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def lang_keyboard(langs: Sequence[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(i18n.lang_name(code), callback_data=f"lang:{code}")
         for code in langs], 3))


def mode_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(i18n.raw(lang, "btn_instant"), callback_data="mode:instant"),
        InlineKeyboardButton(i18n.raw(lang, "btn_digest"), callback_data="mode:digest"),
    ], [InlineKeyboardButton(i18n.raw(lang, "btn_weekly"), callback_data="mode:weekly")]])


def hour_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(f"{h:02d}:00", callback_data=f"hour:{h}") for h in range(24)], 6))


def tz_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(z, callback_data=f"tz:{z}") for z in COMMON_TIMEZONES], 2))


def topics_keyboard(current: Sequence[str], lang: str) -> InlineKeyboardMarkup:
    chosen = {c.casefold() for c in current}
    buttons = [InlineKeyboardButton(("✓ " if c.casefold() in chosen else "") + c,
                                    callback_data=f"topic:{c}") for c in topics.COMMON_CATEGORIES]
    rows = _rows(buttons, 4)
    rows.append([InlineKeyboardButton(i18n.raw(lang, "btn_clear"), callback_data="topics:clear"),
                 InlineKeyboardButton(i18n.raw(lang, "btn_done"), callback_data="topics:done")])
    return InlineKeyboardMarkup(rows)


def valid_tz(name: str) -> str | None:
    name = (name or "").strip()
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        lowered = {z.lower(): z for z in available_timezones()}
        return lowered.get(name.lower())
    return name


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly_settings(args: list[str], lang: str) -> dict:
    """``/mode weekly [day] [hour]`` arguments → settings: a day as mon…sun, 1…7 or its
    name in the reader's language; then an hour 0…23 (``8`` or ``8:00``)."""
    local = [d.casefold() for d in i18n.raw(lang, "weekdays").split(",")]
    values: dict = {}
    for arg in args:
        word = arg.casefold()
        number = word.split(":")[0]
        if word[:3] in _WEEKDAYS or word in local:
            values["digest_weekday"] = (_WEEKDAYS.index(word[:3]) if word[:3] in _WEEKDAYS
                                        else local.index(word))
        elif number.isdigit() and (":" in word or "digest_weekday" in values):
            if int(number) < 24:
                values["digest_hour"] = int(number)
        elif number.isdigit() and 1 <= int(number) <= 7:
            values["digest_weekday"] = int(number) - 1
    return values
