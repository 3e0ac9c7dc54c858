"""Theme days and their reminders in the database, the source of truth the scheduler reads.

Expanding a rule is idempotent (one event per branch and rule date, enforced by a unique
constraint), so every process may expand at start without coordination; a moved or
cancelled date keeps its rule date and is never recreated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Branch, Event, GroupBinding, Member, Reminder, utcnow

DEFAULT_OFFSETS = (3 * 24 * 60, 24 * 60, 2 * 60)  # 3 days, 1 day, 2 hours before, in minutes


@dataclass(frozen=True)
class ReminderKind:
    """What a reminder is, written on it, and every rule that follows from that: the bot
    picks its text by `name` (bot/reminders.py); nothing reads it from a chat id's sign."""

    name: str
    to_group: bool  # sent to a bound group (skipped once unbound), else to a secretary
    after_start: bool  # sent after the event began, so its start does not make it stale
    offset: int | None  # minutes before the start; None: the branch's own offsets


GROUP_REMINDER = ReminderKind("group", to_group=True, after_start=False, offset=None)
# The day before, each secretary hears who has not replied.
DIGEST = ReminderKind("digest", to_group=False, after_start=False, offset=24 * 60)
# Two hours after the start, each secretary confirms who came.
CONFIRMATION = ReminderKind("confirm", to_group=False, after_start=True, offset=-2 * 60)
KINDS = {kind.name: kind for kind in (GROUP_REMINDER, DIGEST, CONFIRMATION)}
# A reminder is claimed just before it is sent. A claim older than this belongs to a process
# that died while sending (a live one finishes a send in seconds): it is sent again, so a
# crash at most repeats the few messages that were on the wire, and never loses one.
CLAIM_LEASE = timedelta(minutes=5)
PENDING, SENDING, SENT, SKIPPED, EXPIRED, FAILED = (
    "pending",
    "sending",
    "sent",
    "skipped",
    "expired",
    "failed",
)


def offsets_of(branch: Branch) -> tuple[int, ...]:
    stored = branch.reminder_offsets_minutes
    if isinstance(stored, list) and stored and all(isinstance(m, int) and m > 0 for m in stored):
        return tuple(sorted(set(stored), reverse=True))
    return DEFAULT_OFFSETS


def zone_of(branch: Branch) -> ZoneInfo:
    return ZoneInfo(branch.timezone)


async def expand_branch(
    session: AsyncSession, branch: Branch, wanted: dict[date, datetime], now: datetime
) -> list[Event]:
    """Creates the events the rule wants (its dates and start instants, from
    scheduler.rules.wanted_starts) that are not there yet, and their reminders; returns the
    events created."""
    if not wanted:
        return []
    existing = set(
        (
            await session.execute(
                select(Event.occurrence_date).where(
                    Event.branch_id == branch.id, Event.occurrence_date.in_(list(wanted))
                )
            )
        ).scalars()
    )
    created = []
    for day, starts in wanted.items():
        if day in existing or starts <= now:
            continue
        event = Event(
            branch_id=branch.id,
            source="rule",
            theme="",
            starts_at=starts,
            occurrence_date=day,
            status="planned",
        )
        created.append(event)
    return await add_with_reminders(session, created, branch, now)


async def add_with_reminders(
    session: AsyncSession, events: list[Event], branch: Branch, now: datetime
) -> list[Event]:
    """New events of the branch saved, each with its reminders; returns them."""
    session.add_all(events)
    await session.flush()
    for event in events:
        await ensure_reminders(session, event, branch, now)
    return events


async def coming_rule_events(session: AsyncSession, branch_id: int, now: datetime) -> list[Event]:
    """The branch's events from its rule that have not begun, cancelled ones included."""
    query = select(Event).where(
        Event.branch_id == branch_id, Event.source == "rule", Event.starts_at > now
    )
    return list((await session.execute(query)).scalars())


