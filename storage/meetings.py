"""Meeting events of a branch's organisational life (bot/rules/meetings.py decides which).

A meeting on the theme day is not an event of its own: the theme day's event lists it in
`meetings`, so it is reminded, attended and counted once for both. A meeting on a day of its
own (a 支委会 on the first Monday) is an event of its kind with `meeting_date`, reminded and
answered like a theme day. The database stays the source of truth: every process expands the
same rows, and the unique index stops two of them creating one meeting twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Branch, Event
from storage.schedule import ensure_reminders

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
        session.add(event)
        created.append(event)
    await session.flush()
    for event in created:
        await ensure_reminders(session, event, branch, now)
    return created
