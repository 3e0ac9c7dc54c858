"""The monthly theme-day rule as tables: dates per kind across month lengths and leap years,
strictly-after semantics in the branch's time zone, and parsing what secretaries type.

Expected dates were read off `calendar.month(...)` grids, not computed with the code under test;
`test_every_month_matches_the_calendar_grid` re-derives them from `calendar.monthcalendar`.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from scheduler.rules import (
    date_in_month,
    describe_rule,
    next_date,
    next_start,
    occurrences,
    parse_rule,
    validate_rule,
)

DAY_1_0700 = {"kind": "day", "day": 1, "time": "07:00"}
DAY_15 = {"kind": "day", "day": 15, "time": "09:00"}
DAY_29 = {"kind": "day", "day": 29, "time": "09:00"}
DAY_30 = {"kind": "day", "day": 30, "time": "09:00"}
DAY_31 = {"kind": "day", "day": 31, "time": "09:00"}
FIRST_MONDAY = {"kind": "nth_weekday", "n": 1, "weekday": 0, "time": "09:00"}
SECOND_THURSDAY = {"kind": "nth_weekday", "n": 2, "weekday": 3, "time": "14:30"}
FOURTH_MONDAY = {"kind": "nth_weekday", "n": 4, "weekday": 0, "time": "09:00"}
FOURTH_THURSDAY = {"kind": "nth_weekday", "n": 4, "weekday": 3, "time": "09:00"}
LAST_FRIDAY = {"kind": "last_weekday", "weekday": 4, "time": "09:00"}
LAST_SUNDAY = {"kind": "last_weekday", "weekday": 6, "time": "09:00"}
LAST_MONDAY = {"kind": "last_weekday", "weekday": 0, "time": "09:00"}


def rule_at(rule: dict[str, Any], at: str) -> dict[str, Any]:
    return {**rule, "time": at}


@pytest.mark.parametrize(
    ("rule", "year", "month", "expected"),
    [
        pytest.param(DAY_15, 2026, 1, date(2026, 1, 15), id="day15-2026-01"),
        pytest.param(DAY_15, 2027, 6, date(2027, 6, 15), id="day15-2027-06"),
        pytest.param(DAY_15, 2028, 2, date(2028, 2, 15), id="day15-2028-02-leap"),
        pytest.param(DAY_31, 2026, 4, date(2026, 4, 30), id="day31-april-has-30"),
        pytest.param(DAY_31, 2026, 6, date(2026, 6, 30), id="day31-june-has-30"),
        pytest.param(DAY_31, 2026, 9, date(2026, 9, 30), id="day31-september-has-30"),
        pytest.param(DAY_31, 2026, 11, date(2026, 11, 30), id="day31-november-has-30"),
        pytest.param(DAY_31, 2026, 12, date(2026, 12, 31), id="day31-december-has-31"),
        pytest.param(DAY_31, 2027, 2, date(2027, 2, 28), id="day31-feb-2027"),
        pytest.param(DAY_31, 2028, 2, date(2028, 2, 29), id="day31-feb-2028-leap"),
        pytest.param(DAY_31, 2028, 3, date(2028, 3, 31), id="day31-march-2028"),
        pytest.param(DAY_30, 2028, 2, date(2028, 2, 29), id="day30-feb-2028-leap"),
        pytest.param(DAY_29, 2028, 2, date(2028, 2, 29), id="day29-feb-2028-leap-exists"),
        pytest.param(DAY_29, 2026, 2, date(2026, 2, 28), id="day29-feb-2026"),
        pytest.param(FIRST_MONDAY, 2027, 3, date(2027, 3, 1), id="first-monday-is-the-1st"),
        pytest.param(FIRST_MONDAY, 2028, 1, date(2028, 1, 3), id="first-monday-2028-01"),
        pytest.param(SECOND_THURSDAY, 2026, 1, date(2026, 1, 8), id="2nd-thu-2026-01"),
        pytest.param(SECOND_THURSDAY, 2026, 12, date(2026, 12, 10), id="2nd-thu-2026-12"),
        pytest.param(SECOND_THURSDAY, 2027, 4, date(2027, 4, 8), id="2nd-thu-2027-04"),
        pytest.param(SECOND_THURSDAY, 2028, 2, date(2028, 2, 10), id="2nd-thu-2028-02-leap"),
        # n=4 in months with four of that weekday: the fourth is also the last.
        pytest.param(FOURTH_MONDAY, 2026, 4, date(2026, 4, 27), id="4th-mon-4-week-2026-04"),
        pytest.param(FOURTH_MONDAY, 2027, 2, date(2027, 2, 22), id="4th-mon-4-week-2027-02"),
        pytest.param(FOURTH_MONDAY, 2028, 2, date(2028, 2, 28), id="4th-mon-4-week-2028-02"),
        # n=4 in months with five: the fourth is not the last.
        pytest.param(FOURTH_MONDAY, 2026, 11, date(2026, 11, 23), id="4th-mon-5-week-2026-11"),
        pytest.param(FOURTH_MONDAY, 2027, 3, date(2027, 3, 22), id="4th-mon-5-week-2027-03"),
        pytest.param(FOURTH_MONDAY, 2028, 1, date(2028, 1, 24), id="4th-mon-5-week-2028-01"),
        pytest.param(FOURTH_THURSDAY, 2026, 12, date(2026, 12, 24), id="4th-thu-5-week-2026-12"),
        pytest.param(LAST_FRIDAY, 2026, 11, date(2026, 11, 27), id="last-fri-4-week-2026-11"),
        pytest.param(LAST_FRIDAY, 2026, 12, date(2026, 12, 25), id="last-fri-4-week-2026-12"),
        pytest.param(LAST_FRIDAY, 2027, 2, date(2027, 2, 26), id="last-fri-4-week-2027-02"),
        pytest.param(LAST_FRIDAY, 2028, 2, date(2028, 2, 25), id="last-fri-4-week-2028-02"),
        pytest.param(LAST_FRIDAY, 2026, 5, date(2026, 5, 29), id="last-fri-5-week-2026-05"),
        pytest.param(LAST_FRIDAY, 2027, 1, date(2027, 1, 29), id="last-fri-5-week-2027-01"),
        pytest.param(LAST_FRIDAY, 2028, 3, date(2028, 3, 31), id="last-fri-is-month-end"),
        pytest.param(LAST_FRIDAY, 2028, 12, date(2028, 12, 29), id="last-fri-5-week-2028-12"),
        pytest.param(LAST_SUNDAY, 2026, 5, date(2026, 5, 31), id="last-sun-2026-05"),
        pytest.param(LAST_SUNDAY, 2028, 2, date(2028, 2, 27), id="last-sun-2028-02-leap"),
        pytest.param(LAST_MONDAY, 2028, 2, date(2028, 2, 28), id="last-mon-2028-02-leap"),
        pytest.param(LAST_MONDAY, 2026, 11, date(2026, 11, 30), id="last-mon-5-week-2026-11"),
    ],
)
def test_date_in_month(rule: dict, year: int, month: int, expected: date) -> None:
    assert date_in_month(rule, year, month) == expected


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_every_month_matches_the_calendar_grid(year: int) -> None:
    """An independent oracle: calendar.monthcalendar's week rows, 0 where a day is missing."""
    for month in range(1, 13):
        length = calendar.monthrange(year, month)[1]
        for day in range(1, 32):
            rule = {"kind": "day", "day": day, "time": "09:00"}
            assert date_in_month(rule, year, month) == date(year, month, min(day, length))
        for weekday in range(7):
            days = [w[weekday] for w in calendar.monthcalendar(year, month) if w[weekday]]
            last = {"kind": "last_weekday", "weekday": weekday, "time": "09:00"}
            assert date_in_month(last, year, month) == date(year, month, days[-1])
            for n in range(1, 5):
                nth = {"kind": "nth_weekday", "n": n, "weekday": weekday, "time": "09:00"}
                assert date_in_month(nth, year, month) == date(year, month, days[n - 1])


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        pytest.param(DAY_15, date(2026, 12, 15), date(2026, 12, 15), id="day15-on-the-day"),
        pytest.param(DAY_15, date(2026, 12, 16), date(2027, 1, 15), id="day15-day-after"),
        pytest.param(DAY_15, date(2026, 12, 14), date(2026, 12, 15), id="day15-day-before"),
        pytest.param(DAY_31, date(2026, 4, 30), date(2026, 4, 30), id="day31-on-clamped-day"),
        pytest.param(DAY_31, date(2026, 5, 1), date(2026, 5, 31), id="day31-day-after-clamped"),
        pytest.param(DAY_31, date(2027, 2, 1), date(2027, 2, 28), id="day31-feb-2027"),
        pytest.param(DAY_31, date(2028, 2, 29), date(2028, 2, 29), id="day31-on-leap-day"),
        pytest.param(DAY_31, date(2028, 3, 1), date(2028, 3, 31), id="day31-after-leap-day"),
        pytest.param(SECOND_THURSDAY, date(2026, 12, 10), date(2026, 12, 10), id="2nd-thu-on"),
        pytest.param(SECOND_THURSDAY, date(2026, 12, 11), date(2027, 1, 14), id="2nd-thu-after"),
        pytest.param(SECOND_THURSDAY, date(2027, 12, 31), date(2028, 1, 13), id="2nd-thu-new-year"),
        pytest.param(FOURTH_MONDAY, date(2028, 1, 24), date(2028, 1, 24), id="4th-mon-on"),
        pytest.param(FOURTH_MONDAY, date(2028, 1, 25), date(2028, 2, 28), id="4th-mon-after"),
        pytest.param(LAST_FRIDAY, date(2026, 11, 27), date(2026, 11, 27), id="last-fri-on"),
        pytest.param(LAST_FRIDAY, date(2026, 11, 28), date(2026, 12, 25), id="last-fri-after"),
        pytest.param(LAST_FRIDAY, date(2028, 2, 26), date(2028, 3, 31), id="last-fri-leap-feb"),
    ],
)
def test_next_date_is_inclusive(rule: dict, start: date, expected: date) -> None:
    assert next_date(rule, start) == expected


