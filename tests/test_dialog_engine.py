"""The dialog engine on a flow of every input kind (multi-choice, date, time, yes/no, optional),
so kinds no shipped flow uses yet are proven before later steps rely on them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from bot.contract import Chat, EditText, Event, SendText, User
from bot.dialog.engine import DialogButton, DialogEngine
from knowledge.content import load_content
from storage import dialogs
from storage.db import Database

FLOW = {
    "id": "kinds",
    "title": "测试",
    "intro": "",
    "on_complete": "done",
    "steps": [
        {
            "id": "items",
            "kind": "multi",
            "prompt": "选内容",
            "options": ["党费收缴", "党性教育", "志愿服务"],
        },
        {"id": "day", "kind": "date", "prompt": "哪天"},
        {"id": "at", "kind": "time", "prompt": "几点"},
        {"id": "online", "kind": "yesno", "prompt": "线上吗"},
        {
            "id": "link",
            "kind": "text",
            "prompt": "链接",
            "optional": True,
            "when": {"online": True},
        },
    ],
}


async def test_every_input_kind_through_the_engine(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}")
    await db.migrate()
    content = load_content()
    content = replace(content, flows={"kinds": FLOW})
    finished: list[dict[str, Any]] = []

    async def done(session, event, state, answers):  # type: ignore[no-untyped-def]
        finished.append(answers)
        return [SendText("完成")]

    engine = DialogEngine(
        content, {}, {"done": done, "survey": done}, today=lambda: date(2026, 11, 26)
    )
    user, chat = User(1, "书记"), Chat(1)

    async def say(text: str | None = None, data: str | None = None) -> list[Any]:
        async with db.session() as session:
            event = Event(chat, user, text=text, button_data=data, callback_id="c", message_id=9)
            if text == "__start__":
                return await engine.start(session, event, "kinds")
            state = await dialogs.get_state(session, 1, 1)
            if data is not None:
                button = DialogButton.parse(data)
                assert button is not None
                return await engine.press(session, event, state, button)
            assert state is not None
            return await engine.answer_text(session, event, state)

    first = await say("__start__")
    toggles = [b.data for row in first[-1].buttons for b in row]
    edited = await say(data=toggles[0])
    assert isinstance(edited[-1], EditText) and "✅ 党费收缴" in str(edited[-1].buttons)
    await say(data=toggles[2])
    await say(data=toggles[0])  # pressing again unselects
    assert "哪天" in (await say(data=toggles[-1]))[-1].text
    assert "请按" in (await say("下个月"))[-1].text
    assert "几点" in (await say("12月5日"))[-1].text
    assert "19:30" in (await say("25点"))[-1].text
    assert "线上吗" in (await say("19点半"))[-1].text
    assert "可发送 /skip" in (await say("是"))[-1].text
    async with db.session() as session:
        state = await dialogs.get_state(session, 1, 1)
        assert state is not None
        await engine.skip(session, Event(chat, user, text="/skip"), state)
    assert finished == [
        {"items": ["志愿服务"], "day": "2026-12-05", "at": "19:30", "online": True, "link": None}
    ]
    await db.close()
