"""Members' replies to theme days, and the roster they are counted against."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendance, Event, Member, utcnow

ATTEND, LEAVE = "attend", "leave"


async def record(
    session: AsyncSession, event_id: int, member_id: int, response: str, reason: str | None
) -> bool:
    """Saves a member's answer; False when it changes nothing (a double tap)."""
    row = (
        await session.execute(
            select(Attendance).where(
                Attendance.event_id == event_id, Attendance.member_id == member_id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(
            Attendance(
                event_id=event_id,
                member_id=member_id,
                response=response,
                reason=reason,
                responded_at=utcnow(),
            )
        )
        await session.flush()
        return True
    new_reason = reason if response == LEAVE else None
    if row.response == response and (reason is None or row.reason == new_reason):
        return False
    row.response = response
    if response == LEAVE:
        row.reason = reason or row.reason
    else:
        row.reason = None
    row.responded_at = utcnow()
    await session.flush()
    return True


async def counts(session: AsyncSession, event_id: int) -> dict[str, int]:
    query = (
        select(Attendance.response, func.count())
        .where(Attendance.event_id == event_id)
        .group_by(Attendance.response)
    )
    found = {response: n for response, n in (await session.execute(query)).all()}
    return {ATTEND: found.get(ATTEND, 0), LEAVE: found.get(LEAVE, 0)}


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
