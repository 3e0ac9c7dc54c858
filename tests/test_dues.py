"""党费: the rule for each kind of member at every bracket edge, amounts as people write them,
and the calculator as a user meets it (`/dues`, a question in words, bad input)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.rules.dues import amount_in, kind_in, monthly_dues
from tests.chat import Conversation, bot_services


@pytest.mark.parametrize(
    ("kind", "income", "amount", "rate"),
    [
        # Wage earners (第二条): ≤3000 0.5 %, ≤5000 1 %, ≤10000 1.5 %, above 2 %.
        ("wage", "0", "0.00", "0.005"),
        ("wage", "1", "0.01", "0.005"),
        ("wage", "2999.99", "15.00", "0.005"),
        ("wage", "3000", "15.00", "0.005"),
        ("wage", "3000.01", "30.00", "0.01"),
        ("wage", "5000", "50.00", "0.01"),
        ("wage", "5000.01", "75.00", "0.015"),
        ("wage", "5500", "82.50", "0.015"),
        ("wage", "10000", "150.00", "0.015"),
        ("wage", "10000.01", "200.00", "0.02"),
        ("wage", "12345", "246.90", "0.02"),
        # Annual salary (第三条) and the self-employed (第四条): the same table, another base.
        ("annual_salary", "8000", "120.00", "0.015"),
        ("self_employed", "3000", "15.00", "0.005"),
        # Retirees (第五条): ≤5000 0.5 %, above 1 %; never the wage table.
        ("retiree", "3500", "17.50", "0.005"),
        ("retiree", "5000", "25.00", "0.005"),
        ("retiree", "5000.01", "50.00", "0.01"),
        ("retiree", "12000", "120.00", "0.01"),
        # Half a fen rounds up, as collected.
        ("wage", "2001", "10.01", "0.005"),
        ("wage", "3001", "30.01", "0.01"),
    ],
)
def test_monthly_dues(kind: str, income: str, amount: str, rate: str) -> None:
    dues = monthly_dues(kind, Decimal(income))  # type: ignore[arg-type]
    assert (dues.low, dues.rate) == (Decimal(amount), Decimal(rate))
    assert dues.low == dues.high


@pytest.mark.parametrize(
    ("kind", "low", "high"), [("farmer", "0.2", "1"), ("student", "0.2", "0.2")]
)
def test_fixed_sums_need_no_income(kind: str, low: str, high: str) -> None:
    dues = monthly_dues(kind)  # type: ignore[arg-type]
    assert (dues.low, dues.high, dues.rate) == (Decimal(low), Decimal(high), None)
    assert dues.article == "第六条"


@pytest.mark.parametrize("income", [None, Decimal(-5), Decimal(10**9)])
def test_an_income_that_cannot_be_is_refused(income: Decimal | None) -> None:
    with pytest.raises(ValueError):
        monthly_dues("wage", income)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("5500", "5500"),
        ("５５００", "5500"),
        ("5,500", "5500"),
        ("5500.50", "5500.50"),
        ("五千五", "5500"),
        ("5千5", "5500"),
        ("1.2万", "12000"),
        ("一万二", "12000"),
        ("工资税后5500交多少党费", "5500"),
        ("税后六千块一个月，党费该交好多", "6000"),
        ("退休金每月4800", "4800"),
        ("-5", None),
        ("1e9", None),
        ("万万", None),
        ("党费怎么交", None),
        ("🙂💰", None),
        ("", None),
    ],
)
def test_amount_as_people_write_it(text: str, amount: str | None) -> None:
    assert amount_in(text) == (Decimal(amount) if amount else None)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我退休了每月6000", "retiree"),
        ("大学生党员交多少", "student"),
        ("领低保的党员", "student"),
        ("农民党员党费", "farmer"),
        ("年薪20万", "annual_salary"),
        ("自己做生意的党员", "self_employed"),
        ("工资5500", "wage"),
        ("5500", None),
    ],
)
def test_which_rule_the_words_point_to(text: str, kind: str | None) -> None:
    assert kind_in(text) == kind


async def test_the_calculator_as_a_user_meets_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}") as services:
        chat = Conversation(services)
        reply = await chat.say("/dues 5500")
        assert "82.50 元" in reply and "1.5%" in reply and "第一条、第二条" in reply
        assert "离退休" in reply  # a bare amount says the other groups differ
        assert "60.00 元" in await chat.say("/dues 退休 6000")
        assert "0.2 元至 1 元" in await chat.say("/dues 农民")
        assert "0.2 元" in await chat.say("/dues 学生")
        assert "/dues 退休 6000" in await chat.say("/dues 退休")  # the amount is asked for
        assert "/dues 5500" in await chat.say("/dues")
        too_much = ("/dues 999999999", "/dues " + "9" * 10_000)
        for bad in ("/dues -5", "/dues 1e9", "/dues 万万", "/dues 🙂", *too_much):
            assert "没看懂这个金额" in await chat.say(bad)
        assert "90.00 元" in await chat.say("税后六千块一个月，党费该交好多")
        assert "82.50 元" in await chat.say("/ask 工资税后5500交多少党费")
