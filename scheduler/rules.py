"""The monthly 支部主题党日 rule: "每月N日", "每月第k个星期X", "每月最后一个星期X", at a time.

A rule is a plain dict because it is stored as JSON in `branches.theme_day_rule`; every
function here is pure, so the calendar arithmetic is tested with tables, not with clocks.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from knowledge.textnorm import normalise

KINDS = frozenset({"day", "nth_weekday", "last_weekday"})
WEEKDAYS = "一二三四五六日"
ORDINALS = "一二三四"
DEFAULT_TIME = "09:00"


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _time(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        return None
    hour, minute = int(value[:2]), int(value[3:])
    return value if hour < 24 and minute < 60 else None


def validate_rule(rule: object) -> dict[str, Any] | None:
    """A normalised copy of a stored rule, or None when anything about it is wrong."""
    if not isinstance(rule, dict) or rule.get("kind") not in KINDS:
        return None
    at = _time(rule.get("time", DEFAULT_TIME))
    if at is None:
        return None
    if rule["kind"] == "day":
        day = _int(rule.get("day"), 1, 31)
        return None if day is None else {"kind": "day", "day": day, "time": at}
    weekday = _int(rule.get("weekday"), 0, 6)
    if weekday is None:
        return None
    if rule["kind"] == "last_weekday":
        return {"kind": "last_weekday", "weekday": weekday, "time": at}
    n = _int(rule.get("n"), 1, 4)
    return None if n is None else {"kind": "nth_weekday", "n": n, "weekday": weekday, "time": at}


def date_in_month(rule: dict[str, Any], year: int, month: int) -> date:
    """The rule's day in that month; "每月31日" falls on the last day of shorter months,
    so a branch never silently skips a month."""
    days = calendar.monthrange(year, month)[1]
    if rule["kind"] == "day":
        return date(year, month, min(rule["day"], days))
    if rule["kind"] == "last_weekday":
        last = date(year, month, days)
        return last - timedelta(days=(last.weekday() - rule["weekday"]) % 7)
    first = date(year, month, 1)
    offset = (rule["weekday"] - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (rule["n"] - 1))


def _months_from(start: date):  # type: ignore[no-untyped-def]
    year, month = start.year, start.month
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def occurrences(rule: dict[str, Any], start: date, count: int) -> list[date]:
    """The next `count` dates on or after `start`."""
    found: list[date] = []
    for year, month in _months_from(start):
        if len(found) >= count:
            return found
        day = date_in_month(rule, year, month)
        if day >= start:
            found.append(day)
    return found  # pragma: no cover - the generator never ends


def next_date(rule: dict[str, Any], on_or_after: date) -> date:
    return occurrences(rule, on_or_after, 1)[0]


def next_start(rule: dict[str, Any], after: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """The first theme day starting strictly after `after` (aware), in UTC."""
    zone = ZoneInfo(tz)
    at = time.fromisoformat(rule["time"])
    day = after.astimezone(zone).date()
    while True:
        day = next_date(rule, day)
        start = datetime.combine(day, at, zone)
        if start > after:
            return start.astimezone(UTC)
        day += timedelta(days=1)


def describe_rule(rule: dict[str, Any]) -> str:
    if rule["kind"] == "day":
        return f"每月{rule['day']}日 {rule['time']}"
    weekday = "星期" + WEEKDAYS[rule["weekday"]]
    if rule["kind"] == "last_weekday":
        return f"每月最后一个{weekday} {rule['time']}"
    return f"每月第{ORDINALS[rule['n'] - 1]}个{weekday} {rule['time']}"


_NUMBER = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "日": 7, "天": 7}
_RULE = re.compile(
    r"(?:每月)?(?:(?P<day>\d{1,2})[日号]|第(?P<n>[1-9一二三四五六七八九])个|(?P<last>最后一个))"
    r"(?:(?:星期|周|礼拜)(?P<weekday>[1-7一二三四五六日天]))?"
    r"(?P<period>上午|早上|下午|晚上)?"
    r"(?:(?P<hour>\d{1,2})(?:[:点](?P<minute>\d{2})?分?(?P<half>半)?)?)?"
)


def parse_rule(text: str) -> dict[str, Any] | None:
    """What a secretary types ("每月第二个周四下午2点半") as a rule; None if not understood."""
    if not isinstance(text, str) or len(text) > 60:
        return None
    cleaned = normalise(text).replace(" ", "").replace("：", ":")
    match = _RULE.fullmatch(cleaned)
    if not match:
        return None
    parts = match.groupdict()
    at = _parse_time(parts)
    if at is None:
        return None
    if parts["day"]:
        if parts["weekday"]:
            return None
        return validate_rule({"kind": "day", "day": int(parts["day"]), "time": at})
    if not parts["weekday"]:
        return None
    weekday = _weekday(parts["weekday"])
    if parts["last"]:
        return validate_rule({"kind": "last_weekday", "weekday": weekday, "time": at})
    n = int(parts["n"]) if parts["n"].isdigit() else _NUMBER.get(parts["n"], 0)
    return validate_rule({"kind": "nth_weekday", "n": n, "weekday": weekday, "time": at})


def _weekday(token: str) -> int:
    number = int(token) if token.isdigit() else _NUMBER[token]
    return number - 1


def _parse_time(parts: dict[str, str | None]) -> str | None:
    if parts["hour"] is None:
        return DEFAULT_TIME if not parts["period"] else None
    hour = int(parts["hour"])
    minute = 30 if parts["half"] else int(parts["minute"] or 0)
    if parts["period"] in ("下午", "晚上") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"
