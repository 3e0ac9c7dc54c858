"""Dates and times as secretaries type them: the one reader behind every date and time
question (the step flows, /themeday 改期).

A date without a year is its next occurrence (today counts): "1月20日" typed in December is
next January. Relative words are read against `today` ("明天", "下周四", "下个月15号").
Chinese numerals are read like digits ("十二月二十日", "上午九点半"). A date or time that
looks right but cannot be ("2月30日", "25:00", "上午13点") is told apart from text that is not
a date or time at all, so the message back can say which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from bot.dialog.numerals import chinese_integer
from knowledge.textnorm import normalise

IMPOSSIBLE, FORMAT = "impossible", "format"
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_NUMERAL = "[0-9零〇一二两三四五六七八九十]+"
_DATE_SEPARATORS = str.maketrans({"年": "-", "月": "-", "/": "-", ".": "-", "－": "-"})


@dataclass(frozen=True, slots=True)
class Unreadable:
    reason: str  # IMPOSSIBLE: looks like one but cannot be; FORMAT: not a date or time


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return chinese_integer(text.replace("〇", "零")) if text else None


def _year(text: str) -> int | None:
    """2027, or 二〇二七 read digit by digit."""
    if text.isdigit():
        return int(text)
    digits = {"〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4"}
    digits |= {"五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
    spelled = "".join(digits.get(ch, "?") for ch in text)
    return int(spelled) if spelled.isdigit() else None


def _cleaned(text: str) -> str:
    text = normalise(text or "").replace(" ", "")
    return re.sub(r"[(（][^)）]*[)）]$", "", text)  # "12月15日（周二）": the weekday aside


def read_date(text: str, today: date) -> date | Unreadable:
    cleaned = _cleaned(text)
    if cleaned in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[cleaned])
    if match := re.fullmatch(r"(下|这|本)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天])", cleaned):
        return _weekday(today, WEEKDAYS[match.group(2)], match.group(1) == "下")
    if match := re.fullmatch(rf"(下个?月|本月|这个月)?({_NUMERAL})[号日]", cleaned):
        day = _number(match.group(2))
        if day is None:
            return Unreadable(FORMAT)
        months_ahead = 1 if match.group(1) and match.group(1).startswith("下") else 0
        return _day_of_month(today, day, months_ahead, fixed=bool(match.group(1)))
    full = re.fullmatch(
        rf"({_NUMERAL})(?:年|-|/|\.)({_NUMERAL})(?:月|-|/|\.)({_NUMERAL})[日号]?", cleaned
    )
    if full and len(full.group(1)) == 4:
        year, month, day = _year(full.group(1)), _number(full.group(2)), _number(full.group(3))
        return _exact(year, month, day)
    if match := re.fullmatch(rf"({_NUMERAL})(?:月|-|/|\.)({_NUMERAL})[日号]?", cleaned):
        month, day = _number(match.group(1)), _number(match.group(2))
        if month is None or day is None:
            return Unreadable(FORMAT)
        this_year = _exact(today.year, month, day)
        if isinstance(this_year, Unreadable) or this_year >= today:
            return this_year
        return _exact(today.year + 1, month, day)
    return Unreadable(FORMAT)


def _exact(year: int | None, month: int | None, day: int | None) -> date | Unreadable:
    if year is None or month is None or day is None:
        return Unreadable(FORMAT)
    try:
        return date(year, month, day)
    except ValueError:
        return Unreadable(IMPOSSIBLE)


def _weekday(today: date, weekday: int, next_week: bool) -> date:
    """ "周五": the coming Friday (today if it is Friday); "下周五": Friday of next week."""
    if next_week:
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _day_of_month(today: date, day: int, months_ahead: int, fixed: bool) -> date | Unreadable:
    """ "15号": this month's 15th, or next month's once it has passed."""
    if not 1 <= day <= 31:
        return Unreadable(IMPOSSIBLE)
    month_index = today.year * 12 + today.month - 1 + months_ahead
    for _ in range(2 if not fixed else 1):
        year, month = divmod(month_index, 12)
        found = _exact(year, month + 1, day)
        if isinstance(found, date) and (fixed or found >= today):
            return found
        month_index += 1
    return Unreadable(IMPOSSIBLE)


# Each part of the day and the hours (0-23) it covers: "下午2点" is 14:00, "晚上3点" none.
_PERIODS = {
    "凌晨": (0, 5),
    "早上": (5, 10),
    "早晨": (5, 10),
    "上午": (5, 12),
    "中午": (11, 14),
    "下午": (12, 18),
    "傍晚": (17, 19),
    "晚上": (18, 23),
}
_TIME = re.compile(
    rf"(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?({_NUMERAL})(?:点|:|时)"
    rf"(半|一刻|三刻|({_NUMERAL})分?)?"
)


def read_time(text: str) -> time | Unreadable:
    cleaned = _cleaned(text).replace("：", ":")
    match = _TIME.fullmatch(cleaned)
    if match is None:
        return Unreadable(FORMAT)
    period, hour_text, minutes_text, minute_digits = match.groups()
    hour = _number(hour_text)
    minute = {"半": 30, "一刻": 15, "三刻": 45, None: 0}.get(minutes_text)
    if minute is None:
        minute = _number(minute_digits.removeprefix("零") if minute_digits else "")
    if hour is None or minute is None:
        return Unreadable(FORMAT)
    if period is not None:
        low, high = _PERIODS[period]
        fits = [h for h in (hour, hour + 12) if low <= h <= high and (h == hour or hour < 12)]
        if not fits:
            return Unreadable(IMPOSSIBLE)
        hour = fits[0]
    if hour > 23 or minute > 59:
        return Unreadable(IMPOSSIBLE)
    return time(hour, minute)
