"""Members' replies to theme days, and the roster they are counted against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendance, Event, GroupBinding, Member

ATTEND, LEAVE = "attend", "leave"


async def event_of_group(session: AsyncSession, event_id: int, chat_id: int) -> Event | None:
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


async def tally(session: AsyncSession, event_id: int, branch_id: int) -> dict[str, int]:
    """参加, 请假 and roster members without a reply, in one query (the live counts)."""
    answered = (
        select(Attendance.member_id)
        .where(Attendance.event_id == event_id, Attendance.response.is_not(None))
        .scalar_subquery()
    )
    query = select(
        select(func.count())
        .where(Attendance.event_id == event_id, Attendance.response == ATTEND)
        .scalar_subquery(),
        select(func.count())
        .where(Attendance.event_id == event_id, Attendance.response == LEAVE)
        .scalar_subquery(),
        select(func.count(Member.id))
        .where(Member.branch_id == branch_id, Member.active, Member.id.not_in(answered))
        .scalar_subquery(),
    )
    attend, leave, silent = (await session.execute(query)).one()
    return {ATTEND: int(attend), LEAVE: int(leave), "silent": int(silent)}


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


async def history(session: AsyncSession, user_id: int, limit: int = 12) -> Sequence[tuple]:
    """A member's own replies across branches, newest event first."""
    query = (
        select(Event, Attendance)
        .join(Attendance, Attendance.event_id == Event.id)
        .join(Member, Member.id == Attendance.member_id)
        .where(Member.telegram_user_id == user_id)
        .order_by(Event.starts_at.desc())
        .limit(limit)
    )
    return [tuple(row) for row in (await session.execute(query)).all()]


async def prefill_attended(session: AsyncSession, event_id: int, members: Sequence[Member]) -> None:
    """Before the secretary confirms: those who said 参加 are marked present, others absent,
    unless already confirmed (a second look keeps the corrections)."""
    rows = await replies(session, event_id)
    for member in members:
        row = rows.get(member.id)
        if row is None:
            session.add(Attendance(event_id=event_id, member_id=member.id, attended=False))
        elif row.attended is None:
            row.attended = row.response == ATTEND
    await session.flush()


async def toggle_attended(session: AsyncSession, event_id: int, member_id: int) -> bool | None:
    row = (await replies(session, event_id)).get(member_id)
    if row is None:
        return None
    row.attended = not row.attended
    await session.flush()
    return row.attended


async def monthly_rates(
    session: AsyncSession, branch_ids: Sequence[int] | None = None
) -> list[tuple[int, str, int, int, int]]:
    """(branch, "YYYY-MM" in UTC+8, events confirmed, present, counted) per branch and month."""
    query = (
        select(Event.branch_id, Event.starts_at, Attendance.event_id, Attendance.attended)
        .join(Attendance, Attendance.event_id == Event.id)
        .where(Attendance.attended.is_not(None))
    )
    if branch_ids is not None:
        query = query.where(Event.branch_id.in_(branch_ids))
    table: dict[tuple[int, str], tuple[set[int], int, int]] = {}
    for branch_id, starts_at, event_id, attended in (await session.execute(query)).all():
        month = (starts_at + timedelta(hours=8)).strftime("%Y-%m")
        events, present, counted = table.get((branch_id, month), (set(), 0, 0))
        events.add(event_id)
        table[(branch_id, month)] = (events, present + bool(attended), counted + 1)
    return [
        (branch_id, month, len(events), present, counted)
        for (branch_id, month), (events, present, counted) in sorted(table.items())
    ]
