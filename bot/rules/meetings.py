"""三会一课 and the rest of a branch's organisational life as rules (《中国共产党支部工作条例
（试行）》 第十一–十九条, as digested in knowledge/meetings.yaml): which meetings a branch must
hold, how often, which period a date falls in, which periods have no record yet, the 党员大会's
quorum and majority, and the dates of the reminders that lead up to 组织生活会 and 换届.

Every function is pure (today is an argument), so the calendar and the counting are tested as
tables. What each meeting is called and where its rule comes from is content, not code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from scheduler.rules import HORIZON_MONTHS, date_in_month, local_start, validate_rule


class MeetingKind(StrEnum):
    PARTY_MEETING = "party_meeting"  # 支部党员大会
    COMMITTEE = "committee"  # 支部委员会会议
    GROUP = "group"  # 党小组会
    LECTURE = "lecture"  # 党课
    LIFE_MEETING = "life_meeting"  # 组织生活会
    REVIEW = "review"  # 民主评议党员


MONTHLY, QUARTERLY, YEARLY = 1, 3, 12


@dataclass(frozen=True, slots=True)
class Requirement:
    """How often a kind of meeting is held by default. `national`: set by the 条例 (else local
    practice, and said so); `needs`: held only where the branch has a 支委会 or 党小组;
    `month_in_period`: the default month of its period (1 = the first; 组织生活会 in the
    fourth quarter, so its December)."""

    kind: MeetingKind
    every_months: int
    national: bool
    needs: str | None = None
    month_in_period: int = 1


COMMITTEE, GROUPS = "committee", "groups"
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(MeetingKind.PARTY_MEETING, QUARTERLY, national=True),  # 第十一条
    Requirement(MeetingKind.COMMITTEE, MONTHLY, national=True, needs=COMMITTEE),  # 第十二条
    Requirement(MeetingKind.GROUP, MONTHLY, national=True, needs=GROUPS),  # 第十三条
    Requirement(MeetingKind.LECTURE, QUARTERLY, national=False),  # 第十六条 sets no frequency
    Requirement(MeetingKind.LIFE_MEETING, YEARLY, national=True, month_in_period=12),  # 第十七条
    Requirement(MeetingKind.REVIEW, YEARLY, national=True, month_in_period=12),  # 第十八条
)
BY_KIND = {requirement.kind: requirement for requirement in REQUIREMENTS}
# A 支部委员会 is set up with 7 or more formal members (第二十条); the 条例 asks it to meet
# monthly. Below that the branch has a 书记 and no committee to meet.
COMMITTEE_FORMAL_MEMBERS = 7
TERM_YEARS = 3  # 第二十一条: a branch committee's term, generally (villages and communities 5)


def required(has_committee: bool, has_groups: bool) -> list[Requirement]:
    """The meetings this branch holds: 支委会 only with a committee, 党小组会 only with groups."""
    have = {COMMITTEE: has_committee, GROUPS: has_groups}
    return [r for r in REQUIREMENTS if r.needs is None or have[r.needs]]


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A month, a quarter or a year: the span one meeting of a kind is due in."""

    start: date
    end: date  # the last day, included

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_of(day: date, every_months: int) -> Period:
    if every_months not in (MONTHLY, QUARTERLY, YEARLY):
        raise ValueError(f"a meeting is due monthly, quarterly or yearly, not every {every_months}")
    first = (day.month - 1) // every_months * every_months + 1
    last = first + every_months - 1
    following = date(day.year + 1, 1, 1) if last == 12 else date(day.year, last + 1, 1)
    return Period(date(day.year, first, 1), following - timedelta(days=1))


def periods_of_year(year: int, every_months: int) -> list[Period]:
    return [period_of(date(year, month, 1), every_months) for month in range(1, 13, every_months)]


@dataclass(frozen=True, slots=True)
class Gap:
    """A period with no record of a required meeting; `overdue` once the period has ended."""

    period: Period
    overdue: bool


def gaps(
    every_months: int,
    recorded: Iterable[date],
    year: int,
    today: date,
    since: date | None = None,
) -> list[Gap]:
    """The periods of `year` that have begun by `today` and hold no recorded meeting: the
    current one is a gap too (not yet overdue), a later one is not a gap yet, and one that
    ended before `since` (the branch kept its calendar then) is not the bot's to count."""
    held = list(recorded)
    return [
        Gap(period, overdue=period.end < today)
        for period in periods_of_year(year, every_months)
        if period.start <= today
        and (since is None or period.end >= since)
        and not any(period.holds(day) for day in held)
    ]


