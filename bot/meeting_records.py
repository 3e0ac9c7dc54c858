"""/records: the 会议记录 of a branch's meetings. After a meeting the secretary answers a few
questions (主持人, 记录人, what was discussed and decided, a vote); the rest is already known
(date, place, who came, who was on leave and why, who did not reply) and is added here. It
lists the year's meetings with their records and says which required meetings of the quarter
or year have none yet.

Records hold what members said and did: only the branch's secretaries, in private.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.attendance import event_name, local_when
from bot.branch_choice import branch_for, picker
from bot.buttons import RecordStart
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.dialog.machine import Problem, Snapshot
from bot.menu import start_flow
from bot.rules.meetings import (
    BY_KIND,
    Gap,
    LifeSettings,
    MeetingKind,
    election_reminder,
    gaps,
    occurrences,
    party_meeting_vote,
    read_settings,
    talks_reminder,
    term_end,
)
from bot.services import Services
from knowledge.content import Content
from scheduler.rules import validate_rule
from storage import branches, meetings
from storage.models import Branch, MeetingRecord
from storage.models import Event as EventRow

MAX_BUTTONS = 8
FIELDS = ("host", "recorder", "topics", "decisions")


def _texts(content: Content) -> dict[str, Any]:
    return content.organisational_life["records"]


async def show(session: AsyncSession, event: Event, services: Services, args: str) -> list[Action]:
    """The year's meetings of the secretary's branch, recorded or not, and the gaps."""
    content = services.content
    texts = _texts(content)
    if event.chat.kind != "private":
        return [SendText(texts["private"])]
    target = await branch_for(session, event, services, " ".join(args.split())[:100])
    if target.choices:
        return picker(services, target.choices, "records")
    branch = target.branch
    if branch is None:
        return [SendText(texts["not_yours"])]
    year = await year_so_far(session, branch, services.clock())
    lines = [texts["title"].format(branch=branch.name, year=year.today.year)]
    buttons: list[tuple[Button, ...]] = []
    for row in year.events:
        day = year.days[row.id]
        for kind in row.meetings or []:
            done = (row.id, kind) in year.records
            name = event_name(kind, content)
            when = f"{day.month}月{day.day}日"
            state = texts["done" if done else "missing"]
            lines.append(texts["line"].format(day=when, name=name, state=state))
            if not done and len(buttons) < MAX_BUTTONS:
                label = texts["fill"].format(day=when, name=name)
                buttons.append((Button(label, RecordStart(row.id, kind).pack()),))
    if not year.events:
        lines.append(texts["none"])
    settings = read_settings(branch.organisational_life)
    found = [
        texts["gap"].format(
            name=event_name(kind.value, content),
            period=period_name(gap.period.start, every),
            late=texts["late"] if gap.overdue else "",
        )
        for kind, every, gap in missing(settings, year.recorded, year.today)
    ]
    if found:
        lines += [texts["gaps_title"], *found]
    return [SendText("\n".join(lines), tuple(buttons))]


@dataclass(frozen=True)
class YearSoFar:
    """A branch's meetings of this year up to now, read once for /records, the monthly
    message and the 工委 export: the events held, their records, and per meeting kind the
    local days it was held and recorded."""

    today: date
    events: list[EventRow]
    records: dict[tuple[int, str], MeetingRecord]
    days: dict[int, date]
    held: dict[str, list[date]]
    recorded: dict[str, list[date]]


async def year_so_far(session: AsyncSession, branch: Branch, now: datetime) -> YearSoFar:
    zone = ZoneInfo(branch.timezone)
    today = now.astimezone(zone).date()
    year_start = datetime(today.year, 1, 1, tzinfo=zone).astimezone(UTC)
    events = await meetings.meeting_events(session, branch.id, year_start, now)
    records = await meetings.records_of(session, [e.id for e in events])
    days = {e.id: e.starts_at.astimezone(zone).date() for e in events}
    held: dict[str, list[date]] = {}
    for event in events:
        for kind in event.meetings or []:
            held.setdefault(kind, []).append(days[event.id])
    recorded: dict[str, list[date]] = {}
    for event_id, kind in records:
        recorded.setdefault(kind, []).append(days[event_id])
    return YearSoFar(today, events, records, days, held, recorded)


def missing(
    settings: LifeSettings, days: dict[str, list[date]], today: date
) -> list[tuple[MeetingKind, int, Gap]]:
    """Per meeting the branch holds: this year's periods so far (since it kept its calendar)
    with none of its `days`, and how many months a period has."""
    if not settings.confirmed:
        return []
    found = []
    for plan in settings.held():
        every = BY_KIND[plan.kind].every_months
        kind_days = days.get(plan.kind.value, [])
        for gap in gaps(every, kind_days, today.year, today, settings.confirmed_on):
            found.append((plan.kind, every, gap))
    return found


def period_name(start: Any, every: int) -> str:
    """A month, a quarter or a year as a secretary names it: 3月, 第一季度, 2027年."""
    if every == 1:
        return f"{start.month}月"
    if every == 3:
        return f"第{'一二三四'[(start.month - 1) // 3]}季度"
    return f"{start.year}年"


async def on_start(
    session: AsyncSession,
    event: Event,
    services: Services,
    button: RecordStart,
    force: bool = False,
) -> list[Action]:
    """A meeting picked from /records: its record's questions, once it has been held, for a
    secretary of its branch only (a forwarded button does nothing for anyone else)."""
    texts = _texts(services.content)
    callback = event.callback_id or ""
    row = await session.get(EventRow, button.event_id)
    mine = row is not None and await branches.is_secretary(session, row.branch_id, event.user.id)
    if row is None or not mine or event.chat.kind != "private":
        return [AnswerButton(callback, texts["not_yours"], alert=True)]
    if button.kind not in (row.meetings or []):
        return [AnswerButton(callback, services.content.text("button_invalid"))]
    if row.starts_at > services.clock():
        return [AnswerButton(callback, texts["not_held"], alert=True)]
    came = await meetings.turnout(session, row)
    context = {
        "event_id": row.id,
        "kind": button.kind,
        "present": len(came.present),
    }
    return [
        AnswerButton(callback),
        *await start_flow(
            session, event, services, button, force, "meeting_record", context=context
        ),
    ]


def make_check(content: Content):  # type: ignore[no-untyped-def]
    message = content.flows["meeting_record"]["too_many_votes"]

    def check(step: str, answers: dict[str, Any], context: dict[str, Any]) -> Problem | None:
        """The votes cannot outnumber those present."""
        votes = sum(int(answers.get(n) or 0) for n in ("in_favour", "against", "abstain"))
        present = int(context.get("present") or 0)
        if votes > present:
            return Problem(message.format(votes=votes, present=present))
        return None

    return check


def make_completion(content: Content):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        """Saves the record and shows it whole, as it will be filed."""
        row = await session.get(EventRow, state.context["event_id"])
        assert row is not None
        kind = str(state.context["kind"])
        votes = []
        if answers.get("voted"):
            votes.append({n: answers.get(n) for n in ("motion", "in_favour", "against", "abstain")})
        fields = {name: answers.get(name) or "" for name in FIELDS} | {"votes": votes}
        record = await meetings.save_record(session, row.id, kind, fields, event.user.id)
        return [SendText(await record_text(session, row, record, content))]

    return complete


async def record_text(
    session: AsyncSession, row: EventRow, record: MeetingRecord, content: Content
) -> str:
    """The record as filed: the meeting's facts, who came, and what was said and decided; a
    党员大会's vote with whether it passed (第十一条)."""
    texts = _texts(content)
    branch = await session.get(Branch, row.branch_id)
    assert branch is not None
    came = await meetings.turnout(session, row)
    none = texts["no_one"]
    when = local_when(row, branch.timezone, content)
    lines = [
        texts["heading"].format(
            name=event_name(record.kind, content), branch=branch.name, when=when
        ),
        texts["card"].format(
            when=when,
            place=row.place or texts["no_place"],
            host=record.host,
            recorder=record.recorder,
            due=len(came.present) + len(came.on_leave) + len(came.silent),
            present=len(came.present),
            present_names="、".join(came.present) or none,
            on_leave=leave_text(came, none),
            silent="、".join(came.silent) or none,
            topics=record.topics,
            decisions=record.decisions or none,
        ),
    ]
    lines += vote_lines(record, came, content)
    return "\n".join(lines)


