"""Button replies to reminders, written in batches.

When a reminder reaches many groups, members press at the same moment in all of them. Each
press waits for its own answer (nothing is acknowledged before it is committed), but the
presses that arrive while one batch is being written go into the next one: one transaction,
one query for the events and one for the members and their earlier answers, however many
presses it holds. An idle writer takes a press at once, so a lone press is not delayed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attendance import update_answer
from storage.db import Database
from storage.models import Attendance, Event, GroupBinding, Member, utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 500
CHANGED, SAME, OTHER_GROUP, CLOSED = "changed", "same", "other_group", "closed"


@dataclass
class Press:
    event_id: int
    chat_id: int
    user_id: int
    name: str
    response: str
    now: datetime
    done: asyncio.Future[str] = field(repr=False, default=None)  # type: ignore[assignment]


class ReplyWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.waiting: list[Press] = []
        self.task: asyncio.Task[None] | None = None

    async def press(
        self, event_id: int, chat_id: int, user_id: int, name: str, response: str, now: datetime
    ) -> str:
        """CHANGED, SAME (a double tap), OTHER_GROUP or CLOSED, once it is committed."""
        press = Press(event_id, chat_id, user_id, name, response, now)
        press.done = asyncio.get_running_loop().create_future()
        self.waiting.append(press)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        return await press.done

    async def _run(self) -> None:
        """Writes until nothing waits, then ends (no task outlives the work). The last check
        and the return have no await between them, so a press cannot slip in unseen."""
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            await self._settle(batch)

    async def _settle(self, batch: list[Press]) -> None:
        try:
            async with self.db.session() as session:
                results = await write(session, batch)
        except Exception as exc:
            if len(batch) > 1:  # one bad press must not fail the others: one at a time
                for press in batch:
                    await self._settle([press])
                return
            log.exception("reply not recorded")
            if not batch[0].done.done():
                batch[0].done.set_exception(exc)
            return
        for press, result in zip(batch, results, strict=True):
            if not press.done.done():
                press.done.set_result(result)


async def write(session: AsyncSession, batch: list[Press]) -> list[str]:
    """The batch in arrival order (one member pressing twice in it ends with the second)."""
    event_ids = {p.event_id for p in batch}
    chats = {p.chat_id for p in batch}
    rows = await session.execute(
        select(Event, GroupBinding.chat_id)
        .join(GroupBinding, GroupBinding.branch_id == Event.branch_id)
        .where(Event.id.in_(event_ids), GroupBinding.chat_id.in_(chats), GroupBinding.active)
    )
    events = {(event.id, chat_id): event for event, chat_id in rows.all()}
    branches = {event.branch_id for event in events.values()}
    users = {p.user_id for p in batch}
    members: dict[tuple[int, int], Member] = {}
    answers: dict[tuple[int, int], Attendance] = {}
    if branches:
        found = await session.execute(
            select(Member, Attendance)
            .outerjoin(
                Attendance,
                (Attendance.member_id == Member.id) & Attendance.event_id.in_(event_ids),
            )
            .where(Member.branch_id.in_(branches), Member.telegram_user_id.in_(users))
        )
        for member, answer in found.all():
            members[(member.branch_id, member.telegram_user_id)] = member  # type: ignore[index]
            if answer is not None:
                answers[(answer.event_id, member.id)] = answer
    results: list[str] = []
    for press in batch:
        event = events.get((press.event_id, press.chat_id))
        if event is None:
            results.append(OTHER_GROUP)
            continue
        if event.status == "cancelled" or event.starts_at <= press.now:
            results.append(CLOSED)
            continue
        member = members.get((event.branch_id, press.user_id))
        if member is None:
            member = Member(
                telegram_user_id=press.user_id, display_name=press.name, branch_id=event.branch_id
            )
            session.add(member)
            await session.flush()
            members[(event.branch_id, press.user_id)] = member
        member.active = True
        previous = answers.get((event.id, member.id))
        if previous is None:
            answer = Attendance(
                event_id=event.id,
                member_id=member.id,
                response=press.response,
                reason=None,
                responded_at=utcnow(),
            )
            session.add(answer)
            answers[(event.id, member.id)] = answer
            results.append(CHANGED)
        else:
            changed = update_answer(previous, press.response, None)
            results.append(CHANGED if changed else SAME)
    return results
