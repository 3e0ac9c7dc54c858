"""Any input at any question gets a Chinese reply or is ignored: no crash, no lost answer."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.contract import AnswerButton, Chat, Event, SendText, User, button_id
from bot.router import handle_event, parse_command
from bot.services import Services
from tests.chat import Conversation, bot_services
from tests.flow_scripts import ENTERPRISE_ANSWERS

inputs = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(categories=["So", "Sk", "P", "Zs"]), max_size=50),
    st.sampled_from(
        ["", " ", "/", "/@", "/skip@x", "/back extra", "'; DROP TABLE organisations;--", "1" * 50]
    ),
    st.integers(-(10**12), 10**12).map(str),
)


@pytest.mark.parametrize("answered", [0, 3, 6, 9, 12])
async def test_random_input_never_crashes_or_loses_answers(tmp_path: Path, answered: int) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}") as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS[:answered])
        await _fuzz(services)


CHANGES_STATE = frozenset({"cancel", "back", "skip"})


async def _fuzz(services: Services) -> None:
    async with services.db.session() as session:
        before = await services.engine.current(session, "1", "1")
        assert before is not None
        kept = dict(before.answers)
    loop = asyncio.get_running_loop()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=inputs, button=st.text(max_size=70))
    def one(text: str, button: str) -> None:
        """Hypothesis calls this from a worker thread; the bot runs on the test's loop."""
        asyncio.run_coroutine_threadsafe(_check(services, text, button, kept), loop).result()

    await asyncio.to_thread(one)


async def _check(services: Services, text: str, button: str, kept: dict[str, object]) -> None:
    command = parse_command(text.strip())
    if command is not None and command[0] in CHANGES_STATE:
        return  # these legitimately change the state
    for event in (
        Event(Chat("1"), User("1", "书记"), text=text),
        Event(Chat("1"), User("1", "书记"), button_data=button, callback_id="x", message_id=1),
    ):
        for action in await handle_event(event, services):
            if isinstance(action, SendText):
                assert action.text.strip()
    async with services.db.session() as session:
        state = await services.engine.current(session, "1", "1")
        if state is not None:  # a valid answer may advance; earlier answers stay
            for key, value in kept.items():
                assert state.answers.get(key) == value


async def test_logs_at_info_carry_no_message_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}") as services:
        await Conversation(services).say(
            "/menu", "1", "保密单位名称", "非公企业", "楚雄市", "不在园区", "1", "120"
        )
    assert "event chat=private" in caplog.text
    for secret in ("保密单位名称", "98765"):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("7", 7),
        ("000123", 123),
        ("9" * 12, 10**12 - 1),
        ("9" * 13, None),
        ("", None),
        ("-1", None),
        ("1.5", None),
        ("²", None),
        ("١٢", None),
        ("１２", None),
        ("ok", None),
    ],
)
def test_button_id(part: str, expected: int | None) -> None:
    assert button_id(part) == expected


# Digits `str.isdigit` accepts and `int` refuses, in every kind of button that carries an id.
UNICODE_DIGIT_BUTTONS = ["a:²:y", "c:²:ok", "c:1:²", "n:²", "v:²", "p:v:²", "l:v:²", "j:²:f"]


@pytest.mark.parametrize("data", [*UNICODE_DIGIT_BUTTONS, "d:1:²:0", "d:²:1:0"])
async def test_forged_ids_are_turned_away(tmp_path: Path, data: str) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}") as services:
        for chat in (Chat("-5", "group"), Chat("1", "private")):
            pressed = Event(chat, User("1", "书记"), button_data=data, callback_id="x")
            (answer,) = await handle_event(pressed, services)
            assert isinstance(answer, AnswerButton) and "无法识别的按钮" in answer.text


async def test_a_forged_join_link_is_a_plain_start(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}") as services:
        assert "我是“六步工作法助手”" in await Conversation(services).say("/start join-²")
