"""The one rule for a press or a text reply on a theme-day reminder, as a table."""

from __future__ import annotations

import pytest

from bot.rules.attendance_press import (
    CHANGED,
    CLOSED,
    OTHER_GROUP,
    SAME,
    Answer,
    decide,
)

ATTEND, LEAVE = Answer("attend"), Answer("leave")
TRIP, ILL = Answer("leave", "出差"), Answer("leave", "生病")


@pytest.mark.parametrize(
    ("earlier", "press", "outcome", "kept"),
    [
        (None, ATTEND, CHANGED, ATTEND),
        (None, TRIP, CHANGED, TRIP),
        (None, Answer("attend", "出差"), CHANGED, ATTEND),  # only a leave has a reason
        (ATTEND, ATTEND, SAME, ATTEND),  # a double tap
        (ATTEND, LEAVE, CHANGED, LEAVE),
        (ATTEND, TRIP, CHANGED, TRIP),
        (TRIP, LEAVE, SAME, TRIP),  # 请假 pressed again keeps the reason given in words
        (TRIP, TRIP, SAME, TRIP),
        (TRIP, ILL, CHANGED, ILL),  # a new reason replaces it
        (TRIP, ATTEND, CHANGED, ATTEND),  # coming drops it
        (TRIP, Answer("leave", ""), SAME, TRIP),  # an empty reason is no reason
        (LEAVE, TRIP, CHANGED, TRIP),
    ],
)
def test_what_a_press_changes(
    earlier: Answer | None, press: Answer, outcome: str, kept: Answer
) -> None:
    assert decide(earlier, press, in_branch_group=True, still_open=True) == (outcome, kept)


@pytest.mark.parametrize(
    ("in_branch_group", "still_open", "outcome"),
    [(False, True, OTHER_GROUP), (False, False, OTHER_GROUP), (True, False, CLOSED)],
)
def test_a_press_that_does_not_count(in_branch_group: bool, still_open: bool, outcome: str) -> None:
    result = decide(ATTEND, TRIP, in_branch_group=in_branch_group, still_open=still_open)
    assert result == (outcome, None)
