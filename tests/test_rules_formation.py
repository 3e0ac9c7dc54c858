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
    (50, Form.GENERAL_BRANCH, True),
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


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        formation_advice(-1)
