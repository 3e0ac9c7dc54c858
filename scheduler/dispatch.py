"""Sends what is due: theme-day reminders to groups and plan milestones to their owners.

The database decides what is due; this module only asks it at a given instant (the clock is
a parameter, so tests move time instead of sleeping). A reminder is claimed in the database
as it is sent, so two ticks, or two processes, never send it twice, and a claim left by a
process that died lapses (`schedule.CLAIM_LEASE`), so it is not lost either. When several
reminders of one event fell due while the bot was down, only the nearest to the event is
sent; reminders of events that have begun are never sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contract import Messenger, SendText
from bot.rules.meetings import wanted_meetings
from scheduler.rules import wanted_starts
from storage import meetings, plans, schedule
from storage.db import Database
from storage.models import Branch, GroupBinding, Plan, PlanMilestone, Reminder, utcnow
from storage.models import Event as EventRow

log = logging.getLogger(__name__)

# (session, event, chat, offset in minutes, now): a group gets the reminder; a secretary gets
# the day-before digest, or (negative offset: after the event) the attendance confirmation.
# The text of one reminder: its event and its kind (storage.schedule.KINDS).
Render = Callable[[AsyncSession, EventRow, str, datetime], Awaitable[SendText]]
STALE_AFTER = timedelta(days=7)  # an after-event message older than this is not sent any more
MilestoneText = Callable[[Plan, PlanMilestone], str]
FAN_OUT = 64  # sends in flight at once; Delivery enforces Telegram's limits behind them


async def expand_branch_meetings(
    session: AsyncSession, branch: Branch, now: datetime
) -> list[EventRow]:
    """The branch's meetings over the horizon: those of their own created, the theme days
    marked with the meetings they hold."""
    today = now.astimezone(ZoneInfo(branch.timezone)).date()
    own, on_theme_day = wanted_meetings(
        branch.organisational_life, branch.theme_day_rule, branch.timezone, today
    )
    return await meetings.expand_meetings(session, branch, own, on_theme_day, today, now)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        messenger: Messenger,
        render: Render,
        milestone_text: MilestoneText,
        timezone: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.messenger = messenger
        self.render = render
        self.milestone_text = milestone_text
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self._tick_lock = asyncio.Lock()
        self._expand_lock = asyncio.Lock()
        self.ticks = 0  # completed; a test waits for more of them instead of sleeping
        self._ticked = asyncio.Event()

    async def expand_all(self, now: datetime | None = None) -> int:
        """Every branch with a rule gets its coming months' events (idempotent)."""
        now = now or self.clock()
        created = 0
        async with self._expand_lock, self.db.session() as session:
            query = select(Branch).where(
                Branch.theme_day_rule.is_not(None) | Branch.organisational_life.is_not(None)
            )
            for branch in (await session.execute(query)).scalars():
                wanted = wanted_starts(branch.theme_day_rule, branch.timezone, now)
                created += len(await schedule.expand_branch(session, branch, wanted, now))
                created += len(await expand_branch_meetings(session, branch, now))
        return created

    async def idle(self) -> None:
        """Returns once no tick or expansion is running (a clean stop waits for them)."""
        async with self._tick_lock, self._expand_lock:
            return

    async def tick(self, now: datetime | None = None) -> int:
        """Sends every reminder and milestone due at `now`; returns how many were sent."""
        async with self._tick_lock:  # an overlapping APScheduler run waits, it never doubles
            try:
                now = now or self.clock()
                sent = await self._reminders(now)
                sent += await self._milestones(now)
                return sent
            finally:
                self.ticks += 1
                ticked, self._ticked = self._ticked, asyncio.Event()
                ticked.set()

    async def after_ticks(self, count: int) -> None:
        """Returns once `count` more ticks have completed (whatever they sent)."""
        wanted = self.ticks + count
        while self.ticks < wanted:
            await self._ticked.wait()

    async def _reminders(self, now: datetime) -> int:
        async with self.db.session() as session:
            due = await schedule.due_reminders(session, now)
            active = set(
                (
                    await session.execute(select(GroupBinding.chat_id).where(GroupBinding.active))
                ).scalars()
            )
            by_target: dict[tuple[int, str], list[tuple[Reminder, EventRow]]] = {}
            for reminder, event in due:
                by_target.setdefault((event.id, reminder.chat_id), []).append((reminder, event))
            wanted: dict[int, tuple[int, str, int, str]] = {}  # id: reminder, chat, event, kind
            closed: dict[str, list[int]] = {schedule.SKIPPED: [], schedule.EXPIRED: []}
            for (event_id, chat_id), items in by_target.items():
                event = items[0][1]
                nearest = min(items, key=lambda pair: pair[0].offset_minutes)[0]
                kind = schedule.KINDS[nearest.kind]
                gone = kind.to_group and chat_id not in active  # a private chat has no binding
                after = kind.after_start  # sent once the event has been held
                if event.status == "cancelled" or gone:
                    status = schedule.SKIPPED
                elif (not after and event.starts_at <= now) or now - nearest.due_at > STALE_AFTER:
                    status = schedule.EXPIRED
                else:
                    status = ""
                for reminder, _ in items:
                    if status or reminder.id != nearest.id:
                        closed[status or schedule.SKIPPED].append(reminder.id)
                if not status:
                    wanted[nearest.id] = (nearest.id, chat_id, event_id, nearest.kind)
            for status, ids in closed.items():
                await schedule.finish_many(session, ids, status)
        if not wanted:
            return 0
        # Each reminder is claimed as its send begins, not the whole fan-out at once: a
        # thousand groups take half a minute, and a process dying in it then leaves only the
        # sends in flight claimed (sent again once their claim lapses); the rest stay pending.
        begun = time.monotonic()
        gate = asyncio.Semaphore(FAN_OUT)
        results = await asyncio.gather(
            *(self._send(gate, item, now, begun) for item in wanted.values())
        )
        return sum(results)

    async def _send(
        self, gate: asyncio.Semaphore, item: tuple[int, int, int, str], now: datetime, begun: float
    ) -> int:
        reminder_id, chat_id, event_id, kind = item
        async with gate:
            claimed_at = now + timedelta(seconds=time.monotonic() - begun)
            async with self.db.session() as session:
                if not await schedule.claim(session, reminder_id, claimed_at):
                    return 0  # another process is sending it
            try:
                async with self.db.session() as session:
                    event = await session.get(EventRow, event_id)
                    assert event is not None
                    message = await self.render(session, event, kind, now)
                message_id = await self.messenger.send(chat_id, message)
            except Exception:
                log.exception("reminder %s failed chat=%s", reminder_id, chat_id)
                message_id = None
            async with self.db.session() as session:
                if message_id is not None:
                    # UNCONFIRMED (0): probably sent, id unknown; never sent twice.
                    await schedule.finish(session, reminder_id, schedule.SENT, message_id or None)
                    return 1
                # Not delivered: tried again at the next tick while the group is still bound
                # and the event has not begun (a removed bot's group is skipped then).
                await schedule.finish(session, reminder_id, schedule.PENDING)
                return 0

    async def _milestones(self, now: datetime) -> int:
        """A milestone reminds its plan's owner in private on the day before it is due."""
        today = now.astimezone(self.zone).date()
        async with self.db.session() as session:
            found = await plans.milestones_due(session, today + timedelta(days=1))
            # An overdue one is closed without being announced late.
            due = [
                (
                    m.plan.created_by if m.responsible_user_id is None else m.responsible_user_id,
                    self.milestone_text(m.plan, m),
                )
                for m in found
                if m.due_date >= today
            ]
            if found:
                await session.execute(
                    update(PlanMilestone)
                    .where(PlanMilestone.id.in_([m.id for m in found]))
                    .values(reminded_at=utcnow())
                )
        sent = 0
        for user_id, text in due:
            sent += await self.messenger.send(user_id, SendText(text)) is not None
        return sent
