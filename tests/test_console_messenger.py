"""The console is a whole messenger: a reminder that falls due is printed in its group, a
member presses 参加 under it or answers it in words with /reply, and both are counted."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console import GROUP_CHAT_ID, ConsoleMessenger, ConsoleSession
from bot.contract import Chat, User
from bot.reminders import build_dispatcher
from storage.models import Attendance
from tests.chat import bot_services

START = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
SET_ON = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
GROUP = Chat(GROUP_CHAT_ID, "group", "测试群")
SECRETARY = User(1, "书记")


async def test_a_due_reminder_appears_in_the_console_group_and_is_answered(
    tmp_path: Path,
) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        services.clock = lambda: SET_ON
        out = io.StringIO()
        group = ConsoleSession(
            services, Chat(GROUP_CHAT_ID, "group", "测试群"), User(1, "书记"), out
        )
        services.outbound = ConsoleMessenger(group)
        await group.say("/bind")
        await group.say("/themeday 每月15日 9:00")
        now = [SET_ON]
        dispatcher = build_dispatcher(services, clock=lambda: now[0])
        await dispatcher.expand_all(SET_ON)
        out.seek(0)
        out.truncate()

        now[0] = START - timedelta(hours=2)
        services.clock = lambda: now[0]
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
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        out = io.StringIO()
        group = ConsoleSession(
            services, Chat(GROUP_CHAT_ID, "group", "测试群"), User(1, "书记"), out
        )
        await group.say("/reply 参加")
        assert "用法：/reply" in out.getvalue()


async def test_the_scheduler_starts_when_sending_does_and_not_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No polling: run_when_ready waits on `Services.sending`, and a stop before it ends it."""
    from bot import reminders

    started = asyncio.Event()

    async def scheduler(dispatcher, timezone, stop, tick):  # type: ignore[no-untyped-def]
        started.set()
        await stop.wait()

    monkeypatch.setattr(reminders, "run_scheduler", scheduler)
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        stop = asyncio.Event()
        never = asyncio.create_task(reminders.run_when_ready(services, stop))
        stop.set()
        await asyncio.wait_for(never, 5)
        assert not started.is_set()

        stop = asyncio.Event()
        task = asyncio.create_task(reminders.run_when_ready(services, stop))
        services.start_sending(ConsoleMessenger(ConsoleSession(services, GROUP, SECRETARY)))
        await asyncio.wait_for(started.wait(), 5)
        stop.set()
        await asyncio.wait_for(task, 5)
