"""What a careful clerk refuses in a ledger record: a 未建党组织 reason that does not fit the
member counts ("没有党员" with 5 formal members), a 负责人 who is a party member in a unit with
no members, a party organisation without members, more members than staff. The survey runs
these at entry and after every change (/ledger 修改) and asks back; the export flags what an
older record still holds (待核实).

Fields are read by their ledger names, so a record and the survey's answers are checked alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.rules.coverage import OWN_ORGANISATION_FORMAL_MEMBERS

NO_MEMBERS = "没有党员"
TOO_FEW = "正式党员不足3名"


class Contradiction(Enum):
    REASON_MISFIT = "reason_misfit"
    LEADER_MEMBER_WITHOUT_MEMBERS = "leader_member_without_members"
    ORGANISATION_WITHOUT_MEMBERS = "organisation_without_members"
    MORE_MEMBERS_THAN_STAFF = "more_members_than_staff"


@dataclass(frozen=True, slots=True)
class Concern:
    """The answer a contradiction is asked back at, and the answer to correct first when the
    user insists (None: ask the same question again)."""

    step: str
    correct_first: str | None


CONCERNS = {
    Contradiction.REASON_MISFIT: Concern("no_org_reason", None),
    Contradiction.LEADER_MEMBER_WITHOUT_MEMBERS: Concern("leader_is_member", "formal_members"),
    Contradiction.ORGANISATION_WITHOUT_MEMBERS: Concern("has_party_org", "formal_members"),
    Contradiction.MORE_MEMBERS_THAN_STAFF: Concern("probationary_members", None),
}


def reason_fits(reason: str, formal_members: int, probationary_members: int) -> bool:
    if reason == NO_MEMBERS:
        return formal_members + probationary_members == 0
    if reason == TOO_FEW:
        members = formal_members + probationary_members
        return members > 0 and formal_members < OWN_ORGANISATION_FORMAL_MEMBERS
    return True


def fitting_reasons(reasons: list[str], formal: int, probationary: int) -> list[str]:
    return [r for r in reasons if reason_fits(r, formal, probationary)]


def _count(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def contradictions(fields: Mapping[str, Any]) -> list[Contradiction]:
    """Every contradiction among the fields given; a field not answered yet contradicts
    nothing, so the survey can ask this after each answer."""
    formal, probationary = _count(fields, "formal_members"), _count(fields, "probationary_members")
    employees = _count(fields, "employees")
    members = None if formal is None or probationary is None else formal + probationary
    found: list[Contradiction] = []
    reason = fields.get("no_org_reason")
    if (
        fields.get("has_party_org") is False
        and isinstance(reason, str)
        and members is not None
        and not reason_fits(reason, formal or 0, probationary or 0)
    ):
        found.append(Contradiction.REASON_MISFIT)
    if members == 0 and fields.get("leader_is_member") is True and fields.get("leader_name"):
        found.append(Contradiction.LEADER_MEMBER_WITHOUT_MEMBERS)
    if members == 0 and fields.get("has_party_org") is True:
        found.append(Contradiction.ORGANISATION_WITHOUT_MEMBERS)
    if members is not None and employees is not None and members > employees:
        found.append(Contradiction.MORE_MEMBERS_THAN_STAFF)
    return found


def contradiction_at(step: str, fields: Mapping[str, Any]) -> Contradiction | None:
    """The contradiction to ask back at this step, if the answers hold one."""
    return next((c for c in contradictions(fields) if CONCERNS[c].step == step), None)
