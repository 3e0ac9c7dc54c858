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
    LifeSettings,
    MeetingKind,
    MeetingPlan,
    Occurrence,
    Period,
    committee_quorum,
    election_reminder,
    gaps,
    month_of,
    occurrences,
    party_meeting_vote,
    period_of,
    read_settings,
    required,
    settings_data,
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


def test_periods_before_the_calendar_was_kept_are_not_missed() -> None:
    found = gaps(QUARTERLY, [], 2027, date(2027, 8, 15), since=date(2027, 5, 20))
    assert found == [Gap(Q[1], True), Gap(Q[2], False)]


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


# ----- settings and occurrences -----------------------------------------------------------

THEME = {"kind": "day", "day": 15, "time": "09:00"}
OWN = {"kind": "nth_weekday", "n": 1, "weekday": 0, "time": "19:00"}  # 每月第一个星期一


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, LifeSettings()),
        ("垃圾", LifeSettings()),
        ({"committee_members": 5, "has_groups": True}, LifeSettings(5, True)),
        ({"committee_members": 9}, LifeSettings()),  # more than 7: not a committee size
        ({"committee_members": True}, LifeSettings()),
        ({"elected_on": "2024-06-15"}, LifeSettings(elected_on=date(2024, 6, 15))),
        ({"elected_on": "2024-02-30"}, LifeSettings()),
        ({"talks_weeks": 0, "election_months_ahead": -1}, LifeSettings()),
        (
            {"plans": {"committee": {"day_rule": OWN}, "lecture": {"active": False}}},
            LifeSettings(
                plans=(
                    MeetingPlan(K.COMMITTEE, day_rule=OWN),
                    MeetingPlan(K.LECTURE, active=False),
                )
            ),
        ),
        (  # a broken rule means the theme day; a month past its period the default
            {"plans": {"party_meeting": {"day_rule": {"kind": "x"}, "month_in_period": 5}}},
            LifeSettings(plans=(MeetingPlan(K.PARTY_MEETING),)),
        ),
        ({"plans": {"unknown": {}}}, LifeSettings()),
    ],
)
def test_stored_settings_are_read_safely(data: object, expected: LifeSettings) -> None:
    assert read_settings(data) == expected
    assert read_settings(settings_data(expected)) == expected


def test_a_branch_holds_what_it_has_and_has_not_switched_off() -> None:
    settings = LifeSettings(committee_members=5, plans=(MeetingPlan(K.REVIEW, active=False),))
    assert [p.kind for p in settings.held()] == [
        K.PARTY_MEETING, K.COMMITTEE, K.LECTURE, K.LIFE_MEETING,
    ]  # fmt: skip
    assert settings.plan(K.LIFE_MEETING).month_in_period == 12


def test_the_meetings_of_a_year_on_the_theme_day_and_on_their_own() -> None:
    settings = LifeSettings(committee_members=5, plans=(MeetingPlan(K.COMMITTEE, day_rule=OWN),))
    found = occurrences(settings, THEME, date(2027, 1, 1), date(2027, 12, 31))
    by_kind: dict[MeetingKind, list[date]] = {}
    for occurrence in found:
        by_kind.setdefault(occurrence.kind, []).append(occurrence.day)
    assert by_kind[K.PARTY_MEETING] == [date(2027, m, 15) for m in (1, 4, 7, 10)]
    assert by_kind[K.LECTURE] == [date(2027, m, 15) for m in (1, 4, 7, 10)]
    assert by_kind[K.LIFE_MEETING] == by_kind[K.REVIEW] == [date(2027, 12, 15)]
    assert by_kind[K.COMMITTEE][:3] == [date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)]
    assert len(by_kind[K.COMMITTEE]) == 12
    assert K.GROUP not in by_kind
    assert found == sorted(found, key=lambda o: o.day)
    assert Occurrence(K.COMMITTEE, date(2027, 1, 4), OWN) in found


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2027, 1, 16), date(2027, 4, 14), []),  # this quarter's has passed, the next not yet
        (date(2027, 1, 15), date(2027, 1, 15), [date(2027, 1, 15)]),
        (date(2026, 12, 20), date(2027, 4, 30), [date(2027, 1, 15), date(2027, 4, 15)]),
    ],
)
def test_the_party_meetings_due_in_a_span(start: date, end: date, days: list[date]) -> None:
    settings = LifeSettings(
        plans=tuple(MeetingPlan(k, active=False) for k in K if k != K.PARTY_MEETING)
    )
    assert [o.day for o in occurrences(settings, THEME, start, end)] == days


def test_without_a_theme_day_only_meetings_of_their_own_have_dates() -> None:
    settings = LifeSettings(committee_members=3, plans=(MeetingPlan(K.COMMITTEE, day_rule=OWN),))
    found = occurrences(settings, None, date(2027, 1, 1), date(2027, 3, 31))
    assert {o.kind for o in found} == {K.COMMITTEE}
