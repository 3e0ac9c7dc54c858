"""`/dues 5500` and questions such as "工资税后5500交多少党费": the monthly 党费 computed by the
rule that applies to the member (`bot.rules.dues`), with its bracket and the article it rests
on. A bare amount is read as a monthly wage, and the answer says the other groups differ."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from bot.contract import Action, Event, SendText
from bot.rules.dues import Dues, Kind, amount_in, kind_in, monthly_dues

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services

DUES_WORDS = ("党费", "党废")  # the second: a common slip of the pinyin keyboard


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _income(value: Decimal) -> str:
    """5500 -> "5500", 5500.50 -> "5500.5": as typed, without trailing zeros."""
    return f"{value.normalize():f}"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _bracket(dues: Dues, services: Services) -> str:
    text = services.content.text
    if dues.lower is None:
        return text("dues_bracket_first", upper=dues.upper)
    if dues.upper is None:
        return text("dues_bracket_top", lower=dues.lower)
    return text("dues_bracket_middle", lower=dues.lower, upper=dues.upper)


def render(kind: Kind, income: Decimal | None, services: Services, assumed: bool) -> str:
    """The answer for one member; asks for the amount when the rule needs one."""
    text = services.content.text
    try:
        dues = monthly_dues(kind, income)
    except ValueError:  # no amount, or one no month's income can be
        if income is not None:
            return text("dues_bad_amount")
        return text("dues_need_amount", kind=text(f"dues_kind_{kind}"))
    if dues.rate is None:
        return text(f"dues_fixed_{kind}", article=dues.article)
    assert dues.income is not None
    answer = text(
        f"dues_rate_{kind}",
        income=_income(dues.income),
        bracket=_bracket(dues, services),
        rate=_percent(dues.rate),
        amount=_money(dues.low),
        article=dues.article,
    )
    return answer + ("\n" + text("dues_others") if assumed else "")


def answer(text: str, services: Services) -> str:
    """The calculator's reply to a command's arguments or a question's words."""
    income = amount_in(text)
    kind = kind_in(text)
    if kind is None and income is None:
        return services.content.text("dues_usage")
    return render(kind or "wage", income, services, assumed=kind is None)


async def dues_command(
    session: AsyncSession, event: Event, services: Services, args: str
) -> list[Action]:
    """`/dues`, `/dues 5500`, `/dues 退休 6000`, `/dues 农民`."""
    if args.strip() and amount_in(args) is None and kind_in(args) is None:
        return [SendText(services.content.text("dues_bad_amount"))]
    return [SendText(answer(args, services))]


def is_dues_question(text: str) -> bool:
    """A question about 党费 with an amount in it: the calculator answers, not the entries."""
    return any(word in text for word in DUES_WORDS) and amount_in(text) is not None
