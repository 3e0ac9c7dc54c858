"""抓组建: which organisational form fits, from the number of formal members.

Sources: the six-step article (3+ formal members: set up an organisation; fewer: a joint
organisation; none: a 党建工作指导员 and mass organisations); 党章 (probationary members do not
count); 《中国共产党支部工作条例（试行）》 (7+ formal members: a branch committee of generally
3–5, at most 7; fewer: a secretary); common practice, not in the 条例 (50+: a 党总支 may be set
up; 100+: a 基层党委).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.rules.coverage import OWN_ORGANISATION_FORMAL_MEMBERS

COMMITTEE_FROM = 7
GENERAL_BRANCH_FROM = 50
PARTY_COMMITTEE_FROM = 100
COMMITTEE_POSTS = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员")


class Form(StrEnum):
    PARTY_COMMITTEE = "party_committee"  # 基层党委 (common practice, 100+)
    GENERAL_BRANCH = "general_branch"  # 党总支 (common practice, 50+)
    BRANCH = "branch"  # 党支部
    JOINT = "joint"  # 联合党组织
    INSTRUCTOR = "instructor"  # 党建工作指导员 + 群团组织


@dataclass(frozen=True, slots=True)
class FormationAdvice:
    form: Form
    branch_committee: bool  # a 支部委员会 (7+ formal members) rather than a secretary alone
    posts: tuple[str, ...]
    # At exactly 50 a branch complies (generally no more than 50) and a 党总支 may be set up
    # (50+): both are said.
    general_branch_also: bool = False


def formation_advice(formal_members: int, probationary_members: int = 0) -> FormationAdvice:
    """Probationary members never count towards 3, 7, 50 or 100; they only make "no members"
    false, so a unit with probationary members alone joins a joint organisation."""
    if formal_members < 0 or probationary_members < 0:
        raise ValueError("member counts cannot be negative")
    if formal_members >= PARTY_COMMITTEE_FROM:
        form = Form.PARTY_COMMITTEE
    elif formal_members > GENERAL_BRANCH_FROM:
        form = Form.GENERAL_BRANCH
    elif formal_members >= OWN_ORGANISATION_FORMAL_MEMBERS:
        form = Form.BRANCH
    elif formal_members + probationary_members > 0:
        form = Form.JOINT
    else:
        form = Form.INSTRUCTOR
    committee = formal_members >= COMMITTEE_FROM
    if committee:
        posts = COMMITTEE_POSTS
    elif form is Form.BRANCH:
        posts = ("书记", "副书记")
    else:
        posts = ()
    also = form is Form.BRANCH and formal_members == GENERAL_BRANCH_FROM
    return FormationAdvice(form, committee, posts, also)