async def ensure_reminders(
    session: AsyncSession, event: Event, branch: Branch, now: datetime | None = None
) -> None:
    """One reminder per active group of the branch and per offset, and the day-before digest
    for each secretary in private (the unique constraint makes a second call harmless). A new
    offset whose time has passed in a chat that has already been reminded is not sent: the
    chat heard a nearer one."""
    chats = (
        await session.execute(
            select(GroupBinding.chat_id).where(
                GroupBinding.branch_id == branch.id, GroupBinding.active
            )
        )
    ).scalars()
    existing = (
        await session.execute(
            select(Reminder.chat_id, Reminder.offset_minutes, Reminder.status).where(
                Reminder.event_id == event.id
            )
        )
    ).all()
    have = {(chat_id, minutes) for chat_id, minutes, _ in existing}
    reminded = {chat_id for chat_id, _, status in existing if status in (SENT, SENDING)}
    targets = [
        (chat_id, minutes, GROUP_REMINDER) for chat_id in chats for minutes in offsets_of(branch)
    ]
    secretaries = await session.execute(
        select(Member.user_id).where(
            Member.branch_id == branch.id,
            Member.role == "secretary",
            Member.active,
            Member.user_id.is_not(None),
        )
    )
    for user_id in secretaries.scalars():
        targets += [(user_id, kind.offset, kind) for kind in (DIGEST, CONFIRMATION)]
    for chat_id, minutes, kind in targets:
        if (chat_id, minutes) in have:
            continue
        due = event.starts_at - timedelta(minutes=minutes)
        passed = now is not None and due <= now and chat_id in reminded
        session.add(
            Reminder(
                event_id=event.id,
                chat_id=chat_id,
                kind=kind.name,
                offset_minutes=minutes,
                due_at=due,
                status=SKIPPED if passed else PENDING,
            )
        )
    await session.flush()


async def skip_offsets_not_in(session: AsyncSession, event_id: int, minutes: list[int]) -> None:
    """Offsets changed: pending reminders at the old offsets are no longer sent."""
    await session.execute(
        update(Reminder)
        .where(
            Reminder.event_id == event_id,
            Reminder.status == PENDING,
            Reminder.kind == GROUP_REMINDER.name,  # the secretaries' digest stays
            Reminder.offset_minutes.not_in(minutes),
        )
        .values(status=SKIPPED)
    )


async def cancel_reminders(session: AsyncSession, event_id: int | None, branch_id: int) -> None:
    """Pending reminders of one event (or of all cancelled events of the branch) are skipped."""
    query = update(Reminder).where(Reminder.status == PENDING)
    if event_id is not None:
        query = query.where(Reminder.event_id == event_id)
    else:
        cancelled = select(Event.id).where(
            Event.branch_id == branch_id, Event.status == "cancelled"
        )
        query = query.where(Reminder.event_id.in_(cancelled))
    await session.execute(query.values(status=SKIPPED))


def after_move(
    status: str, new_due: datetime, now: datetime, *, visible: bool, announced: bool, in_use: bool
) -> str:
    """What becomes of one reminder when its event moves. A reminder already sent stays sent
    (replies to its message still count, and the group is not told twice); `visible` is
    whether members see a new date or time (a new time zone with the same local time is
    not); `announced`: the group has just been told of the move, so what is already due is
    not sent as well; `in_use`: its offset is still one the branch wants."""
    if status in (SENT, SENDING):
        return status
    if not in_use:
        return SKIPPED
    if new_due > now:
        return PENDING if status == PENDING or visible else status
    if status == PENDING and visible and announced:
        return SKIPPED
    return status


async def move_event(
    session: AsyncSession,
    event: Event,
    branch: Branch,
    starts_at: datetime,
    now: datetime,
    *,
    visible: bool = True,
    announced: bool = False,
    status: str = "moved",
) -> None:
    """One date moved (a holiday, a new rule or time zone): the rule stays; each reminder is
    due again relative to the new time, as `after_move` decides."""
    event.starts_at = starts_at
    if event.source in ("rule", "meeting"):  # a one-off event has no rule to restore it to
        event.status = status
    offsets = offsets_of(branch)
    reminders = (
        await session.execute(select(Reminder).where(Reminder.event_id == event.id))
    ).scalars()
    for reminder in reminders:
        reminder.due_at = starts_at - timedelta(minutes=reminder.offset_minutes)
        in_use = reminder.kind != GROUP_REMINDER.name or reminder.offset_minutes in offsets
        reminder.status = after_move(
            reminder.status,
            reminder.due_at,
            now,
            visible=visible,
            announced=announced,
            in_use=in_use,
        )
    await session.flush()
    await ensure_reminders(session, event, branch, now)


