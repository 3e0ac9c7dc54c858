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
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.attendance import LEAVE
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
    reason: str | None = None  # said in a text reply ("请假，出差"); a button has none
    done: asyncio.Future[str] = field(repr=False, default=None)  # type: ignore[assignment]


class ReplyWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.waiting: list[Press] = []
        self.task: asyncio.Task[None] | None = None

    async def press(
        self,
        event_id: int,
        chat_id: int,
        user_id: int,
        name: str,
        response: str,
        now: datetime,
        reason: str | None = None,
    ) -> str:
        """CHANGED, SAME (a double tap), OTHER_GROUP or CLOSED, once it is committed."""
        press = Press(event_id, chat_id, user_id, name, response, now, reason)
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
    """The batch in arrival order (one member pressing twice in it ends with the second).

    Plain column reads and bulk statements, not ORM objects: this is the path a thousand
    presses a second take, and the unit of work's bookkeeping would cost more than the SQL."""
    event_ids = {p.event_id for p in batch}
    chats = {p.chat_id for p in batch}
    users = {p.user_id for p in batch}
    # One round trip: the events with the groups they may be answered from, and the
    # pressing members of those branches with their earlier answers.
    found = await session.execute(
        select(
            Event.id,
            Event.branch_id,
            Event.status,
            Event.starts_at,
            GroupBinding.chat_id,
            Member.id.label("member_id"),
            Member.telegram_user_id,
            Member.active,
            Attendance.id.label("answer_id"),
            Attendance.event_id.label("answer_event_id"),
            Attendance.response,
            Attendance.reason,
        )
        .join(GroupBinding, GroupBinding.branch_id == Event.branch_id)
        .outerjoin(
            Member,
            (Member.branch_id == Event.branch_id) & Member.telegram_user_id.in_(users),
        )
        .outerjoin(
            Attendance,
            (Attendance.member_id == Member.id) & (Attendance.event_id == Event.id),
        )
        .where(Event.id.in_(event_ids), GroupBinding.chat_id.in_(chats), GroupBinding.active)
    )
    events: dict[tuple[int, int], Any] = {}
    members: dict[tuple[int, int], list[Any]] = {}  # (branch, user) -> [member id, active]
    answers: dict[tuple[int, int], dict[str, Any]] = {}  # (event, member) -> earlier answer
    for r in found.all():
        events[(r.id, r.chat_id)] = r
        if r.member_id is not None:
            members[(r.branch_id, r.telegram_user_id)] = [r.member_id, r.active]
        if r.answer_id is not None:
            answers[(r.answer_event_id, r.member_id)] = {
                "id": r.answer_id,
                "response": r.response,
                "reason": r.reason,
            }
    now = utcnow()
    results: list[str] = []
    new_answers: dict[tuple[int, int], dict[str, Any]] = {}
    changed: dict[int, dict[str, Any]] = {}  # answer id -> the answer as it is now
    reactivate: set[int] = set()
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
            member_id = (
                await session.execute(
                    insert(Member)
                    .values(
                        telegram_user_id=press.user_id,
                        display_name=press.name,
                        branch_id=event.branch_id,
                        role="member",
                        active=True,
                        joined_at=now,
                    )
                    .returning(Member.id)
                )
            ).scalar_one()
            member = members[(event.branch_id, press.user_id)] = [member_id, True]
        elif not member[1]:
            reactivate.add(member[0])
            member[1] = True
        key = (event.id, member[0])
        earlier = new_answers.get(key) or answers.get(key)
        if earlier is None:
            new_answers[key] = {
                "event_id": event.id,
                "member_id": member[0],
                "response": press.response,
                "reason": press.reason if press.response == LEAVE else None,
                "responded_at": now,
            }
            results.append(CHANGED)
        elif _apply(earlier, press):
            if "id" in earlier:  # a row written before this batch
                changed[earlier["id"]] = earlier
            results.append(CHANGED)
        else:
            results.append(SAME)
    if new_answers:
        await session.execute(insert(Attendance), list(new_answers.values()))
    for answer_id, answer in changed.items():
        await session.execute(
            update(Attendance)
            .where(Attendance.id == answer_id)
            .values(response=answer["response"], reason=answer["reason"], responded_at=now)
        )
    if reactivate:
        await session.execute(update(Member).where(Member.id.in_(reactivate)).values(active=True))
    return results


def _apply(answer: dict[str, Any], press: Press) -> bool:
    """A press on an earlier answer; False when it changes nothing (a double tap). A leave
    keeps its reason unless a new one is given; coming drops it."""
    if answer["response"] == press.response and press.reason in (None, answer["reason"]):
        return False
    answer["response"] = press.response
    if press.response != LEAVE:
        answer["reason"] = None
    elif press.reason:
        answer["reason"] = press.reason
    return True
