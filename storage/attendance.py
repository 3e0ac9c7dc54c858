"""Members' replies to theme days, and the roster they are counted against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendance, Branch, Event, GroupBinding, Member

ATTEND, LEAVE = "attend", "leave"
# The branch's secretaries organise the day: they may reply, but are never counted 未回复.
ORGANISER_ROLES = ("secretary",)


def awaits_reply(member: Member, answer: Attendance | None) -> bool:
    """Whether the roster member is still 未回复 (the SQL in `_view_statement` says the same)."""
    organiser = member.role in ORGANISER_ROLES
    return member.active and not organiser and (answer is None or answer.response is None)


async def event_of_group(session: AsyncSession, event_id: int, chat_id: str) -> Event | None:
    """The event, if it belongs to the branch this group is actively bound to (one query)."""
    query = (
        select(Event)
        .join(GroupBinding, GroupBinding.branch_id == Event.branch_id)
        .where(Event.id == event_id, GroupBinding.chat_id == chat_id, GroupBinding.active)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def counts(session: AsyncSession, event_id: int) -> dict[str, int]:
    query = (
        select(Attendance.response, func.count())
        .where(Attendance.event_id == event_id)
        .group_by(Attendance.response)
    )
    found = {response: n for response, n in (await session.execute(query)).all()}
    return {ATTEND: found.get(ATTEND, 0), LEAVE: found.get(LEAVE, 0)}


@dataclass(frozen=True)
class ReminderView:
    """What the group's reminder shows: the event, its branch, and the live counts."""

    event_id: int
    status: str
    starts_at: datetime
    theme: str
    place: str | None
    online_link: str | None
    agenda: list[Any] | None
    branch_name: str
    timezone: str | None
    attend: int
    leave: int
    silent: int  # active roster members without a reply, organisers aside
    kind: str = "theme_day"  # or the meeting kind of a meeting of its own
    meetings: list[Any] | None = None  # the meeting kinds it counts for


@cache
def _view_statement() -> Select[Any]:
    """One query for the whole reminder, counts included (built once: the live counts run it
    for every group several times a minute while members answer)."""
    event_id = bindparam("event_id")

    def answered(response: str) -> Any:
        return (
            select(func.count())
            .where(Attendance.event_id == event_id, Attendance.response == response)
            .scalar_subquery()
        )

    replied = select(Attendance.member_id).where(
        Attendance.event_id == event_id, Attendance.response.is_not(None)
    )
    silent = (
        select(func.count(Member.id))
        .where(
            Member.branch_id == Event.branch_id,
            Member.active,
            Member.role.not_in(ORGANISER_ROLES),
            Member.id.not_in(replied),
        )
        .scalar_subquery()
    )
    return (
        select(
            Event.id,
            Event.status,
            Event.starts_at,
            Event.theme,
            Event.place,
            Event.online_link,
            Event.agenda,
            Branch.name,
            Branch.timezone,
            answered(ATTEND),
            answered(LEAVE),
            silent,
            Event.kind,
            Event.meetings,
        )
        .join(Branch, Branch.id == Event.branch_id)
        .where(Event.id == event_id)
    )


def reminder_view(connection: Connection, event_id: int) -> ReminderView | None:
    row = connection.execute(_view_statement(), {"event_id": event_id}).one_or_none()
    return None if row is None else ReminderView(*row)


async def load_reminder_view(session: AsyncSession, event_id: int) -> ReminderView | None:
    """The same, inside a handler's unit of work (it sees what the handler has flushed)."""
    return await session.run_sync(lambda sync: reminder_view(sync.connection(), event_id))


async def roster(session: AsyncSession, branch_id: int) -> Sequence[Member]:
    query = (
        select(Member)
        .where(Member.branch_id == branch_id, Member.active)
        .order_by(Member.display_name, Member.id)
    )
    return (await session.execute(query)).scalars().all()


async def replies(session: AsyncSession, event_id: int) -> dict[int, Attendance]:
    query = select(Attendance).where(Attendance.event_id == event_id)
    return {a.member_id: a for a in (await session.execute(query)).scalars()}


async def silent_members(session: AsyncSession, event: Event) -> list[Member]:
    """Roster members who have not replied to the event (organisers aside)."""
    replied = await replies(session, event.id)
    members = await roster(session, event.branch_id)
    return [m for m in members if awaits_reply(m, replied.get(m.id))]


async def history(session: AsyncSession, user_id: str, limit: int = 12) -> Sequence[tuple]:
    """A member's own replies across branches, newest event first."""
    query = (
        select(Event, Attendance)
        .join(Attendance, Attendance.event_id == Event.id)
        .join(Member, Member.id == Attendance.member_id)
        .where(Member.user_id == user_id)
        .order_by(Event.starts_at.desc())
        .limit(limit)
    )
    return [tuple(row) for row in (await session.execute(query)).all()]


async def prefill_attended(session: AsyncSession, event_id: int, members: Sequence[Member]) -> None:
    """Before the secretary confirms: those who said 参加 are marked present, others absent,
    unless already confirmed (a second look keeps the corrections). An organiser who did not
    reply is marked present: they ran the day (a reply of 请假 still counts)."""
    rows = await replies(session, event_id)
    for member in members:
        row = rows.get(member.id)
        organiser = member.role in ORGANISER_ROLES
        if row is None:
            session.add(Attendance(event_id=event_id, member_id=member.id, attended=organiser))
        elif row.attended is None:
            row.attended = row.response == ATTEND or (organiser and row.response is None)
    await session.flush()


async def toggle_attended(session: AsyncSession, event_id: int, member_id: int) -> bool | None:
    row = (await replies(session, event_id)).get(member_id)
    if row is None:
        return None
    row.attended = not row.attended
    await session.flush()
    return row.attended


def local_month(instant: datetime, zone: str) -> str:
    """ "YYYY-MM" of an instant on the branch's own calendar: a meeting at 23:30 on 31 March in
    UTC+6 belongs to March there, although it is already April in UTC+8."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m")


async def monthly_rates(
    session: AsyncSession, default_zone: str, branch_ids: Sequence[int] | None = None
) -> list[tuple[int, str, int, int, int]]:
    """(branch, "YYYY-MM" in the branch's time zone, events confirmed, present, counted) per
    branch and month; a branch without a zone of its own uses `default_zone`."""
    query = (
        select(
            Event.branch_id,
            Event.starts_at,
            Attendance.event_id,
            Attendance.attended,
            Branch.timezone,
        )
        .join(Attendance, Attendance.event_id == Event.id)
        .join(Branch, Branch.id == Event.branch_id)
        .where(Attendance.attended.is_not(None))
    )
    if branch_ids is not None:
        query = query.where(Event.branch_id.in_(branch_ids))
    table: dict[tuple[int, str], tuple[set[int], int, int]] = {}
    for branch_id, starts_at, event_id, attended, zone in (await session.execute(query)).all():
        month = local_month(starts_at, zone or default_zone)
        events, present, counted = table.get((branch_id, month), (set(), 0, 0))
        events.add(event_id)
        table[(branch_id, month)] = (events, present + bool(attended), counted + 1)
    return [
        (branch_id, month, len(events), present, counted)
        for (branch_id, month), (events, present, counted) in sorted(table.items())
    ]
