"""Theme days with time under the test's control: the rule set by /themeday, events expanded,
reminders at the right instants in Asia/Shanghai, catch-up after downtime without doubles,
moved and cancelled dates, and replies by button and by text."""

from __future__ import annotations

import asyncio
import calendar
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console import GROUP_CHAT_ID
from bot.contract import Action, Chat, EditText, Event, SendText, User
from bot.router import handle_event
from bot.services import Services
from scheduler.dispatch import FAN_OUT
from scheduler.service import run_scheduler
from storage import attendance, schedule
from storage.models import Attendance, Branch, GroupBinding, Member, Reminder
from storage.models import Event as EventRow
from tests.chat import Conversation, bot_services, set_clock
from tests.chat import Sent as Telegram
from tests.theme_day_helpers import (
    GROUP,
    SET_ON,
    START,
    bound_group_with_rule,
    dispatcher_at,
    press,
    three_members_reminded,
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def reminders(services: Services) -> list[Reminder]:
    async with services.db.session() as session:
        return list((await session.execute(select(Reminder).order_by(Reminder.due_at))).scalars())


@pytest.mark.parametrize(
    ("moment", "sent"),
    [
        (START - timedelta(days=3, seconds=1), 0),
        (START - timedelta(days=3), 1),  # 3 days before, to the second
        (START - timedelta(days=1, seconds=1), 1),
        (START - timedelta(days=1), 2),
        (START - timedelta(hours=2, seconds=1), 2),
        (START - timedelta(hours=2), 3),
        (START, 3),  # the event has begun: nothing more
        (START + timedelta(days=1), 3),
    ],
)
async def test_reminders_fire_at_the_right_instants(
    db_url: str, moment: datetime, sent: int
) -> None:
    async with bot_services(db_url) as services:
        telegram = Telegram()
        await bound_group_with_rule(services)
        now = [SET_ON]
        dispatcher = dispatcher_at(services, telegram, now)
        await dispatcher.expand_all(SET_ON)
        # Tick every hour from the day the rule was set up to `moment`, then at `moment`.
        t = SET_ON
        while t < moment:
            await dispatcher.tick(t)
            t += timedelta(hours=1)
        await dispatcher.tick(moment)
        group_sends = [a for chat, a in telegram.sent if chat == GROUP_CHAT_ID]
        assert len(group_sends) == sent
        if sent:
            assert "【支部主题党日提醒】测试群" in group_sends[0].text  # type: ignore[union-attr]
            assert "12月15日（周二）09:00" in group_sends[0].text  # type: ignore[union-attr]


async def test_themeday_sets_the_rule_and_expands_the_coming_months(db_url: str) -> None:
    async with bot_services(db_url) as services:
        text = await bound_group_with_rule(services, "每月最后一个星期五 下午2点半")
        assert "每月最后一个星期五 14:30" in text and "接下来：" in text
        member = Conversation(services, user_id=7, group=True)
        refused = await member.say("/as 7 党员", "/themeday 每月1日")
        assert "只有本支部书记或群管理员" in refused
        async with services.db.session() as session:
            events = list((await session.execute(select(EventRow))).scalars())
        assert len(events) >= 3 and all(e.occurrence_date.weekday() == 4 for e in events)
        assert all(e.starts_at.astimezone(UTC).hour == 6 for e in events)  # 14:30 +08 = 06:30


async def test_a_restart_in_the_window_loses_nothing_and_sends_nothing_twice(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        first = dispatcher_at(services, telegram, [SET_ON])
        await first.expand_all(SET_ON)
        await first.tick(START - timedelta(days=3))
        assert len(telegram.texts()) == 1
    # The bot was down from 3 days before until 90 minutes before the event.
    async with bot_services(db_url) as services:
        again = dispatcher_at(services, telegram, [SET_ON])
        await again.expand_all(START - timedelta(minutes=90))
        await again.tick(START - timedelta(minutes=90))
        await again.tick(START - timedelta(minutes=89))  # a second tick, or a second process
        texts = telegram.texts()
        assert len(texts) == 2  # the 1-day reminder is skipped: the 2-hour one says it all
        assert "还有1小时" in texts[1]
        assert len(telegram.texts("1")) == 1  # the secretary's digest, late but before the event
        statuses = sorted(r.status for r in await reminders(services) if r.due_at <= START)
        assert statuses.count("sent") == 3 and "pending" not in statuses


class Unreachable(Telegram):
    """A send that never comes back: the process is killed while the message is on the wire."""

    async def send(self, chat_id: int, action: Action) -> int | None:
        await asyncio.Event().wait()
        return None


async def kill_while_sending(dispatcher, services: Services, now: datetime, sending: int) -> None:  # type: ignore[no-untyped-def]
    """Ticks until `sending` reminders are claimed, then stops the tick dead, as a crash
    would: nothing after the send runs."""
    tick = asyncio.ensure_future(dispatcher.tick(now))
    for _ in range(500):
        if [r.status for r in await reminders(services)].count("sending") == sending:
            break
        await asyncio.sleep(0.01)
    tick.cancel()
    await asyncio.gather(tick, return_exceptions=True)


async def test_a_crash_while_sending_loses_no_reminder(database_url: str) -> None:
    db_url = database_url
    due = START - timedelta(days=3)
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        dying = dispatcher_at(services, Unreachable(), [SET_ON])
        await dying.expand_all(SET_ON)
        await kill_while_sending(dying, services, due, sending=1)
    telegram = Telegram()
    async with bot_services(db_url) as services:  # the restarted process
        again = dispatcher_at(services, telegram, [SET_ON])
        await again.tick(due + timedelta(minutes=1))
        assert telegram.texts() == []  # the claim may still be a live process's: not yet
        await again.tick(due + schedule.CLAIM_LEASE)
        await again.tick(due + schedule.CLAIM_LEASE + timedelta(minutes=1))
        assert len(telegram.texts()) == 1  # sent once the claim lapsed, and only once
        assert "【支部主题党日提醒】" in telegram.texts()[0]


async def test_a_crash_in_a_fan_out_leaves_the_unsent_pending(database_url: str) -> None:
    """Claims are made send by send: a process killed half-way through a fan-out has claimed
    only what was in flight; the restarted one sends the rest at once, the few in flight
    after their claims lapse, and every group gets its reminder exactly once."""
    groups = FAN_OUT + 36
    async with bot_services(database_url) as services:
        async with services.db.session() as session:
            for i in range(groups):
                branch = Branch(name=f"支部{i}", timezone="Asia/Shanghai")
                session.add(branch)
                await session.flush()
                session.add(GroupBinding(chat_id=str(-100 - i), branch_id=branch.id, bound_by="1"))
                event = EventRow(branch_id=branch.id, starts_at=START)
                session.add(event)
                await session.flush()
                session.add(
                    Reminder(
                        event_id=event.id,
                        chat_id=str(-100 - i),
                        kind="group",
                        offset_minutes=120,
                        due_at=START - timedelta(hours=2),
                    )
                )
        await kill_while_sending(
            dispatcher_at(services, Unreachable(), [SET_ON]),
            services,
            START - timedelta(hours=2),
            FAN_OUT,
        )
        statuses = [r.status for r in await reminders(services)]
        assert statuses.count("sending") == FAN_OUT and statuses.count("pending") == 36
    telegram = Telegram()
    async with bot_services(database_url) as services:
        again = dispatcher_at(services, telegram, [SET_ON])
        restarted = START - timedelta(hours=2) + timedelta(seconds=30)
        assert await again.tick(restarted) == 36
        assert await again.tick(restarted + schedule.CLAIM_LEASE) == FAN_OUT
        assert await again.tick(restarted + schedule.CLAIM_LEASE * 2) == 0
        assert sorted(chat for chat, _ in telegram.sent) == sorted(
            str(-100 - i) for i in range(groups)
        )


class SlowTelegram(Telegram):
    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()

    async def send(self, chat_id: int, action: Action) -> int | None:
        self.sending.set()
        await asyncio.sleep(0.3)
        return await super().send(chat_id, action)


async def test_a_stop_lets_the_send_under_way_finish(db_url: str) -> None:
    """Stopping the bot while a reminder is on its way: the send completes and is recorded
    as sent (APScheduler alone would cancel it half-way)."""
    due = START - timedelta(days=3)
    telegram = SlowTelegram()
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        dispatcher = dispatcher_at(services, telegram, [due])
        await dispatcher.expand_all(SET_ON)
        stop = asyncio.Event()
        running = asyncio.ensure_future(run_scheduler(dispatcher, "Asia/Shanghai", stop, 3600))
        await asyncio.wait_for(telegram.sending.wait(), 5)
        stop.set()
        await asyncio.wait_for(running, 5)
        assert len(telegram.texts()) == 1
        assert [r.status for r in await reminders(services) if r.due_at <= due] == ["sent"]


async def test_after_downtime_past_events_are_never_announced(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        dispatcher = dispatcher_at(services, telegram, [SET_ON])
        await dispatcher.expand_all(SET_ON)
        await dispatcher.tick(START + timedelta(hours=3))  # came back after the event
        assert telegram.texts() == []  # the group hears nothing about a past event
        (confirm,) = telegram.texts("1")  # the secretary is asked who came
        assert "【确认实到】测试群" in confirm
        late = {r.status for r in await reminders(services) if r.due_at <= START}
        assert late == {"expired", "skipped"}  # the digest gave way to the confirmation


async def test_moved_and_cancelled_dates_keep_the_rule(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        group = Conversation(services, group=True)
        dispatcher = dispatcher_at(services, telegram, [SET_ON])
        await dispatcher.expand_all(SET_ON)
        moved = await group.say("/themeday 改期 2026-12-15 2026-12-16 14:30")
        assert "改到 12月16日（周三）14:30" in moved
        cancelled = await group.say("/themeday 取消 2027-01-15")
        assert "已取消 2027-01-15" in cancelled
        assert "没有找到" in await group.say("/themeday 取消 2027-01-16")
        await dispatcher.expand_all(SET_ON + timedelta(days=1))  # expansion does not undo it
        await dispatcher.tick(
            datetime(2026, 12, 15, 6, 30, tzinfo=UTC)
        )  # 1 day before the new time
        await dispatcher.tick(datetime(2027, 1, 14, 1, 0, tzinfo=UTC))
        texts = telegram.texts()
        assert (
            len(texts) == 1
            and texts[0].startswith("【支部主题党日提醒·已改期】测试群")
            and "12月16日（周三）14:30" in texts[0]
        )
        async with services.db.session() as session:
            rows = list(
                (
                    await session.execute(select(EventRow).order_by(EventRow.occurrence_date))
                ).scalars()
            )
        statuses = {str(e.occurrence_date): e.status for e in rows}
        assert statuses["2026-12-15"] == "moved" and statuses["2027-01-15"] == "cancelled"
        assert statuses["2027-02-15"] == "planned"


async def test_offsets_can_be_changed(db_url: str) -> None:
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        group = Conversation(services, group=True)
        assert "提前 1天、30分钟 提醒" in await group.say("/themeday 提醒 30分钟 1天")
        assert "最多5个" in await group.say("/themeday 提醒 明天")
        pending = {
            r.offset_minutes
            for r in await reminders(services)
            if r.status == "pending" and r.chat_id == GROUP_CHAT_ID
        }
        assert pending == {24 * 60, 30}


async def test_buttons_and_text_replies_are_counted_exactly(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        dispatcher = dispatcher_at(services, telegram, [SET_ON])
        await dispatcher.expand_all(SET_ON)
        # Send the first reminder "now" by moving the event's reminders due into the past.
        async with services.db.session() as session:
            first = (
                (await session.execute(select(EventRow).order_by(EventRow.starts_at)))
                .scalars()
                .first()
            )
            assert first is not None
            for r in (
                await session.execute(select(Reminder).where(Reminder.event_id == first.id))
            ).scalars():
                r.due_at = SET_ON - timedelta(minutes=1)
        await dispatcher.tick(SET_ON)
        ((reminder_message, message_id),) = [
            (a, m)
            for (c, a), m in zip(telegram.sent, telegram.message_ids, strict=True)
            if c == GROUP_CHAT_ID
        ]
        data_yes, data_no = (b.data for b in reminder_message.buttons[0])  # type: ignore[union-attr]
        for user in range(2, 12):
            await press(services, user, data_yes, message_id)
        again = await press(services, 2, data_yes, message_id)  # a double tap
        assert "已记录过" in again[0].text  # type: ignore[union-attr]
        changed = await press(services, 3, data_no, message_id)  # 参加 -> 请假
        edit = next(a for a in changed if isinstance(a, EditText))
        assert "✅ 参加 9　📝 请假 1" in edit.text
        replies = [
            (20, "收到，准时到", "已为党员20记录：✅ 参加"),
            (21, "请假，出差", "已为党员21记录：📝 请假（出差）"),
            (22, "来不了，家里有事", "已为党员22记录：📝 请假（家里有事）"),
            (23, "不一定能参加", "党员23，没能确定您是否参加"),
        ]
        for user, text, expected in replies:
            reply = Event(
                GROUP,
                User(str(user), f"党员{user}"),
                text=text,
                reply_to_message_id=message_id,
                reply_to_bot=True,
            )
            answer = await handle_event(reply, services)
            assert expected in answer[0].text, (text, answer)  # type: ignore[union-attr]
        forged = await press(services, 30, f"a:{first.id + 1}:y", message_id)  # another event
        assert forged and "Traceback" not in str(forged)
        other_group = Event(
            Chat("-999", "group"),
            User("31", "外人"),
            button_data=data_yes,
            callback_id="x",
            message_id=message_id,
        )
        (refusal,) = await handle_event(other_group, services)
        assert "不属于本群" in refusal.text  # type: ignore[union-attr]
        async with services.db.session() as session:
            tally = await attendance.counts(session, first.id)
            reasons = sorted(
                a.reason or ""
                for a in (await session.execute(select(Attendance))).scalars()
                if a.response == "leave"
            )
        assert tally == {"attend": 10, "leave": 3}
        assert reasons == ["", "出差", "家里有事"]
        secretary = Conversation(services, user_id=1)
        card = await secretary.say("/attendance")
        assert "✅ 参加（10）" in card and "党员21：出差" in card and "党员3：未说明原因" in card
        assert "⏳ 未回复（2）：书记、党员30" in card or "⏳ 未回复" in card
        stranger = Conversation(services, user_id=50)
        assert "还不是任何支部的书记" in await stranger.say("/attendance")
        assert "参加" in await Conversation(services, user_id=20).say("/myattendance")
        assert "私聊" in await Conversation(services, group=True).say("/attendance")


async def test_the_day_before_the_secretary_can_nudge_who_has_not_replied(db_url: str) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        dispatcher, reminder = await three_members_reminded(services, telegram)
        yes = reminder.buttons[0][0].data  # type: ignore[union-attr]
        await press(services, 5, yes, 1000)
        await dispatcher.tick(START - timedelta(days=1))
        (digest,) = telegram.texts("1")
        assert "【明天的支部主题党日】测试群" in digest
        assert "未回复（2）：党员6、党员7" in digest  # the secretary organises: not awaited
        nudge = next(a for c, a in telegram.sent if c == "1").buttons[0][0].data  # type: ignore[union-attr]
        member = Event(Chat("6", "private"), User("6", "党员6"), button_data=nudge, callback_id="m")
        (refused,) = await handle_event(member, services)
        assert "没有查看这条记录的权限" in refused.text  # type: ignore[union-attr]
        set_clock(services, START - timedelta(days=1))
        pressed = Event(Chat("1", "private"), User("1", "书记"), button_data=nudge, callback_id="s")
        actions = await handle_event(pressed, services)
        (to_group,) = [a for a in actions if isinstance(a, SendText)]
        assert to_group.chat_id == GROUP_CHAT_ID
        assert "【提醒】党员6、党员7" in to_group.text
        mentioned = [
            (m.user_id, to_group.text[m.offset : m.offset + m.length]) for m in to_group.mentions
        ]
        assert mentioned == [("6", "党员6"), ("7", "党员7")]
        assert "已在群里提醒 2 人" in actions[0].text  # type: ignore[union-attr]


async def test_after_the_event_the_secretary_confirms_who_came(db_url: str, tmp_path: Path) -> None:
    telegram = Telegram()
    async with bot_services(db_url) as services:
        dispatcher, reminder = await three_members_reminded(services, telegram)
        yes, no = (b.data for b in reminder.buttons[0])  # type: ignore[union-attr]
        await press(services, 5, yes, 1000)
        await press(services, 6, yes, 1000)
        await press(services, 7, no, 1000)
        await dispatcher.tick(START + timedelta(hours=2))
        (card,) = [a for c, a in telegram.sent if c == "1" and "确认实到" in a.text]  # type: ignore[union-attr]
        assert "实到 3/4 人，出勤率 75%" in card.text  # the secretary ran it  # type: ignore[union-attr]
        labels = [b.label for row in card.buttons for b in row]  # type: ignore[union-attr]
        assert labels == ["✅ 书记", "✅ 党员5", "✅ 党员6", "⬜ 党员7", "保存（实到 3 人）"]
        member6 = next(b.data for row in card.buttons for b in row if b.label == "✅ 党员6")  # type: ignore[union-attr]
        set_clock(services, START + timedelta(hours=2))
        not_secretary = Event(
            Chat("6", "private"), User("6", "党员6"), button_data=member6, callback_id="x"
        )
        (refused,) = await handle_event(not_secretary, services)
        assert "没有查看这条记录的权限" in refused.text  # type: ignore[union-attr]
        secretary = Conversation(services, user_id=1)
        toggled = await handle_event(
            Event(
                Chat("1", "private"),
                User("1", "书记"),
                button_data=member6,
                callback_id="s",
                message_id=5,
            ),
            services,
        )
        edit = next(a for a in toggled if isinstance(a, EditText))
        assert "实到 2/4 人，出勤率 50%" in edit.text
        saved = await handle_event(
            Event(
                Chat("1", "private"),
                User("1", "书记"),
                button_data=member6.rsplit(":", 1)[0] + ":ok",
                callback_id="s",
            ),
            services,
        )
        assert "已保存：实到 2/4 人，出勤率 50%" in saved[-1].text  # type: ignore[union-attr]
        set_clock(services, datetime(2026, 12, 20, 1, 0, tzinfo=UTC))
        shown = await secretary.say("/attendance 1")
        assert "本支部本月出勤率：50%（已确认 1 次）" in shown and "确认实到人员" in shown
        assert "⏳ 未回复（0）" in shown  # the secretary organised it
        from openpyxl import load_workbook

        from bot.exports.attendance import export_attendance

        assert (
            await export_attendance(
                services.db, tmp_path / "a.xlsx", "Asia/Shanghai", services.content
            )
            == 4
        )
        book = load_workbook(tmp_path / "a.xlsx")
        details = list(book["出勤明细"].iter_rows(min_row=2, values_only=True))
        assert (
            "测试群",
            "2026-12-15 09:00",
            "支部主题党日",
            "按期",
            "党员7",
            "请假",
            None,
            "未到",
        ) in details
        rates = list(book["月度出勤率"].iter_rows(min_row=2, values_only=True))
        assert rates == [("测试群", "2026-12", 1, 2, 4, "50%")]


async def test_the_roster_grows_from_joins_presses_updates_and_entered_names(db_url: str) -> None:
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)
        group = Conversation(services, group=True)
        await group.say("/as 5 党员5", "/join")
        added = await group.say("/as 1 书记", "/roster 添加 王五、赵六")
        assert "已添加 2 人：王五、赵六" in added
        assert "名字要有文字" in await group.say("/roster 添加 😀")
        assert "名字要有文字" in await group.say("/roster 添加 " + "长" * 30)
        joined = Event(GROUP, User("8", "新党员"), member_change="joined")
        assert await handle_event(joined, services) == []
        listing = await group.say("/roster")
        assert "（5人）" in listing and "王五（无Telegram）" in listing and "新党员" in listing
        assert "已从名册删除：王五" in await group.say("/roster 删除 王五")
        assert "名册里没有" in await group.say("/roster 删除 王五")
        await handle_event(Event(GROUP, User("8", "新党员"), member_change="left"), services)
        await handle_event(Event(GROUP, User("1", "书记"), member_change="left"), services)
        listing = await group.say("/roster")
        assert "（3人）" in listing and "王五" not in listing and "新党员" not in listing
        assert "只有本支部书记" in await group.say("/as 5 党员5", "/roster 添加 某人")


@pytest.mark.parametrize(
    ("rule", "check"),
    [
        (
            "每月31日 9:00",
            lambda d: d.day == calendar.monthrange(d.year, d.month)[1] or d.day == 31,
        ),
        ("每月第四个星期一", lambda d: d.weekday() == 0 and 22 <= d.day <= 28),
        (
            "每月最后一个星期五",
            lambda d: d.weekday() == 4 and d.day + 7 > calendar.monthrange(d.year, d.month)[1],
        ),
        ("每月第一个星期日 8:00", lambda d: d.weekday() == 6 and d.day <= 7),
    ],
)
async def test_24_months_of_expansion_give_one_event_a_month(db_url: str, rule: str, check) -> None:  # type: ignore[no-untyped-def]
    telegram = Telegram()
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services, rule)
        dispatcher = dispatcher_at(services, telegram, [SET_ON])
        moment = SET_ON
        for _ in range(24 * 4):  # weekly, for 24 months: expansion is idempotent
            await dispatcher.expand_all(moment)
            moment += timedelta(days=7)
        async with services.db.session() as session:
            days = sorted(
                e.occurrence_date for e in (await session.execute(select(EventRow))).scalars()
            )
        months = [(d.year, d.month) for d in days]
        assert len(months) == len(set(months)) >= 24  # one a month, never twice
        assert all(check(d) for d in days), days
        assert months[0] == (2026, 12)


async def test_a_milestone_reminds_its_owner_the_day_before(db_url: str) -> None:
    from datetime import date

    from storage import plans

    telegram = Telegram()
    async with bot_services(db_url) as services:
        async with services.db.session() as session:
            await plans.add_plan(
                session,
                "formation",
                "42",
                {  # a formation plan as 抓组建 saves it
                    "org_name": "楚雄某某食品有限公司",
                    "policy": "单独组建",
                    "facts": {
                        "kind": "非公企业",
                        "employees": 60,
                        "formal_members": 3,
                        "probationary_members": 0,
                    },
                    "form": "branch",
                    "measures": "召开党员大会",
                },
                responsible="李四 办公室主任",
                milestones=[("转入组织关系", date(2026, 12, 10)), ("成立支部", date(2026, 12, 1))],
            )
        dispatcher = dispatcher_at(services, telegram, [SET_ON])
        await dispatcher.tick(datetime(2026, 12, 8, 1, 0, tzinfo=UTC))  # 2 days before: not yet
        assert telegram.texts("42") == []
        await dispatcher.tick(datetime(2026, 12, 9, 1, 0, tzinfo=UTC))
        await dispatcher.tick(datetime(2026, 12, 9, 2, 0, tzinfo=UTC))  # only once
        (text,) = telegram.texts("42")
        assert "“楚雄某某食品有限公司”的节点“转入组织关系”将于 2026-12-10 到期" in text
        assert "（责任人：李四 办公室主任）" in text


async def test_changing_the_rule_moves_keeps_and_restores_dates(db_url: str) -> None:
    async with bot_services(db_url) as services:
        await bound_group_with_rule(services)  # 每月15日 9:00
        group = Conversation(services, group=True)

        async def coming() -> dict[str, tuple[int, str, str]]:
            async with services.db.session() as session:
                rows = (await session.execute(select(EventRow))).scalars()
                return {
                    str(e.occurrence_date): (e.id, e.status, e.starts_at.strftime("%H:%M"))
                    for e in rows
                }

        before = await coming()
        dec15 = before["2026-12-15"][0]
        await press(services, 5, f"a:{dec15}:y", 1)
        await group.say("/as 1 书记", "/themeday 每月15日 14:00")
        assert (await coming())["2026-12-15"] == (dec15, "planned", "06:00")
        told = await group.say("/themeday 每月16日 9:00")
        after = await coming()
        # The 15th has a reply: kept, and the secretary told how to cancel it.
        assert after["2026-12-15"][1] == "planned" and after["2026-12-16"][1] == "planned"
        assert "/themeday 取消 2026-12-15" in told
        assert after["2027-01-15"][1] == "cancelled"  # no reply: dropped
        await group.say("/themeday 每月15日 9:00")
        again = await coming()
        assert again["2026-12-15"] == (dec15, "planned", "01:00")  # the same event, back at 9
        assert again["2027-01-15"][1] == "planned"  # restored
        assert again["2026-12-16"][1] == "cancelled"
        async with services.db.session() as session:
            assert (await attendance.counts(session, dec15))["attend"] == 1  # replies kept
        assert "Asia/Urumqi" in await group.say("/themeday 时区 Asia/Urumqi")
        assert (await coming())["2026-12-15"][2] == "03:00"  # 09:00 in Urumqi (UTC+6)
        assert "没有这个时区" in await group.say("/themeday 时区 火星")


async def test_a_reminder_is_what_its_kind_says_not_what_its_chat_id_sign_says(
    db_url: str,
) -> None:
    """Another messenger may give a group a positive id: its reminders are still the group's
    (and a secretary's digest and confirmation stay theirs), because each row names its kind."""
    async with bot_services(db_url) as services:
        group = "5550001"  # a group id of a messenger that does not number groups below zero
        async with services.db.session() as session:
            branch = Branch(name="正数群支部", timezone="Asia/Shanghai")
            session.add(branch)
            await session.flush()
            branch.theme_day_rule = {"kind": "day", "day": 15, "time": "09:00"}
            session.add(GroupBinding(chat_id=group, branch_id=branch.id, bound_by="7"))
            session.add(
                Member(user_id="7", display_name="书记", branch_id=branch.id, role="secretary")
            )
        telegram = Telegram()
        dispatcher = dispatcher_at(services, telegram, [SET_ON])
        await dispatcher.expand_all(SET_ON)
        kinds = {(r.chat_id, r.kind) for r in await reminders(services)}
        assert kinds == {(group, "group"), ("7", "digest"), ("7", "confirm")}
        await dispatcher.tick(START - timedelta(hours=2))
        assert "【支部主题党日提醒】" in telegram.texts(group)[0]
        await dispatcher.tick(START + timedelta(hours=2))
        digest, confirmation = telegram.texts("7")
        assert digest.startswith("【明天的支部主题党日】") and confirmation.startswith(
            "【确认实到】"
        )
