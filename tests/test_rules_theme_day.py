"""The monthly theme-day rule as tables: dates per kind across month lengths and leap years,
strictly-after semantics in the branch's time zone, parsing what secretaries type."""

from __future__ import annotations

from datetime import UTC, date, datetime

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

DAY_15 = {"kind": "day", "day": 15, "time": "09:00"}
DAY_31 = {"kind": "day", "day": 31, "time": "09:00"}
SECOND_THURSDAY = {"kind": "nth_weekday", "n": 2, "weekday": 3, "time": "14:30"}
FOURTH_MONDAY = {"kind": "nth_weekday", "n": 4, "weekday": 0, "time": "09:00"}
LAST_FRIDAY = {"kind": "last_weekday", "weekday": 4, "time": "09:00"}


@pytest.mark.parametrize(
    ("rule", "year", "month", "expected"),
    [
        (DAY_15, 2026, 12, date(2026, 12, 15)),
        (DAY_31, 2026, 4, date(2026, 4, 30)),
        (DAY_31, 2027, 2, date(2027, 2, 28)),
        (DAY_31, 2028, 2, date(2028, 2, 29)),
        (DAY_31, 2028, 3, date(2028, 3, 31)),
        (SECOND_THURSDAY, 2026, 12, date(2026, 12, 10)),
        (SECOND_THURSDAY, 2027, 4, date(2027, 4, 8)),
        (FOURTH_MONDAY, 2026, 11, date(2026, 11, 23)),
        (FOURTH_MONDAY, 2027, 3, date(2027, 3, 22)),
        (LAST_FRIDAY, 2026, 11, date(2026, 11, 27)),
        (LAST_FRIDAY, 2027, 1, date(2027, 1, 29)),  # a month with five Fridays
        (LAST_FRIDAY, 2028, 2, date(2028, 2, 25)),
        ({"kind": "last_weekday", "weekday": 6, "time": "09:00"}, 2026, 5, date(2026, 5, 31)),
    ],
)
def test_date_in_month(rule: dict, year: int, month: int, expected: date) -> None:
    assert date_in_month(rule, year, month) == expected


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        (DAY_15, date(2026, 12, 15), date(2026, 12, 15)),  # inclusive
        (DAY_15, date(2026, 12, 16), date(2027, 1, 15)),
        (LAST_FRIDAY, date(2026, 11, 28), date(2026, 12, 25)),
        (SECOND_THURSDAY, date(2026, 12, 31), date(2027, 1, 14)),
    ],
)
def test_next_date(rule: dict, start: date, expected: date) -> None:
    assert next_date(rule, start) == expected


def test_occurrences_cross_the_year() -> None:
    assert occurrences(DAY_31, date(2026, 11, 27), 4) == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        date(2027, 2, 28),
    ]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # 09:00 in Asia/Shanghai is 01:00 UTC; the day itself counts until it has started.
        (datetime(2026, 12, 15, 0, 59, tzinfo=UTC), datetime(2026, 12, 15, 1, 0, tzinfo=UTC)),
        (datetime(2026, 12, 15, 1, 0, tzinfo=UTC), datetime(2027, 1, 15, 1, 0, tzinfo=UTC)),
        (datetime(2026, 12, 14, 17, 0, tzinfo=UTC), datetime(2026, 12, 15, 1, 0, tzinfo=UTC)),
    ],
)
def test_next_start_is_strictly_after_in_the_branch_time_zone(
    after: datetime, expected: datetime
) -> None:
    assert next_start(DAY_15, after) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每月15日", DAY_15),
        ("每月15号 9:00", DAY_15),
        ("１５日", DAY_15),
        ("每月第2个星期四下午2点半", SECOND_THURSDAY),
        ("每月第二个周四 14:30", SECOND_THURSDAY),
        ("每月最后一个星期五", LAST_FRIDAY),
        ("每月最后一个周五上午9点", LAST_FRIDAY),
        ("每月1日晚上7点", {"kind": "day", "day": 1, "time": "19:00"}),
        ("每月32日", None),
        ("每月0日", None),
        ("每月第五个星期一", None),
        ("每月第二个星期八", None),
        ("每月15日25点", None),
        ("", None),
        ("😀", None),
        ("每月" * 5000, None),
        ("随便哪天", None),
    ],
)
def test_parse_rule(text: str, expected: dict | None) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (DAY_15, "每月15日 09:00"),
        (SECOND_THURSDAY, "每月第二个星期四 14:30"),
        (LAST_FRIDAY, "每月最后一个星期五 09:00"),
        ({"kind": "last_weekday", "weekday": 6, "time": "08:00"}, "每月最后一个星期日 08:00"),
    ],
)
def test_describe_rule(rule: dict, text: str) -> None:
    assert describe_rule(rule) == text
    assert parse_rule(text) == rule


@pytest.mark.parametrize(
    "rule",
    [
        None,
        "每月15日",
        {},
        {"kind": "weekly"},
        {"kind": "day", "day": 0},
        {"kind": "day", "day": True},
        {"kind": "day", "day": "15"},
        {"kind": "day", "day": 15, "time": "9:00"},
        {"kind": "day", "day": 15, "time": "24:00"},
        {"kind": "nth_weekday", "n": 5, "weekday": 1},
        {"kind": "nth_weekday", "n": 2, "weekday": 7},
        {"kind": "last_weekday"},
    ],
)
def test_validate_rule_refuses_bad_rules(rule: object) -> None:
    assert validate_rule(rule) is None


def test_validate_rule_fills_the_default_time() -> None:
    assert validate_rule({"kind": "day", "day": 15}) == DAY_15