@pytest.mark.parametrize(
    ("rule", "start", "count", "expected"),
    [
        pytest.param(
            DAY_31,
            date(2026, 11, 27),
            4,
            [date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28)],
            id="day31-across-new-year",
        ),
        pytest.param(
            DAY_31,
            date(2027, 12, 1),
            4,
            [date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)],
            id="day31-through-leap-february",
        ),
        pytest.param(
            LAST_FRIDAY,
            date(2028, 1, 1),
            3,
            [date(2028, 1, 28), date(2028, 2, 25), date(2028, 3, 31)],
            id="last-friday-2028",
        ),
        pytest.param(
            SECOND_THURSDAY,
            date(2026, 12, 10),
            2,
            [date(2026, 12, 10), date(2027, 1, 14)],
            id="inclusive-start",
        ),
        pytest.param(DAY_15, date(2026, 1, 1), 0, [], id="count-zero"),
        pytest.param(DAY_15, date(2026, 1, 1), -3, [], id="count-negative"),
    ],
)
def test_occurrences(rule: dict, start: date, count: int, expected: list[date]) -> None:
    assert occurrences(rule, start, count) == expected


def test_occurrences_are_one_per_month_for_years() -> None:
    found = occurrences(DAY_31, date(2026, 1, 1), 36)
    assert [(d.year, d.month) for d in found] == [
        (year, month) for year in (2026, 2027, 2028) for month in range(1, 13)
    ]


SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("rule", "after", "tz", "expected"),
    [
        # 09:00 in Asia/Shanghai is 01:00 UTC; the day itself counts until it has started.
        pytest.param(
            DAY_15,
            datetime(2026, 12, 15, 0, 59, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
            id="a-minute-before",
        ),
        pytest.param(
            DAY_15,
            datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2027, 1, 15, 1, 0, tzinfo=UTC),
            id="exactly-at-start-is-not-after",
        ),
        pytest.param(
            DAY_15,
            datetime(2026, 12, 15, 9, 0, tzinfo=SHANGHAI),
            "Asia/Shanghai",
            datetime(2027, 1, 15, 1, 0, tzinfo=UTC),
            id="exactly-at-start-given-in-local-time",
        ),
        pytest.param(
            DAY_15,
            datetime(2026, 12, 14, 17, 0, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
            id="already-the-15th-in-shanghai",
        ),
        pytest.param(
            DAY_15,
            datetime(2026, 12, 14, 15, 59, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 12, 15, 1, 0, tzinfo=UTC),
            id="still-the-14th-in-shanghai",
        ),
        pytest.param(
            DAY_31,
            datetime(2026, 4, 30, 1, 0, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 5, 31, 1, 0, tzinfo=UTC),
            id="clamped-day-across-month-boundary",
        ),
        pytest.param(
            DAY_31,
            datetime(2026, 12, 31, 1, 0, 1, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2027, 1, 31, 1, 0, tzinfo=UTC),
            id="a-second-after-across-new-year",
        ),
        pytest.param(
            LAST_FRIDAY,
            datetime(2026, 11, 27, 1, 0, 1, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 12, 25, 1, 0, tzinfo=UTC),
            id="last-friday-next-month",
        ),
        # 14:30 in Shanghai is 06:30 UTC.
        pytest.param(
            SECOND_THURSDAY,
            datetime(2026, 12, 10, 6, 29, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 12, 10, 6, 30, tzinfo=UTC),
            id="second-thursday-1430-same-day",
        ),
        pytest.param(
            SECOND_THURSDAY,
            datetime(2026, 12, 10, 6, 30, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2027, 1, 14, 6, 30, tzinfo=UTC),
            id="second-thursday-1430-next-month",
        ),
        # 1 January 07:00 in Shanghai is still 31 December in UTC.
        pytest.param(
            DAY_1_0700,
            datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
            id="utc-result-in-previous-month",
        ),
        pytest.param(
            DAY_1_0700,
            datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
            "Asia/Shanghai",
            datetime(2027, 1, 31, 23, 0, tzinfo=UTC),
            id="utc-result-in-previous-month-strictly-after",
        ),
        # Another zone with daylight saving: the offset is the one of the theme day itself.
        pytest.param(
            DAY_15,
            datetime(2026, 7, 1, tzinfo=UTC),
            "Europe/Berlin",
            datetime(2026, 7, 15, 7, 0, tzinfo=UTC),
            id="berlin-summer-time",
        ),
        pytest.param(
            DAY_15,
            datetime(2027, 1, 1, tzinfo=UTC),
            "Europe/Berlin",
            datetime(2027, 1, 15, 8, 0, tzinfo=UTC),
            id="berlin-winter-time",
        ),
    ],
)
def test_next_start_is_strictly_after_in_the_branch_time_zone(
    rule: dict, after: datetime, tz: str, expected: datetime
) -> None:
    start = next_start(rule, after, tz)
    assert start == expected
    assert start.utcoffset() == timedelta(0) and start.tzname() == "UTC"


