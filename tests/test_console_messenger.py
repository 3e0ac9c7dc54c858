"""The console is a whole messenger: a reminder that falls due is printed in its group, a
member presses 参加 under it or answers it in words with /reply, and both are counted."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.console import GROUP_CHAT_ID, ConsoleScreen, ConsoleSession
from bot.contract import Chat, User
from bot.reminders import build_dispatcher
from storage.models import Attendance
from tests.chat import bot_services, set_clock

START = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
SET_ON = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
GROUP = Chat(GROUP_CHAT_ID, "group", "测试群")
SECRETARY = User("1", "书记")


async def test_a_due_reminder_appears_in_the_console_group_and_is_answered(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    screen = ConsoleScreen(GROUP_CHAT_ID, out)  # the console's messenger: sends are printed
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with bot_services(url, messenger=screen) as services:
        set_clock(services, SET_ON)
        group = ConsoleSession(services, screen, GROUP, SECRETARY)
        await group.say("/bind")
        await group.say("/themeday 每月15日 9:00")
        now = [SET_ON]
        dispatcher = build_dispatcher(services, clock=lambda: now[0])
        await dispatcher.expand_all(SET_ON)
        out.seek(0)
        out.truncate()

        now[0] = START - timedelta(hours=2)
        set_clock(services, now[0])
        assert await dispatcher.tick(now[0]) >= 1
        printed = out.getvalue()
        assert "【支部主题党日提醒】测试群" in printed and "[1] ✅ 参加" in printed

        await group.say("1")  # the secretary presses 参加 under the reminder
        await group.say("/as 2 张三")
        await group.say("/reply 请假，那天出差")  # a member answers the reminder in words
        async with services.db.session() as session:
            rows = (await session.execute(select(Attendance))).scalars().all()
        replies = {(row.response, row.reason) for row in rows}
        assert ("attend", None) in replies
        assert any(response == "leave" and "出差" in (reason or "") for response, reason in replies)


async def test_reply_without_a_message_to_answer_says_how(tmp_path: Path) -> None:
    out = io.StringIO()
    screen = ConsoleScreen(GROUP_CHAT_ID, out)
    async with bot_services(
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", messenger=screen
    ) as services:
        group = ConsoleSession(services, screen, GROUP, SECRETARY)
        await group.say("/reply 参加")
        assert "用法：/reply" in out.getvalue()
