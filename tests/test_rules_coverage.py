"""Coverage targets and the way forward, as tables of cases (source: the article, 抓组建)."""

from __future__ import annotations

import pytest

from bot.rules.coverage import (
    NextStep,
    OrganisationFacts,
    TargetCode,
    coverage_met,
    coverage_targets,
    next_step,
)

E, S = "非公企业", "社会组织"


def facts(kind=E, subtype=None, prefecture=None, employees=10, formal=0, prob=0, org=False):  # type: ignore[no-untyped-def]
    return OrganisationFacts(kind, subtype, prefecture, employees, formal, prob, org)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (facts(employees=49), []),
        (facts(employees=50), [(TargetCode.ENTERPRISE_MEMBERS, False)]),
        (facts(employees=50, prob=1), [(TargetCode.ENTERPRISE_MEMBERS, True)]),
        (facts(employees=99, formal=1), [(TargetCode.ENTERPRISE_MEMBERS, True)]),
        (
            facts(employees=100, formal=2, prob=1),
            [(TargetCode.ENTERPRISE_MEMBERS, True), (TargetCode.ENTERPRISE_ORGANISATION, False)],
        ),
        (
            facts(employees=120, formal=3, org=True),
            [(TargetCode.ENTERPRISE_MEMBERS, True), (TargetCode.ENTERPRISE_ORGANISATION, True)],
        ),
        (
            facts(employees=100),
            [(TargetCode.ENTERPRISE_MEMBERS, False), (TargetCode.ENTERPRISE_ORGANISATION, False)],
        ),
        (
            facts(S, "社会团体", prefecture=True, employees=3),
            [(TargetCode.SOCIAL_GROUP_ORGANISATION, False)],
        ),
        (
            facts(S, "社会团体", prefecture=True, org=True),
            [(TargetCode.SOCIAL_GROUP_ORGANISATION, True)],
        ),
        (facts(S, "社会团体", prefecture=False, employees=300), []),
        *[
            (facts(S, sub, employees=29), [])
            for sub in ("民办学校", "民办医院", "律师事务所", "会计师事务所", "税务师事务所")
        ],
        *[
            (facts(S, sub, employees=30), [(TargetCode.ENTITY_ORGANISATION, False)])
            for sub in ("民办学校", "民办医院", "律师事务所", "会计师事务所", "税务师事务所")
        ],
        (facts(S, "民办学校", employees=30, org=True), [(TargetCode.ENTITY_ORGANISATION, True)]),
        (facts(S, "其他社会组织", employees=500), []),
        *[(facts(S, "其他社会组织", employees=n), []) for n in (29, 30)],
        *[
            (
                facts(S, "社会团体", prefecture=True, employees=n),
                [(TargetCode.SOCIAL_GROUP_ORGANISATION, False)],
            )
            for n in (29, 30)
        ],
        *[(facts(S, "社会团体", prefecture=False, employees=n), []) for n in (29, 30)],
    ],
)
def test_coverage_targets(case: OrganisationFacts, expected: list[tuple[TargetCode, bool]]) -> None:
    assert [(t.code, t.met) for t in coverage_targets(case)] == expected


@pytest.mark.parametrize(
    ("formal", "prob", "has_org", "expected"),
    [
        (0, 0, False, NextStep.INSTRUCTOR),
        (0, 1, False, NextStep.JOINT),  # a probationary member is a member, not a formal one
        (1, 0, False, NextStep.JOINT),
        (2, 0, False, NextStep.JOINT),
        (2, 1, False, NextStep.JOINT),  # probationary members never reach the threshold
        (2, 5, False, NextStep.JOINT),
        (3, 0, False, NextStep.OWN_BRANCH),
        (7, 2, False, NextStep.OWN_BRANCH),
        (0, 0, True, NextStep.STANDARDISE),
        (5, 0, True, NextStep.STANDARDISE),
    ],
)
def test_next_step(formal: int, prob: int, has_org: bool, expected: NextStep) -> None:
    assert next_step(facts(employees=200, formal=formal, prob=prob, org=has_org)) == expected


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (facts(employees=10), None),
        (facts(employees=60, formal=1), True),
        (facts(employees=120, formal=1), False),
    ],
)
def test_coverage_met(case: OrganisationFacts, expected: bool | None) -> None:
    assert coverage_met(coverage_targets(case)) is expected
