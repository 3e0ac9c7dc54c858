"""Answer parsing: what a secretary types on a phone, table by table."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.dialog.flows import AtMost, Step
from bot.dialog.inputs import (
    Invalid,
    parse_date,
    parse_integer,
    parse_time,
    validate,
)
from knowledge.textnorm import chinese_number, numerals_to_digits

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120", 120),
        ("１２０", 120),
        (" 120 ", 120),
        ("120人", 120),
        ("3名", 3),
        ("1,200", 1200),
        ("一百二十", 120),
        ("三", 3),
        ("十五", 15),
        ("两千零五", 2005),
        ("一万二千", 12000),
        ("-5", -5),
        ("abc", None),
        ("", None),
        ("12a", None),
        ("😀", None),
        ("1e3", None),
        ("9999999999", None),
    ],
)
def test_parse_integer(text: str, expected: int | None) -> None:
    assert parse_integer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("零", 0), ("十", 10), ("二十一", 21), ("百", 100), ("x", None)]
)
def test_chinese_number(text: str, expected: int | None) -> None:
    assert chinese_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/1/5", date(2026, 1, 5)),
        ("2027年3月8日", date(2027, 3, 8)),
        ("12月1日", date(2026, 12, 1)),
        ("2026-02-30", None),
        ("明天", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:30", "19:30"),
        ("9：05", "09:05"),
        ("8点", "08:00"),
        ("8点半", "08:30"),
        ("25:00", None),
        ("晚上", None),
    ],
)
def test_parse_time(text: str, expected: str | None) -> None:
    parsed = parse_time(text)
    assert (parsed.strftime("%H:%M") if parsed else None) == expected


NAME = Step("name", "text", "名称", min_length=2, max_length=60)
EMPLOYEES = Step("employees", "integer", "人数", min=0, max=1_000_000)
FORMAL = Step(
    "formal", "integer", "党员", min=0, at_most=AtMost("employees", (), "不能超过{employees}")
)
PROB = Step(
    "prob",
    "integer",
    "预备",
    min=0,
    at_most=AtMost("employees", ("formal",), "合计超过{employees}"),
)
KIND = Step("kind", "choice", "类别", options=("非公企业", "社会组织"))
MULTI = Step("multi", "multi", "多选", options=("甲", "乙", "丙"))
YESNO = Step("yn", "yesno", "是否")


@pytest.mark.parametrize(
    ("step", "text", "answers", "expected"),
    [
        (NAME, "楚雄某某公司", {}, "楚雄某某公司"),
        (NAME, "😀😀😀", {}, Invalid("text_empty", {})),
        (NAME, "！？。", {}, Invalid("text_empty", {})),
        (NAME, "", {}, Invalid("text_empty", {})),
        (NAME, "甲", {}, Invalid("text_too_short", {"min": 2})),
        (NAME, "长" * 5000, {}, Invalid("text_too_long", {"length": 5000, "max": 60})),
        (EMPLOYEES, "abc", {}, Invalid("integer", {})),
        (EMPLOYEES, "-1", {}, Invalid("min", {"min": 0})),
        (EMPLOYEES, "2000000", {}, Invalid("max", {"max": 1_000_000})),
        (EMPLOYEES, "0", {}, 0),
        (
            FORMAL,
            "121",
            {"employees": 120},
            Invalid("at_most", {"employees": 120}, "不能超过{employees}"),
        ),
        (FORMAL, "120", {"employees": 120}, 120),
        (PROB, "1", {"employees": 3, "formal": 2}, 1),
        (
            PROB,
            "2",
            {"employees": 3, "formal": 2},
            Invalid("at_most", {"employees": 3, "formal": 2}, "合计超过{employees}"),
        ),
        (KIND, "2", {}, "社会组织"),
        (KIND, "非公企业", {}, "非公企业"),
        (KIND, "3", {}, Invalid("choice", {})),
        (KIND, "企业吧", {}, Invalid("choice", {})),
        (MULTI, "1,3", {}, ["甲", "丙"]),
        (MULTI, "3、1 1", {}, ["甲", "丙"]),
        (MULTI, "4", {}, Invalid("multi", {})),
        (YESNO, "是", {}, True),
        (YESNO, "否", {}, False),
        (YESNO, "没有", {}, False),
        (YESNO, "也许", {}, Invalid("yesno", {})),
    ],
)
def test_validate(step: Step, text: str, answers: dict[str, Any], expected: Any) -> None:
    options = list(step.options) if step.kind != "yesno" else ["是", "否"]
    assert validate(step, text, answers, options, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三会一课", "3会1课"),
        ("五个清", "5个清"),
        ("六有标准", "6有标准"),
        ("两名党员", "2名党员"),
        ("统一制定", "统一制定"),
        ("一定要", "一定要"),
        ("41项标准", "41项标准"),
        ("十五人", "15人"),
    ],
)
def test_numerals_to_digits(text: str, expected: str) -> None:
    assert numerals_to_digits(text) == expected
