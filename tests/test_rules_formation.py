"""Formation rules as a table: formal members at every threshold, with and without
probationary members, who must never tip a unit over a threshold."""

from __future__ import annotations

import pytest

from bot.rules.formation import Form, formation_advice

CASES = [
    (0, Form.INSTRUCTOR, False),
    (1, Form.JOINT, False),
    (2, Form.JOINT, False),
    (3, Form.BRANCH, False),
    (6, Form.BRANCH, False),
    (7, Form.BRANCH, True),
    (49, Form.BRANCH, True),
    (50, Form.BRANCH, True),  # a branch of up to 50 complies; 党总支 is offered beside it
    (51, Form.GENERAL_BRANCH, True),
    (99, Form.GENERAL_BRANCH, True),
    (100, Form.PARTY_COMMITTEE, True),
    (101, Form.PARTY_COMMITTEE, True),
]


@pytest.mark.parametrize(("formal", "form", "committee"), CASES)
@pytest.mark.parametrize("probationary", [0, 1, 5])
def test_formation_advice(formal: int, form: Form, committee: bool, probationary: int) -> None:
    advice = formation_advice(formal, probationary)
    expected = Form.JOINT if form is Form.INSTRUCTOR and probationary else form
    assert advice.form is expected
    assert advice.branch_committee is committee
    if committee:
        assert advice.posts[0] == "书记" and "纪检委员" in advice.posts


@pytest.mark.parametrize(("formal", "probationary"), [(2, 1), (6, 1), (49, 1), (99, 1)])
def test_probationary_members_never_reach_a_threshold(formal: int, probationary: int) -> None:
    assert formation_advice(formal, probationary) == formation_advice(formal, 0)


@pytest.mark.parametrize(("formal", "both"), [(49, False), (50, True), (51, False), (100, False)])
def test_at_exactly_fifty_both_a_branch_and_a_general_branch_are_said(
    formal: int, both: bool
) -> None:
    from bot.rules.coverage import OrganisationFacts
    from bot.steps.organize import advice_text
    from knowledge.content import load_content

    advice = formation_advice(formal)
    assert advice.general_branch_also is both
    facts = OrganisationFacts(
        kind="非公企业",
        subtype="其他企业",
        prefecture_level=None,
        employees=200,
        formal_members=formal,
        probationary_members=0,
        has_party_org=False,
    )
    text = advice_text(facts, "某公司", load_content())
    assert ("党支部" in text and "党总支" in text) if both else True
    if both:
        assert "也可" in text


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        formation_advice(-1)
