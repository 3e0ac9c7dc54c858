"""What a branch hears when its theme days change, and who is awaited: the organiser is not
未回复, changing offsets or the time zone posts nothing again, an announced event that moves or
is cancelled is announced, and an event with replies is never dropped without the secretary
being told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console import GROUP_CHAT_ID
from bot.contract import SendText
from bot.services import Services
from storage import attendance
from storage.models import Event as EventRow
from tests.chat import Conversation, bot_services, set_clock
from tests.chat import Sent as Telegram
from tests.theme_day_helpers import (
    START,
    press,
    three_members_reminded,
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def test_the_secretary_is_not_awaited_for_the_day_they_organise(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        dispatcher, reminder = await three_members_reminded(services, telegram)
        assert "⏳ 未回复 3" in reminder.text  # 党员5, 6 and 7; not 书记
        await press(services, 5, reminder.buttons[0][0].data, 1000)  # type: ignore[union-attr]
        await dispatcher.tick(START - timedelta(days=1))
        (digest,) = telegram.texts("1")
        assert "未回复（2）：党员6、党员7" in digest
        card = await Conversation(services, user_id=1).say("/attendance")
        assert "⏳ 未回复（2）：党员6、党员7" in card
        async with services.db.session() as session:
            view = await attendance.load_reminder_view(session, reminder_event_id(reminder))
        assert view is not None and view.silent == 2


def reminder_event_id(reminder: SendText) -> int:
    return int(reminder.buttons[0][0].data.split(":")[1])  # type: ignore[union-attr]


async def group_messages(telegram: Telegram) -> list[str]:
    return telegram.texts(GROUP_CHAT_ID)


async def test_changing_offsets_after_a_reminder_posts_nothing_again(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        dispatcher, _ = await three_members_reminded(services, telegram)  # 3 days before
        later = START - timedelta(days=3) + timedelta(hours=1)
        set_clock(services, later)
        group = Conversation(services, group=True)
        assert "提前 5天、1天、2小时 提醒" in await group.say("/themeday 提醒 5天 1天 2小时")
        await dispatcher.tick(later)
        assert len(await group_messages(telegram)) == 1  # the 5-day one is past: not sent
        await dispatcher.tick(START - timedelta(days=1))
        assert len(await group_messages(telegram)) == 2  # the day before, as planned
        assert len(telegram.texts("1")) == 1  # the secretary's digest, once


async def test_changing_the_time_zone_posts_nothing_again(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        dispatcher, _ = await three_members_reminded(services, telegram)
        await dispatcher.tick(START - timedelta(days=1))  # the day-before reminder and digest
        assert (len(await group_messages(telegram)), len(telegram.texts("1"))) == (2, 1)
        later = START - timedelta(days=1) + timedelta(minutes=10)
        set_clock(services, later)
        group = Conversation(services, group=True)
        changed = await group.say("/themeday 时区 Asia/Urumqi")
        assert "Asia/Urumqi" in changed and "改期" not in changed  # 09:00 there: no move
        await dispatcher.tick(later)
        assert (len(await group_messages(telegram)), len(telegram.texts("1"))) == (2, 1)
        urumqi_start = START + timedelta(hours=2)  # 09:00 in UTC+6
        await dispatcher.tick(urumqi_start - timedelta(hours=2))
        assert len(await group_messages(telegram)) == 3  # the 2-hour one, at its new time


async def event_rows(services: Services) -> dict[str, EventRow]:
    async with services.db.session() as session:
        rows = (await session.execute(select(EventRow))).scalars()
        return {str(e.occurrence_date): e for e in rows}


async def test_an_announced_move_is_announced_and_a_rule_change_keeps_it(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        dispatcher, reminder = await three_members_reminded(services, telegram)
        yes = reminder.buttons[0][0].data  # type: ignore[union-attr]
        for user in (5, 6):
            await press(services, user, yes, 1000)
        now = START - timedelta(days=3) + timedelta(hours=1)
        set_clock(services, now)
        group = Conversation(services, group=True)
        moved = await group.say("/themeday 改期 2026-12-15 2026-12-16 14:30")
        assert "【改期通知】" in moved and "12月16日（周三）14:30" in moved
        assert "12月15日（周二）09:00" in moved  # from when
        # The rule changes to a day that does not include the 16th: the moved event, which
        # has replies, stays, and the secretary is told how to cancel it.
        changed = await group.say("/themeday 每月20日 9:00")
        assert "12月16日" in changed and "/themeday 取消 2026-12-16" in changed
        kept = (await event_rows(services))["2026-12-15"]
        assert kept.status == "moved"
        async with services.db.session() as session:
            assert (await attendance.counts(session, kept.id))["attend"] == 2
        # Its reminders go on at the new time, with the 改期 mark.
        await dispatcher.tick(datetime(2026, 12, 15, 6, 30, tzinfo=UTC))  # a day before
        assert (await group_messages(telegram))[-1].startswith("【支部主题党日提醒·已改期】")


async def test_a_rule_change_that_moves_an_announced_time_announces_it(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        _, reminder = await three_members_reminded(services, telegram)
        await press(services, 5, reminder.buttons[0][0].data, 1000)  # type: ignore[union-attr]
        set_clock(services, START - timedelta(days=2))
        changed = await Conversation(services, group=True).say("/themeday 每月15日 14:00")
        assert "【改期通知】" in changed and "12月15日（周二）14:00" in changed
        # Only the announced date is announced; January had no reminder yet.
        assert changed.count("【改期通知】") == 1
        event = (await event_rows(services))["2026-12-15"]
        async with services.db.session() as session:
            assert (await attendance.counts(session, event.id))["attend"] == 1


async def test_cancelling_an_announced_date_is_announced_and_hidden(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        await three_members_reminded(services, telegram)
        set_clock(services, START - timedelta(days=2))
        group = Conversation(services, group=True)
        cancelled = await group.say("/themeday 取消 2026-12-15")
        assert "【取消通知】" in cancelled and "12月15日（周二）09:00" in cancelled
        quiet = await group.say("/themeday 取消 2027-01-15")  # never announced
        assert "已取消 2027-01-15" in quiet and "【取消通知】" not in quiet
        card = await Conversation(services, user_id=1).say("/attendance")
        assert "12月15日" not in card and "1月15日" not in card  # cancelled: not offered
        shown = await Conversation(services, user_id=1).say("/attendance 1")
        assert "已取消" in shown  # opened by id, it says what it is


async def test_the_attendance_export_says_whether_each_event_went_ahead(
    db_url: str, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from bot.exports.attendance import export_attendance

    telegram = Telegram()
    async with bot_services(db_url) as services:
        _, reminder = await three_members_reminded(services, telegram)
        await press(services, 5, reminder.buttons[0][0].data, 1000)  # type: ignore[union-attr]
        set_clock(services, START - timedelta(days=2))
        await Conversation(services, group=True).say("/themeday 改期 2026-12-15 2026-12-17")
        await export_attendance(services.db, tmp_path / "a.xlsx", "Asia/Shanghai", services.content)
    sheet = load_workbook(tmp_path / "a.xlsx")["出勤明细"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "活动状态"
    assert [row[3] for row in rows[1:]] == ["已改期"]


@pytest.mark.parametrize(
    ("status", "new_due", "visible", "announced", "in_use", "after"),
    [
        ("sent", 1, True, True, True, "sent"),  # sent stays sent: its message still counts
        ("sending", 1, True, False, True, "sending"),
        ("pending", 1, False, False, True, "pending"),
        ("pending", -1, True, True, True, "skipped"),  # due, and the group was just told
        ("pending", -1, True, False, True, "pending"),  # due, nobody told yet: it goes out
        ("pending", -1, False, False, True, "pending"),
        ("expired", 1, True, True, True, "pending"),  # moved later: due again
        ("expired", 1, False, False, True, "expired"),  # same local time: nothing new
        ("skipped", 1, True, True, False, "skipped"),  # an offset no longer wanted
        ("pending", 1, True, True, False, "skipped"),
    ],
)
def test_a_reminder_after_its_event_moves(
    status: str, new_due: int, visible: bool, announced: bool, in_use: bool, after: str
) -> None:
    from storage.schedule import after_move

    now = datetime(2026, 12, 10, tzinfo=UTC)
    due = now + timedelta(hours=new_due)
    assert (
        after_move(status, due, now, visible=visible, announced=announced, in_use=in_use) == after
    )


@pytest.mark.parametrize(
    ("status", "starts", "wanted", "replies", "decision"),
    [
        ("planned", 9, 9, False, "keep"),
        ("planned", 9, 14, True, "move"),  # replies kept, the move announced
        ("planned", 9, None, False, "cancel"),
        ("planned", 9, None, True, "keep_and_tell"),  # answered: never silently dropped
        ("moved", 9, None, False, "keep_and_tell"),  # moved by hand: the secretary decides
        ("moved", 9, 14, False, "keep"),
        ("cancelled", 9, 9, False, "restore"),
        ("cancelled", 9, None, False, "keep"),
        ("planned", 9, -1, False, "cancel"),  # the rule's time for it has passed
    ],
)
def test_what_a_rule_change_does_to_an_event(
    status: str, starts: int, wanted: int | None, replies: bool, decision: str
) -> None:
    from bot.rules.reschedule import on_rule_change

    now = datetime(2026, 12, 10, tzinfo=UTC)
    day = datetime(2026, 12, 15, tzinfo=UTC)
    at = None if wanted is None else now if wanted < 0 else day + timedelta(hours=wanted)
    assert on_rule_change(status, day + timedelta(hours=starts), at, now, replies) == decision