def test_next_start_is_in_the_zone_given() -> None:
    after = datetime(2026, 12, 1, tzinfo=UTC)
    assert next_start(DAY_15, after, "Asia/Shanghai") == datetime(2026, 12, 15, 1, 0, tzinfo=UTC)


def test_next_start_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_start(DAY_15, datetime(2026, 12, 1, 9, 0), "Asia/Shanghai")


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        pytest.param(DAY_15, "每月15日 09:00", id="day-15"),
        pytest.param(rule_at(DAY_1_0700, "07:00"), "每月1日 07:00", id="day-1"),
        pytest.param(DAY_31, "每月31日 09:00", id="day-31"),
        pytest.param(FIRST_MONDAY, "每月第一个星期一 09:00", id="first-monday"),
        pytest.param(SECOND_THURSDAY, "每月第二个星期四 14:30", id="second-thursday"),
        pytest.param(
            {"kind": "nth_weekday", "n": 3, "weekday": 2, "time": "10:00"},
            "每月第三个星期三 10:00",
            id="third-wednesday",
        ),
        pytest.param(rule_at(FOURTH_THURSDAY, "19:00"), "每月第四个星期四 19:00", id="fourth-thu"),
        pytest.param(LAST_FRIDAY, "每月最后一个星期五 09:00", id="last-friday"),
        pytest.param(
            {"kind": "last_weekday", "weekday": 5, "time": "15:00"},
            "每月最后一个星期六 15:00",
            id="last-saturday",
        ),
        pytest.param(rule_at(LAST_SUNDAY, "08:00"), "每月最后一个星期日 08:00", id="last-sunday"),
    ],
)
def test_describe_rule_and_read_it_back(rule: dict, text: str) -> None:
    assert describe_rule(rule) == text
    assert parse_rule(text) == rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("每月15日", DAY_15, id="day"),
        pytest.param("每月15号 9:00", DAY_15, id="hao-with-time"),
        pytest.param("15日", DAY_15, id="without-meiyue"),
        pytest.param("１５日", DAY_15, id="full-width-digits"),
        pytest.param("每月１５日 ０９：００", DAY_15, id="full-width-time"),
        pytest.param("  每月15日  ", DAY_15, id="surrounding-spaces"),
        pytest.param("每月15日09:00", DAY_15, id="padded-time"),
        pytest.param("每月15日9点", DAY_15, id="dian"),
        pytest.param("每月15日上午9点", DAY_15, id="shangwu"),
        pytest.param("每个月15号早上9点", DAY_15, id="meigeyue-zaoshang"),
        pytest.param("每月15日2点半", rule_at(DAY_15, "02:30"), id="half-without-period"),
        pytest.param("每月15日下午2点", rule_at(DAY_15, "14:00"), id="xiawu"),
        pytest.param("每月15日下午2点半", rule_at(DAY_15, "14:30"), id="xiawu-half"),
        pytest.param("每月15日9点30分", rule_at(DAY_15, "09:30"), id="dian-fen"),
        pytest.param("每月15日9点5分", rule_at(DAY_15, "09:05"), id="one-digit-fen"),
        pytest.param("每月15日中午12点", rule_at(DAY_15, "12:00"), id="zhongwu-12"),
        pytest.param("每月15日中午1点", rule_at(DAY_15, "13:00"), id="zhongwu-1"),
        pytest.param("每月1日晚上7点", {"kind": "day", "day": 1, "time": "19:00"}, id="wanshang"),
        pytest.param("每月31号", DAY_31, id="day-31"),
        pytest.param("每月第2个星期四下午2点半", SECOND_THURSDAY, id="nth-digit-xiawu-half"),
        pytest.param("每月第二个周四 14:30", SECOND_THURSDAY, id="nth-zhou"),
        pytest.param("每月第二个礼拜四下午2:30", SECOND_THURSDAY, id="nth-libai-colon"),
        pytest.param("每月第二个星期四 下午14:30", SECOND_THURSDAY, id="xiawu-24h"),
        pytest.param("每月第2个周4 14点30分", SECOND_THURSDAY, id="digit-weekday"),
        pytest.param("每个月第一个星期一", FIRST_MONDAY, id="first-monday"),
        pytest.param(
            "每月第四个周日 早上8点",
            {"kind": "nth_weekday", "n": 4, "weekday": 6, "time": "08:00"},
            id="fourth-sunday",
        ),
        pytest.param("每月最后一个星期五", LAST_FRIDAY, id="last"),
        pytest.param("每月最后一个周五上午9点", LAST_FRIDAY, id="last-shangwu"),
        pytest.param("每月最后一个礼拜天", LAST_SUNDAY, id="last-libaitian"),
        pytest.param("每月最后一个周7", LAST_SUNDAY, id="last-zhou-7"),
    ],
)
def test_parse_rule_understands(text: str, expected: dict) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("每月32日", id="day-32"),
        pytest.param("每月0日", id="day-0"),
        pytest.param("每月第五个星期一", id="fifth"),
        pytest.param("每月第5个周一", id="fifth-digit"),
        pytest.param("每月第0个周一", id="zeroth"),
        pytest.param("星期八", id="weekday-8-alone"),
        pytest.param("每月第二个星期八", id="weekday-8"),
        pytest.param("每月第二个星期0", id="weekday-0"),
        pytest.param("每月第二个", id="nth-without-weekday"),
        pytest.param("每月最后一个", id="last-without-weekday"),
        pytest.param("每月15日星期四", id="day-and-weekday"),
        pytest.param("每周四", id="weekly"),
        pytest.param("每月15日25点", id="hour-25"),
        pytest.param("每月15日9:60", id="minute-60"),
        pytest.param("每月15日9:5", id="one-digit-colon-minute"),
        pytest.param("每月15日下午", id="period-without-hour"),
        pytest.param("每月15日上午15点", id="shangwu-15"),
        pytest.param("每月15日晚上12点", id="wanshang-12"),
        pytest.param("每月15日下午0点", id="xiawu-0"),
        pytest.param("每月15日9", id="bare-number"),
        pytest.param("每月15日9点30半", id="minutes-and-half"),
        pytest.param("١٥日", id="arabic-indic-digits"),
        pytest.param("15", id="number-only"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("😀", id="emoji"),
        pytest.param("每月15日😀", id="rule-and-emoji"),
        pytest.param("随便哪天", id="prose"),
        pytest.param("每月" * 5000, id="10000-chars"),
        pytest.param("每月15日" + " " * 10_000, id="long-padding"),
        pytest.param(None, id="none"),
        pytest.param(15, id="int"),
    ],
)
def test_parse_rule_refuses(text: Any) -> None:
    assert parse_rule(text) is None


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(None, id="none"),
        pytest.param("每月15日", id="string"),
        pytest.param([], id="list"),
        pytest.param(15, id="int"),
        pytest.param({}, id="empty"),
        pytest.param({"kind": "weekly"}, id="unknown-kind"),
        pytest.param({"kind": None, "day": 15}, id="kind-none"),
        pytest.param({"kind": ["day"], "day": 15}, id="kind-unhashable-list"),
        pytest.param({"kind": {"day": 1}, "day": 15}, id="kind-unhashable-dict"),
        pytest.param({"kind": "day"}, id="day-missing"),
        pytest.param({"kind": "day", "day": 0}, id="day-0"),
        pytest.param({"kind": "day", "day": 32}, id="day-32"),
        pytest.param({"kind": "day", "day": True}, id="day-bool"),
        pytest.param({"kind": "day", "day": "15"}, id="day-string"),
        pytest.param({"kind": "day", "day": 15.0}, id="day-float"),
        pytest.param({"kind": "day", "day": None}, id="day-none"),
        pytest.param({"kind": "day", "day": 15, "time": "9:00"}, id="time-unpadded"),
        pytest.param({"kind": "day", "day": 15, "time": "24:00"}, id="time-24"),
        pytest.param({"kind": "day", "day": 15, "time": "09:60"}, id="time-minute-60"),
        pytest.param({"kind": "day", "day": 15, "time": "09:00:00"}, id="time-seconds"),
        pytest.param({"kind": "day", "day": 15, "time": "０９:００"}, id="time-full-width"),
        pytest.param({"kind": "day", "day": 15, "time": "٠٩:٠٠"}, id="time-arabic-indic"),
        pytest.param({"kind": "day", "day": 15, "time": 900}, id="time-int"),
        pytest.param({"kind": "day", "day": 15, "time": None}, id="time-none"),
        pytest.param({"kind": "nth_weekday", "weekday": 1}, id="n-missing"),
        pytest.param({"kind": "nth_weekday", "n": 0, "weekday": 1}, id="n-0"),
        pytest.param({"kind": "nth_weekday", "n": 5, "weekday": 1}, id="n-5"),
        pytest.param({"kind": "nth_weekday", "n": True, "weekday": 1}, id="n-bool"),
        pytest.param({"kind": "nth_weekday", "n": 2}, id="weekday-missing"),
        pytest.param({"kind": "nth_weekday", "n": 2, "weekday": 7}, id="weekday-7"),
        pytest.param({"kind": "nth_weekday", "n": 2, "weekday": -1}, id="weekday-negative"),
        pytest.param({"kind": "last_weekday"}, id="last-weekday-missing"),
        pytest.param({"kind": "last_weekday", "weekday": False}, id="last-weekday-bool"),
        pytest.param({"kind": "last_weekday", "weekday": "4"}, id="last-weekday-string"),
    ],
)
def test_validate_rule_refuses_bad_rules(rule: object) -> None:
    assert validate_rule(rule) is None


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param({"kind": "day", "day": 15}, DAY_15, id="fills-default-time"),
        pytest.param(DAY_15 | {"note": "x", "n": 99}, DAY_15, id="drops-extra-keys"),
        pytest.param(SECOND_THURSDAY, SECOND_THURSDAY, id="nth-weekday"),
        pytest.param(LAST_FRIDAY | {"day": 3}, LAST_FRIDAY, id="last-weekday-ignores-day"),
        pytest.param(rule_at(DAY_15, "23:59"), rule_at(DAY_15, "23:59"), id="time-23-59"),
        pytest.param(rule_at(DAY_15, "00:00"), rule_at(DAY_15, "00:00"), id="time-midnight"),
    ],
)
def test_validate_rule_normalises(rule: dict, expected: dict) -> None:
    valid = validate_rule(rule)
    assert valid == expected
    assert valid is not rule


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: date_in_month({"kind": "day", "day": 0}, 2026, 1), id="date"),
        pytest.param(lambda: next_date({"kind": "weekly"}, date(2026, 1, 1)), id="next-date"),
        pytest.param(lambda: describe_rule({}), id="describe"),
        pytest.param(
            lambda: next_start({"kind": "day"}, datetime(2026, 1, 1, tzinfo=UTC), "UTC"),
            id="next-start",
        ),
    ],
)
def test_calendar_functions_refuse_invalid_rules(call: Any) -> None:
    with pytest.raises(ValueError, match="not a valid theme-day rule"):
        call()
