"""The batching reply writer on every backend: many presses at once are each answered only
after their commit, in arrival order, with the same checks as one press alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage import attendance
from storage.db import Database
from storage.models import Branch, Event, GroupBinding
from storage.replies import CHANGED, CLOSED, OTHER_GROUP, SAME, ReplyWriter

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def two_groups(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        ids = []
        for chat_id in (-1, -2):
            branch = Branch(name=f"支部{chat_id}")
            session.add(branch)
            await session.flush()
            session.add(GroupBinding(chat_id=chat_id, branch_id=branch.id, bound_by=1))
            event = Event(branch_id=branch.id, starts_at=NOW + timedelta(days=1))
            session.add(event)
            await session.flush()
            ids.append(event.id)
        # The second group's branch also held a theme day an hour ago.
        held = Event(branch_id=branch.id, starts_at=NOW - timedelta(hours=1))
        session.add(held)
        await session.flush()
        return ids[0], ids[1], held.id


async def test_presses_at_once_are_counted_exactly(database: Database) -> None:
    first, second, held = await two_groups(database)
    writer = ReplyWriter(database)
    presses = [writer.press(first, -1, 100 + i, f"党员{i}", "attend", NOW) for i in range(150)]
    presses += [writer.press(second, -2, 500 + i, f"党员{i}", "leave", NOW) for i in range(50)]
    results = await asyncio.gather(*presses)
    assert results == [CHANGED] * 200
    again = await asyncio.gather(
        writer.press(first, -1, 100, "党员0", "attend", NOW),  # a double tap
        writer.press(first, -1, 101, "党员1", "leave", NOW),  # 参加 -> 请假 ...
        writer.press(first, -1, 101, "党员1", "attend", NOW),  # ... and back, in one batch
        writer.press(first, -2, 102, "外人", "attend", NOW),  # pressed from the other group
        writer.press(held, -2, 103, "党员", "attend", NOW),  # an event that has begun
    )
    assert again == [SAME, CHANGED, CHANGED, OTHER_GROUP, CLOSED]
    async with database.session() as session:
        assert await attendance.counts(session, first) == {"attend": 150, "leave": 0}
        assert await attendance.counts(session, second) == {"attend": 0, "leave": 50}
        assert len(await attendance.roster(session, 1)) == 150
        assert await attendance.tally(session, first, 1) == {"attend": 150, "leave": 0, "silent": 0}


async def test_a_held_event_of_this_group_is_closed(database: Database) -> None:
    first, _, _ = await two_groups(database)
    writer = ReplyWriter(database)
    later = NOW + timedelta(days=2)
    assert await writer.press(first, -1, 7, "党员", "attend", later) == CLOSED
