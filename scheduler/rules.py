"""The monthly 支部主题党日 rule: "每月N日", "每月第k个星期X", "每月最后一个星期X", at a time.

A rule is a plain dict because it is stored as JSON in `branches.theme_day_rule`:

    {"kind": "day", "day": 15, "time": "09:00"}                        每月15日 09:00
    {"kind": "nth_weekday", "n": 2, "weekday": 3, "time": "14:30"}     每月第二个星期四 14:30
    {"kind": "last_weekday", "weekday": 4, "time": "09:00"}            每月最后一个星期五 09:00

`weekday` counts like `date.weekday()` (0 = Monday … 6 = Sunday) so no translation table is
needed in the arithmetic. `n` stops at 4 because every month has a fourth of each weekday but
not a fifth; "the last one" is its own kind. Every function here is pure (the clock is an
argument), so the calendar arithmetic is tested with tables, not with clocks.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from knowledge.textnorm import normalise

HORIZON_MONTHS = 3  # how far ahead a rule's theme days exist as events with reminders

KINDS = ("day", "nth_weekday", "last_weekday")
WEEKDAYS = "一二三四五六日"
ORDINALS = "一二三四"
DEFAULT_TIME = "09:00"
# Longer input is not a rule someone typed; refusing it early keeps the regex cheap.
MAX_TEXT = 60

# ASCII digits only: `\d` would also accept "٠٩:٠٠", which `time.fromisoformat` later refuses.
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def _int(value: object, low: int, high: int) -> int | None:
    """An int in range; bools are ints in Python but `True` is never a day of the month."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return int(value)  # drops int subclasses so the stored JSON is plain


def validate_rule(rule: object) -> dict[str, Any] | None:
    """A normalised copy of a stored rule, or None when anything about it is wrong.

    The column is JSON that older code or a hand edit may have written, so this never raises:
    callers turn None into "this branch has no fixed theme day". A missing `time` means the
    default 09:00 (what `parse_rule` assumes too); other missing keys, wrong types, bools,
    out-of-range numbers and unknown kinds give None. Unknown extra keys are dropped.
    """
    if not isinstance(rule, dict):
        return None
    kind = rule.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:  # an unhashable kind must not raise
        return None
    at = rule.get("time", DEFAULT_TIME)
    if not isinstance(at, str) or not _HHMM.fullmatch(at):
        return None
    if kind == "day":
        day = _int(rule.get("day"), 1, 31)
        return None if day is None else {"kind": "day", "day": day, "time": at}
    weekday = _int(rule.get("weekday"), 0, 6)
    if weekday is None:
        return None
    if kind == "last_weekday":
        return {"kind": "last_weekday", "weekday": weekday, "time": at}
    n = _int(rule.get("n"), 1, 4)
    return None if n is None else {"kind": "nth_weekday", "n": n, "weekday": weekday, "time": at}


def _require(rule: object) -> dict[str, Any]:
    """The calendar functions take trusted rules; a bad one is a bug, so say so clearly."""
    valid = validate_rule(rule)
    if valid is None:
        raise ValueError(f"not a valid theme-day rule: {rule!r}")
    return valid


def date_in_month(rule: dict[str, Any], year: int, month: int) -> date:
    """The rule's date in that month.

    "每月31日" (or 29/30) falls on the month's last day when the month is shorter — 30 April,
    28 or 29 February — rather than being skipped: the branch still holds its monthly theme day,
    and a skipped month would silently break the "every month" requirement.
    """
    rule = _require(rule)
    days = calendar.monthrange(year, month)[1]
    if rule["kind"] == "day":
        return date(year, month, min(rule["day"], days))
    if rule["kind"] == "last_weekday":
        last = date(year, month, days)
        return last - timedelta(days=(last.weekday() - rule["weekday"]) % 7)
    first = date(year, month, 1)
    offset = (rule["weekday"] - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (rule["n"] - 1))  # n <= 4 always fits


