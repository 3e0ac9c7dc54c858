"""Which 未建党组织 reasons fit the member counts: a careful clerk refuses "没有党员" for a unit
with 5 formal members, and "正式党员不足3名" for one with 3 or more. The survey offers only the
reasons that fit, and asks again when a later change (/ledger 修改) makes the saved one wrong.
"""

from __future__ import annotations

from bot.rules.coverage import OWN_ORGANISATION_FORMAL_MEMBERS

NO_MEMBERS = "没有党员"
TOO_FEW = "正式党员不足3名"


def reason_fits(reason: str, formal_members: int, probationary_members: int) -> bool:
    if reason == NO_MEMBERS:
        return formal_members + probationary_members == 0
    if reason == TOO_FEW:
        members = formal_members + probationary_members
        return members > 0 and formal_members < OWN_ORGANISATION_FORMAL_MEMBERS
    return True


def fitting_reasons(reasons: list[str], formal: int, probationary: int) -> list[str]:
    return [r for r in reasons if reason_fits(r, formal, probationary)]
