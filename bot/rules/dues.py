"""党费: which rule of 《关于中国共产党党费收缴、使用和管理的规定》 applies to a member, and the
monthly amount it gives.

The wage table (第二条) is for members paid a monthly wage; giving it to a retiree or a student
is wrong advice, so each group has its own rule here: annual-salary members (第三条) and the
self-employed (第四条) use the wage table on another base; retirees have their own two
brackets (第五条); farmers, students, the unemployed and 低保 recipients a fixed small sum
(第六条), which a province may fix inside the range. Amounts are in 元, rounded half up to the
fen, as a branch collects them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from bot.dialog.inputs import parse_integer
from knowledge.textnorm import normalise

Kind = Literal["wage", "annual_salary", "self_employed", "retiree", "farmer", "student"]

# (upper bound included, rate); None: no upper bound.
WAGE_BRACKETS: tuple[tuple[int | None, Decimal], ...] = (
    (3000, Decimal("0.005")),
    (5000, Decimal("0.01")),
    (10000, Decimal("0.015")),
    (None, Decimal("0.02")),
)
RETIREE_BRACKETS: tuple[tuple[int | None, Decimal], ...] = (
    (5000, Decimal("0.005")),
    (None, Decimal("0.01")),
)
ARTICLE: dict[Kind, str] = {
    "wage": "第一条、第二条",
    "annual_salary": "第三条",
    "self_employed": "第四条",
    "retiree": "第五条",
    "farmer": "第六条",
    "student": "第六条",
}
# Fixed sums a month (第六条): farmers 0.2–1 元, the others 0.2 元.
FIXED: dict[Kind, tuple[Decimal, Decimal]] = {
    "farmer": (Decimal("0.2"), Decimal("1")),
    "student": (Decimal("0.2"), Decimal("0.2")),
}
MAX_INCOME = Decimal(10_000_000)  # a month; above it the figure is surely mistyped
CENT = Decimal("0.01")

# Words that say which rule applies; the first group found wins, in this order.
KIND_WORDS: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    ("retiree", ("退休", "离休", "养老金", "退休金", "离退休")),
    ("student", ("学生", "上学", "读书", "研究生", "失业", "下岗", "低保", "救济", "抚恤")),
    ("farmer", ("农民", "务农", "种地", "农村党员")),
    ("annual_salary", ("年薪",)),
    ("self_employed", ("个体", "做生意", "自己开店", "个体户", "经营者", "自由职业")),
    ("wage", ("工资", "月薪", "收入", "上班", "工薪")),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Dues:
    kind: Kind
    income: Decimal | None  # the base the rule reads (None for the fixed sums)
    rate: Decimal | None
    low: Decimal  # the monthly amount; a range only for farmers (province decides)
    high: Decimal
    upper: int | None = None  # the bracket's upper bound (None: the top bracket)
    lower: int | None = None  # the bracket's lower bound, excluded

    @property
    def article(self) -> str:
        return ARTICLE[self.kind]


def _bracket(
    income: Decimal, brackets: tuple[tuple[int | None, Decimal], ...]
) -> tuple[int | None, int | None, Decimal]:
    lower: int | None = None
    for upper, rate in brackets:
        if upper is None or income <= upper:
            return lower, upper, rate
        lower = upper
    raise AssertionError("the last bracket has no upper bound")


def monthly_dues(kind: Kind, income: Decimal | None = None) -> Dues:
    """The monthly dues of a member of `kind` with that monthly income (after tax; for a
    retiree the pension; for annual salary this month's pay; for the self-employed last
    quarter's average monthly net income). Raises ValueError when an income is needed and
    missing or impossible."""
    if kind in FIXED:
        low, high = FIXED[kind]
        return Dues(kind, None, None, low, high)
    if income is None or income < 0 or income > MAX_INCOME:
        raise ValueError("income needed")
    brackets = RETIREE_BRACKETS if kind == "retiree" else WAGE_BRACKETS
    lower, upper, rate = _bracket(income, brackets)
    amount = (income * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return Dues(kind, income, rate, amount, amount, upper, lower)


def kind_in(text: str) -> Kind | None:
    """Which rule the words of a question point to; None when they do not say."""
    for kind, words in KIND_WORDS:
        if any(word in text for word in words):
            return kind
    return None


# A number as people type it: 5500, 5500.5, 5,500, 五千五, 5千5, 1.2万; the longest run first.
_AMOUNT = re.compile(
    r"[0-9][0-9,]*(?:\.[0-9]+)?(?:[千万][0-9]?)?|[零〇一二两三四五六七八九十百千万]{2,}|[两三四五六七八九]千"
)


def amount_in(text: str) -> Decimal | None:
    """The first amount of money in a question or command; None when there is none, or the
    number is malformed (1e9, 万万) or negative: the caller asks again instead of guessing."""
    cleaned = normalise(text).replace("，", ",")
    if re.search(r"-\s*[0-9]", cleaned) or re.search(r"[0-9]e[0-9]", cleaned, re.I):
        return None
    for match in _AMOUNT.finditer(cleaned):
        value = _amount(match.group(0).replace(",", ""))
        if value is not None:
            return value
    return None


def _amount(token: str) -> Decimal | None:
    if re.fullmatch(r"[0-9]+\.[0-9]{1,2}", token):
        try:
            return Decimal(token)
        except InvalidOperation:
            return None
    number = parse_integer(token)
    return Decimal(number) if number is not None and number >= 0 else None
