"""Theme-day set-ups shared by the theme-day tests: a bound group with the fixed day set on
SET_ON, the scheduler's dispatcher at a chosen instant, members pressing under a reminder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.console import GROUP_CHAT_ID
from bot.contract import Action, Chat, Event, User
from bot.reminders import build_dispatcher
from bot.router import handle_event
from bot.services import Services
from tests.chat import Conversation, set_clock
from tests.chat import Sent as Telegram

GROUP = Chat(GROUP_CHAT_ID, "group", "测试群")
# 2026-12-15 is a Tuesday; 09:00 in Asia/Shanghai is 01:00 UTC.
START = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
SET_ON = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def bound_group_with_rule(services: Services, rule: str = "每月15日 9:00") -> str:
    """User 1 (the group's creator in the console) binds the group and sets the rule, as if
    on SET_ON (the services' clock): the events expanded are those after that day."""
    set_clock(services, SET_ON)
    await Conversation(services, group=True).say("/bind")
    return await Conversation(services, group=True).say(f"/themeday {rule}")


def dispatcher_at(services: Services, telegram: Telegram, moment: list[datetime]):  # type: ignore[no-untyped-def]
    """The scheduler's dispatcher, sending to `telegram`, at the instant `moment[0]`."""
    return build_dispatcher(replace(services, messenger=telegram), clock=lambda: moment[0])


async def press(services: Services, user: int, data: str, message_id: int) -> list[Action]:
    event = Event(
        GROUP,
        User(str(user), f"党员{user}"),
        button_data=data,
        callback_id=str(user),
        message_id=message_id,
    )
    return await handle_event(event, services)


async def three_members_reminded(services: Services, telegram: Telegram):  # type: ignore[no-untyped-def]
    """The group with the rule, members 5, 6 and 7 on the roster, and the 3-day reminder
    sent: the dispatcher and that reminder."""
    await bound_group_with_rule(services)
    group = Conversation(services, group=True)
    for user in (5, 6, 7):
        await group.say(f"/as {user} 党员{user}", "/join")
    dispatcher = dispatcher_at(services, telegram, [SET_ON])
    await dispatcher.expand_all(SET_ON)
    await dispatcher.tick(START - timedelta(days=3))
    (reminder,) = [a for c, a in telegram.sent if c == GROUP_CHAT_ID]
    return dispatcher, reminder
