"""What a branch hears when its theme days change, and who is awaited: the organiser is not
未回复, changing offsets or the time zone posts nothing again, an announced event that moves or
is cancelled is announced, and an event with replies is never dropped without the secretary
being told."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.contract import SendText
from storage import attendance
from tests.chat import Conversation, bot_services
from tests.chat import Sent as Telegram
from tests.test_theme_days import (
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