def leave_text(came: meetings.Turnout, none: str) -> str:
    """Who was on leave, each with the reason they gave."""
    return "；".join(f"{n}（{r}）" if r else n for n, r in came.on_leave) or none


def vote_lines(record: MeetingRecord, came: meetings.Turnout, content: Content) -> list[str]:
    """Each vote's counts; at a 党员大会 also whether it passed: more than half of the formal
    members due (应到会) in favour, which needs more than half of them present (第十一条)."""
    texts = _texts(content)
    lines = []
    for vote in record.votes or []:
        lines.append(texts["vote"].format(**vote))
        if record.kind == MeetingKind.PARTY_MEETING.value and came.entitled:
            present = min(came.entitled_present, came.entitled)
            in_favour = min(int(vote["in_favour"]), present)
            outcome = party_meeting_vote(came.entitled, present, in_favour)
            key = "passed" if outcome.passed else ("failed" if outcome.quorum else "no_quorum")
            lines.append(texts[key].format(entitled=came.entitled))
    return lines


async def monthly_notes(
    session: AsyncSession, branch: Branch, now: datetime, content: Content
) -> list[str]:
    """What the secretary's monthly message adds about organisational life: the required
    meetings of the quarter or year without a record, 谈心谈话 due before the 组织生活会, and
    the 换届 ahead of the term's end."""
    settings = read_settings(branch.organisational_life)
    if not settings.confirmed:
        return []
    texts = content.organisational_life["digest"]
    year = await year_so_far(session, branch, now)
    today = year.today
    notes = []
    items = [
        texts["gap_item"].format(
            name=event_name(kind.value, content), period=period_name(gap.period.start, every)
        )
        for kind, every, gap in missing(settings, year.recorded, today)
    ]
    if items:
        notes.append(texts["gaps"].format(items="、".join(items)))
    theme_rule = validate_rule(branch.theme_day_rule)
    life = next(
        (
            o.day
            for o in occurrences(settings, theme_rule, today, today + timedelta(days=62))
            if o.kind is MeetingKind.LIFE_MEETING
        ),
        None,
    )
    if life is not None and today >= talks_reminder(life, settings.talks_weeks) - timedelta(
        days=31
    ):
        notes.append(texts["talks"].format(day=f"{life.month}月{life.day}日"))
    if settings.elected_on is not None:
        ends = term_end(settings.elected_on)
        due = election_reminder(settings.elected_on, settings.election_months_ahead)
        if due <= today <= ends + timedelta(days=366):
            notes.append(texts["election"].format(ends=ends.isoformat()))
    return notes
