"""Any input at any question gets a Chinese reply or is ignored: no crash, no lost answer."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.contract import Chat, Event, SendText, User
from bot.router import handle_event, parse_command
from bot.services import Services
from storage import dialogs
from tests.chat import Conversation, bot_services
from tests.test_survey_flow import ENTERPRISE_ANSWERS

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
        before = await dialogs.get_state(session, 1, 1)
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
        Event(Chat(1), User(1, "书记"), text=text),
        Event(Chat(1), User(1, "书记"), button_data=button, callback_id="x", message_id=1),
    ):
        for action in await handle_event(event, services):
            if isinstance(action, SendText):
                assert action.text.strip()
    async with services.db.session() as session:
        state = await dialogs.get_state(session, 1, 1)
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
