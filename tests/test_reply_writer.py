"""The batching reply writer on every backend: many presses at once are each answered only
after their commit, in arrival order, with the same checks as one press alone."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url

from bot.rules.attendance_press import CHANGED, CLOSED, OTHER_GROUP, SAME, Answer, decide
from storage import attendance
from storage.db import Database
from storage.models import Branch, Event, GroupBinding, Member
from storage.replies import ReplyWriter

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def two_groups(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        ids = []
        for chat_id in ("-1", "-2"):
            branch = Branch(name=f"支部{chat_id}", timezone="Asia/Shanghai")
            session.add(branch)
            await session.flush()
            session.add(GroupBinding(chat_id=chat_id, branch_id=branch.id, bound_by="1"))
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
    writer = ReplyWriter(database, decide, Answer)
    presses = [
        writer.press(first, "-1", str(100 + i), f"党员{i}", "attend", NOW) for i in range(150)
    ]
    presses += [
        writer.press(second, "-2", str(500 + i), f"党员{i}", "leave", NOW) for i in range(50)
    ]
    results = await asyncio.gather(*presses)
    assert results == [CHANGED] * 200
    again = await asyncio.gather(
        writer.press(first, "-1", "100", "党员0", "attend", NOW),  # a double tap
        writer.press(first, "-1", "101", "党员1", "leave", NOW),  # 参加 -> 请假 ...
        writer.press(first, "-1", "101", "党员1", "attend", NOW),  # ... and back, in one batch
        writer.press(first, "-2", "102", "外人", "attend", NOW),  # pressed from the other group
        writer.press(held, "-2", "103", "党员", "attend", NOW),  # an event that has begun
    )
    assert again == [SAME, CHANGED, CHANGED, OTHER_GROUP, CLOSED]
    async with database.session() as session:
        assert await attendance.counts(session, first) == {"attend": 150, "leave": 0}
        assert await attendance.counts(session, second) == {"attend": 0, "leave": 50}
        assert len(await attendance.roster(session, 1)) == 150
    view = await database.read(attendance.reminder_view, first)
    assert view is not None and (view.attend, view.leave, view.silent) == (150, 0, 0)


# One joined member's presses in order: (response, reason given). A button gives no reason; a
# text reply ("请假，出差") does. What each press should give, and what is stored after it, is
# what the rule (bot/rules/attendance_press.py) says: the PostgreSQL upsert, which states the
# rule again in SQL for speed, is held to it here.
PRESSES = [
    ("attend", None),
    ("attend", None),  # a double tap
    ("leave", None),
    ("leave", "出差"),
    ("leave", None),  # a 请假 press keeps the reason given
    ("leave", "出差"),
    ("leave", "生病"),
    ("attend", None),  # coming drops it
]


def by_the_rule() -> list[tuple[str, str | None, str, tuple[str, str | None]]]:
    sequence, kept = [], None
    for response, reason in PRESSES:
        outcome, kept = decide(
            kept, Answer(response, reason), in_branch_group=True, still_open=True
        )
        assert kept is not None
        sequence.append((response, reason, outcome, (kept.response, kept.reason)))
    return sequence


SEQUENCE = by_the_rule()
assert [outcome for *_, outcome, _ in SEQUENCE] == [
    CHANGED, SAME, CHANGED, CHANGED, SAME, SAME, CHANGED, CHANGED
]  # fmt: skip


async def joined_member(database: Database, active: bool = True) -> tuple[int, int]:
    first, _, _ = await two_groups(database)
    async with database.session() as session:
        member = Member(user_id="7", display_name="党员", branch_id=1, active=active)
        session.add(member)
        await session.flush()
        return first, member.id


async def stored(database: Database, event_id: int, member_id: int) -> tuple[str, str | None]:
    async with database.session() as session:
        answer = (await attendance.replies(session, event_id))[member_id]
        return answer.response, answer.reason


@pytest.mark.parametrize("step", range(len(SEQUENCE)))
async def test_a_members_presses_one_by_one(database: Database, step: int) -> None:
    """Each press alone, as most come: on PostgreSQL the one-statement way."""
    event_id, member_id = await joined_member(database)
    writer = ReplyWriter(database, decide, Answer)
    for response, reason, _, _ in SEQUENCE[: step + 1]:
        got = await writer.press(event_id, "-1", "7", "党员", response, NOW, reason)
    _, _, result, after = SEQUENCE[step]
    assert (got, await stored(database, event_id, member_id)) == (result, after)


async def test_a_members_presses_in_one_batch(database: Database) -> None:
    """The same presses arriving together: answered in order, as if one by one."""
    event_id, member_id = await joined_member(database)
    writer = ReplyWriter(database, decide, Answer)
    got = await asyncio.gather(
        *(writer.press(event_id, "-1", "7", "党员", r, NOW, why) for r, why, _, _ in SEQUENCE)
    )
    assert got == [result for _, _, result, _ in SEQUENCE]
    assert await stored(database, event_id, member_id) == SEQUENCE[-1][3]


async def test_a_member_who_left_answers_and_is_back(database: Database) -> None:
    event_id, member_id = await joined_member(database, active=False)
    writer = ReplyWriter(database, decide, Answer)
    assert await writer.press(event_id, "-1", "7", "党员", "leave", NOW, "出差") == CHANGED
    assert await stored(database, event_id, member_id) == ("leave", "出差")
    async with database.session() as session:
        assert [m.id for m in await attendance.roster(session, 1)] == [member_id]


async def test_new_members_answering_two_dates_at_once(database: Database) -> None:
    """Two dates of one branch are written side by side on PostgreSQL (two lanes), so both
    may add the same new member at the same moment: the loser of that race finds the
    winner's row on its second try, and every answer is kept."""
    async with database.session() as session:
        branch = Branch(name="一支部", timezone="Asia/Shanghai")
        session.add(branch)
        await session.flush()
        session.add(GroupBinding(chat_id="-1", branch_id=branch.id, bound_by="1"))
        dates = [Event(branch_id=branch.id, starts_at=NOW + timedelta(days=d)) for d in (1, 2)]
        session.add_all(dates)
        await session.flush()
        first, second = (event.id for event in dates)
    writer = ReplyWriter(database, decide, Answer)
    for user in range(1, 61):  # one member at a time: each lane's batch is that one press
        both = await asyncio.gather(
            writer.press(first, "-1", str(user), f"党员{user}", "attend", NOW),
            writer.press(second, "-1", str(user), f"党员{user}", "leave", NOW),
        )
        assert both == [CHANGED, CHANGED]
    async with database.session() as session:
        assert len(await attendance.roster(session, branch.id)) == 60
        assert await attendance.counts(session, first) == {"attend": 60, "leave": 0}
        assert await attendance.counts(session, second) == {"attend": 0, "leave": 60}