def month_of(period: Period, requirement: Requirement) -> tuple[int, int]:
    """(year, month) a meeting of this kind is held in by default within its period."""
    return period.start.year, period.start.month + requirement.month_in_period - 1


@dataclass(frozen=True, slots=True)
class Vote:
    """A 党员大会 vote (第十一条): `passed` when those in favour are more than half of the
    members entitled to vote (正式党员 due to attend, 应到会), not of those present. `quorum`:
    more than half of them came; with fewer no motion can pass, however "半数以上…到会" is
    read, so that is what the record says when it is missing."""

    quorum: bool
    passed: bool


def party_meeting_vote(entitled: int, present: int, in_favour: int) -> Vote:
    if not 0 <= in_favour <= present <= entitled or entitled == 0:
        raise ValueError("0 ≤ in favour ≤ present ≤ entitled, and someone entitled")
    quorum = present * 2 > entitled
    return Vote(quorum=quorum, passed=quorum and in_favour * 2 > entitled)


def committee_quorum(committee_members: int, present: int) -> bool:
    """A 支委会 is valid with more than half of its members present (第十二条)."""
    return committee_members > 0 and present * 2 > committee_members


def talks_reminder(life_meeting: date, weeks_before: int) -> date:
    """When to remind of 谈心谈话 (第十九条: at least yearly) ahead of the 组织生活会: talks
    before it are how branches prepare it (local practice, the weeks a setting)."""
    return life_meeting - timedelta(weeks=weeks_before)


def term_end(elected_on: date, years: int = TERM_YEARS) -> date:
    """The day a term ends: the same date `years` later (28 February for a 29 February)."""
    try:
        return elected_on.replace(year=elected_on.year + years)
    except ValueError:
        return elected_on.replace(year=elected_on.year + years, day=28)


