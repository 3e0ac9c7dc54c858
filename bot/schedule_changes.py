"""Moving and cancelling theme days, and telling the groups that already heard of them.

Every change goes through here (/themeday's 改期, 取消, a new rule or time zone, a date planned
in 抓活动), so a group that has had a reminder of an event always hears when that event moves
or is cancelled, and hears it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.attendance import answer_buttons, event_name, local_when
from bot.contract import Action, SendText
from bot.rules.meetings import wanted_meetings
from bot.rules.reschedule import CANCEL, KEEP_AND_TELL, MOVE, RESTORE, on_rule_change
from knowledge.content import Content
from scheduler.dispatch import expand_branch_meetings
from scheduler.rules import wanted_starts
from storage import meetings, schedule
from storage.models import Attendance, Branch
from storage.models import Event as EventRow


async def move(
    session: AsyncSession,
    content: Content,
    event: EventRow,
    branch: Branch,
    starts_at: datetime,
    now: datetime,
    *,
    old_zone: str | None = None,
    status: str = "moved",
) -> list[Action]:
    """Moves the event; the groups that had a reminder of it hear from when to when."""
    old_zone = old_zone or branch.timezone
    before = event.starts_at.astimezone(ZoneInfo(old_zone)).replace(tzinfo=None)
    after = starts_at.astimezone(ZoneInfo(branch.timezone)).replace(tzinfo=None)
    visible = before != after  # a new time zone with the same local time moves nothing
    chats = await schedule.announced_chats(session, event.id) if visible else []
    was = local_when(event, old_zone, content)
    await schedule.move_event(
        session,
        event,
        branch,
        starts_at,
        now,
        visible=visible,
        announced=bool(chats),
        status=status,
    )
    if not chats:
        return []
    text = content.messages["reminder"]["moved_notice"].format(
        branch=branch.name,
        what=event_name(event.kind, content),
        was=was,
        when=local_when(event, branch.timezone, content),
    )
    return [SendText(text, answer_buttons(content, event.id), chat_id=chat) for chat in chats]


async def cancel(
    session: AsyncSession, content: Content, event: EventRow, branch: Branch
) -> list[Action]:
    """Cancels the event; the groups that had a reminder of it are told."""
    chats = await schedule.announced_chats(session, event.id)
    await schedule.cancel_event(session, event)
    text = content.messages["reminder"]["cancelled"].format(
        branch=branch.name,
        what=event_name(event.kind, content),
        when=local_when(event, branch.timezone, content),
    )
    return [SendText(text, chat_id=chat) for chat in chats]


async def reapply(
    session: AsyncSession,
    content: Content,
    branch: Branch,
    now: datetime,
    old_zone: str | None = None,
) -> tuple[list[Action], list[tuple[EventRow, int]]]:
    """The branch's events follow its rule and zone again, after either changed. Returns the
    announcements, and the events kept although the rule no longer wants them (with their
    number of replies) for the secretary to decide on."""
    wanted = wanted_starts(branch.theme_day_rule, branch.timezone, now)
    coming = await schedule.coming_rule_events(session, branch.id, now)
    actions, kept = await _follow(
        session,
        content,
        branch,
        coming,
        lambda e: wanted.get(e.occurrence_date) if e.occurrence_date else None,
        now,
        old_zone,
    )
    await schedule.expand_branch(session, branch, wanted, now)
    return actions, kept


async def _follow(
    session: AsyncSession,
    content: Content,
    branch: Branch,
    coming: list[EventRow],
    wanted: Callable[[EventRow], datetime | None],
    now: datetime,
    old_zone: str | None,
) -> tuple[list[Action], list[tuple[EventRow, int]]]:
    """Each coming event where its rule now wants it (bot.rules.reschedule decides): moved,
    cancelled or brought back, the groups told; the kept ones returned with their replies."""
    replies = await _reply_counts(session, [event.id for event in coming])
    actions: list[Action] = []
    kept: list[tuple[EventRow, int]] = []
    for event in sorted(coming, key=lambda e: e.starts_at):
        starts = wanted(event)
        replied = replies.get(event.id, 0)
        decision = on_rule_change(event.status, event.starts_at, starts, now, replied > 0)
        if decision == CANCEL:
            actions += await cancel(session, content, event, branch)
        elif decision in (MOVE, RESTORE):
            assert starts is not None
            actions += await move(
                session, content, event, branch, starts, now, old_zone=old_zone, status="planned"
            )
        elif decision == KEEP_AND_TELL and event.status != "cancelled":
            kept.append((event, replied))
    return actions, kept


async def _reply_counts(session: AsyncSession, event_ids: list[int]) -> dict[int, int]:
    if not event_ids:
        return {}
    query = (
        select(Attendance.event_id, func.count())
        .where(Attendance.event_id.in_(event_ids), Attendance.response.is_not(None))
        .group_by(Attendance.event_id)
    )
    return {event_id: n for event_id, n in (await session.execute(query)).all()}


async def reapply_meetings(
    session: AsyncSession,
    content: Content,
    branch: Branch,
    now: datetime,
    old_zone: str | None = None,
) -> list[Action]:
    """The branch's meetings follow its settings (and its theme day) again after either
    changed: a meeting of its own the settings no longer want is cancelled (kept when members
    have answered), one moved is moved, with the groups told as for a theme day; then the
    missing ones are created and the theme days marked with the meetings they hold."""
    today = now.astimezone(ZoneInfo(branch.timezone)).date()
    own, _ = wanted_meetings(
        branch.organisational_life, branch.theme_day_rule, branch.timezone, today
    )
    coming = await meetings.coming_meeting_events(session, branch.id, now)
    actions, _ = await _follow(
        session,
        content,
        branch,
        coming,
        lambda e: own.get((e.kind, e.meeting_date)) if e.meeting_date else None,
        now,
        old_zone,
    )
    await expand_branch_meetings(session, branch, now)
    return actions