async def test_the_counts_are_of_this_event_and_this_roster(database: Database) -> None:
    """The live counts: each event its own answers; silent = active roster members who have
    not answered this event (an answer to another date does not count)."""
    _, second, held = await two_groups(database)
    writer = ReplyWriter(database, decide, Answer)
    past = NOW - timedelta(days=1)
    for user in (1, 2, 3):  # the second branch's roster answers the held event
        assert await writer.press(held, "-2", str(user), f"党员{user}", "attend", past) == CHANGED
    async with database.session() as session:
        session.add(Member(user_id="4", display_name="离开的", branch_id=2, active=False))
    assert await writer.press(second, "-2", "1", "党员1", "leave", NOW) == CHANGED
    view = await database.read(attendance.reminder_view, second)
    assert view is not None and (view.attend, view.leave, view.silent) == (0, 1, 2)
    view = await database.read(attendance.reminder_view, held)
    assert view is not None and (view.attend, view.leave, view.silent) == (3, 0, 0)
    async with database.session() as session:  # the same, inside a unit of work
        assert await attendance.load_reminder_view(session, held) == view
    assert await database.read(attendance.reminder_view, 999) is None


async def test_a_held_event_of_this_group_is_closed(database: Database) -> None:
    first, _, _ = await two_groups(database)
    writer = ReplyWriter(database, decide, Answer)
    later = NOW + timedelta(days=2)
    assert await writer.press(first, "-1", "7", "党员", "attend", later) == CLOSED


def _add_branch(connection: Connection, name: str, fail: bool = False) -> int:
    connection.execute(insert(Branch).values(name=name, timezone="Asia/Shanghai"))
    if fail:
        raise RuntimeError("half-way")
    return len(connection.execute(select(Branch.id)).all())


async def test_a_failed_write_leaves_nothing(database: Database) -> None:
    assert await database.write(_add_branch, "一支部") == 1
    with pytest.raises(RuntimeError):
        await database.write(_add_branch, "二支部", True)
    assert await database.write(_add_branch, "三支部") == 2  # 二支部 was rolled back


async def test_a_write_waits_for_a_session_holding_the_lock(database: Database) -> None:
    """On SQLite the writer thread waits for the lock while the loop goes on, so the session
    holding it can finish; a writer blocking the loop would never get it."""
    if not database.is_sqlite:
        pytest.skip("PostgreSQL writers do not wait for each other's inserts")
    loop = asyncio.get_running_loop()
    writing = asyncio.Event()

    def before(conn, cursor, sql, params, context, executemany):  # type: ignore[no-untyped-def]
        if threading.current_thread().name.startswith("sqlite-writer"):
            loop.call_soon_threadsafe(writing.set)  # the writer thread is at its first statement

    sa_event.listen(Engine, "before_cursor_execute", before)
    pending: asyncio.Future[int] | None = None
    try:
        async with database.session() as session:
            session.add(Branch(name="先写", timezone="Asia/Shanghai"))
            await session.flush()  # holds the write lock until the commit below
            pending = asyncio.ensure_future(database.write(_add_branch, "后写"))
            await asyncio.wait_for(writing.wait(), 5)
            assert not pending.done()  # its transaction waits for the lock this session holds
        assert await asyncio.wait_for(pending, 5) == 2
    finally:
        # Only once the writer thread is done with its statements: removing a listener
        # while that thread walks the listeners fails there ("deque mutated").
        if pending is not None:
            await asyncio.wait([pending], timeout=5)
        sa_event.remove(Engine, "before_cursor_execute", before)


async def test_a_write_survives_a_dropped_connection(database: Database) -> None:
    """The writer's pool skips the ping before use; a connection the server has dropped
    (a restart) costs one retry, not the batch."""
    if database.is_sqlite:
        pytest.skip("a server that drops connections is PostgreSQL's case")
    assert await database.write(_add_branch, "一支部") == 1
    name = make_url(database.url).database
    async with database.session() as session:
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    assert await database.write(_add_branch, "二支部") == 2