async def announced_chats(session: AsyncSession, event_id: int) -> list[str]:
    """The bound groups that have had a reminder of the event: a change must be told there."""
    query = (
        select(Reminder.chat_id)
        .join(GroupBinding, GroupBinding.chat_id == Reminder.chat_id)
        .where(
            Reminder.event_id == event_id,
            Reminder.kind == GROUP_REMINDER.name,
            Reminder.status == SENT,
            GroupBinding.active,
        )
        .distinct()
    )
    return sorted((await session.execute(query)).scalars())


async def cancel_event(session: AsyncSession, event: Event) -> None:
    event.status = "cancelled"
    await cancel_reminders(session, event.id, event.branch_id)


async def upcoming_events(
    session: AsyncSession, branch_id: int, now: datetime, limit: int = 6
) -> Sequence[Event]:
    query = (
        select(Event)
        .where(Event.branch_id == branch_id, Event.starts_at > now, Event.status != "cancelled")
        .order_by(Event.starts_at)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def due_reminders(session: AsyncSession, now: datetime) -> Sequence[tuple[Reminder, Event]]:
    """Pending reminders whose time has come, with their events, earliest first."""
    query = (
        select(Reminder, Event)
        .join(Event, Event.id == Reminder.event_id)
        .where(_claimable(now), Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
    )
    return [(r, e) for r, e in (await session.execute(query)).all()]


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Pending, or claimed by a process that died before it finished (see CLAIM_LEASE)."""
    lapsed = (Reminder.claimed_at.is_(None)) | (Reminder.claimed_at <= now - CLAIM_LEASE)
    return (Reminder.status == PENDING) | ((Reminder.status == SENDING) & lapsed)


async def claim(session: AsyncSession, reminder_id: int, now: datetime) -> bool:
    """Marks one reminder as being sent, right before it is; False when another process (or
    an earlier tick) has it, so it is never sent twice by live processes."""
    result = await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, _claimable(now))
        .values(status=SENDING, claimed_at=now)
        .returning(Reminder.id)
    )
    return result.scalar_one_or_none() is not None


async def finish_many(session: AsyncSession, reminder_ids: list[int], status: str) -> None:
    if reminder_ids:
        await session.execute(
            update(Reminder).where(Reminder.id.in_(reminder_ids)).values(status=status)
        )


async def finish(
    session: AsyncSession, reminder_id: int, status: str, message_id: int | None = None
) -> None:
    values: dict[str, Any] = {"status": status}
    if status == SENT:
        values |= {"sent_at": utcnow(), "message_id": message_id}
    await session.execute(update(Reminder).where(Reminder.id == reminder_id).values(**values))


async def latest_message(session: AsyncSession, event_id: int, chat_id: str) -> int | None:
    """The newest reminder message of an event in a group: the one whose counts are kept live."""
    query = (
        select(Reminder.message_id)
        .where(
            Reminder.event_id == event_id,
            Reminder.chat_id == chat_id,
            Reminder.status == SENT,
            Reminder.message_id.is_not(None),
        )
        .order_by(Reminder.sent_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def reminder_by_message(
    session: AsyncSession, chat_id: str, message_id: int
) -> Reminder | None:
    query = select(Reminder).where(Reminder.chat_id == chat_id, Reminder.message_id == message_id)
    return (await session.execute(query)).scalars().first()


async def event_on(session: AsyncSession, branch: Branch, day: date, now: datetime) -> Event | None:
    """The not-yet-held event of the branch on that local date (its rule date or its time)."""
    zone = zone_of(branch)
    start = datetime.combine(day, datetime.min.time(), zone)
    query = select(Event).where(
        Event.branch_id == branch.id,
        Event.status != "cancelled",
        Event.starts_at > now,
        (Event.occurrence_date == day)
        | ((Event.starts_at >= start) & (Event.starts_at < start + timedelta(days=1))),
    )
    return (await session.execute(query.order_by(Event.starts_at))).scalars().first()
