"""Reading members' replies in words: the labelled tables, the issue's own examples, and the
whole path in a group (what was recorded is shown with a one-tap change; an unsure reply is
asked back; chatter under the reminder gets no answer)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.attendance import LEXICON
from bot.console import GROUP_CHAT_ID
from bot.contract import Chat, EditText, Event, SendText, User
from bot.router import handle_event
from bot.rules.attendance_reply import ATTEND, LEAVE, NONE, UNSURE, read_reply
from bot.services import Services
from storage import attendance
from tests.attendance_eval import BLIND, DATA, TUNING, evaluate, load
from tests.chat import Sent as Telegram
from tests.chat import bot_services
from tests.theme_day_helpers import three_members_reminded

BLIND_SHA256 = "d37b52eadab0b43b85bcc17182138138155c5dd25e3eef936798f7056e9630b7"


def read(text: str) -> tuple[str, str | None]:
    reply = read_reply(text, LEXICON)
    return reply.kind, reply.reason


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        # What the issue saw, and what each must be.
        ("准时参加，不用请假", ATTEND, None),
        ("有事晚点到，但会参加", ATTEND, None),
        ("不一定能参加", UNSURE, None),
        ("可以不参加吗", UNSURE, None),
        ("收到，请假", LEAVE, None),
        ("收到", UNSURE, None),
        ("好的", UNSURE, None),
        # The same kinds of reply, said otherwise.
        ("请假，出差", LEAVE, "出差"),
        ("来不了，家里有事", LEAVE, "家里有事"),
        ("我来不了", LEAVE, None),  # not 我来
        ("不会不来的", ATTEND, None),
        ("本来想请假，还是来参加", ATTEND, None),
        ("上次请假了，这次参加", ATTEND, None),
        ("请假，在州里参加培训", LEAVE, "在州里参加培训"),
        ("我请个假可以吗，孩子生病", LEAVE, "孩子生病"),
        ("如果不加班就来", UNSURE, None),
        ("如果是15号那我去不了", LEAVE, None),  # the reminder's own day: met
        ("我替老王请个假", UNSURE, None),
        ("我参加，老李去不了", ATTEND, None),
        ("必须去吗？", UNSURE, None),
        ("在哪里开？", NONE, None),
        ("大家早上好🌞", NONE, None),
        ("👍", UNSURE, None),
        ("🌹🌹🌹", NONE, None),
        ("克不成了，家头有事", LEAVE, "家头有事"),  # the reason in the member's own words
        ("", NONE, None),
        ("请假" * 3000, LEAVE, None),
    ],
)
def test_replies_as_members_write_them(text: str, kind: str, reason: str | None) -> None:
    assert read(text) == (kind, reason)


@pytest.mark.parametrize(
    ("name", "floor", "reasons"),
    [(TUNING, 0.97, 0.95), ("attendance_replies2.yaml", 0.95, 0.78)],
)
def test_the_tuning_tables_are_read_as_labelled_with_no_flips(
    name: str, floor: float, reasons: float
) -> None:
    items = load(name)
    assert len(items) >= 200
    report = evaluate(items, read)
    assert report.flips == []
    assert report.accuracy >= floor, report.misses
    assert report.reason_accuracy >= reasons, report.reason_misses


def test_the_blind_table_is_frozen_and_measured_not_tuned_on() -> None:
    """Written from tests/data/attendance_labels.md alone, and never looked into. Measured
    at 0.860 with 6 flips when first frozen, 0.891 with 4 after the second tuning table: a
    change that reads it worse than that fails here."""
    assert hashlib.sha256((DATA / BLIND).read_bytes()).hexdigest() == BLIND_SHA256
    report = evaluate(load(BLIND), read)
    assert report.accuracy >= 0.87
    assert len(report.flips) <= 4


async def say(services: Services, user: int, text: str, message_id: int) -> list:
    event = Event(
        Chat(GROUP_CHAT_ID, "group"),
        User(str(user), f"党员{user}"),
        text=text,
        reply_to_message_id=message_id,
        reply_to_bot=True,
    )
    return await handle_event(event, services)


async def tap(services: Services, user: int, data: str, message_id: int) -> list:
    event = Event(
        Chat(GROUP_CHAT_ID, "group"),
        User(str(user), f"党员{user}"),
        button_data=data,
        callback_id=f"cb{user}",
        message_id=message_id,
    )
    return await handle_event(event, services)


async def responses(services: Services, event_id: int) -> dict[str, tuple[str | None, str | None]]:
    async with services.db.session() as session:
        rows = await attendance.replies(session, event_id)
        members = {m.id: m.user_id for m in await attendance.roster(session, 1)}
    return {members[i]: (a.response, a.reason) for i, a in rows.items()}


async def test_words_are_recorded_shown_and_changed_with_one_tap(tmp_path: Path) -> None:
    telegram = Telegram()
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        _, reminder = await three_members_reminded(services, telegram)
        event_id = int(reminder.buttons[0][0].data.split(":")[1])  # type: ignore[union-attr]
        message_id = telegram.message_ids[-1]

        (shown, edit) = await say(services, 5, "准时参加，不用请假", message_id)
        assert shown.text == "已为党员5记录：✅ 参加"
        assert isinstance(edit, EditText) and "✅ 参加 1　📝 请假 0" in edit.text
        (change,) = shown.buttons[0]
        assert change.label == "改为请假"

        # Another member's tap on it changes nothing.
        (refused,) = await tap(services, 6, change.data, 2000)
        assert "不是您的按钮" in refused.text
        assert "6" not in await responses(services, event_id)

        # The member's own tap: recorded, the message says so, the counts follow.
        actions = await tap(services, 5, change.data, 2000)
        edits = [a for a in actions if isinstance(a, EditText)]
        assert edits[0].message_id == 2000 and edits[0].text.startswith("已为党员5记录：📝 请假")
        assert edits[0].buttons[0][0].label == "改为参加"
        assert any("✅ 参加 0　📝 请假 1" in e.text for e in edits[1:])
        assert (await responses(services, event_id))["5"] == ("leave", None)

        # Unsure: asked back with the two answers, only for that member; nothing recorded.
        (asked,) = await say(services, 6, "可以不参加吗", message_id)
        assert asked.text.startswith("党员6，没能确定您是否参加")
        attend_button, leave_button = asked.buttons[0]
        assert attend_button.label == "✅ 参加"
        assert "6" not in await responses(services, event_id)
        await tap(services, 6, leave_button.data, 2001)
        assert (await responses(services, event_id))["6"] == ("leave", None)

        # Chatter under the reminder: no answer, nothing recorded.
        assert await say(services, 7, "大家早上好🌞", message_id) == []
        assert "7" not in await responses(services, event_id)

        # After a bare 请假, the next words are its reason.
        await say(services, 7, "请假", message_id)
        (kept, *_) = await say(services, 7, "老母亲住院要陪护", message_id)
        assert "老母亲住院要陪护" in kept.text
        assert (await responses(services, event_id))["7"] == ("leave", "老母亲住院要陪护")

        # Forged: someone else's id in the data, or a made-up event.
        forged = f"ao:{event_id}:y:5"
        (refused,) = await tap(services, 6, forged, 2000)
        assert "不是您的按钮" in refused.text
        actions = await tap(services, 6, f"ao:{event_id + 99}:y:6", 2000)
        assert "不属于本群" in actions[0].text


def test_a_very_long_user_id_gets_no_button_rather_than_a_crash() -> None:
    from bot.attendance import ask_back, recorded_for
    from knowledge.content import load_content

    content = load_content()
    user = User("wx:" + "x" * 60, "长名")
    assert recorded_for(content, user, 1, ATTEND, None).buttons == ()
    assert isinstance(ask_back(content, user, 1), SendText)


@pytest.mark.parametrize(
    ("before_start", "shown"),
    [
        (timedelta(days=3) - timedelta(seconds=20), "还有3天"),  # a tick 20 s after it fell due
        (timedelta(days=3, hours=5), "还有3天"),
        (timedelta(days=1) - timedelta(minutes=1), "还有1天"),
        (timedelta(hours=2) - timedelta(seconds=30), "还有2小时"),
        (timedelta(hours=23), "还有23小时"),
        (timedelta(minutes=30), "即将开始"),
    ],
)
def test_time_left_counts_from_when_the_reminder_fell_due(
    before_start: timedelta, shown: str
) -> None:
    from bot.attendance import time_left
    from knowledge.content import load_content

    start = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
    assert time_left(start, start - before_start, load_content()) == shown