def election_reminder(elected_on: date, months_ahead: int, years: int = TERM_YEARS) -> date:
    """When to remind of 换届: `months_ahead` before the term ends (how far ahead is local
    practice; a setting). The day of the month is kept where the month has it."""
    end = term_end(elected_on, years)
    months = end.year * 12 + end.month - 1 - months_ahead
    year, month = divmod(months, 12)
    month += 1
    for day in (end.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


# ----- a branch's settings (stored as JSON in branches.organisational_life) -----------------

ELECTION_MONTHS_AHEAD = 6  # local practice, unverified as a rule: a setting
TALKS_WEEKS = 3  # 谈心谈话 reminded this long before the 组织生活会: a setting
MAX_COMMITTEE = 7  # 第二十条: a committee generally has no more than 7 members
MAX_MONTHS_AHEAD, MAX_WEEKS = 24, 12


@dataclass(frozen=True, slots=True)
class MeetingPlan:
    """When a branch holds one kind of meeting: on the theme day of its month (`day_rule`
    None, the usual way: the meeting then counts for both) or on a day of its own (a rule as
    scheduler.rules reads it); `month_in_period`: which month of its period."""

    kind: MeetingKind
    active: bool = True
    day_rule: dict[str, Any] | None = None
    month_in_period: int = 1


@dataclass(frozen=True, slots=True)
class LifeSettings:
    committee_members: int = 0  # 0: no 支部委员会 (fewer than 7 formal members)
    has_groups: bool = False
    elected_on: date | None = None  # the last election of the 委员会 or 书记
    election_months_ahead: int = ELECTION_MONTHS_AHEAD
    talks_weeks: int = TALKS_WEEKS
    plans: tuple[MeetingPlan, ...] = ()
    confirmed: bool = False  # the secretary has seen the defaults and kept or changed them
    confirmed_on: date | None = None  # since when: no record is missed before that

    def kept(self, today: date) -> LifeSettings:
        """Confirmed (or changed) by the secretary today, if not before."""
        return replace(self, confirmed=True, confirmed_on=self.confirmed_on or today)

    def plan(self, kind: MeetingKind) -> MeetingPlan:
        default = MeetingPlan(kind, month_in_period=BY_KIND[kind].month_in_period)
        return next((p for p in self.plans if p.kind == kind), default)

    def held(self) -> list[MeetingPlan]:
        """The meetings this branch holds, as it holds them."""
        kinds = required(self.committee_members > 0, self.has_groups)
        return [plan for r in kinds if (plan := self.plan(r.kind)).active]


def _int(value: object, low: int, high: int, default: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return int(value) if ok else default  # type: ignore[arg-type]


def read_settings(data: object) -> LifeSettings:
    """The stored JSON as settings; anything missing or malformed is its default, so a hand
    edit or an older version's row never stops reminders."""
    if not isinstance(data, dict):
        return LifeSettings()
    plans = []
    raw_plans = data.get("plans")
    for kind in MeetingKind:
        raw = raw_plans.get(kind.value) if isinstance(raw_plans, dict) else None
        if not isinstance(raw, dict):
            continue
        every = BY_KIND[kind].every_months
        plans.append(
            MeetingPlan(
                kind,
                active=raw.get("active") is not False,
                day_rule=validate_rule(raw.get("day_rule")),
                month_in_period=_int(
                    raw.get("month_in_period"), 1, every, BY_KIND[kind].month_in_period
                ),
            )
        )
    return LifeSettings(
        committee_members=_int(data.get("committee_members"), 0, MAX_COMMITTEE, 0),
        has_groups=data.get("has_groups") is True,
        elected_on=_date(data.get("elected_on")),
        election_months_ahead=_int(
            data.get("election_months_ahead"), 0, MAX_MONTHS_AHEAD, ELECTION_MONTHS_AHEAD
        ),
        talks_weeks=_int(data.get("talks_weeks"), 1, MAX_WEEKS, TALKS_WEEKS),
        plans=tuple(plans),
        confirmed=data.get("confirmed") is True,
        confirmed_on=_date(data.get("confirmed_on")),
    )


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def settings_data(settings: LifeSettings) -> dict[str, Any]:
    """What `read_settings` reads back to the same settings."""
    return {
        "committee_members": settings.committee_members,
        "has_groups": settings.has_groups,
        "elected_on": settings.elected_on.isoformat() if settings.elected_on else None,
        "election_months_ahead": settings.election_months_ahead,
        "talks_weeks": settings.talks_weeks,
        "plans": {
            plan.kind.value: {
                "active": plan.active,
                "day_rule": plan.day_rule,
                "month_in_period": plan.month_in_period,
            }
            for plan in settings.plans
        },
        "confirmed": settings.confirmed,
        "confirmed_on": settings.confirmed_on.isoformat() if settings.confirmed_on else None,
    }


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting due: its kind, its date, and its own day rule (None: the theme day's)."""

    kind: MeetingKind
    day: date
    day_rule: dict[str, Any] | None


def occurrences(
    settings: LifeSettings, theme_rule: dict[str, Any] | None, start: date, end: date
) -> list[Occurrence]:
    """The meetings due from `start` to `end` (both included), by period: each in the month
    its plan names, on its own day or the theme day of that month. A meeting on the theme day
    needs a theme-day rule; without one it has no date yet (and /meetings says so)."""
    found: list[Occurrence] = []
    for plan in settings.held():
        requirement = BY_KIND[plan.kind]
        every = requirement.every_months
        rule = plan.day_rule or theme_rule
        if rule is None:
            continue
        period = period_of(start, every)
        while period.start <= end:
            month = period.start.month + plan.month_in_period - 1
            day = date_in_month(rule, period.start.year, month)
            if start <= day <= end:
                found.append(Occurrence(plan.kind, day, plan.day_rule))
            period = period_of(period.end + timedelta(days=1), every)
    return sorted(found, key=lambda o: (o.day, list(MeetingKind).index(o.kind)))


def horizon(today: date) -> date:
    """The last local day meetings exist as events for: as far ahead as theme days."""
    return today + timedelta(days=31 * (HORIZON_MONTHS + 1))


def wanted_meetings(
    settings_data: object, theme_rule_data: object, tz: str, today: date
) -> tuple[dict[tuple[str, date], datetime], dict[date, list[str]]]:
    """From a branch's stored settings and theme-day rule: its meetings of their own by
    (kind, day) with their start instants, and the meeting kinds each theme day holds, from
    `today` (local) to the horizon. Nothing until the secretary has confirmed or changed the
    calendar (/meetings): defaults nobody has seen are not reminded to a whole group."""
    settings = read_settings(settings_data)
    own: dict[tuple[str, date], datetime] = {}
    on_theme_day: dict[date, list[str]] = {}
    if not settings.confirmed:  # nothing is reminded until the secretary has seen the calendar
        return own, on_theme_day
    due = occurrences(settings, validate_rule(theme_rule_data), today, horizon(today))
    for occurrence in due:
        if occurrence.day_rule is None:
            on_theme_day.setdefault(occurrence.day, []).append(occurrence.kind.value)
        else:
            at = occurrence.day_rule["time"]
            own[(occurrence.kind.value, occurrence.day)] = local_start(occurrence.day, at, tz)
    return own, on_theme_day
