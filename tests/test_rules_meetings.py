"""The rules of a branch's organisational life (issue 16) as tables: which meetings a branch
holds, their periods and gaps, the 党员大会's quorum and majority, and the reminder dates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.rules.meetings import (
    BY_KIND,
    MONTHLY,
    QUARTERLY,
    YEARLY,
    Gap,
    MeetingKind,
    Period,
    committee_quorum,
    election_reminder,
    gaps,
    month_of,
    party_meeting_vote,
    period_of,
    required,
    talks_reminder,
    term_end,
)

K = MeetingKind


@pytest.mark.parametrize(
    ("committee", "groups", "kinds"),
    [
        (False, False, {K.PARTY_MEETING, K.LECTURE, K.LIFE_MEETING, K.REVIEW}),
        (True, False, {K.PARTY_MEETING, K.COMMITTEE, K.LECTURE, K.LIFE_MEETING, K.REVIEW}),
        (False, True, {K.PARTY_MEETING, K.GROUP, K.LECTURE, K.LIFE_MEETING, K.REVIEW}),
        (True, True, set(K)),
    ],
)
def test_which_meetings_a_branch_holds(committee: bool, groups: bool, kinds: set) -> None:
    assert {r.kind for r in required(committee, groups)} == kinds


@pytest.mark.parametrize(
    ("kind", "every", "national", "month"),
    [
        (K.PARTY_MEETING, QUARTERLY, True, 1),  # 第十一条: generally once a quarter
        (K.COMMITTEE, MONTHLY, True, 1),  # 第十二条: generally once a month
        (K.GROUP, MONTHLY, True, 1),  # 第十三条: generally once a month
        (K.LECTURE, QUARTERLY, False, 1),  # no branch-level frequency in the 条例
        (K.LIFE_MEETING, YEARLY, True, 12),  # 第十七条: at least yearly, usually in Q4
        (K.REVIEW, YEARLY, True, 12),  # 第十八条: generally once a year
    ],
)
def test_each_kinds_default_rule(kind: MeetingKind, every: int, national: bool, month: int) -> None:
    rule = BY_KIND[kind]
    assert (rule.every_months, rule.national) == (every, national)
    assert month_of(period_of(date(2027, 5, 9), every), rule)[1] == (
        5 if every == MONTHLY else (4 if every == QUARTERLY else month)
    )


@pytest.mark.parametrize(
    ("day", "every", "start", "end"),
    [
        (date(2027, 1, 1), MONTHLY, date(2027, 1, 1), date(2027, 1, 31)),
        (date(2028, 2, 29), MONTHLY, date(2028, 2, 1), date(2028, 2, 29)),
        (date(2027, 2, 14), QUARTERLY, date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 12, 31), QUARTERLY, date(2027, 10, 1), date(2027, 12, 31)),
        (date(2027, 7, 1), QUARTERLY, date(2027, 7, 1), date(2027, 9, 30)),
        (date(2027, 6, 30), YEARLY, date(2027, 1, 1), date(2027, 12, 31)),
    ],
)
def test_the_period_a_day_falls_in(day: date, every: int, start: date, end: date) -> None:
    assert period_of(day, every) == Period(start, end)


def test_a_period_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError):
        period_of(date(2027, 1, 1), 2)


Q = [Period(date(2027, m, 1), period_of(date(2027, m, 1), QUARTERLY).end) for m in (1, 4, 7, 10)]


@pytest.mark.parametrize(
    ("recorded", "today", "expected"),
    [
        ([], date(2027, 2, 1), [Gap(Q[0], False)]),  # this quarter: not yet overdue
        ([date(2027, 3, 31)], date(2027, 2, 1), []),  # recorded (dates ahead count too)
        ([], date(2027, 4, 1), [Gap(Q[0], True), Gap(Q[1], False)]),
        ([date(2027, 2, 10)], date(2027, 8, 15), [Gap(Q[1], True), Gap(Q[2], False)]),
        ([date(2026, 12, 20)], date(2027, 1, 5), [Gap(Q[0], False)]),  # last year's
        ([date(2027, d, 1) for d in (1, 4, 7, 10)], date(2028, 1, 1), []),
        ([], date(2026, 12, 31), []),  # the year has not begun
    ],
)
def test_which_periods_have_no_record(recorded: list, today: date, expected: list) -> None:
    assert gaps(QUARTERLY, recorded, 2027, today) == expected


@pytest.mark.parametrize(
    ("entitled", "present", "in_favour", "quorum", "passed"),
    [
        (10, 6, 6, True, True),
        (10, 6, 5, True, False),  # 5 of 10 entitled is not more than half
        (10, 5, 5, False, False),  # half came: no quorum, and 5 is not more than half
        (10, 10, 6, True, True),
        (9, 5, 5, True, True),
        (9, 4, 4, False, False),
        (3, 2, 2, True, True),
        (1, 1, 1, True, True),
        (10, 8, 4, True, False),  # a majority of those present is not enough
    ],
)
def test_a_party_meeting_vote(
    entitled: int, present: int, in_favour: int, quorum: bool, passed: bool
) -> None:
    vote = party_meeting_vote(entitled, present, in_favour)
    assert (vote.quorum, vote.passed) == (quorum, passed)


@pytest.mark.parametrize(("entitled", "present", "in_favour"), [(5, 6, 1), (5, 3, 4), (0, 0, 0)])
def test_impossible_counts_are_refused(entitled: int, present: int, in_favour: int) -> None:
    with pytest.raises(ValueError):
        party_meeting_vote(entitled, present, in_favour)


@pytest.mark.parametrize(
    ("members", "present", "valid"), [(5, 3, True), (5, 2, False), (4, 2, False), (3, 2, True)]
)
def test_a_committee_meeting_needs_more_than_half(members: int, present: int, valid: bool) -> None:
    assert committee_quorum(members, present) is valid


@pytest.mark.parametrize(
    ("elected", "months", "term", "remind"),
    [
        (date(2024, 6, 15), 6, date(2027, 6, 15), date(2026, 12, 15)),
        (date(2024, 8, 31), 6, date(2027, 8, 31), date(2027, 2, 28)),  # February has no 31st
        (date(2024, 2, 29), 3, date(2027, 2, 28), date(2026, 11, 28)),
        (date(2024, 3, 1), 0, date(2027, 3, 1), date(2027, 3, 1)),
    ],
)
def test_the_election_reminder(elected: date, months: int, term: date, remind: date) -> None:
    assert term_end(elected) == term
    assert election_reminder(elected, months) == remind


def test_talks_come_before_the_life_meeting() -> None:
    assert talks_reminder(date(2027, 12, 15), 3) == date(2027, 11, 24)


def test_every_kind_has_its_words_and_local_practice_says_so() -> None:
    from knowledge.content import KNOWLEDGE_DIR, read_yaml

    kinds = read_yaml(KNOWLEDGE_DIR / "organisational_life.yaml")["kinds"]
    assert set(kinds) == {kind.value for kind in MeetingKind}
    for kind, words in kinds.items():
        assert words["name"] and words["short"]
        national = BY_KIND[MeetingKind(kind)].national
        assert ("《支部工作条例》" in words["basis"]) is national, kind
        assert national or "通行做法" in words["basis"], kind
