"""Theme days on Telegram, both frameworks, over real HTTP to the local Bot API server: the
scheduler inside the bot process reminds the group, 100 members answer at once, text replies
count, and a 429 storm plus a group that removed the bot do not stop the fan-out."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import build_core
from bot.config import Settings
from bot.transports.run import App
from storage import attendance
from storage.models import Event as EventRow
from storage.models import GroupBinding, Reminder
from tests.telegram_bots import (
    Bot,
    after_ticks,
    bound_group,
    message_with,
    rule_two_days_ahead,
    until,
)
from tests.telegram_server import FakeTelegram


async def test_reminder_presses_and_replies(bot: Bot) -> None:
    server = bot.server
    group = await bound_group(bot, -100500, 1, "第一支部群")
    await server.send_text(1, group, f"/themeday {rule_two_days_ahead()}")
    reminder = await server.wait_for(lambda s: message_with(s, -100500, "【支部主题党日提醒】"), 10)
    buttons = reminder["reply_markup"]["inline_keyboard"][0]
    yes, no = buttons[0]["callback_data"], buttons[1]["callback_data"]
    for i in range(100):
        await server.user(1000 + i, f"党员{i}")
    await asyncio.gather(
        *(server.press_button(1000 + i, group, reminder["message_id"], yes) for i in range(100))
    )
    event_id = int(yes.split(":")[1])

    async def tally() -> dict[str, int]:
        async with bot.services.db.session() as session:
            return await attendance.counts(session, event_id)

    await until(lambda: tally(), {"attend": 100, "leave": 0})
    await asyncio.gather(
        *(server.press_button(1000 + i, group, reminder["message_id"], yes) for i in range(10)),
        server.press_button(1099, group, reminder["message_id"], no),
    )
    await until(lambda: tally(), {"attend": 99, "leave": 1})
    edited = await server.wait_for(
        lambda s: message_with(s, -100500, "✅ 参加 99　📝 请假 1"), timeout=15
    )
    assert edited["message_id"] == reminder["message_id"]
    await server.send_text(1098, group, "请假，出差", reply_to_message_id=reminder["message_id"])
    await server.wait_for(lambda s: message_with(s, -100500, "记录：📝 请假（出差）"), 10)
    await until(lambda: tally(), {"attend": 98, "leave": 2})
    # A member of another group cannot answer this event from there.
    other = await bound_group(bot, -100600, 2, "第二支部群")
    bound = message_with(server.sent, -100600, "已将本群绑定")
    assert bound is not None
    before = len(server.calls)
    await server.press_button(3000, other, bound["message_id"], yes)
    await server.wait_for(
        lambda _: any(
            c["method"] == "answerCallbackQuery" and "不属于本群" in str(c.get("params"))
            for c in server.calls[before:]
        ),
        10,
    )
    await until(lambda: tally(), {"attend": 98, "leave": 2})
    # A nudge names members so that Telegram notifies them (text_mention entities).
    from bot.contract import SendText, with_mentions

    text, mentions = with_mentions(
        ["【提醒】", ("1000", "党员0"), "、", ("1001", "党员1"), "：请回复。"]
    )
    await bot.services.messenger.send("-100500", SendText(text, mentions=mentions))
    nudge = await server.wait_for(lambda s: message_with(s, -100500, "：请回复。"), 10)
    stored = server.message(-100500, nudge["message_id"]) or {}
    assert [(e["type"], e["offset"], e["length"], e["user"]["id"]) for e in stored["entities"]] == [
        ("text_mention", 4, 3, 1000),
        ("text_mention", 8, 3, 1001),
    ]
    assert not server.internal_errors


async def test_fan_out_survives_a_429_storm_and_a_removed_bot(bot: Bot) -> None:
    server = bot.server
    rule = rule_two_days_ahead()
    groups = [-200100 - i for i in range(8)]
    for i, chat_id in enumerate(groups):
        await bound_group(bot, chat_id, 10 + i, f"支部{i}")
    # Stop the scheduler from reminding while the rules are set: they all go in one tick.
    await server.remove_bot(groups[3])
    server.fail_next("sendMessage", status=429, retry_after=1, times=4)
    for i, chat_id in enumerate(groups):
        if chat_id != groups[3]:
            await server.send_text(10 + i, chat_id, f"/themeday {rule}")
    async with bot.services.db.session() as session:
        from bot import themeday  # the removed group's rule, set as its secretary would have
        from bot.contract import Chat, Event, User

        await themeday.themeday(
            session, Event(Chat(str(groups[3]), "group"), User("13", "书记13")), bot.services, rule
        )

    def reminded(sent: list[dict[str, Any]]) -> set[int]:
        return {
            m["chat_id"]
            for m in sent
            if m["method"] == "sendMessage" and "【支部主题党日提醒】" in (m.get("text") or "")
        }

    expected = set(groups) - {groups[3]}
    await server.wait_for(lambda s: reminded(s) >= expected, timeout=30)
    await after_ticks(bot, 3)  # a few more ticks: nothing is sent twice
    counts: dict[int, int] = {}
    for m in server.sent:
        if m["method"] == "sendMessage" and "【支部主题党日提醒】" in (m.get("text") or ""):
            counts[m["chat_id"]] = counts.get(m["chat_id"], 0) + 1
    assert counts == dict.fromkeys(expected, 1)
    async with bot.services.db.session() as session:
        statuses = {
            r.chat_id: r.status
            for r in (
                await session.execute(select(Reminder).where(Reminder.status != "pending"))
            ).scalars()
        }
        gone = (
            await session.execute(
                select(GroupBinding).where(GroupBinding.chat_id == str(groups[3]))
            )
        ).scalar_one()
        events = len((await session.execute(select(EventRow))).scalars().all())
    assert all(statuses.get(str(c)) == "sent" for c in expected)
    assert statuses.get(str(groups[3])) in ("skipped", None) and gone.active is False
    assert events >= 7 * 3
    assert not server.internal_errors


async def test_members_joining_the_group_join_the_roster(bot: Bot) -> None:
    server = bot.server
    await bound_group(bot, -100700, 1, "第三支部群")
    from tests.telegram_server import BOT_ID

    await server.set_member_status(-100700, BOT_ID, "administrator")
    await server.user(4242, "新来的")
    await server.set_member_status(-100700, 4242, "member")

    async def names() -> list[str]:
        async with bot.services.db.session() as session:
            binding = (
                await session.execute(select(GroupBinding).where(GroupBinding.chat_id == -100700))
            ).scalar_one()
            return [m.display_name for m in await attendance.roster(session, binding.branch_id)]

    await until(names, ["书记1", "新来的"])
    await server.set_member_status(-100700, 4242, "left")
    await until(names, ["书记1"])


async def test_a_restart_sends_nothing_twice(bot: Bot) -> None:
    server = bot.server
    await bound_group(bot, -100800, 1, "第四支部群")
    await server.send_text(1, -100800, f"/themeday {rule_two_days_ahead()}")
    await server.wait_for(lambda s: message_with(s, -100800, "【支部主题党日提醒】"), 10)
    await bot.restart()
    await server.wait_for(
        lambda _: sum(c["method"] == "setMyCommands" for c in server.calls) >= 2, 15
    )
    await after_ticks(bot, 3)  # several ticks of the new process
    reminders = [
        m
        for m in server.sent
        if m["chat_id"] == -100800
        and "【支部主题党日提醒】" in (m.get("text") or "")
        and m["method"] == "sendMessage"
    ]
    assert len(reminders) == 1


async def test_the_scheduler_can_run_alone(tmp_path: Path) -> None:
    """`branchbot scheduler` beside `branchbot run --no-scheduler`: only the former reminds."""
    from bot.transports.run import run_scheduler_alone

    server = await FakeTelegram.start()
    settings = Settings(
        bot_token="123456:TEST",
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        cache_dir=tmp_path / "cache",
    )
    stop = asyncio.Event()
    bot_app = App(build_core(settings), stop)
    bot_task = asyncio.create_task(bot_app.serve(with_scheduler=False))
    try:
        await server.wait_for(
            lambda _: any(c["method"] == "setMyCommands" for c in server.calls), 15
        )
        owner = await server.user(1, "书记")
        group = await server.group(-100900, "第五支部群", {1: "creator"})
        await server.send_text(owner, group, "/bind")
        await server.send_text(owner, group, f"/themeday {rule_two_days_ahead()}")
        await server.wait_for(lambda s: message_with(s, -100900, "已设定"), 10)
        assert bot_app.scheduling == []  # this process schedules nothing: it cannot remind
        alone = asyncio.create_task(run_scheduler_alone(build_core(settings), stop))
        await server.wait_for(lambda s: message_with(s, -100900, "【支部主题党日提醒】"), 10)
        sent = [m for m in server.sent if m["method"] == "sendMessage"]
        assert sum("【支部主题党日提醒】" in (m["text"] or "") for m in sent) == 1
    finally:
        stop.set()
        await asyncio.gather(bot_task, return_exceptions=True)
        if "alone" in locals():
            await asyncio.gather(alone, return_exceptions=True)
        await server.stop()


async def test_a_committee_meeting_of_its_own_day_is_reminded_and_answered(bot: Bot) -> None:
    """Issue 16 on both frameworks: a 支委会 on a day of its own gets its own reminder from the
    scheduler in the bot process, and members answer it by button and in words."""
    server = bot.server
    group = await bound_group(bot, -100700, 1, "第三支部群")
    await server.send_text(1, group, "/meetings 支委会 3人")
    await server.wait_for(lambda s: message_with(s, -100700, "已更新"), 10)
    await server.send_text(1, group, f"/meetings 支委会 {rule_two_days_ahead()}")
    reminder = await server.wait_for(
        lambda s: message_with(s, -100700, "【支部委员会会议提醒】"), 15
    )
    assert "主题：支部委员会会议" in reminder["text"]
    yes = reminder["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await server.user(7001, "委员甲")
    await server.press_button(7001, group, reminder["message_id"], yes)
    await server.send_text(7002, group, "请假，出差", reply_to_message_id=reminder["message_id"])
    event_id = int(yes.split(":")[1])

    async def tally() -> dict[str, int]:
        async with bot.services.db.session() as session:
            return await attendance.counts(session, event_id)

    await until(lambda: tally(), {"attend": 1, "leave": 1})
    async with bot.services.db.session() as session:
        event = await session.get(EventRow, event_id)
        assert event is not None and event.kind == "committee"
