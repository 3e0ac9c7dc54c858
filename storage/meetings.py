"""Meeting events of a branch's organisational life (bot/rules/meetings.py decides which).

A meeting on the theme day is not an event of its own: the theme day's event lists it in
`meetings`, so it is reminded, attended and counted once for both. A meeting on a day of its
own (a 支委会 on the first Monday) is an event of its kind with `meeting_date`, reminded and
answered like a theme day. The database stays the source of truth: every process expands the
same rows, and the unique index stops two of them creating one meeting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attendance import ORGANISER_ROLES
from storage.models import Attendance, Branch, Event, MeetingRecord, Member, utcnow
from storage.schedule import add_with_reminders

THEME_DAY = "theme_day"
MEETING_SOURCE = "meeting"


async def coming_meeting_events(
    session: AsyncSession, branch_id: int, now: datetime
) -> list[Event]:
    """The branch's meetings of their own that have not begun, cancelled ones included."""
    query = select(Event).where(
        Event.branch_id == branch_id, Event.source == MEETING_SOURCE, Event.starts_at > now
    )
    return list((await session.execute(query)).scalars())


async def expand_meetings(
    session: AsyncSession,
    branch: Branch,
    own: dict[tuple[str, date], datetime],
    on_theme_day: dict[date, list[str]],
    start: date,
    now: datetime,
) -> list[Event]:
    """Creates the meetings of their own that `own` wants and are missing, with their
    reminders, and marks on each coming theme day the meeting kinds `on_theme_day` gives it
    (bot.rules.meetings.wanted_meetings computes both from `start`). Returns the events
    created."""
    theme_days = await session.execute(
        select(Event).where(
            Event.branch_id == branch.id,
            Event.kind == THEME_DAY,
            Event.occurrence_date.is_not(None),
            Event.occurrence_date >= start,
            Event.starts_at > now,
        )
    )
    for event in theme_days.scalars():
        held = on_theme_day.get(event.occurrence_date) or None  # type: ignore[arg-type]
        if (event.meetings or None) != held:
            event.meetings = held
    existing = set(
        (
            await session.execute(
                select(Event.kind, Event.meeting_date).where(
                    Event.branch_id == branch.id,
                    Event.source == MEETING_SOURCE,
                    Event.meeting_date >= start,
                )
            )
        ).all()
    )
    created = []
    for (kind, day), starts in sorted(own.items(), key=lambda item: item[1]):
        if (kind, day) in existing or starts <= now:
            continue
        event = Event(
            branch_id=branch.id,
            kind=kind,
            source=MEETING_SOURCE,
            theme="",
            starts_at=starts,
            meeting_date=day,
            meetings=[kind],
            status="planned",
        )
        created.append(event)
    return await add_with_reminders(session, created, branch, now)


async def meeting_events(
    session: AsyncSession, branch_id: int, start: datetime, end: datetime
) -> list[Event]:
    """The branch's events that count for a meeting (their own, or a theme day holding one),
    begun between `start` and `end`, not cancelled, earliest first."""
    query = (
        select(Event)
        .where(
            Event.branch_id == branch_id,
            Event.starts_at >= start,
            Event.starts_at < end,
            Event.status != "cancelled",
            Event.meetings.is_not(None),
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [e for e in (await session.execute(query)).scalars() if e.meetings]


async def records_of(
    session: AsyncSession, event_ids: list[int]
) -> dict[tuple[int, str], MeetingRecord]:
    if not event_ids:
        return {}
    query = select(MeetingRecord).where(MeetingRecord.event_id.in_(event_ids))
    return {(r.event_id, r.kind): r for r in (await session.execute(query)).scalars()}


async def save_record(
    session: AsyncSession, event_id: int, kind: str, fields: dict[str, Any], user_id: str
) -> MeetingRecord:
    """The meeting's record, new or written again (one per meeting: the later one wins)."""
    query = select(MeetingRecord).where(
        MeetingRecord.event_id == event_id, MeetingRecord.kind == kind
    )
    record = (await session.execute(query)).scalar_one_or_none()
    if record is None:
        record = MeetingRecord(event_id=event_id, kind=kind, created_by=user_id)
        session.add(record)
    for name in ("host", "recorder", "topics", "decisions", "votes"):
        setattr(record, name, fields.get(name) or ([] if name == "votes" else ""))
    record.updated_at = utcnow()
    await session.flush()
    return record


@dataclass(frozen=True, slots=True)
class Turnout:
    """Who came to a meeting, as the record states it: present (confirmed by the secretary
    after it, else as they answered; the secretaries, who run it, unless they said otherwise),
    on leave with the reason, and those who never replied; `entitled`: the formal members,
    who vote at a 党员大会."""

    present: list[str]
    on_leave: list[tuple[str, str]]
    silent: list[str]
    entitled: int
    entitled_present: int  # formal members among those present


async def turnout(session: AsyncSession, event: Event) -> Turnout:
    members = (
        (
            await session.execute(
                select(Member)
                .where(Member.branch_id == event.branch_id, Member.active)
                .order_by(Member.display_name, Member.id)
            )
        )
        .scalars()
        .all()
    )
    replies = {
        a.member_id: a
        for a in (
            await session.execute(select(Attendance).where(Attendance.event_id == event.id))
        ).scalars()
    }
    present, on_leave, silent = [], [], []
    entitled_present = 0
    for member in members:
        reply = replies.get(member.id)
        if reply is not None and reply.attended is not None:
            came = reply.attended  # confirmed after the meeting
        elif reply is not None and reply.response is not None:
            came = reply.response == "attend"
        else:  # the secretary runs the meeting without answering its reminder
            came = member.role in ORGANISER_ROLES
        if came:
            present.append(member.display_name)
            entitled_present += member.membership == "formal"
        elif reply is not None and reply.response == "leave":
            on_leave.append((member.display_name, reply.reason or ""))
        else:
            silent.append(member.display_name)
    entitled = sum(1 for m in members if m.membership == "formal")
    return Turnout(present, on_leave, silent, entitled, entitled_present)
