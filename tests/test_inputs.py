"""Answer parsing: what a secretary types on a phone, table by table."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.dialog.flows import AtMost, Step
from bot.dialog.inputs import (
    Invalid,
    parse_integer,
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
    ("text", "expected"),
    [
        ("零", 0),
        ("十", 10),
        ("二十一", 21),
        ("百", 100),
        ("一千零五", 1005),
        ("x", None),
        ("五六", None),  # "five or six": a range, not 6
        ("三五", None),
    ],
)
def test_chinese_number(text: str, expected: int | None) -> None:
    assert chinese_number(text) == expected


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
        ("五六家小企业", "五六家小企业"),  # a rough range stays words
        ("三五个人", "三五个人"),
    ],
)
def test_numerals_to_digits(text: str, expected: str) -> None:
    assert numerals_to_digits(text) == expected


# Integers as secretaries type them: what is read, and what is asked again. A malformed
# Chinese numeral must never be read as some number ("万万万万万万" was taken as 0 employees).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("007", 7),
        ("1，200", 1200),
        ("30人", 30),
        ("三十人", 30),
        ("两人", 2),
        ("两", 2),
        ("零", 0),
        ("〇", 0),
        ("十", 10),
        ("一十五", 15),
        ("一百零五", 105),
        ("一千零五", 1005),
        ("一千零五十", 1050),
        ("一千零十", 1010),
        ("一千五", 1500),  # spoken short form: 一千五 is 1500, not 1005
        ("一千五百", 1500),
        ("三百五", 350),
        ("一百二", 120),
        ("两千五百", 2500),
        ("两万五", 25000),
        ("一万零五", 10005),
        ("一万零五百", 10500),
        ("十万", 100000),
        ("二十万", 200000),
        ("九千九百九十九万九千九百九十九", 99_999_999),
        ("5千", 5000),
        ("5千5", 5500),
        ("12万", 120000),
        ("1.2万", 12000),
        ("2.5千", 2500),
        ("1.2345万", 12345),
    ],
)
def test_parse_integer_reads(text: str, expected: int) -> None:
    assert parse_integer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "万",
        "万万",
        "万万万万万万",
        "千",
        "千千",
        "百",
        "十十",
        "一万万",
        "零零",
        "零五",
        "一一",
        "三五",
        "一百零",
        "一千零五百",
        "五百一千",
        "十零五",
        "两十",
        "二十两",
        "一万二百",
        "万五",
        "一亿",
        "5千千",
        "1.23456万",
        "1.5千5",
        "3.5",
        "1.5",
        "١٢",  # Arabic-Indic digits: not what anyone here types
        "😀",
        "3️⃣",
        "",
        " ",
        "一百二十a",
    ],
)
def test_parse_integer_refuses(text: str) -> None:
    assert parse_integer(text) is None


DAY = Step("day", "date", "日期")
AT = Step("at", "time", "时间")


@pytest.mark.parametrize(
    ("step", "text", "answers", "expected"),
    [
        (EMPLOYEES, "万万万万万万", {}, Invalid("integer", {})),
        (EMPLOYEES, "千千", {}, Invalid("integer", {})),
        (EMPLOYEES, "零零", {}, Invalid("integer", {})),
        (EMPLOYEES, "3.5", {}, Invalid("integer", {})),
        (EMPLOYEES, "😀😀", {}, Invalid("integer", {})),
        (EMPLOYEES, "", {}, Invalid("integer", {})),
        (EMPLOYEES, "-3", {}, Invalid("min", {"min": 0})),
        (EMPLOYEES, "负三", {}, Invalid("integer", {})),
        (EMPLOYEES, "一百万零一", {}, Invalid("max", {"max": 1_000_000})),
        (EMPLOYEES, "两百万", {}, Invalid("max", {"max": 1_000_000})),
        (EMPLOYEES, "9999999999", {}, Invalid("max", {"max": 1_000_000})),  # said as too big
        (EMPLOYEES, "9" * 5000, {}, Invalid("max", {"max": 1_000_000})),
        (EMPLOYEES, "-" + "9" * 20, {}, Invalid("min", {"min": 0})),
        (EMPLOYEES, "一千五", {}, 1500),
        (EMPLOYEES, "1.2万人", {}, 12000),
        (FORMAL, "9999999999", {"employees": 120}, Invalid("integer", {})),  # no max: no bound
        (DAY, "😀", {}, Invalid("date", {"text": "😀"})),
        (DAY, "2027-02-30", {}, Invalid("date_impossible", {"text": "2027-02-30"})),
        (AT, "⏰", {}, Invalid("time", {"text": "⏰"})),
        (AT, "上午13点", {}, Invalid("time_impossible", {"text": "上午13点"})),
        (MULTI, "👍", {}, Invalid("multi", {})),
        (KIND, "🏢", {}, Invalid("choice", {})),
        (YESNO, "🤔", {}, Invalid("yesno", {})),
        (NAME, "👨‍👩‍👧👨‍👩‍👧", {}, Invalid("text_empty", {})),
    ],
)
def test_validate_hostile(step: Step, text: str, answers: dict[str, Any], expected: Any) -> None:
    options = list(step.options) if step.kind != "yesno" else ["是", "否"]
    assert validate(step, text, answers, options, TODAY) == expected


def chinese_reading(number: int) -> str:
    """The standard reading of 0..99,999,999 (一万零五百, 二十), written independently of the
    parser so that each checks the other."""
    digits = "零一二三四五六七八九"

    def section(n: int) -> str:
        out, gap = "", False
        for size, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = n // size % 10
            if digit:
                out += ("零" if gap and out else "") + digits[digit] + name
            gap = not digit
        return out

    if number == 0:
        return "零"
    high, low = divmod(number, 10_000)
    head = section(high) + "万" + ("零" if 0 < low < 1000 else "") if high else ""
    return head + (section(low) if low else "")


def test_every_standard_reading_is_read_back() -> None:
    numbers = [*range(0, 30_000), 99_999_999, 10_000_005, 20_000_001, 1_000_000]
    wrong = [n for n in numbers if parse_integer(chinese_reading(n)) != n]
    assert wrong == []
    assert chinese_reading(10_500) == "一万零五百" and chinese_reading(15) == "一十五"


@pytest.mark.parametrize(
    ("typed", "options", "index"),
    [
        ("2", ["#3 甲公司", "#1 乙公司"], 1),
        ("#1 乙公司", ["#3 甲公司", "#1 乙公司"], 1),
        ("乙公司", ["#3 甲公司", "#1 乙公司"], 1),  # named without its number
        ("乙公司", ["#3 乙公司", "#1 乙公司"], None),  # two records of one name: ask again
        ("公司", ["#3 甲公司", "#1 乙公司"], None),
        ("1 乙公司", ["#3 甲公司", "#1 乙公司"], None),
    ],
)
def test_an_option_is_typed_by_number_label_or_name(
    typed: str, options: list[str], index: int | None
) -> None:
    from bot.dialog.inputs import match_option

    assert match_option(typed, options) == index
