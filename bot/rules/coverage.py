"""Coverage targets and the recommended way forward for one organisation (抓摸底 → 抓组建).

Source: the six-step article (抓组建). Probationary members are party members (they count for
"has party members") but never count towards the 3-member threshold (党章).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ENTERPRISE = "非公企业"
SOCIAL_ORGANISATION = "社会组织"
SOCIAL_GROUP = "社会团体"
# 实体性社会组织 named by the article; 30+ staff must have a party organisation.
ENTITY_SUBTYPES = frozenset({"民办学校", "民办医院", "律师事务所", "会计师事务所", "税务师事务所"})

ENTERPRISE_MEMBERS_FROM = 50
ENTERPRISE_ORGANISATION_FROM = 100
ENTITY_ORGANISATION_FROM = 30
OWN_ORGANISATION_FORMAL_MEMBERS = 3


class TargetCode(StrEnum):
    ENTERPRISE_MEMBERS = "enterprise_members"  # 职工50人以上的非公企业有党员
    ENTERPRISE_ORGANISATION = "enterprise_organisation"  # 职工100人以上的非公企业有党组织
    SOCIAL_GROUP_ORGANISATION = "social_group_organisation"  # 州级以上社会团体有党组织
    ENTITY_ORGANISATION = "entity_organisation"  # 30人以上实体性社会组织有党组织


class NextStep(StrEnum):
    STANDARDISE = "standardise"  # already has a party organisation: 抓规范
    OWN_BRANCH = "own_branch"  # 3+ formal members: set up its own organisation
    JOINT = "joint"  # some members, fewer than 3 formal: 联合党组织
    INSTRUCTOR = "instructor"  # no members: 党建工作指导员 and 群团组织


@dataclass(frozen=True, slots=True)
class Target:
    code: TargetCode
    met: bool


@dataclass(frozen=True, slots=True)
class OrganisationFacts:
    kind: str
    subtype: str | None
    prefecture_level: bool | None
    employees: int
    formal_members: int
    probationary_members: int
    has_party_org: bool

    @property
    def party_members(self) -> int:
        return self.formal_members + self.probationary_members


def coverage_targets(facts: OrganisationFacts) -> list[Target]:
    """The targets that apply to this organisation, each with whether it is met."""
    targets: list[Target] = []
    if facts.kind == ENTERPRISE:
        if facts.employees >= ENTERPRISE_MEMBERS_FROM:
            targets.append(Target(TargetCode.ENTERPRISE_MEMBERS, facts.party_members > 0))
        if facts.employees >= ENTERPRISE_ORGANISATION_FROM:
            targets.append(Target(TargetCode.ENTERPRISE_ORGANISATION, facts.has_party_org))
    elif facts.kind == SOCIAL_ORGANISATION:
        if facts.subtype == SOCIAL_GROUP and facts.prefecture_level:
            targets.append(Target(TargetCode.SOCIAL_GROUP_ORGANISATION, facts.has_party_org))
        elif facts.subtype in ENTITY_SUBTYPES and facts.employees >= ENTITY_ORGANISATION_FROM:
            targets.append(Target(TargetCode.ENTITY_ORGANISATION, facts.has_party_org))
    return targets


def next_step(facts: OrganisationFacts) -> NextStep:
    """Own organisation with 3+ formal members, joint organisation with fewer, else instructor."""
    if facts.has_party_org:
        return NextStep.STANDARDISE
    if facts.formal_members >= OWN_ORGANISATION_FORMAL_MEMBERS:
        return NextStep.OWN_BRANCH
    if facts.party_members > 0:
        return NextStep.JOINT
    return NextStep.INSTRUCTOR


def coverage_met(targets: list[Target]) -> bool | None:
    """None when no target applies; otherwise whether all applicable targets are met."""
    return all(t.met for t in targets) if targets else None
