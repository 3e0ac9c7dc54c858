"""Chat and user ids are opaque text to the core: a messenger that names its chats and users
with words works as Telegram's numbers do, and only the Telegram transport turns its numbers
into text and back."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from bot.console import ConsoleScreen, ConsoleSession
from bot.contract import Action, Chat, EditText, Event, SendText, User
from bot.router import handle_event
from bot.services import Services
from bot.transports.common import core_id, event_from_update, is_group_chat, telegram_id
from storage import groups, ledger
from tests.chat import bot_services
from tests.flow_scripts import ENTERPRISE_ANSWERS

GROUP = Chat("wx:room-党员群", "group", "党员群")  # another messenger's names
SECRETARY = User("wx:alice", "书记")
MEMBER = User("wx:bob", "党员")


@pytest.mark.parametrize("value", [1, -100123, None, 1.5, b"1", ""])
def test_a_chat_or_user_id_is_text(value: object) -> None:
    with pytest.raises(TypeError):
        Chat(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        User(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("telegram", "core", "group"),
    [(-1001234567890, "-1001234567890", True), (5, "5", False), (777000, "777000", False)],
)
def test_the_telegram_transport_writes_its_numbers_as_text(
    telegram: int, core: str, group: bool
) -> None:
    assert core_id(telegram) == core and telegram_id(core) == telegram
    assert is_group_chat(core) is group


@pytest.mark.parametrize("forged", ["5", True, None, {"id": 5}, 5.0])
def test_an_update_whose_ids_are_not_telegrams_numbers_is_refused(forged: object) -> None:
    update = {
        "update_id": 1,
        "message": {"chat": {"id": forged, "type": "private"}, "from": {"id": 5}, "text": "/help"},
    }
    with pytest.raises(TypeError):
        event_from_update(update, 1, "bot")


def test_an_update_gives_the_core_text_ids() -> None:
    update = {
        "update_id": 1,
        "message": {
            "message_id": 3,
            "chat": {"id": -100500, "type": "supergroup", "title": "群"},
            "from": {"id": 42, "first_name": "张"},
            "text": "/help",
        },
    }
    event = event_from_update(update, 1, "bot")
    assert event is not None
    assert (event.chat.id, event.chat.kind, event.user.id) == ("-100500", "group", "42")


class Directory:
    """The other messenger's group: alice created it."""

    bot_username = ""

    async def member_status(self, chat_id: str, user_id: str) -> str:
        return "creator" if (chat_id, user_id) == (GROUP.id, SECRETARY.id) else "member"

    def deep_link(self, payload: str) -> str | None:
        return None


def said(actions: list[Action]) -> str:
    return "\n".join(a.text for a in actions if isinstance(a, SendText | EditText))


async def say(services: Services, chat: Chat, user: User, text: str) -> str:
    return said(await handle_event(Event(chat, user, text=text), services))


async def test_the_core_runs_on_ids_that_are_not_numbers(database_url: str) -> None:
    async with bot_services(database_url) as services:
        out = io.StringIO()  # typed as in the console, whose buttons are pressed by number
        private = Chat(SECRETARY.id, "private")
        console = ConsoleSession(services, ConsoleScreen(private.id, out), private, SECRETARY)
        for line in ["/menu", "1", *ENTERPRISE_ANSWERS]:
            await console.say(line)
        assert "【摸底台账 #1】" in out.getvalue()
        services = replace(services, directory=Directory())
        assert "已将本群绑定" in await say(services, GROUP, SECRETARY, "/bind")
        assert "已加入" in await say(services, GROUP, MEMBER, "/join")
        async with services.db.session() as session:
            (org,) = await ledger.list_organisations(session, registered_by="wx:alice")
            binding = await groups.get_binding(session, GROUP.id)
            assert binding is not None and binding.bound_by == "wx:alice"
            assert await groups.find_member(session, binding.branch_id, "wx:bob") is not None
        assert org.registered_by == "wx:alice"