def _months_from(start: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def occurrences(rule: dict[str, Any], start: date, count: int) -> list[date]:
    """The next `count` theme days on or after `start` (inclusive: today's meeting is offered)."""
    rule = _require(rule)
    found: list[date] = []
    if count <= 0:
        return found
    for year, month in _months_from(start):
        day = date_in_month(rule, year, month)
        if day >= start:
            found.append(day)
            if len(found) == count:
                return found
    raise AssertionError("unreachable: the month generator never ends")  # pragma: no cover


def next_date(rule: dict[str, Any], on_or_after: date) -> date:
    """The next theme day, counting `on_or_after` itself; used for date suggestions."""
    return occurrences(rule, on_or_after, 1)[0]


def next_start(rule: dict[str, Any], after: datetime, tz: str) -> datetime:
    """The first theme day starting strictly after the aware `after`, as an aware UTC datetime.

    Strictly after, so a reminder job that runs at the start time schedules the following
    month instead of firing twice. The date is worked out in the branch's own time zone: at
    17:00 UTC on the 14th it is already the 15th in Shanghai. A naive `after` would be read in
    the server's zone, so it is refused.
    """
    rule = _require(rule)
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("next_start needs an aware datetime")
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
    """The rule as a secretary would say it; `parse_rule` reads this text back to the same rule."""
    rule = _require(rule)
    if rule["kind"] == "day":
        return f"每月{rule['day']}日 {rule['time']}"
    weekday = "星期" + WEEKDAYS[rule["weekday"]]
    if rule["kind"] == "last_weekday":
        return f"每月最后一个{weekday} {rule['time']}"
    return f"每月第{ORDINALS[rule['n'] - 1]}个{weekday} {rule['time']}"


_ORDINAL = {ch: i for i, ch in enumerate("一二三四五六七八九", start=1)} | {"两": 2}
_WEEKDAY = {ch: i for i, ch in enumerate(WEEKDAYS)} | {"天": 6}
# After normalise() (NFKC: "１５" -> "15", "：" -> ":") and with the spaces removed.
# Ordinals 5-9 are matched so that "第五个" is recognised and then refused, not misread.
_RULE = re.compile(
    r"(?:每个?月)?"
    r"(?:(?P<day>[0-9]{1,2})[日号]"
    r"|第(?P<n>[1-9一二两三四五六七八九])个"
    r"|(?P<last>最后一个))"
    r"(?:(?:星期|周|礼拜)(?P<weekday>[1-7一二三四五六日天]))?"
    r"(?P<period>上午|早上|中午|下午|晚上)?"
    r"(?:(?P<hour>[0-9]{1,2})"
    r"(?::(?P<colon_minute>[0-9]{2})"
    r"|点(?:(?P<half>半)|(?P<minute>[0-9]{1,2})分|(?P<bare_minute>[0-9]{2}))?))?"
)


def parse_rule(text: str) -> dict[str, Any] | None:
    """What a secretary types ("每月第二个周四下午2点半", "１５日") as a rule, else None.

    A small regex rather than a grammar: the phrasings are few and a wrong guess would put the
    theme day on the wrong date, so anything not clearly understood gives None and the bot
    asks again. Without a time the default is 09:00.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    match = _RULE.fullmatch(normalise(text).replace(" ", ""))
    if not match:
        return None
    parts = match.groupdict()
    at = _parse_time(parts)
    if at is None:
        return None
    if parts["day"]:
        if parts["weekday"]:  # "15日星期四" cannot be both
            return None
        return validate_rule({"kind": "day", "day": int(parts["day"]), "time": at})
    if not parts["weekday"]:  # "第二个" of what?
        return None
    weekday = _weekday(parts["weekday"])
    if parts["last"]:
        return validate_rule({"kind": "last_weekday", "weekday": weekday, "time": at})
    token = parts["n"]
    n = int(token) if token.isdigit() else _ORDINAL[token]
    return validate_rule({"kind": "nth_weekday", "n": n, "weekday": weekday, "time": at})


def _weekday(token: str) -> int:
    """ "星期1" is Monday and "星期7"/"星期日"/"礼拜天" Sunday, as people write them."""
    return int(token) - 1 if token.isdigit() else _WEEKDAY[token]


def _parse_time(parts: dict[str, str | None]) -> str | None:
    """ "HH:MM" in 24-hour time; a bare "2点半" is 02:30, since only 下午/晚上 move it to 14:30."""
    if parts["hour"] is None:
        return DEFAULT_TIME if not parts["period"] else None  # "下午" alone is not a time
    hour = int(parts["hour"])
    if parts["half"]:
        minute = 30
    else:
        minute = int(parts["colon_minute"] or parts["minute"] or parts["bare_minute"] or 0)
    period = parts["period"]
    if period in ("上午", "早上") and hour > 12:  # "上午15点" contradicts itself
        return None
    if period == "中午":  # 中午12点, 中午1点 = 13:00
        if not 11 <= hour <= 12 and not 1 <= hour <= 2:
            return None
        hour += 12 if hour <= 2 else 0
    if period in ("下午", "晚上"):
        if hour == 0 or (period == "晚上" and hour == 12):  # 晚上12点 could be either midnight
            return None
        hour += 12 if hour < 12 else 0
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def local_start(day: date, at: str, tz: str) -> datetime:
    """The aware UTC instant of a local date and HH:MM in a branch's time zone."""
    return datetime.combine(day, time.fromisoformat(at), ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def wanted_starts(rule_data: Any, tz: str, now: datetime) -> dict[date, datetime]:
    """The dates a branch's rule wants over the horizon, each with its start as a UTC instant;
    empty when the branch has no valid rule. Storage writes exactly these (storage.schedule)."""
    rule = validate_rule(rule_data)
    if rule is None:
        return {}
    today = now.astimezone(ZoneInfo(tz)).date()
    return {
        day: local_start(day, rule["time"], tz)
        for day in occurrences(rule, today, HORIZON_MONTHS + 1)
    }
